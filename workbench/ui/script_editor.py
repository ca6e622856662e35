"""The script editor: write a project's Python components, save to reload them, try them on a recording.

One view (the "Scripts" dock) over the open project's ``components/*.py``: choose a file, edit it
(:class:`~workbench.ui.code_editor.CodeEditor`: highlighting, line numbers), save — which reloads
it at once, so the palette and the canvases follow — and see where it fails: a syntax error is
marked at its line as it is typed; an import error or a refused declaration after a save is marked
at the script's line, its traceback in the Log panel. New… writes a scaffold
(:func:`~workbench.component_commands.scaffold_component`).

"Try on data" runs one component of the file on a chosen recording (CSV or Parquet) in a worker
process (:class:`~model_designer.process_run.TryRun`) and plots its outputs with pyqtgraph,
before it goes on a canvas; Stop kills the worker. An untrusted project shows why nothing is
loaded, with a button to trust the folder.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from qtpy import shiboken
from qtpy.QtCore import QEvent, Qt, QTimer, Signal
from qtpy.QtGui import QAction
from qtpy.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from device_browser.recordings import RecordingError, open_source
from model_designer.process_run import INPUT_SUFFIX, TryRun, try_graph
from model_designer.run import RecordingInput
from nodes.atomic_file import atomic_write_text
from nodes.project_components import ProjectComponents
from nodes.script_components import script_files
from workbench.component_commands import ScaffoldError, scaffold_component
from workbench.ui.code_editor import CodeEditor
from workbench.ui.script_support import ScriptSupport

log = logging.getLogger(__name__)

CHECK_MS = 400  # syntax is checked this long after the last key press
PLOT_POINTS = 20_000  # samples per curve drawn (a long recording is thinned for the plot)
OK_STYLE, ERROR_STYLE = "color: #2e7d32", "color: #d9534f"


class ScriptEditorView(QWidget):
    """Edit, save (= reload) and try the open project's script components."""

    tried = Signal(object)  # from the try's thread: dict of outputs, or the error text

    def __init__(self, components: ProjectComponents, support: ScriptSupport, parent: QWidget | None = None):
        super().__init__(parent)
        self.components, self.support = components, support
        self.path: Path | None = None
        self._buffers: dict[Path, str] = {}  # unsaved text of files switched away from
        self._try: TryRun | None = None
        self.recording: Path | None = None
        self.last_outputs: dict = {}
        self._wanted: Path | None = None  # a file to show once the reload under way lists it (New…)

        self.files = QComboBox(minimumContentsLength=18)
        self.files.currentIndexChanged.connect(lambda _i: self._open(Path(self.files.currentData())
                                                                     if self.files.currentData() else None))
        self.new_action = QAction(self, triggered=self.ask_new)
        self.save_action = QAction(self, triggered=self.save)
        self.try_action = QAction(self, triggered=self.show_try, checkable=True)
        toolbar = QToolBar()
        toolbar.addWidget(self.files)
        for action in (self.new_action, self.save_action, self.try_action):
            toolbar.addAction(action)

        self.banner = QLabel(wordWrap=True)
        self.trust_button = QPushButton(clicked=self.support.ask_trust)
        banner = QHBoxLayout()
        banner.addWidget(self.banner, 1)
        banner.addWidget(self.trust_button)

        self.editor = CodeEditor()
        self.editor.textChanged.connect(self._edited)
        self.editor.save_requested.connect(self.save)  # Ctrl+S in the editor
        self.status = QLabel(wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self._check = QTimer(self, singleShot=True, interval=CHECK_MS)
        self._check.timeout.connect(self.check_syntax)

        self.try_panel = self._build_try_panel()
        self.try_panel.hide()
        split = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.editor)
        top_layout.addWidget(self.status)
        split.addWidget(top)
        split.addWidget(self.try_panel)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(toolbar)
        layout.addLayout(banner)
        layout.addWidget(split, 1)

        self.tried.connect(self._show_tried)
        components.changed.connect(lambda: shiboken.isValid(self) and self.follow_components())
        support.trust_changed.connect(self.follow_components)
        self.retranslate()
        self.follow_components()

    # -- files -------------------------------------------------------------------------------------
    def follow_components(self) -> None:
        """The project's scripts or their state changed (a reload, a new project, a trust decision)."""
        folder = self.components.folder
        files = script_files(folder) if folder is not None else []
        wanted, self._wanted = self._wanted, None if self._wanted in files else self._wanted
        current = wanted if wanted in files else self.path if self.path in files else (files[0] if files else None)
        self.files.blockSignals(True)
        self.files.clear()
        for path in files:
            self.files.addItem(path.name, str(path))  # str: a Path in a QVariant is not found again by findData
        self.files.setCurrentIndex(self.files.findData(str(current)) if current else -1)
        self.files.blockSignals(False)
        if current != self.path:
            self._open(current)
        else:
            self._show_state()
        untrusted = bool(self.components.untrusted)
        self.banner.setVisible(untrusted)
        self.trust_button.setVisible(untrusted)
        has_project = folder is not None
        self.new_action.setEnabled(has_project)
        self.save_action.setEnabled(self.path is not None)
        self.try_action.setEnabled(self.path is not None and not untrusted)

    def open_file(self, path: Path) -> None:
        """Show ``path`` (a script of the project's components folder)."""
        index = self.files.findData(str(path))
        if index >= 0:
            self.files.setCurrentIndex(index)

    def _open(self, path: Path | None) -> None:
        if self.path is not None and self.editor.document().isModified():
            self._buffers[self.path] = self.editor.toPlainText()  # kept until saved or the project closes
        self.path = path
        self.editor.blockSignals(True)
        text = self._buffers.pop(path, None) if path is not None else ""
        modified = text is not None
        if text is None:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                text = ""
                self._say(self.tr("{file} cannot be read: {reason}").format(file=path.name, reason=exc), False)
        self.editor.setPlainText(text)
        self.editor.document().setModified(modified)
        self.editor.blockSignals(False)
        self.editor.setReadOnly(path is None)
        self._show_state()
        self._fill_try_choices()

    def save(self) -> bool:
        """Write the file (whole or not at all) and reload it: the palette and the canvases follow (once the
        new text has been vetted in a throw-away process, a moment later)."""
        if self.path is None:
            return False
        try:
            atomic_write_text(self.path, self.editor.toPlainText())
        except OSError as exc:
            self._say(self.tr("{file} cannot be saved: {reason}").format(file=self.path.name, reason=exc), False)
            return False
        self.editor.document().setModified(False)
        self.support.reload()
        return True

    def ask_new(self) -> None:
        root = self.components.root
        if root is None:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle(self.tr("New script component"))
        dialog.setLabelText(self.tr("Name (a-z, 0-9 and _; it names components/NAME.py):"))
        dialog.textValueSelected.connect(lambda name: shiboken.isValid(self) and self.new_component(name.strip()))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        self.new_dialog = dialog
        dialog.open()

    def new_component(self, name: str) -> Path | None:
        """Scaffold ``name`` (component, golden data, test) in the project and show it."""
        try:
            written = scaffold_component(self.components.root, name)
        except ScaffoldError as exc:
            self._say(str(exc), False)
            return None
        self._wanted = written[0]  # shown once it is loaded (the reload vets it first)
        self.support.reload()
        return written[0]

    # -- errors --------------------------------------------------------------------------------------
    def check_syntax(self) -> None:
        """Mark a syntax error at its line as it is typed (compiled, never run)."""
        if self.path is None:
            return
        try:
            compile(self.editor.toPlainText(), str(self.path), "exec", dont_inherit=True)
        except SyntaxError as exc:
            message = self.tr("Line {line}: {reason}").format(line=exc.lineno, reason=exc.msg)
            self.editor.mark_error(exc.lineno, message)
            self._say(message, False)
            return
        except ValueError as exc:  # a NUL byte
            self._say(str(exc), False)
            return
        self._say(self.tr("Not saved yet: save to reload the component"), True)

    def _edited(self) -> None:
        self._check.start()

    def _show_state(self) -> None:
        """What the components model says of the file shown: its types, or why it gave none and where."""
        if self.path is None:
            self.editor.clear_error()
            self._say(self.tr("No script components yet: New… writes one to start from")
                      if self.components.folder is not None else self.tr("Open a project first"), True)
            return
        if self.editor.document().isModified():
            return  # the text on screen is not what was loaded
        shown = f"{self.path.parent.name}/{self.path.name}"
        if self.components.untrusted:
            self.editor.clear_error()
            self._say(self.tr("Not loaded: the project folder is not trusted"), False)
            return
        failure = self.components.script_failures.get(shown)
        if failure is not None and failure.pending:
            self.editor.clear_error()
            self._say(self.tr("Checking {file} before it is loaded…").format(file=self.path.name), True)
            return
        if failure is not None:
            self.editor.mark_error(failure.line, failure.message)
            where = self.tr("Line {line}: ").format(line=failure.line) if failure.line else ""
            self._say(where + failure.message + "\n" + self.tr("The traceback is in the Log panel."), False)
            return
        self.editor.clear_error()
        module = self.components.scripts.modules.get(self.path)
        names = ", ".join(cls.type_name for cls in module.classes) if module is not None else ""
        self._say(self.tr("Loaded: {types}").format(types=names), True)

    def _say(self, text: str, ok: bool) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(OK_STYLE if ok else ERROR_STYLE)

    # -- try on data ---------------------------------------------------------------------------------
    def _build_try_panel(self) -> QWidget:
        panel = QWidget()
        self.choose_recording = QPushButton(clicked=self.ask_recording)
        self.recording_label = QLabel()
        self.component_choice = QComboBox()
        self.component_choice.currentIndexChanged.connect(lambda _i: self._fill_inputs())
        self.inputs_row = QHBoxLayout()
        self.input_choices: dict[str, QComboBox] = {}
        self.run_try = QPushButton(clicked=self.start_try)
        self.stop_try = QPushButton(clicked=self.kill_try, enabled=False)
        self.try_status = QLabel(wordWrap=True)
        self.plot = pg.PlotWidget(background="w")
        self.plot.addLegend(offset=(-10, 10), brush=(255, 255, 255, 210))
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        row = QHBoxLayout()
        for widget in (self.choose_recording, self.recording_label, self.component_choice):
            row.addWidget(widget)
        row.addLayout(self.inputs_row)
        row.addStretch(1)
        row.addWidget(self.run_try)
        row.addWidget(self.stop_try)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.try_status)
        return panel

    def show_try(self, shown: bool = True) -> None:
        self.try_action.setChecked(shown)
        self.try_panel.setVisible(shown)
        if shown:
            self._fill_try_choices()

    def ask_recording(self) -> None:
        start = self.components.root / "data" if self.components.root is not None else Path.home()
        dialog = QFileDialog(self, self.tr("Try on a recording"), str(start),
                             self.tr("Recordings (*.csv *.parquet *.pq)"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: shiboken.isValid(self) and self.set_recording(Path(path)))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        dialog.open()

    def set_recording(self, path: Path) -> None:
        self.recording = Path(path)
        self.recording_label.setText(self.recording.name)
        self._fill_inputs()

    def _fill_try_choices(self) -> None:
        module = self.components.scripts.modules.get(self.path) if self.path is not None else None
        current = self.component_choice.currentData()
        self.component_choice.blockSignals(True)
        self.component_choice.clear()
        for cls in module.classes if module is not None else ():
            self.component_choice.addItem(cls.type_name, cls.type_name)
        index = self.component_choice.findData(current)
        self.component_choice.setCurrentIndex(index if index >= 0 else 0)
        self.component_choice.blockSignals(False)
        self._fill_inputs()

    def _fill_inputs(self) -> None:
        """One column choice per input of the chosen component: the column of the same name first."""
        while self.inputs_row.count():
            item = self.inputs_row.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.input_choices = {}
        cls = self.components.registry.get(self.component_choice.currentData() or "")
        columns = self._recording_columns()
        for index, port in enumerate(cls.inputs if cls is not None else ()):
            choice = QComboBox()
            for column in columns:
                choice.addItem(column, column)
            preferred = port.name if port.name in columns else columns[min(index, len(columns) - 1)] if columns else ""
            choice.setCurrentIndex(max(choice.findData(preferred), 0))
            self.inputs_row.addWidget(QLabel(f"{port.name} ←"))
            self.inputs_row.addWidget(choice)
            self.input_choices[port.name] = choice
        self.run_try.setEnabled(cls is not None and bool(columns) and self._try is None)

    def _recording_columns(self) -> list[str]:
        if self.recording is None:
            return []
        try:
            return open_source(self.recording).columns()
        except (RecordingError, OSError) as exc:
            self.try_status.setText(str(exc))
            return []

    def start_try(self) -> None:
        """Run the chosen component on the recording in a worker process (saving the file first)."""
        if self._try is not None or self.recording is None:
            return
        if self.editor.document().isModified() and not self.save():
            return
        type_name = self.component_choice.currentData()
        if type_name not in self.components.registry:
            self.try_status.setText(self.tr("The component is not loaded: fix the script first"))
            return
        columns = {name: choice.currentData() for name, choice in self.input_choices.items()}
        graph = try_graph(type_name, self.components.registry, columns)
        self._try = TryRun(graph, self.components.registry, RecordingInput(self.recording))
        self.try_status.setText(self.tr("Running {type} on {file} in a worker process…").format(
            type=type_name, file=self.recording.name))
        self.run_try.setEnabled(False)
        self.stop_try.setEnabled(True)
        threading.Thread(target=self._try_main, args=(self._try,), name="try-component", daemon=True).start()

    def _try_main(self, job: TryRun) -> None:
        try:
            result: object = job.run()
        except Exception as exc:  # noqa: BLE001 - any failure of the user's component is shown, not raised
            result = str(exc)
        if shiboken.isValid(self):
            self.tried.emit(result)

    def kill_try(self) -> None:
        if self._try is not None:
            self._try.kill()

    def _show_tried(self, result: object) -> None:
        self._try = None
        self.run_try.setEnabled(True)
        self.stop_try.setEnabled(False)
        self.plot.clear()
        if isinstance(result, str):
            self.try_status.setText(self.tr("The try did not finish: {reason}").format(reason=result))
            self.try_status.setStyleSheet(ERROR_STYLE)
            return
        self.last_outputs = result
        pens = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
        rows, start = 0, min((int(c.t[0]) for c in result.values() if len(c)), default=0)
        inputs = sorted(c for c in result if c.endswith(INPUT_SUFFIX))  # drawn first, in grey, behind
        outputs = sorted(c for c in result if not c.endswith(INPUT_SUFFIX))
        for index, column in enumerate([*inputs, *outputs]):
            chunk = result[column]
            rows = max(rows, len(chunk))
            if not len(chunk) or np.asarray(chunk.v).ndim != 1:
                continue
            step = max(1, len(chunk) // PLOT_POINTS)
            pen = pg.mkPen("#9e9e9e", width=1) if column in inputs else \
                pg.mkPen(pens[(index - len(inputs)) % len(pens)], width=2)
            self.plot.plot((chunk.t[::step] - start) / 1e9, np.asarray(chunk.v[::step], dtype=float), name=column,
                           pen=pen)
        self.plot.setLabel("bottom", self.tr("time since the start of the recording"), units="s")
        self.try_status.setText(self.tr("{rows} samples of {outputs}").format(rows=rows, outputs=", ".join(outputs)))
        self.try_status.setStyleSheet(OK_STYLE)

    def shutdown(self) -> None:
        """The view goes: a try still running is killed."""
        self.kill_try()

    # -- language ------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.new_action.setText(self.tr("New…"))
        self.new_action.setToolTip(self.tr("Write a script component to start from, with its golden-data test"))
        self.save_action.setText(self.tr("Save"))
        self.save_action.setToolTip(self.tr("Save and reload the component: the palette and the canvases follow"))
        self.try_action.setText(self.tr("Try on data"))
        self.try_action.setToolTip(self.tr("Run a component of this file on a recording and plot its outputs"))
        self.banner.setText(self.tr("This project folder is not trusted: its Python components are not loaded "
                                    "and nothing of them runs."))
        self.trust_button.setText(self.tr("Trust this folder…"))
        self.choose_recording.setText(self.tr("Recording…"))
        if self.recording is None:
            self.recording_label.setText(self.tr("(none chosen)"))
        self.run_try.setText(self.tr("Run"))
        self.stop_try.setText(self.tr("Stop"))
        self._show_state()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
