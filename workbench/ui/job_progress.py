"""A progress dialog for each running job of the session, with Cancel.

The dialog lives on the UI thread only: progress arrives through the job's ``progress``
signal (emitted on the loop's thread, which is the UI thread under qasync), and Cancel sets
the job's thread-safe flag, which the worker polls. The worker never touches the dialog.
"""

from __future__ import annotations

from functools import partial

from qtpy.QtCore import QCoreApplication, QObject, Qt
from qtpy.QtWidgets import QProgressDialog, QWidget

from workbench.session import Job, RunningJobs

STEPS = 1000


class JobProgress(QObject):
    """Shows a window-modal progress dialog for each job of ``jobs`` that runs over ``delay_ms``."""

    def __init__(self, jobs: RunningJobs, parent: QWidget, delay_ms: int = 500):
        super().__init__(parent)
        self._parent = parent
        self.delay_ms = delay_ms
        self.dialogs: dict[Job, QProgressDialog] = {}
        self._listeners: dict[Job, partial[None]] = {}
        jobs.started.connect(self._started)
        jobs.finished.connect(self._finished)

    def _started(self, job: Job) -> None:
        # "Cancel" keeps the translation context it had in the main window.
        dialog = QProgressDialog(job.title, QCoreApplication.translate("MainWindow", "Cancel"),
                                 0, STEPS, self._parent)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumDuration(self.delay_ms)
        dialog.canceled.connect(job.cancel)
        dialog.setValue(0)  # starts the minimum-duration clock
        self.dialogs[job] = dialog
        self._listeners[job] = partial(self._progressed, dialog)
        job.progress.connect(self._listeners[job])

    @staticmethod
    def _progressed(dialog: QProgressDialog, done: int, total: int) -> None:
        dialog.setValue(min(STEPS, int(STEPS * done / max(total, 1))))

    def _finished(self, job: Job) -> None:
        listener = self._listeners.pop(job, None)
        if listener is not None:
            job.progress.disconnect(listener)
        dialog = self.dialogs.pop(job, None)
        if dialog is not None:
            dialog.close()
            dialog.deleteLater()
