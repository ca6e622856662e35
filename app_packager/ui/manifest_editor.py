"""The manifest editor: the form, its problems as the user types, and Save.

What the form holds is validated as the file would be read: the data is written as YAML and
read back by :func:`~app_packager.manifest.parse_manifest` (schema and rules, each problem with
its path), then, when that passes, checked against the app's graph and the installed components
(:func:`~app_packager.app_checks.graph_problems`). A click on a problem puts the cursor in its
field. The editor is dirty while the YAML it would write differs from the file's; Save writes it
atomically. Reading the file and the graph and writing run on worker threads.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qtpy.QtCore import QEvent, Qt, QTimer, Signal
from qtpy.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app_packager.app_checks import component_versions, graph_inputs, graph_outputs, graph_problems
from app_packager.manifest import AppInput, AppOutput, ManifestError, parse_manifest
from app_packager.ui.background import in_worker
from app_packager.ui.manifest_form import ManifestForm
from device_browser.ui.dialogs import run_dialog
from device_browser.yaml_source import YamlSource, dump_yaml, read_source
from nodes.atomic_file import atomic_write_text
from nodes.graph import Graph, GraphFormatError, load_graph
from nodes.registry import ComponentRegistry

_SETTLE_MS = 150  # quiet time after the last keystroke before validating
_PATH_ROLE = Qt.ItemDataRole.UserRole
# parse_manifest's lines: "apps/x/app.yaml (line 3, column 10): version: '1.0' is not …"
_LOCATED = re.compile(r"\(line \d+, column \d+\): (?P<path>[^:]*): (?P<message>.*)$")


@dataclass(frozen=True)
class FieldProblem:
    """A problem of the manifest being edited: the field's path (``["inputs", "flow", "unit"]``) and why."""

    path: tuple[str | int, ...]
    message: str

    @classmethod
    def parse(cls, line: str) -> FieldProblem:
        """From ``path: message`` (optionally after a file location), as the library reports them."""
        match = _LOCATED.search(line)
        path, _, message = (match["path"], "", match["message"]) if match else line.partition(": ")
        if not message:
            return cls((), line)
        parts = [] if path == "the manifest" else path.split(".")
        return cls(tuple(int(p) if p.isdigit() else p for p in parts), message)

    def __str__(self) -> str:
        return f"{'.'.join(map(str, self.path))}: {self.message}" if self.path else self.message


