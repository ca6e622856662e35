"""The registry of workbench views: each dock is a module that registers itself here.

A view module declares, at import time, what the window needs to host it::

    from workbench.ui.views import Area, ViewContext, register_view

    @register_view("trends", title=("Trends", "趋势"), area=Area.BOTTOM, order=50, height=220)
    def trends_view(context: ViewContext) -> QWidget:
        view = TrendsView(context.status)
        context.session.opened.connect(view.show_project)
        return view

The main window builds one dock per registered view (its ``objectName`` is the view id,
so the saved layout follows the id), lists it in the View menu, and skips a view whose
factory raises, with the error in the Log panel.

View modules are found without editing the window: every module of the
:mod:`workbench.ui.docks` package, then every ``millwright.views`` entry point (plug-ins).
A placeholder (``placeholder=True``) is replaced by a real view registered under its id, so
the placeholder docks of today give way to the device browser, palette and trends views
while saved layouts keep working.
"""

from __future__ import annotations

import enum
import importlib
import logging
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from qtpy.QtCore import QLocale, Qt
from qtpy.QtWidgets import QWidget

if TYPE_CHECKING:  # only for annotations: views get these from the window
    from qtpy.QtGui import QAction, QUndoStack

    from device_browser.workspace import DeviceWorkspace
    from nodes.project_components import ProjectComponents
    from workbench.log_capture import LogCapture
    from workbench.session import ProjectSession
    from workbench.settings import Settings
    from workbench.status import WorkbenchStatus
    from workbench.ui.editor_area import EditorArea

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "millwright.views"


class Area(enum.Enum):
    """Where a view's dock starts (the user may move it; the layout is saved by view id)."""

    LEFT = Qt.DockWidgetArea.LeftDockWidgetArea
    RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
    TOP = Qt.DockWidgetArea.TopDockWidgetArea
    BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea


@dataclass(frozen=True)
class Title:
    """A view's title in each UI language; a view module carries its own translations."""

    en: str
    zh_CN: str

    def current(self) -> str:
        """The title in the language the UI is in now (``i18n.install_language`` sets it)."""
        return self.zh_CN if QLocale().name().startswith("zh") else self.en


@dataclass
class ViewContext:
    """What a view factory may use: the models it observes and the window's shared services."""

    session: ProjectSession
    undo_stack: QUndoStack
    log_capture: LogCapture
    status: WorkbenchStatus
    settings: Settings
    window: QWidget  # parent for dialogs a view opens; views must not reach into the window
    devices: DeviceWorkspace  # the project's devices, their connections, the live bus and the watch list
    editors: EditorArea  # the open graphs: open one, find the one in front
    components: ProjectComponents  # the component types of the open project (.registry), announcing changes
    menu_actions: dict[str, list[QAction]] = field(default_factory=dict)  # menu id ("device") → a view's actions

    def add_menu_actions(self, menu: str, actions: list[QAction]) -> None:
        """Offer ``actions`` in the window's menu ``menu`` (file, edit, view, device, model, app, help)."""
        self.menu_actions.setdefault(menu, []).extend(actions)


ViewFactory = Callable[[ViewContext], QWidget]


@dataclass(frozen=True)
class ViewSpec:
    """One view: id (also the dock's objectName), title, where it starts and how to build it.

    ``order`` sorts docks within an area (and in the View menu); ``tab_with`` stacks the dock
    as a tab over another view's dock; ``width``/``height`` are its starting size in pixels.
    """

    id: str
    title: Title
    area: Area
    factory: ViewFactory
    order: int = 100
    tab_with: str | None = None
    width: int | None = None
    height: int | None = None
    placeholder: bool = False


class ViewError(Exception):
    """Two real views claim one id."""


@dataclass
class ViewRegistry:
    """The views the window hosts, by id."""

    _specs: dict[str, ViewSpec] = field(default_factory=dict)

    def add(self, spec: ViewSpec) -> ViewSpec:
        """Register ``spec``; it replaces a placeholder with its id, never a real view."""
        old = self._specs.get(spec.id)
        if old is not None and not old.placeholder:
            if spec.placeholder:
                return old  # the real view is already here: the placeholder is not needed
            raise ViewError(f"Two views are registered as {spec.id!r}: "
                            f"{_origin(old.factory)} and {_origin(spec.factory)}.")
        self._specs[spec.id] = spec
        return spec

    def remove(self, view_id: str) -> None:
        self._specs.pop(view_id, None)

    def get(self, view_id: str) -> ViewSpec | None:
        return self._specs.get(view_id)

    def __iter__(self) -> Iterator[ViewSpec]:
        return iter(sorted(self._specs.values(), key=lambda spec: (spec.order, spec.id)))

    def __len__(self) -> int:
        return len(self._specs)

    def copy(self) -> ViewRegistry:
        """An independent registry with the same views (tests add or remove views in it)."""
        return ViewRegistry(dict(self._specs))


_registry = ViewRegistry()
_discovered = False


def register_view(view_id: str, *, title: tuple[str, str], area: Area, order: int = 100,
                  tab_with: str | None = None, width: int | None = None, height: int | None = None,
                  placeholder: bool = False) -> Callable[[ViewFactory], ViewFactory]:
    """Decorator: register the decorated factory as view ``view_id`` in the default registry.

    ``title`` is ``(English, Simplified Chinese)``. Returns the factory unchanged.
    """

    def decorate(factory: ViewFactory) -> ViewFactory:
        _registry.add(ViewSpec(view_id, Title(*title), area, factory, order, tab_with, width, height,
                               placeholder))
        return factory

    return decorate


def default_registry() -> ViewRegistry:
    """The registry with every view module imported (once); a module that fails is skipped."""
    global _discovered
    if not _discovered:
        _discovered = True
        _import_view_modules()
    return _registry


def _import_view_modules() -> None:
    import workbench.ui.docks as docks

    names = [f"{docks.__name__}.{info.name}" for info in pkgutil.iter_modules(docks.__path__)]
    for name in sorted(names):
        _import_reporting(name, lambda name=name: importlib.import_module(name))
    for point in entry_points(group=ENTRY_POINT_GROUP):
        _import_reporting(f"{point.name} ({point.value})", point.load)


def _import_reporting(what: str, load: Callable[[], object]) -> None:
    # A broken plug-in or view module costs its dock, never the window.
    try:
        load()
    except Exception as exc:  # any error in third-party code is reported, not raised
        log.error("The view module %s could not be loaded and is left out: %s", what, exc, exc_info=exc)


def _origin(factory: ViewFactory) -> str:
    return f"{getattr(factory, '__module__', '?')}.{getattr(factory, '__qualname__', repr(factory))}"
