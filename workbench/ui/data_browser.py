"""The Data view: a recording store's recordings, their tags with statistics, a plot, annotations, export.

It shows the open project's store (``data/recordings.sqlite``) or any store opened by path or
``postgresql+psycopg://`` URL. Choosing a recording lists its tags with count, min, max, mean and
gaps; ticking tags plots them over the recording. The plot receives envelopes from
:class:`device_browser.data_browser.EnvelopeReader` (min and max per pixel), re-read after a
zoom or pan once the view has stopped moving for :data:`REQUERY_MS`, so a 10 M-sample tag stays
interactive. Every store call runs on a worker thread (the loop's executor) as a
:class:`~workbench.session.Job`: progress shows in the view's status line, Esc or Cancel calls it
off, and a newer plot request calls off the one before.

Annotations are shaded regions: Shift+drag (or Select, Ctrl+L) marks a range, Annotate (Ctrl+M)
labels it; a chosen annotation's label and note are edited in place (Apply, Ctrl+Return) and
Delete removes it. Export (Ctrl+E) writes the selected range (or the visible one) of the ticked
tags to CSV, Parquet or Excel (units in the headers, through
:func:`device_browser.exchange.export_recording`) without a half-written file.

Run standalone on a store: ``python -m workbench.ui.data_browser PATH_OR_URL``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from qtpy import shiboken
from qtpy.QtCore import QEvent, Qt, QTimer, Signal
from qtpy.QtGui import QAction, QKeySequence
from qtpy.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from device_browser.data_browser import Cancelled, EnvelopeReader, RecordingRow, TagRow, recording_rows, tag_rows
from device_browser.recordings import RecordingError
from device_browser.store import Annotation
from device_browser.store.errors import StoreError
from workbench.session import Job
from workbench.ui.data_plot import DataPlot
from workbench.ui.data_tables import data_table, fill_annotations, fill_recordings, fill_tags
from workbench.ui.view_jobs import ViewJobs

if TYPE_CHECKING:
    from device_browser.store import RecordingStore

# The store (SQLAlchemy, Alembic) and the exchange (pyarrow, openpyxl) are imported when first used,
# on a worker thread: the dock is built at start-up, most sessions never open a store.
log = logging.getLogger(__name__)
T = TypeVar("T")

REQUERY_MS = 120  # after the last zoom or pan step: a drag re-reads once, not per mouse move
USER_ERRORS = (StoreError, RecordingError, OSError)  # the exchange's ExchangeError is a RecordingError


class DataBrowserView(QWidget):
    """Recordings, tags, plot and annotations of one recording store."""

    loaded = Signal()  # the recordings list was (re)read
    plotted = Signal()  # a plot request finished and the curves show it

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.store: RecordingStore | None = None
        self.rows: list[RecordingRow] = []
        self.recording: RecordingRow | None = None
        self.tags: list[TagRow] = []
        self.readers: dict[str, EnvelopeReader] = {}
        self.annotations: list[Annotation] = []
        self.last_export: tuple[Path, int] | None = None
        self.error: str = ""
        self.queried_width = 0  # the plot's width in pixels at the last read: envelopes have this many buckets
        self._hint_key = "none"
        self._shortcuts: dict[QPushButton, str] = {}  # a button → its key, named in its tool tip
        self._build()
        self.retranslate()

    # -- construction -----------------------------------------------------------------------------
    def _build(self) -> None:
        self.location_label = QLabel()
        self.location = QLineEdit()
        self.location.setClearButtonEnabled(True)
        self.location.returnPressed.connect(lambda: self.open_location(self.location.text().strip()))
        self.open_button = QPushButton()
        self.open_button.clicked.connect(lambda: self.open_location(self.location.text().strip()))
        self.browse_button = QPushButton()
        self.browse_button.clicked.connect(self.ask_open)
        self.reload_button = self._button(self.reload_now, "F5")
        top = QHBoxLayout()
        top.addWidget(self.location_label)
        top.addWidget(self.location, 1)
        top.addWidget(self.open_button)
        top.addWidget(self.browse_button)
        top.addWidget(self.reload_button)

        self.recordings_table = data_table(7)
        self.recordings_table.itemSelectionChanged.connect(self._recording_chosen)
        self.tags_table = data_table(7)
        self.tags_table.itemChanged.connect(self._tag_ticked)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.recordings_table)
        left.addWidget(self.tags_table)

        self.plot = DataPlot()
        self.plot.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.plot.range_changed.connect(self._range_moved)
        self.plot.resized.connect(self._resized)
        self.plot.annotation_clicked.connect(self.choose_annotation)
        self.plot.selection_changed.connect(self._update_actions)
        self.requery = QTimer(self)
        self.requery.setSingleShot(True)
        self.requery.setInterval(REQUERY_MS)
        self.requery.timeout.connect(self.refresh_plot)

        self.annotations_table = data_table(4)
        self.annotations_table.itemSelectionChanged.connect(self._annotation_chosen)
        self.label_edit = QLineEdit()
        self.note_edit = QLineEdit()
        self.select_button = self._button(self.plot.select_middle, "Ctrl+L")
        self.annotate_button = self._button(self.annotate_selection, "Ctrl+M")
        self.apply_button = self._button(self.apply_annotation_edit, "Ctrl+Return")
        self.delete_button = self._button(self.delete_annotation)
        self.whole_button = self._button(self.show_whole_recording, "Home")
        self.export_button = self._button(self.ask_export, "Ctrl+E")
        self.delete_action = QAction(self)
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.delete_action.triggered.connect(self.delete_annotation)
        for widget in (self.annotations_table, self.plot):
            widget.addAction(self.delete_action)
        fields = QHBoxLayout()
        self.label_label, self.note_label = QLabel(), QLabel()
        self.label_label.setBuddy(self.label_edit)
        self.note_label.setBuddy(self.note_edit)
        for widget, stretch in ((self.label_label, 0), (self.label_edit, 1), (self.note_label, 0),
                                (self.note_edit, 2)):
            fields.addWidget(widget, stretch)
        buttons = QHBoxLayout()
        for button in (self.select_button, self.annotate_button, self.apply_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.whole_button)
        buttons.addWidget(self.export_button)
        notes = QWidget()
        notes_layout = QVBoxLayout(notes)
        notes_layout.setContentsMargins(0, 0, 0, 0)
        notes_layout.addLayout(buttons)
        notes_layout.addLayout(fields)
        notes_layout.addWidget(self.annotations_table, 1)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.plot)
        right.addWidget(notes)
        right.setStretchFactor(0, 2)
        right.setStretchFactor(1, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([620, 680])  # the tables' columns readable, the plot the larger part
        # a dock squeezed small squeezes its panes (a dock's minimum must not hold the window's size up)
        self.splitter.setMinimumSize(120, 60)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.cancel_button = self._button(self.cancel, "Esc")
        self.jobs = ViewJobs(self.progress, self.cancel_button, self.show_error, USER_ERRORS, cancelled=(Cancelled,))
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(bottom)
        order = [self.location, self.open_button, self.browse_button, self.reload_button, self.recordings_table,
                 self.tags_table, self.plot, self.select_button, self.annotate_button, self.apply_button,
                 self.delete_button, self.whole_button, self.export_button, self.label_edit, self.note_edit,
                 self.annotations_table]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)
        self._update_actions()

    def _button(self, slot: Callable[[], object], shortcut: str | None = None) -> QPushButton:
        button = QPushButton()
        button.clicked.connect(lambda: slot())
        if shortcut:
            action = QAction(self)
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda: button.isEnabled() and button.isVisible() and slot())
            self.addAction(action)
            self._shortcuts[button] = shortcut
        return button

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.location_label.setText(self.tr("Store"))
        self.location.setPlaceholderText(self.tr("data/recordings.sqlite or postgresql+psycopg://user@host/db"))
        self.open_button.setText(self.tr("Open"))
        self.browse_button.setText(self.tr("Browse…"))
        self.recordings_table.setHorizontalHeaderLabels([
            self.tr("Recording"), self.tr("Operator"), self.tr("Start"), self.tr("Duration"), self.tr("Devices"),
            self.tr("Samples"), self.tr("Size")])
        self.tags_table.setHorizontalHeaderLabels([
            self.tr("Tag"), self.tr("Unit"), self.tr("Count"), self.tr("Min"), self.tr("Max"), self.tr("Mean"),
            self.tr("Gaps")])
        self.annotations_table.setHorizontalHeaderLabels([
            self.tr("Label"), self.tr("Start"), self.tr("End"), self.tr("Note")])
        self.label_label.setText(self.tr("&Label"))
        self.note_label.setText(self.tr("N&ote"))
        self.label_edit.setPlaceholderText(self.tr("e.g. pump cavitating"))
        texts = {self.select_button: (self.tr("Select range"), self.tr("Select the middle of the plot; "
                                                                       "Shift+drag on the plot selects a range")),
                 self.annotate_button: (self.tr("Annotate"), self.tr("Label the selected range")),
                 self.apply_button: (self.tr("Apply"), self.tr("Save the label and note of the chosen annotation")),
                 self.delete_button: (self.tr("Delete"), self.tr("Delete the chosen annotation (Delete)")),
                 self.whole_button: (self.tr("Whole recording"), self.tr("Show the whole recording")),
                 self.reload_button: (self.tr("Reload"), self.tr("Read the recordings again (a recorder may have "
                                                                 "added samples or recordings)")),
                 self.export_button: (self.tr("Export range…"), self.tr("Write the selected (or visible) range "
                                                                       "of the ticked tags to CSV, Parquet or Excel")),
                 self.cancel_button: (self.tr("Cancel"), self.tr("Call off the running read or export (Esc)"))}
        for button, (text, tip) in texts.items():
            shortcut = self._shortcuts.get(button)
            button.setText(text)
            button.setToolTip(f"{tip} ({shortcut})" if shortcut and shortcut not in tip else tip)
        self._show_hint()

    # -- background work ----------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.jobs.busy or self.requery.isActive()

    def cancel(self) -> None:
        """Call off every running read and export."""
        self.jobs.cancel()

    def show_error(self, text: str) -> None:
        self.error = text
        self.status.setText(text)

    def _show_hint(self) -> None:
        hints = {"none": self.tr("Open a project with recordings, or a store by path or URL."),
                 "no-store": self.tr("This project has no recordings yet ({path})."),
                 "empty": self.tr("The store {path} holds no recordings."),
                 "ready": ""}
        text = hints.get(self._hint_key, "").format(path=self.location.text())
        if self.store is not None and self.store.read_only_reason:
            text = " ".join(t for t in (text, self.tr("Read-only: {reason}").format(
                reason=self.store.read_only_reason)) if t)
        if not self.error:
            self.status.setText(text)

    # -- store --------------------------------------------------------------------------------------
    def follow_project(self, root: Path | None) -> None:
        """Show the project's store, if it has one (a store is never created just by looking)."""
        from device_browser.store import project_store_path

        if root is None:
            self.close_store()
            self._hint_key = "none"
            self._show_hint()
            return
        path = project_store_path(root)
        self.location.setText(str(path))
        if path.exists():
            self.open_location(str(path))
        else:
            self.close_store()
            self._hint_key = "no-store"
            self._show_hint()

    def ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Open a recording store"), self.location.text(),
                                              self.tr("Recording stores (*.sqlite);;All files (*)"))
        if path:
            self.open_location(path)

    def open_location(self, location: str) -> asyncio.Task | None:
        """Open a store (path or URL) off the UI thread and list its recordings."""
        if not location:
            return None
        self.location.setText(location)
        self.error = ""

        async def work() -> None:
            store = await self.jobs.in_thread("store", self.tr("Opening {store}").format(store=location),
                                          lambda _job: _open_store(location))
            if not shiboken.isValid(self):
                store.close()
                return
            self.close_store()
            self.store = store
            await self.reload()

        return self.jobs.spawn(work, "opening a store")

    def close_store(self) -> None:
        self.cancel()
        self._forget_recording()
        self.rows = []
        self.recordings_table.setRowCount(0)
        store, self.store = self.store, None
        if store is not None:
            store.close()
        self._update_actions()

    async def reload(self) -> None:
        """Read the recordings list again (after a recorder or an import added one)."""
        store = self.store
        if store is None:
            return
        rows = await self.jobs.in_thread("store", self.tr("Reading recordings"), lambda _job: recording_rows(store))
        if self.store is not store:
            return
        chosen = self.recording.recording.id if self.recording is not None else None
        ticked = self.checked_tags()
        self.rows = rows
        fill_recordings(self.recordings_table, rows)
        self._hint_key = "ready" if rows else "empty"
        self._show_hint()
        self.loaded.emit()
        at = next((r for r, row in enumerate(rows) if row.recording.id == chosen), None)
        if at is None:
            self._forget_recording()
            return
        self.recordings_table.blockSignals(True)
        self.recordings_table.selectRow(at)
        self.recordings_table.blockSignals(False)
        self._read_recording(rows[at], ticked)  # a growing recording: its tags' counts and ends have moved

    def reload_now(self) -> asyncio.Task | None:
        return self.jobs.spawn(self.reload, "reading recordings") if self.store is not None else None

    # -- recording and tags --------------------------------------------------------------------------
    def choose_recording(self, recording: int | str) -> None:
        """Select a recording by id or name (as a click on its row does)."""
        for r, row in enumerate(self.rows):
            if recording in (row.recording.id, row.recording.name):
                self.recordings_table.selectRow(r)
                return
        raise StoreError(f"{self.location.text()}: there is no recording '{recording}'")

    def _recording_chosen(self) -> None:
        rows = self.recordings_table.selectionModel().selectedRows()
        if not rows or self.store is None:
            return
        row = self.rows[rows[0].row()]
        if self.recording is not None and self.recording.recording.id == row.recording.id and self.tags:
            return
        self._read_recording(row)

    def _forget_recording(self) -> None:
        self.recording, self.tags = None, []
        self.readers.clear()
        self.plot.clear_curves()
        self.plot.clear_selection()
        self.plot.set_gaps([])
        self.tags_table.setRowCount(0)
        self._set_annotations([])

    def _read_recording(self, row: RecordingRow, ticked: list[str] | None = None) -> None:
        """Read a recording's tags, gaps and annotations; tick ``ticked`` again (a reload) or show it whole."""
        range_shown = self.plot.visible_ns()
        self.recording = row
        self.readers.clear()
        self.plot.clear_curves()
        if ticked is None:
            self.plot.clear_selection()
        store = self.store

        async def work() -> None:
            tags, gaps, annotations = await self.jobs.in_thread(
                "store", self.tr("Reading tags of {recording}").format(recording=row.recording.name),
                lambda _job: (tag_rows(store, row.recording.id), store.gaps(row.recording.id),
                              store.annotations(row.recording.id)))
            if self.store is not store or self.recording is not row:
                return
            self.tags = tags
            fill_tags(self.tags_table, tags)
            self.plot.set_gaps(gaps, row.last_ns)
            self._set_annotations(annotations)
            if ticked:
                self.plot.show_ns(*range_shown, padding=0)
                for name in ticked:
                    if any(t.name == name for t in tags):
                        self.set_tag_checked(name)
            else:
                self.show_whole_recording()

        self.jobs.spawn(work, "reading tags")

    def set_tag_checked(self, name: str, checked: bool = True) -> None:
        """Tick (or untick) a tag, as a click on its box does."""
        for r, tag in enumerate(self.tags):
            if tag.name == name:
                self.tags_table.item(r, 0).setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                return
        raise StoreError(f"the recording has no tag '{name}'")

    def checked_tags(self) -> list[str]:
        return [tag.name for r, tag in enumerate(self.tags)
                if self.tags_table.item(r, 0).checkState() == Qt.CheckState.Checked]

    def _tag_ticked(self, item: QTableWidgetItem) -> None:
        if item.column() != 0 or self.store is None or self.recording is None:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        tag = next(t for t in self.tags if t.name == name)
        if item.checkState() == Qt.CheckState.Checked and tag.count and name not in self.readers:
            self.readers[name] = EnvelopeReader(self.store, self.recording.recording.id, name, tag.first_ns,
                                                tag.last_ns, tag.count)
            self.plot.set_curve(name, f"{name} [{tag.unit}]" if tag.unit else name, None)
        elif item.checkState() != Qt.CheckState.Checked:
            self.readers.pop(name, None)
            self.plot.remove_curve(name)
        self._update_actions()
        self.refresh_plot()

    # -- plot ----------------------------------------------------------------------------------------
    def show_whole_recording(self) -> None:
        row = self.recording
        if row is None:
            return
        tags = [t for t in self.tags if t.count]
        start = min((t.first_ns for t in tags), default=row.first_ns)
        end = max((t.last_ns for t in tags), default=row.last_ns)
        if start is not None and end is not None:
            self.plot.show_ns(start, end)

    def _range_moved(self) -> None:
        if self.readers:
            self.requery.start()

    def _resized(self) -> None:
        # Only a real change of width: new data can widen the y axis' labels, which narrows the plot
        # by a few pixels, which must not read again (and again).
        if self.readers and abs(self.plot.width_px() - self.queried_width) > 0.1 * self.queried_width:
            self.requery.start()

    def refresh_plot(self) -> asyncio.Task | None:
        """Read the envelopes of the ticked tags over the visible range (calling off a read running)."""
        self.requery.stop()
        if not self.readers:
            return None
        start, end = self.plot.visible_ns()
        width = self.queried_width = self.plot.width_px()
        readers = dict(self.readers)

        def read(job: Job) -> dict:
            done: dict[str, tuple[int, int]] = {}

            def progress_of(tag: str) -> Callable[[int, int], None]:
                def report(read_samples: int, total: int) -> None:
                    done[tag] = (read_samples, total)
                    job.report(sum(d for d, _ in done.values()), sum(t for _, t in done.values()))
                return report

            return {tag: reader.envelope(start, end, width, cancelled=job.is_cancelled, progress=progress_of(tag))
                    for tag, reader in readers.items()}

        pending = self.jobs.in_thread("plot", self.tr("Reading samples"), read)

        async def work() -> None:
            envelopes = await pending
            if not shiboken.isValid(self):
                return
            for tag, envelope in envelopes.items():
                if tag in self.readers:
                    self.plot.set_curve(tag, tag, envelope)
            self.plotted.emit()

        return self.jobs.spawn(work, "reading samples")

    # -- annotations ---------------------------------------------------------------------------------
    def _set_annotations(self, annotations: list[Annotation]) -> None:
        chosen = self.chosen_annotation()
        self.annotations = annotations
        self.plot.set_annotations(annotations)
        fill_annotations(self.annotations_table, annotations)
        if chosen is not None and any(a.id == chosen.id for a in annotations):
            self.choose_annotation(chosen.id)
        self._update_actions()

    def chosen_annotation(self) -> Annotation | None:
        rows = self.annotations_table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.annotations):
            return None
        return self.annotations[rows[0].row()]

    def choose_annotation(self, annotation_id: int) -> None:
        for r, a in enumerate(self.annotations):
            if a.id == annotation_id:
                self.annotations_table.selectRow(r)
                return

    def _annotation_chosen(self) -> None:
        chosen = self.chosen_annotation()
        self.plot.highlight_annotation(chosen.id if chosen else None)
        if chosen is not None:
            self.label_edit.setText(chosen.label)
            self.note_edit.setText(chosen.note)
        self._update_actions()

    def _write(self, what: str, change: Callable[[RecordingStore], object]) -> asyncio.Task | None:
        """Run a change of annotations off the UI thread, then show the recording's annotations again."""
        store, row = self.store, self.recording
        if store is None or row is None:
            return None
        self.error = ""

        async def work() -> None:
            annotations = await self.jobs.in_thread(
                "store", what, lambda _job: (change(store), store.annotations(row.recording.id))[1])
            if self.store is store and self.recording is row:
                self._set_annotations(annotations)
                self._show_hint()

        return self.jobs.spawn(work, what)

    def annotate_selection(self) -> asyncio.Task | None:
        """Label the selected range with the Label field's text (and the Note's)."""
        selection, label = self.plot.selection_ns(), self.label_edit.text().strip()
        if self.recording is None or selection is None:
            self.show_error(self.tr("Select a range first: Shift+drag on the plot, or Select range."))
            return None
        if not label:
            self.show_error(self.tr("Give the annotation a label."))
            self.label_edit.setFocus()
            return None
        note, rec_id = self.note_edit.text(), self.recording.recording.id
        return self._write(self.tr("Annotating"), lambda store: store.annotate(rec_id, *selection, label, note=note))

    def apply_annotation_edit(self) -> asyncio.Task | None:
        """Save the Label and Note fields into the chosen annotation."""
        chosen, label = self.chosen_annotation(), self.label_edit.text().strip()
        if chosen is None:
            return None
        if not label:
            self.show_error(self.tr("Give the annotation a label."))
            return None
        note = self.note_edit.text()
        return self._write(self.tr("Changing an annotation"),
                           lambda store: store.update_annotation(chosen.id, label=label, note=note))

    def delete_annotation(self) -> asyncio.Task | None:
        chosen = self.chosen_annotation()
        if chosen is None:
            return None
        return self._write(self.tr("Deleting an annotation"), lambda store: store.delete_annotation(chosen.id))

    # -- export --------------------------------------------------------------------------------------
    def export_range_ns(self) -> tuple[int, int]:
        """The range an export writes: the selection, else what the plot shows."""
        return self.plot.selection_ns() or self.plot.visible_ns()

    def ask_export(self) -> None:
        if self.recording is None:
            return
        start = str(Path(self.location.text()).parent / f"{self.recording.recording.name}.csv")
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export a range"), start,
                                              self.tr("CSV (*.csv);;Parquet (*.parquet);;Excel (*.xlsx)"))
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> asyncio.Task | None:
        """Write the ticked tags (all, if none) over :meth:`export_range_ns` to ``path``, off the UI thread."""
        store, row = self.store, self.recording
        if store is None or row is None:
            return None
        tags = self.checked_tags() or [t.name for t in self.tags]
        start, end = self.export_range_ns()
        self.error = ""

        def write(job: Job) -> int:
            if job.is_cancelled():  # the exchange writer is one call: cancel is heard before it starts
                raise Cancelled(f"the export to {path} was called off")
            from device_browser.exchange import export_recording

            return export_recording(store, row.recording.id, path, tags=tags, start=start, end=end)

        pending = self.jobs.in_thread("export", self.tr("Exporting to {file}").format(file=path.name), write)

        async def work() -> None:
            rows = await pending
            self.last_export = (path, rows)
            if shiboken.isValid(self):
                self.status.setText(self.tr("{rows} rows written to {file}").format(rows=f"{rows:,}", file=path))

        return self.jobs.spawn(work, "exporting a range")

    def _update_actions(self) -> None:
        has_recording = self.recording is not None
        writable = self.store is not None and not self.store.read_only
        chosen = self.chosen_annotation() is not None
        self.select_button.setEnabled(has_recording)
        self.annotate_button.setEnabled(has_recording and writable)
        self.apply_button.setEnabled(chosen and writable)
        self.delete_button.setEnabled(chosen and writable)
        self.delete_action.setEnabled(chosen and writable)
        self.whole_button.setEnabled(has_recording)
        self.export_button.setEnabled(has_recording)

    def closeEvent(self, event) -> None:
        self.close_store()
        self.jobs.close()
        super().closeEvent(event)


def _open_store(location: str) -> RecordingStore:
    from device_browser.store import open_store

    return open_store(location)


def _preview() -> None:  # pragma: no cover - a manual check: python -m workbench.ui.data_browser STORE
    import sys

    import qasync
    from qtpy.QtWidgets import QApplication

    app = QApplication(sys.argv)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    view = DataBrowserView()
    view.resize(1300, 800)
    view.show()
    if len(sys.argv) > 1:
        view.open_location(sys.argv[1])
    with loop:
        loop.run_forever()


if __name__ == "__main__":
    _preview()
