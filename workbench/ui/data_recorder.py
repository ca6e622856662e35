"""Record the workbench's live bus into the project's recording store (the Data view's Record panel).

The recorder's I/O (opening the store, appending, commits, compaction at stop) runs on a worker
thread with its own asyncio loop: a commit's fsync or a minute's compaction must never freeze the
window. Status reaches the panel through a Qt signal (queued onto the UI thread). Device outages
reported by the workspace become gaps; a failure (a full disk) shows the recorder's message here
and in the Log.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from qtpy import shiboken
from qtpy.QtCore import QEvent, Qt, Signal
from qtpy.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from device_browser.bus import LiveBus
from device_browser.live_recorder import LiveRecorder, RecorderState, RecorderStatus, format_size, record_from_bus
from device_browser.session import ConnectionState

log = logging.getLogger(__name__)
LOST_STATES = (ConnectionState.RECONNECTING, ConnectionState.DISCONNECTED, ConnectionState.FAILED)


class RecordPanel(QWidget):
    """Choose tags and a name, Start/Stop a recording; live samples, duration, size and gaps."""

    status_arrived = Signal(object)  # RecorderStatus, emitted on the worker thread, received on the UI thread
    finished = Signal(object)  # the last RecorderStatus, after the worker closed the store

    def __init__(self, bus: LiveBus, tags: Callable[[], list[str]], store_path: Callable[[], Path | None],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.bus, self._tags, self._store_path = bus, tags, store_path
        self.recorder: LiveRecorder | None = None
        self.last_status = RecorderStatus()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.name_edit = QLineEdit()
        self.tag_list = QListWidget()
        self.tag_list.setMaximumHeight(110)
        self.tag_list.setMinimumHeight(1)  # a dock squeezed small squeezes the list, not the window
        self.refresh_button = QPushButton()
        self.refresh_button.clicked.connect(self.refresh_tags)
        self.start_button = QPushButton()
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton()
        self.stop_button.clicked.connect(self.stop)
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.state_label.setMinimumHeight(1)
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.name_label = QLabel()
        self.name_label.setBuddy(self.name_edit)
        row = QHBoxLayout()
        for widget in (self.name_label, self.name_edit, self.refresh_button, self.start_button, self.stop_button):
            row.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.tag_list)
        layout.addWidget(self.state_label)
        self.status_arrived.connect(self._show)
        self.finished.connect(self._ended)
        self.retranslate()
        self.refresh_tags()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.name_label.setText(self.tr("Recording &name"))
        self.refresh_button.setText(self.tr("Watched &tags"))
        self.refresh_button.setToolTip(self.tr("List the Watch list's tags again (all ticked)"))
        self.start_button.setText(self.tr("&Record"))
        self.start_button.setToolTip(self.tr("Record the ticked tags from the live bus into the project's store"))
        self.stop_button.setText(self.tr("St&op"))
        self._update()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def checked_tags(self) -> list[str]:
        items = (self.tag_list.item(i) for i in range(self.tag_list.count()))
        return [item.text() for item in items if item.checkState() == Qt.CheckState.Checked]

    def refresh_tags(self) -> None:
        """The Watch list's tags, all ticked; a fresh default name."""
        self.tag_list.clear()
        for tag in dict.fromkeys(self._tags()):
            item = QListWidgetItem(tag)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.tag_list.addItem(item)
        if not self.running:
            self.name_edit.setText(self.tr("Recording {time}").format(
                time=dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")))
        self._update()

    def start(self) -> bool:
        """Start recording the ticked tags on a worker thread; False (with the reason shown) if it cannot."""
        tags, name, path = self.checked_tags(), self.name_edit.text().strip(), self._store_path()
        problem = (self.tr("A recording is running.") if self.running else
                   self.tr("Open a project first: recordings go to its store.") if path is None else
                   self.tr("Tick at least one tag to record.") if not tags else
                   self.tr("Name the recording.") if not name else "")
        if problem:
            self.state_label.setText(problem)
            return False
        reader = self.bus.reader(tags, from_start=False)
        started = threading.Event()
        self._thread = threading.Thread(target=self._work, args=(path, name, tags, reader, started),
                                        name="data-recorder", daemon=True)
        self._thread.start()
        started.wait(10)
        self._update()
        return True

    def stop(self) -> None:
        """End the recording: the worker commits, compacts and closes the store, then ``finished``."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(stop.set)
        self.stop_button.setEnabled(False)

    def device_status(self, device: str, status) -> None:
        """The workspace's connection news (``DeviceWorkspace.status_changed``): outages become gaps."""
        recorder = self.recorder
        if recorder is None or not recorder.recording:
            return
        if not any(tag.split("/", 1)[0] == device for tag in recorder.tags):
            return
        if status.state in LOST_STATES:
            recorder.device_lost(device, reason=status.reason or str(status.state))
        elif status.state == ConnectionState.CONNECTED:
            recorder.device_back(device)

    # -- worker thread ------------------------------------------------------------------------------
    def _work(self, path: Path, name: str, tags: list[str], reader, started: threading.Event) -> None:
        from device_browser.store import TagInfo, open_store  # the database layer loads when first recording
        from device_browser.store_sink import StoreSink

        async def record() -> RecorderStatus:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            started.set()
            store = await asyncio.to_thread(open_store, path)  # SQLite is used from its own thread only
            try:
                infos = [TagInfo(tag, device=tag.split("/", 1)[0] if "/" in tag else "", ref=tag) for tag in tags]
                devices = sorted({info.device for info in infos if info.device})
                sink = StoreSink(store, name, infos, devices=devices)
                recorder = LiveRecorder(tags, [sink])
                recorder.status_changed.connect(self._emit)
                self.recorder = recorder
                try:
                    return await record_from_bus(recorder, reader, stop=self._stop)
                finally:
                    # No reference cycle panel ↔ recorder: garbage collected on some worker thread, the
                    # cycle would destroy this widget there, and Qt deadlocks (seen in the test suite).
                    recorder.status_changed.disconnect(self._emit)
            finally:
                store.close()

        status = RecorderStatus(state=RecorderState.FAILED)
        try:
            status = asyncio.run(record())
        except Exception as exc:  # noqa: BLE001 - a store that cannot be opened, a name taken: shown, not raised
            status = RecorderStatus(state=RecorderState.FAILED, message=str(exc))
        finally:
            started.set()
            self._loop = self._stop = None
        if status.state == RecorderState.FAILED:
            log.error("recording '%s' failed: %s", name, status.message)
        else:
            log.info("recorded '%s': %s", name, status.text())
        if shiboken.isValid(self):
            self.status_arrived.emit(status)
            self.finished.emit(status)

    def _emit(self, status: RecorderStatus) -> None:
        if shiboken.isValid(self):
            self.status_arrived.emit(status)

    # -- UI thread ----------------------------------------------------------------------------------
    def _show(self, status: RecorderStatus) -> None:
        self.last_status = status
        self._update()

    def _ended(self, status: RecorderStatus) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(5)
        self._show(status)

    def _update(self) -> None:
        running = self.running
        self.start_button.setEnabled(not running and self.tag_list.count() > 0)
        self.stop_button.setEnabled(running)
        self.name_edit.setEnabled(not running)
        self.tag_list.setEnabled(not running)
        status = self.last_status
        states = {RecorderState.IDLE: self.tr("Not recording"), RecorderState.RECORDING: self.tr("Recording"),
                  RecorderState.STOPPED: self.tr("Stopped"), RecorderState.FAILED: self.tr("Failed")}
        if status.state == RecorderState.IDLE and not running:
            self.state_label.setText(states[RecorderState.IDLE])
            return
        text = self.tr("{state}: {samples} samples ({committed} committed), {duration:.1f} s, {size}, {gaps} gap(s)")
        text = text.format(state=states.get(status.state, status.state), samples=status.samples,
                           committed=status.committed, duration=status.duration_s,
                           size=format_size(status.size_bytes), gaps=status.gaps)
        self.state_label.setText(f"{text}\n{status.message}" if status.message else text)
