"""Sink views: the outputs of a running graph as a table of their newest rows and a plot of one.

The view polls the :class:`~model_designer.run.GraphRunner` about five times a second (the run
goes on at its own pace on its worker thread) and redraws only when an output has grown. The
table holds the newest :data:`ROWS` samples of each output, newest on top; outputs that run at
different rates sit side by side, each with its own time, value and quality columns.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from qtpy.QtCore import QAbstractTableModel, QEvent, QModelIndex, Qt, QTimer
from qtpy.QtGui import QPalette
from qtpy.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QTableView, QVBoxLayout, QWidget

from device_browser.display import format_time, format_value
from device_browser.ui.trends import ClockAxis
from model_designer.run import NS, GraphRunner, RunState
from nodes.chunk import Chunk
from nodes.quality import Quality

REFRESH_MS = 200  # ~5 Hz: a table read by eye needs no more
ROWS = 1_000  # newest samples shown per output
_FIELDS = 3  # time, value, quality per output


class SinkTableModel(QAbstractTableModel):
    """The newest rows of every output: per output a time, a value and a quality column."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.columns: list[str] = []
        self._data: dict[str, Chunk] = {}  # newest first, at most ROWS each

    def set_outputs(self, outputs: dict[str, Chunk]) -> None:
        """Show ``outputs`` (column → its newest samples, in time order)."""
        self.beginResetModel()
        self.columns = list(outputs)
        self._data = {name: _newest_first(chunk) for name, chunk in outputs.items()}
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else max((len(c) for c in self._data.values()), default=0)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns) * _FIELDS

    def text(self, row: int, column: int) -> str:
        name, field = self.columns[column // _FIELDS], column % _FIELDS
        chunk = self._data[name]
        if row >= len(chunk):
            return ""
        if field == 0:
            return format_time(int(chunk.t[row]))
        if field == 1:
            return _value_text(chunk.v[row])
        return self.quality_text(int(chunk.q[row]))

    def quality_text(self, quality: int) -> str:
        return {Quality.GOOD: self.tr("good"), Quality.UNCERTAIN: self.tr("uncertain")}.get(quality, self.tr("bad"))

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(index.row(), index.column())
        return None

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        field = (self.tr("time"), self.tr("value"), self.tr("quality"))[section % _FIELDS]
        return f"{self.columns[section // _FIELDS]}\n{field}"


class SinkView(QWidget):
    """The outputs of a graph run: a table of the newest rows and a plot of the chosen output.

    Call :meth:`set_runner` with the run to follow (None to let go); the view keeps what it last
    showed after the run ends.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.runner: GraphRunner | None = None
        self._seen: dict[str, int] = {}  # output → samples it had at the last redraw
        self._outputs: dict[str, Chunk] = {}
        self.model = SinkTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.choice_label = QLabel()
        self.choice = QComboBox()
        self.choice.currentTextChanged.connect(self._plot)
        self.choice_label.setBuddy(self.choice)
        self.plot = pg.PlotWidget(axisItems={"bottom": ClockAxis(orientation="bottom")})
        self.plot.setMinimumHeight(120)
        self.plot.getPlotItem().setMenuEnabled(False)
        self.plot.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.curve = self.plot.plot(pen=pg.mkPen("#1f77b4", width=1.5))
        chooser = QHBoxLayout()
        chooser.addWidget(self.choice_label)
        chooser.addWidget(self.choice, 1)
        plot_side = QWidget()
        plot_layout = QVBoxLayout(plot_side)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        plot_layout.addLayout(chooser)
        plot_layout.addWidget(self.plot)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(plot_side)
        splitter.setStretchFactor(0, 3)  # the table has a few columns per output; the plot reads at any width
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._apply_palette()
        self.timer = QTimer(self, interval=REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.retranslate()

    def set_runner(self, runner: GraphRunner | None) -> None:
        """Follow ``runner``'s outputs (from the next refresh on); None stops following."""
        self.runner = runner
        self._seen = {}
        if runner is None:
            self.timer.stop()
        else:
            self.timer.start()
            self.refresh()

    def refresh(self) -> None:
        """Redraw if an output grew (called by the timer); stop polling once the run has ended and is shown."""
        if self.runner is None:
            return
        snapshot = self.runner.snapshot()
        if snapshot.outputs != self._seen:
            self._seen = dict(snapshot.outputs)
            self._outputs = {name: _tail(self.runner.output(name), ROWS) for name in snapshot.outputs}
            new_columns = list(self._outputs) != self.model.columns
            self.model.set_outputs(self._outputs)
            if new_columns:  # sized once per run: measuring 1,000 rows five times a second is wasted work
                self.table.resizeColumnsToContents()
            self._update_choices()
            self._plot(self.choice.currentText())
        elif snapshot.state not in RunState.ACTIVE:
            self.timer.stop()

    def _update_choices(self) -> None:
        names = list(self._outputs)
        if names != [self.choice.itemText(i) for i in range(self.choice.count())]:
            current = self.choice.currentText()
            self.choice.blockSignals(True)
            self.choice.clear()
            self.choice.addItems(names)
            self.choice.setCurrentIndex(max(self.choice.findText(current), 0))
            self.choice.blockSignals(False)

    def _plot(self, name: str) -> None:
        chunk = self._outputs.get(name)
        if chunk is None or not len(chunk):
            self.curve.setData([], [])
            return
        values = np.asarray(chunk.v, dtype=np.float64)
        if values.ndim > 1:  # a spectrum or table: plot its first column
            values = values[:, 0] if values.shape[1] else np.full(len(chunk), np.nan)
        self.curve.setData(chunk.t / NS, values, connect="finite")

    def _apply_palette(self) -> None:
        """The plot in the theme's colours (pyqtgraph draws black by default)."""
        self.plot.setBackground(self.palette().color(QPalette.ColorRole.Base))
        pen = pg.mkPen(self.palette().color(QPalette.ColorRole.Text))
        for name in ("left", "bottom"):
            axis = self.plot.getPlotItem().getAxis(name)
            axis.setPen(pen)
            axis.setTextPen(pen)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        elif event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.choice_label.setText(self.tr("&Plot:"))
        self.choice.setToolTip(self.tr("The graph output to plot"))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, max(self.model.columnCount() - 1, 0))


def _tail(chunk: Chunk, rows: int) -> Chunk:
    start = max(0, len(chunk) - rows)
    return Chunk(chunk.t[start:], chunk.v[start:], chunk.q[start:])


def _newest_first(chunk: Chunk) -> Chunk:
    return Chunk(chunk.t[::-1], chunk.v[::-1], chunk.q[::-1])


def _value_text(value) -> str:
    array = np.asarray(value)
    if array.ndim:  # a spectrum's or table's row: its size, not hundreds of numbers in a cell
        return f"[{array.size}]"
    return format_value(array.item())
