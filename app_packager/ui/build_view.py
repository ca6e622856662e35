"""Build: check, test and pack the app with a progress bar and Cancel, then sign it; the golden-test report.

:func:`~app_packager.build.build_app` runs on a worker thread (:class:`~app_packager.ui.background.Work`),
telling its steps to the progress bar; Cancel stops it at its next check and nothing is written.
The report lists each golden test's outputs: passed, or where it first failed with the expected
and actual values and their difference. A refused build lists every reason. A built archive is
shown with its path, size and SHA-256, signed first when "Sign with" is ticked.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from qtpy.QtCore import QEvent, Qt, Signal
from qtpy.QtGui import QBrush, QColor
from qtpy.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app_packager.build import BuildError, BuildResult, build_app
from app_packager.errors import AppError
from app_packager.golden import Cancelled, GoldenReport, iso_time
from app_packager.signing import sign_archive
from app_packager.ui.background import Work, in_worker
from app_packager.ui.narrow import narrow_label
from app_packager.ui.signing_keys import KeyChooser, NewKey, load_key

PASSED, FAILED = QColor("#22863a"), QColor("#c62828")
STEPS = 1000  # the progress bar's resolution


class BuildView(QWidget):
    """The Build tab for the app :meth:`set_app` names.

    ``prepare()`` is awaited before a build (the panel saves an edited manifest there; False stops
    the build); ``built(path)`` follows a successful build (and signature).
    """

    built = Signal(object)
    keys_changed = Signal()

    def __init__(self, keys: list[str], sign: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.project: Path | None = None
        self.manifest: Path | None = None
        self.prepare: Callable[[], Awaitable[bool]] = _ready
        self.work: Work | None = None
        self.result: BuildResult | None = None
        self.build_button, self.cancel_button = QPushButton(self), QPushButton(self)
        self.build_button.clicked.connect(lambda: asyncio.ensure_future(self.build()))
        self.cancel_button.clicked.connect(self.cancel)
        self.signing = KeyChooser(keys, sign, self)
        self.signing.changed.connect(self.keys_changed)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, STEPS)
        self.step = narrow_label(QLabel(self))
        self.outcome = QLabel(self)
        self.outcome.setWordWrap(True)
        self.archive, self.size, self.sha256 = (_selectable(self) for _ in range(3))
        self.report = QTableWidget(0, 7, self)
        self.report.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.report.verticalHeader().setVisible(False)
        self.report.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.report.horizontalHeader().setStretchLastSection(True)
        self.problems = QListWidget(self)
        self.problems.setWordWrap(True)
        self.labels = [QLabel(self) for _ in range(5)]
        self._build_layout()
        self._busy(False)
        self._show_problems()
        self.retranslate()

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.build_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        progress = QHBoxLayout()
        progress.addWidget(self.progress, 1)
        progress.addWidget(self.step, 2)
        facts = QFormLayout()
        for label, field in zip(self.labels[:3], (self.archive, self.size, self.sha256), strict=True):
            facts.addRow(label, field)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.signing)
        layout.addLayout(progress)
        layout.addWidget(self.outcome)
        layout.addLayout(facts)
        layout.addWidget(self.labels[3])
        layout.addWidget(self.report, 2)
        layout.addWidget(self.labels[4])
        layout.addWidget(self.problems, 1)

    def set_app(self, project: Path | None, manifest: Path | None) -> None:
        """Build this app from now on; the last build's result stays until the next build."""
        self.project, self.manifest = project, manifest
        self.build_button.setEnabled(manifest is not None and self.work is None)

    # -- building ----------------------------------------------------------------------------------
    async def build(self) -> BuildResult | None:
        """Build (and sign) the app; the result, or None when refused, cancelled or failed (the view says why)."""
        if self.manifest is None or self.work is not None or not await self.prepare():
            return None
        self._clear()
        self.work = Work(self._progressed)
        self._busy(True)
        unsigned = ""  # why a built archive could not be signed
        try:
            result = await self.work.run(build_app, self.project, self.manifest, progress=self.work.report,
                                         cancelled=self.work.cancelled)
            key = self.signing.chosen()
            if key is not None:
                self._progressed(self.tr("Signing with {key}").format(key=self.signing.keys.currentText()), 1.0)
                try:
                    result = await self.work.run(_signed, result, key)
                except AppError as exc:  # the archive stands, unsigned: say so rather than lose the build
                    unsigned = str(exc)
        except BuildError as exc:
            self._refused(exc)
            return None
        except Cancelled:
            self._say(self.tr("Cancelled: nothing was written"), FAILED)
            return None
        except AppError as exc:
            self._say(str(exc), FAILED)
            return None
        finally:
            self.work = None
            self._busy(False)
        self._show_result(result, unsigned)
        self.built.emit(result.path)
        return result

    def cancel(self) -> None:
        if self.work is not None:
            self.work.cancel()
            self.step.setText(self.tr("Cancelling…"))

    def _progressed(self, step: str, done: float) -> None:
        self.progress.setValue(round(done * STEPS))
        self.step.setText(step)

    def _busy(self, busy: bool) -> None:
        self.build_button.setEnabled(not busy and self.manifest is not None)
        self.cancel_button.setEnabled(busy)
        self.signing.setEnabled(not busy)

    # -- showing -----------------------------------------------------------------------------------
    def _clear(self) -> None:
        self.result = None
        self.report.setRowCount(0)
        self.problems.clear()
        self._show_problems()
        for label in (self.outcome, self.archive, self.size, self.sha256):
            label.clear()
        self.progress.setValue(0)

    def _show_problems(self) -> None:
        shown = self.problems.count() > 0
        self.problems.setVisible(shown)
        self.labels[4].setVisible(shown)

    def _say(self, text: str, colour: QColor) -> None:
        self.outcome.setText(text)
        self.outcome.setStyleSheet(f"color: {colour.name()};")

    def _refused(self, error: BuildError) -> None:
        self._say(str(error).splitlines()[0], FAILED)
        self.problems.addItems(error.problems)
        self._show_problems()
        self._fill_report(error.reports)

    def _show_result(self, result: BuildResult, unsigned: str) -> None:
        self.result = result
        self.progress.setValue(STEPS)
        if unsigned:
            self._say(self.tr("Built {archive}, but it could not be signed: {reason}").format(
                archive=result.path.name, reason=unsigned), FAILED)
        else:
            signed = self.tr(", signed") if self.signing.chosen() else self.tr(", not signed")
            self._say(self.tr("Built {archive}{signed}").format(archive=result.path.name, signed=signed), PASSED)
        self.archive.setText(_shown(result.path, self.project))
        self.archive.setToolTip(str(result.path))
        self.step.setText(self.tr("Done"))
        self.size.setText(self.tr("{size} bytes").format(size=f"{result.size:,}"))
        self.sha256.setText(result.sha256)
        self.sha256.setToolTip(result.sha256)
        self.problems.addItems(result.notes)
        self._show_problems()
        self._fill_report(result.reports)

    def _fill_report(self, reports: tuple[GoldenReport, ...]) -> None:
        rows = [row for report in reports for row in self._report_rows(report)]
        self.report.setRowCount(len(rows))
        for r, (cells, colour) in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if c == 2:
                    item.setForeground(QBrush(colour))
                self.report.setItem(r, c, item)

    def _report_rows(self, report: GoldenReport) -> list[tuple[list[str], QColor]]:
        rows = [([report.test, "", self.tr("problem"), problem, "", "", ""], FAILED) for problem in report.problems]
        failed = {f.output: f for f in report.failures}
        for output in report.checked:
            failure = failed.get(output)
            if failure is None:
                rows.append(([report.test, output, self.tr("passed"), "", "", "", ""], PASSED))
            else:
                rows.append(([report.test, output, self.tr("failed"), iso_time(failure.time_ns),
                              _number(failure.expected), _number(failure.actual),
                              _number(failure.difference, "{:+.6g}")], FAILED))
        return rows

    # -- keys ------------------------------------------------------------------------------------------
    async def create_key(self, new_key: NewKey) -> str:
        """Make ``new_key`` off the UI thread and sign with it from now on; returns its fingerprint."""
        spec, key_id = await in_worker(new_key.create)
        self.signing.add(spec)
        self.keys_changed.emit()
        return key_id

    # -- language ------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.build_button.setText(self.tr("Build"))
        self.build_button.setToolTip(self.tr("Save the manifest, check the app, run its golden tests and write "
                                             "build/ID-VERSION.iapp"))
        self.cancel_button.setText(self.tr("Cancel"))
        for label, text in zip(self.labels, (self.tr("Archive"), self.tr("Size"), self.tr("SHA-256"),
                                             self.tr("Golden tests"), self.tr("Problems and notes")), strict=True):
            label.setText(text)
        self.report.setHorizontalHeaderLabels([self.tr("Test"), self.tr("Output"), self.tr("Status"),
                                               self.tr("First failing time"), self.tr("Expected"), self.tr("Actual"),
                                               self.tr("Difference")])

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _signed(result: BuildResult, key: str) -> BuildResult:
    """``result`` after signing its archive in place (blocking): the file's size and hash change."""
    sign_archive(result.path, load_key(key))
    data = result.path.read_bytes()
    return replace(result, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def _shown(path: Path, project: Path | None) -> str:
    """``build/ID-VERSION.iapp`` for an archive in the project, else the whole path."""
    try:
        return path.relative_to(project).as_posix() if project is not None else str(path)
    except ValueError:
        return str(path)


def _number(value: float, form: str = "{:.10g}") -> str:
    return "—" if math.isnan(value) else form.format(value)


def _selectable(parent: QWidget) -> QLabel:
    label = narrow_label(QLabel(parent))
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


async def _ready() -> bool:
    return True
