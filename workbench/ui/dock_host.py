"""Builds one dock per registered view in a main window, and lays them out by view id.

``QMainWindow.saveState`` records docks by ``objectName``; every dock's objectName is its
view id, so a saved layout survives views being added (a new dock starts in its default
area) or failing to build (its entry in the saved state is ignored).
"""

from __future__ import annotations

import logging

from qtpy.QtCore import Qt
from qtpy.QtGui import QAction
from qtpy.QtWidgets import QDockWidget, QMainWindow, QWidget

from workbench.ui.views import ViewContext, ViewRegistry, ViewSpec

log = logging.getLogger(__name__)

MIN_DOCK_WIDTH = 180  # never squeezed into unreadable slivers


class DockHost:
    """The docks of ``window``, one per view of ``registry`` that could be built."""

    def __init__(self, window: QMainWindow, registry: ViewRegistry, context: ViewContext):
        self.window = window
        self.specs: dict[str, ViewSpec] = {}
        self.docks: dict[str, QDockWidget] = {}
        self.views: dict[str, QWidget] = {}
        self.failed: dict[str, Exception] = {}
        for spec in registry:
            widget = self._build(spec, context)
            if widget is None:
                continue
            dock = QDockWidget(window)
            dock.setObjectName(spec.id)
            dock.setWidget(widget)
            dock.setMinimumWidth(MIN_DOCK_WIDTH)
            self.specs[spec.id], self.docks[spec.id], self.views[spec.id] = spec, dock, widget
        self.retranslate()
        self.apply_default_layout()

    def _build(self, spec: ViewSpec, context: ViewContext) -> QWidget | None:
        # One broken view costs its own dock, never the window: the error goes to the Log panel.
        try:
            widget = spec.factory(context)
            if not isinstance(widget, QWidget):
                raise TypeError(f"its factory returned {type(widget).__name__}, not a QWidget")
        except Exception as exc:  # any error in a view's code is reported, not raised
            log.error("The %s view could not be built and is left out: %s", spec.title.en, exc, exc_info=exc)
            self.failed[spec.id] = exc
            return None
        return widget

    def apply_default_layout(self) -> None:
        """Put every dock in its declared area, in order, tabbed where declared, all shown."""
        for view_id, dock in self.docks.items():
            self.window.addDockWidget(self.specs[view_id].area.value, dock)
            dock.show()
        tabbed: dict[str, list[str]] = {}  # the dock others are tabbed over → the whole group
        for view_id, dock in self.docks.items():
            under = self.specs[view_id].tab_with
            if under in self.docks:
                self.window.tabifyDockWidget(self.docks[under], dock)
                tabbed.setdefault(under, [under]).append(view_id)
        for group in tabbed.values():  # the first view of a group (by order) is the tab in front
            self.docks[min(group, key=lambda view_id: (self.specs[view_id].order, view_id))].raise_()

    def apply_default_sizes(self) -> None:
        """Starting sizes; only meaningful once the window has its real size (after show)."""
        for orientation, size_of in ((Qt.Orientation.Horizontal, lambda spec: spec.width),
                                     (Qt.Orientation.Vertical, lambda spec: spec.height)):
            sized = [(dock, size_of(self.specs[view_id])) for view_id, dock in self.docks.items()
                     if size_of(self.specs[view_id])]
            if sized:
                self.window.resizeDocks([dock for dock, _ in sized], [size for _, size in sized], orientation)

    def toggle_actions(self) -> list[QAction]:
        """Show/hide actions for the View menu, in view order; their text is the dock title."""
        return [dock.toggleViewAction() for dock in self.docks.values()]

    def retranslate(self) -> None:
        for view_id, dock in self.docks.items():
            dock.setWindowTitle(self.specs[view_id].title.current())
