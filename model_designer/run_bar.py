"""The run bar above a graph's canvas: choose a recording or live data, then Run, Pause, Step, Stop.

It owns the editor's :class:`~model_designer.run.GraphRunner` while one exists, polls its snapshot
ten times a second and shows it: node badges (:class:`~model_designer.canvas.overlays.RunOverlay`),
wire probes (:class:`~model_designer.probe.ProbeController`) and a status line. Nothing here waits:
the run works on its own thread, the file dialog opens with ``open()``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from qtpy.QtCore import QEvent, Qt, QTimer, Signal
from qtpy.QtGui import QAction, QKeySequence
from qtpy.QtWidgets import QComboBox, QDoubleSpinBox, QFileDialog, QLabel, QToolBar, QWidget

from device_browser.bindings import ProjectBindings, check_bindings
from device_browser.tags import TagRef
from model_designer.canvas.overlays import RunOverlay
from model_designer.input_bindings import InputBindings, bindings_path, bound_inputs, graph_inputs
from model_designer.probe import ProbeController
from model_designer.process_run import runner_for
from model_designer.run import GraphRunner, LiveInput, RecordingInput, RunSnapshot, RunState, watch_bindings

log = logging.getLogger(__name__)

POLL_MS = 100
SPEEDS = (0.0, 1.0, 2.0, 5.0, 10.0, 100.0)  # 0: as fast as possible (batch)
LIVE, RECORDING = "live", "recording"


class RunBar(QToolBar):
    """Run controls of ``editor`` (a :class:`~model_designer.editor.GraphEditor`); ``workspace`` gives live data.

    Put it above the canvas: ``editor.layout().insertWidget(0, RunBar(editor, workspace))``; call
    :meth:`shutdown` when the tab closes. Live runs read the project's bindings (``bindings.yaml``
    beside the graph's ``graphs/`` folder) as they are when Run is pressed; the bar gives them,
    with the workspace's devices, to the canvas (``canvas.inputs``), whose inspector binds inputs too.
    ``run_changed`` tells when a run starts (a new runner), changes state (:attr:`state`) or its
    runner is let go.
    """

    run_changed = Signal()

    def __init__(self, editor, workspace=None, parent: QWidget | None = None):
        super().__init__(parent or editor)
        self.editor, self.workspace = editor, workspace
        self.runner: GraphRunner | None = None
        self.state = ""  # the run's state as last shown ("" without a runner)
        self.recording: Path | None = None
        self.inputs = InputBindings(ProjectBindings.at(bindings_path(editor.path)), workspace)
        editor.canvas.inputs = self.inputs
        self._unwatch = None
        self.overlay = RunOverlay(editor.canvas.scene)
        self.probes = ProbeController(editor.canvas, editor.path.stem, workspace.bus if workspace else None,
                                      workspace.trend if workspace else None)
        self.source = QComboBox()
        self.source.currentIndexChanged.connect(self._update_controls)
        self.speed = QComboBox()
        self.rate = QDoubleSpinBox(minimum=0.1, maximum=10_000.0, value=10.0, decimals=1)
        self.choose = QAction(self, triggered=self.choose_recording)
        self.run_action = QAction(self, triggered=self.run, shortcut=QKeySequence("F5"))
        self.pause_action = QAction(self, triggered=self.pause, shortcut=QKeySequence("F6"))
        self.step_action = QAction(self, triggered=self.step, shortcut=QKeySequence("F10"))
        self.stop_action = QAction(self, triggered=self.stop, shortcut=QKeySequence("Shift+F5"))
        self.probe_action = QAction(self, triggered=self.probes.probe_selected, shortcut=QKeySequence("Alt+P"))
        for action in (self.run_action, self.pause_action, self.step_action, self.stop_action, self.probe_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            editor.addAction(action)  # the keys work wherever the focus is in the graph's tab
        self.status = QLabel()
        self.addWidget(self.source)
        self.addAction(self.choose)
        self.addWidget(self.speed)
        self.addWidget(self.rate)
        self.addSeparator()
        for action in (self.run_action, self.pause_action, self.step_action, self.stop_action):
            self.addAction(action)
        self.addSeparator()
        self.addWidget(self.status)
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.retranslate()

    # -- controls --------------------------------------------------------------------------------
    def choose_recording(self) -> None:
        dialog = QFileDialog(self, self.tr("Run on a recording"), str(self.editor.path.parent.parent / "data"),
                             self.tr("Recordings (*.csv *.parquet *.pq)"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self.set_recording(Path(path)))
        dialog.open()

    def set_recording(self, path: Path) -> None:
        self.recording = Path(path)
        self.source.setCurrentIndex(self.source.findData(RECORDING))
        self.retranslate()

    def run(self) -> None:
        """Start a run (or resume a paused one)."""
        if self.runner is not None and self.runner.active:
            self.runner.resume()
            return
        self._finish()
        source = self._source()
        if source is None:
            return
        # A graph holding script components runs in a worker process that Stop can kill.
        self.runner = runner_for(self.editor.graph, self.editor.registry, source)
        self.runner.start()
        self.run_changed.emit()
        self.timer.start()
        self.poll()

    def pause(self) -> None:
        if self.runner is not None:
            self.runner.pause()
            self.poll()

    def step(self) -> None:
        """One tick: starts a paused run if none runs."""
        if self.runner is None or not self.runner.active:
            self.run()
        if self.runner is not None:
            self.runner.step()
            self.poll()

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()

    def shutdown(self) -> None:
        """The tab closes: stop the run (its thread ends after the tick in progress) and the polling."""
        self.stop()
        self.timer.stop()
        self._finish()

    def _source(self) -> RecordingInput | LiveInput | None:
        if self.source.currentData() == RECORDING:
            if self.recording is None:
                self.editor.canvas.show_message(self.tr("Choose a recording to run on"))
                return None
            return RecordingInput(self.recording, speed=self.speed.currentData())
        if self.workspace is None:
            self.editor.canvas.show_message(self.tr("Live data needs the project's devices"))
            return None
        bindings = self._bindings()
        if bindings is None:
            return None
        self._unwatch = watch_bindings(self.workspace.watch, bindings, 1000.0 / self.rate.value())
        return LiveInput(self.workspace.bus, bindings, rate_hz=self.rate.value())

    def _bindings(self) -> dict[str, TagRef] | None:
        """The graph's inputs' tags (with their units) as the bindings file says now; None, with the reason
        on the canvas, when an input is unbound or its tag's unit cannot feed it."""
        project = self.inputs.bindings
        project.refresh()  # edited by hand since it was read?
        if project.problem:
            self.editor.canvas.show_message(self.tr("The project's bindings cannot be read: {reason}").format(
                reason=project.problem))
            return None
        inputs = graph_inputs(self.editor.graph)
        bound = {name: self.inputs.resolved(ref) for name, ref in
                 bound_inputs({name: node.id for name, node in inputs.items()}, project.as_dict()).items()}
        check = check_bindings({name: str(node.params.get("unit", "")) for name, node in inputs.items()}, bound)
        if check.unbound:
            self.editor.canvas.show_message(self.tr("Bind the graph's inputs to tags first: {names}").format(
                names=", ".join(check.unbound)))
            return None
        if check.problems:
            self.editor.canvas.show_message(self.tr("The graph cannot run on live data: {reason}").format(
                reason="; ".join(check.problems)))
            return None
        return bound

    # -- showing the run -------------------------------------------------------------------------
    def poll(self) -> None:
        """Show the latest snapshot (the timer calls this ten times a second while a run lasts)."""
        if self.runner is None:
            return
        snapshot = self.runner.snapshot()
        if snapshot.state != self.state:
            self.state = snapshot.state
            self.run_changed.emit()
        active = snapshot.state in RunState.ACTIVE
        self.overlay.show(snapshot, active)
        self.probes.show(snapshot.probes)
        self.status.setText(self.status_text(snapshot))
        self._update_controls()
        if not active:
            self.timer.stop()
            self._finish(keep_runner=True)

    def status_text(self, snapshot: RunSnapshot) -> str:
        names = {RunState.STARTING: self.tr("Starting"), RunState.RUNNING: self.tr("Running"),
                 RunState.PAUSED: self.tr("Paused"), RunState.FINISHED: self.tr("Finished"),
                 RunState.STOPPED: self.tr("Stopped"), RunState.FAILED: self.tr("Failed")}
        text = names.get(snapshot.state, snapshot.state)
        if snapshot.progress is not None:
            text += f" · {snapshot.progress:.0%}"
        failed = sum(status.state == "failed" for status in snapshot.nodes.values())
        text += " · " + self.tr("%n tick(s)", "", snapshot.ticks)
        if failed:
            text += " · " + self.tr("%n node(s) failed", "", failed)
        return f"{text}: {snapshot.message}" if snapshot.message else text

    def _finish(self, keep_runner: bool = False) -> None:
        """Unwatch the tags a live run added; forget the runner (its badges stay until the next run)."""
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        if not keep_runner and self.runner is not None:
            self.overlay.clear()
            self.runner = None
            self.state = ""
            self.run_changed.emit()

    def _update_controls(self) -> None:
        active = self.runner is not None and self.runner.active
        paused = active and self.runner.snapshot().state == RunState.PAUSED
        live = self.source.currentData() == LIVE
        self.source.setEnabled(not active)
        self.choose.setEnabled(not active and not live)
        self.speed.setEnabled(not active and not live)
        self.rate.setEnabled(not active and live)
        self.run_action.setEnabled(not active or paused)
        self.pause_action.setEnabled(active and not paused)
        self.stop_action.setEnabled(active)

    # -- language --------------------------------------------------------------------------------
    def retranslate(self) -> None:
        current = self.source.currentData() or RECORDING
        self.source.blockSignals(True)
        self.source.clear()
        name = self.recording.name if self.recording else self.tr("Recording")
        self.source.addItem(self.tr("Recording: {name}").format(name=name) if self.recording else name, RECORDING)
        self.source.addItem(self.tr("Live data"), LIVE)
        self.source.setCurrentIndex(self.source.findData(current))
        self.source.blockSignals(False)
        speed = self.speed.currentIndex()
        self.speed.clear()
        for value in SPEEDS:
            self.speed.addItem(self.tr("As fast as possible") if not value else
                               self.tr("{speed:g}× real time").format(speed=value), value)
        self.speed.setCurrentIndex(max(speed, 0))
        self.rate.setSuffix(self.tr(" Hz"))
        self.rate.setToolTip(self.tr("Live data are resampled onto this rate"))
        self.choose.setText(self.tr("Choose recording…"))
        self.run_action.setText(self.tr("Run"))
        self.run_action.setToolTip(self.tr("Run the graph, or resume it (F5)"))
        self.pause_action.setText(self.tr("Pause"))
        self.step_action.setText(self.tr("Step"))
        self.step_action.setToolTip(self.tr("Run one tick (F10)"))
        self.stop_action.setText(self.tr("Stop"))
        self.probe_action.setText(self.tr("Probe the selected wires (Alt+P)"))
        self.setWindowTitle(self.tr("Run"))
        self._update_controls()
        if self.runner is not None:
            self.status.setText(self.status_text(self.runner.snapshot()))

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
