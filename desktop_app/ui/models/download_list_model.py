"""The Downloads list: one row per model file with progress, speed, ETA and errors.

Rows are keyed by (repo, file) so a download that is paused, resumed or
retried stays on one row. The model is fed by
:class:`~desktop_app.ui.models.download_manager.DownloadManager` on the GUI thread,
and each progress update changes one row (``dataChanged`` for that row only).
The downloader reports at most four times a second, so no extra throttle is
needed. :class:`ProgressDelegate` paints the fraction as a progress bar.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    Qt,
)
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
)

from desktop_app.core.formatting import format_duration, format_size
from desktop_app.core.models.download_queue import DownloadJob, JobState
from desktop_app.ui.common.table_model import AnyIndex
from desktop_app.ui.common.untrusted_text import plain_tooltip
from desktop_app.ui.common.user_text import translated
from desktop_app.ui.models.download_manager import JobKey, job_key


class DownloadRole(IntEnum):
    JOB = Qt.ItemDataRole.UserRole
    """The :class:`DownloadJob` snapshot of the row."""
    FRACTION = Qt.ItemDataRole.UserRole + 1
    """Progress from 0.0 to 1.0."""


class Column(IntEnum):
    MODEL = 0
    PROGRESS = 1
    STATUS = 2


class DownloadListModel(QAbstractTableModel):
    """Download jobs as a table; call :meth:`update_job` from the GUI thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: list[DownloadJob] = []
        self._rows: dict[JobKey, int] = {}

    # ---- feeding ---------------------------------------------------------------

    def update_job(self, job: DownloadJob) -> None:
        """Add the job's row, or replace the row of the same file."""
        key = job_key(job)
        row = self._rows.get(key)
        if row is None:
            row = len(self._jobs)
            self.beginInsertRows(QModelIndex(), row, row)
            self._jobs.append(job)
            self._rows[key] = row
            self.endInsertRows()
            return
        self._jobs[row] = job
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))

    def remove_finished(self) -> None:
        """Drop finished and cancelled rows (the "Clear finished" button)."""
        keep = [job for job in self._jobs
                if job.state not in (JobState.DONE, JobState.CANCELLED)]
        if len(keep) == len(self._jobs):
            return
        self.beginResetModel()
        self._jobs = keep
        self._rows = {job_key(job): row for row, job in enumerate(keep)}
        self.endResetModel()

    def job(self, row: int) -> DownloadJob:
        return self._jobs[row]

    def row_of(self, repo_id: str, filename: str) -> int | None:
        return self._rows.get((repo_id, filename))

    # ---- Qt model API ------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if not 0 <= section < len(Column):
            return None
        return (self.tr("Model"), self.tr("Progress"), self.tr("Status"))[section]

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._jobs):
            return None
        job = self._jobs[index.row()]
        column = index.column()
        if role == DownloadRole.JOB:
            return job
        if role == DownloadRole.FRACTION:
            return job.fraction
        if role == Qt.ItemDataRole.DisplayRole:
            if column == Column.MODEL:
                return f"{job.filename}\n{job.repo_id}"
            if column == Column.PROGRESS:
                return f"{job.fraction:.0%}"
            return self.status_text(job)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == Column.STATUS and job.error:
                return plain_tooltip(translated(job.error))
            return plain_tooltip(f"{job.repo_id}/{job.filename}")
        return None

    def status_text(self, job: DownloadJob) -> str:
        """What the Status column says: state, bytes, speed and ETA, or the error."""
        done, total = format_size(job.done), format_size(job.total)
        if job.state is JobState.RUNNING:
            if not job.total:
                return self.tr("Starting…")
            speed = format_size(job.speed) if job.speed > 0 else "–"
            return self.tr("{done} of {total} · {speed}/s · {eta} left").format(
                done=done, total=total, speed=speed, eta=format_duration(job.eta))
        if job.state is JobState.QUEUED:
            return self.tr("Waiting…")
        if job.state is JobState.PAUSED:
            if job.total:
                return self.tr("Paused · {done} of {total}").format(done=done, total=total)
            return self.tr("Paused")
        if job.state is JobState.DONE:
            return self.tr("Done · {total} · verified").format(total=total)
        if job.state is JobState.CANCELLED:
            return self.tr("Cancelled")
        return self.tr("Failed: {error}").format(error=translated(job.error))


class ProgressDelegate(QStyledItemDelegate):
    """Paints :attr:`DownloadRole.FRACTION` as a progress bar in the Progress column."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        if index.column() != Column.PROGRESS:
            super().paint(painter, option, index)
            return
        fraction = index.data(DownloadRole.FRACTION) or 0.0
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(4, 6, -4, -6)
        bar.minimum = 0
        bar.maximum = 1000
        bar.progress = round(fraction * 1000)
        bar.text = f"{fraction:.0%}"
        bar.textVisible = True
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)