class ManifestEditor(QWidget):
    """Edit the manifest at :attr:`path` in project :attr:`project_root`.

    Signals: ``dirty_changed(bool)``; ``problems_changed(int)`` after each validation;
    ``saved(path)`` after a save; ``opened()`` when :attr:`path` changed.
    """

    dirty_changed = Signal(bool)
    problems_changed = Signal(int)
    saved = Signal(object)
    opened = Signal()  # another manifest (or none) is shown

    def __init__(self, registry: Callable[[], ComponentRegistry], parent: QWidget | None = None):
        super().__init__(parent)
        self.registry = registry
        self.path: Path | None = None
        self.project_root: Path | None = None
        self.graph: Graph | None = None
        self.graph_path = ""  # the manifest's graph entry that self.graph was read from
        self.graph_error = ""
        self.problems: list[FieldProblem] = []
        self._baseline = ""  # the YAML the form gave right after loading: equal means not dirty
        self._dirty = False  # what dirty_changed last announced
        self._graph_task: asyncio.Task | None = None
        self.form = ManifestForm(self)
        self.form.edited.connect(self._edited)
        self.form.sync_requested.connect(self.sync_from_graph)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.problem_list = QListWidget(self)
        self.problem_list.itemClicked.connect(self._go_to)
        self.problem_list.itemActivated.connect(self._go_to)
        self.save_button, self.revert_button = QPushButton(self), QPushButton(self)
        self.save_button.clicked.connect(lambda: asyncio.ensure_future(self.save()))
        self.revert_button.clicked.connect(lambda: asyncio.ensure_future(self.revert()))
        self._timer = QTimer(self, singleShot=True, interval=_SETTLE_MS)
        self._timer.timeout.connect(self.revalidate)
        self._build_layout()
        self.setEnabled(False)
        self.retranslate()

    def _build_layout(self) -> None:
        row = QHBoxLayout()
        row.addWidget(self.summary, 1)
        row.addWidget(self.revert_button)
        row.addWidget(self.save_button)
        splitter = QSplitter(Qt.Orientation.Vertical, self)  # the problem list, when shown, takes a share
        splitter.addWidget(self.form)
        splitter.addWidget(self.problem_list)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(splitter, 1)
        outer.addLayout(row)

    # -- state -------------------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        """Whether Save would change the file (asked now, not as of the last validation)."""
        return self.path is not None and self.text() != self._baseline

    @property
    def shown_path(self) -> str:
        """The manifest as the user finds it in the project: ``apps/pump_efficiency/app.yaml``."""
        return _shown(self.path, self.project_root) if self.path is not None else ""

    def text(self) -> str:
        """The YAML Save would write now."""
        return dump_yaml(self.form.data()[0])

    # -- open, save ----------------------------------------------------------------------------------
    async def open(self, path: Path, project_root: Path) -> None:
        """Show the manifest at ``path``; a file that cannot be read is reported as the one problem.

        :attr:`path` changes once the file and its graph are read, so a caller may wait for it.
        """
        path, project_root = Path(path), Path(project_root)
        shown = _shown(path, project_root)
        graph: tuple[Graph | None, str] = (None, "")
        try:
            data = await in_worker(_read_data, path, shown)
        except ManifestError as exc:
            data, read_error = {}, str(exc)
        else:
            read_error = ""
            graph = await in_worker(_read_graph, project_root, str(data.get("graph", "")))
        self.path, self.project_root = path, project_root
        self.graph_path = str(data.get("graph", ""))
        self.graph, self.graph_error = graph
        self.form.set_data(data, project_root)
        self._baseline = self.text()
        self._set_dirty(False)
        self.setEnabled(not read_error)
        if read_error:
            self._show([FieldProblem((), read_error)])
        else:
            self.revalidate()
        self.opened.emit()

    def clear(self) -> None:
        """Show nothing (the project closed, or it has no apps)."""
        self.path = self.project_root = self.graph = None
        self.form.set_data({}, Path.cwd())
        self._baseline = self.text()
        self._set_dirty(False)
        self._show([])
        self.setEnabled(False)
        self.opened.emit()

    async def save(self) -> bool:
        """Write the manifest as the form holds it (problems or not: work in progress may be saved)."""
        if self.path is None:
            return False
        text = self.text()
        try:
            await in_worker(atomic_write_text, self.path, text)
        except OSError as exc:
            self.summary.setText(self.tr("{file} could not be saved: {reason}").format(
                file=self.shown_path, reason=exc.strerror or exc))
            return False
        self._baseline = text
        self._set_dirty(False)
        self.saved.emit(self.path)
        return True

    async def revert(self) -> None:
        if self.path is not None and await self.confirm_discard():
            await self.open(self.path, self.project_root)

    async def confirm_discard(self) -> bool:
        """Whether unsaved edits may go: asks Save / Discard / Cancel when there are some."""
        if not self.dirty:
            return True
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Unsaved manifest"),
                          self.tr("{file} has unsaved changes.").format(file=self.shown_path),
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        try:
            await run_dialog(box)
            choice = box.standardButton(box.clickedButton())
        finally:
            box.deleteLater()
        if choice == QMessageBox.StandardButton.Save:
            return await self.save()
        return choice == QMessageBox.StandardButton.Discard

    # -- validation ----------------------------------------------------------------------------------
    def _edited(self) -> None:
        self._timer.start()

    def revalidate(self) -> None:
        """Check what the form holds now and list its problems."""
        self._timer.stop()
        if self.path is None:
            return
        data, problems = self.form.data()
        text = dump_yaml(data)
        self._set_dirty(text != self._baseline)
        found = [FieldProblem.parse(p) for p in problems]
        try:
            manifest = parse_manifest(text, self.shown_path)
        except ManifestError as exc:
            found += [FieldProblem.parse(line) for line in str(exc).splitlines()]
        else:
            if manifest.graph != self.graph_path:
                self._graph_task = asyncio.ensure_future(self._reload_graph(manifest.graph))
            elif self.graph is not None:
                found += [FieldProblem.parse(p) for p in graph_problems(manifest, self.graph, self.registry())]
            else:
                found.append(FieldProblem(("graph",), self.graph_error))
        self._show(found)

    async def _reload_graph(self, graph_path: str) -> None:
        self.graph_path = graph_path  # at once: typing on does not start another read of the same file
        self.graph, self.graph_error = await in_worker(_read_graph, self.project_root, graph_path)
        self.revalidate()

    def _show(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        self.problem_list.clear()
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for problem in problems:
            item = QListWidgetItem(icon, str(problem), self.problem_list)
            item.setData(_PATH_ROLE, list(problem.path))
            item.setToolTip(problem.message)
        self.problem_list.setVisible(bool(problems))
        self._summarise()
        self.problems_changed.emit(len(problems))

    def _summarise(self) -> None:
        if self.path is None:
            self.summary.setText(self.tr("No app is open"))
        elif not self.problems:
            self.summary.setText(self.tr("No problems: the manifest matches its graph"))
        else:
            self.summary.setText(self.tr("%n problem(s): click one to go to its field", "", len(self.problems)))

    def _go_to(self, item: QListWidgetItem) -> None:
        self.form.focus_path(item.data(_PATH_ROLE) or [])

    def _set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)
        self.save_button.setEnabled(self.path is not None)
        self.revert_button.setEnabled(dirty)

    # -- sync from graph -----------------------------------------------------------------------------
    def sync_from_graph(self) -> None:
        """Inputs, outputs and component versions from the graph; descriptions and bindings kept by name."""
        if self.graph is None:
            self.summary.setText(self.tr("The graph could not be read: {reason}").format(reason=self.graph_error))
            return
        registry = self.registry()
        data, _problems = self.form.data()
        inputs = {name: _merged(_port_data(i), data.get("inputs", {}).get(name), ("description", "binding"))
                  for name, i in graph_inputs(self.graph, registry).items()}
        outputs = {name: _merged(_port_data(o), data.get("outputs", {}).get(name), ("description",))
                   for name, o in graph_outputs(self.graph, registry).items()}
        self.form.set_interface(inputs, outputs, component_versions(self.graph, registry))

    # -- language --------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.save_button.setText(self.tr("Save"))
        self.save_button.setToolTip(self.tr("Write app.yaml (problems and all: it can be fixed later)"))
        self.revert_button.setText(self.tr("Revert"))
        self._summarise()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _shown(path: Path, project_root: Path) -> str:
    try:
        return path.relative_to(project_root).as_posix()
    except ValueError:
        return str(path)


def _read_graph(project_root: Path, graph_path: str) -> tuple[Graph | None, str]:
    """The graph a manifest names, or None and why it cannot be read."""
    try:
        return load_graph(project_root / graph_path), ""
    except GraphFormatError as exc:
        return None, str(exc)


def _read_data(path: Path, shown: str) -> dict[str, Any]:
    data = YamlSource(read_source(path, ManifestError), shown, ManifestError).data
    if not isinstance(data, dict):
        raise ManifestError(f"{shown}: the file does not hold a manifest (a mapping of id, version, name …)")
    return data


def _port_data(port: AppInput | AppOutput) -> dict[str, Any]:
    """An input or output as the graph declares it: unit, kind and the node's title as its description."""
    described = {"description": port.description.to_data()} if port.description else {}
    return {"unit": port.unit, "kind": port.kind, **described}


def _merged(fresh: dict[str, Any], old: Any, kept: tuple[str, ...]) -> dict[str, Any]:
    """``fresh`` with the ``kept`` keys of the row it replaces (a description the graph does not know)."""
    old = old if isinstance(old, dict) else {}
    return {**fresh, **{k: old[k] for k in kept if k in old}}

