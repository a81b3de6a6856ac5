"""The Downloads tab of the Models window: the queue with progress and its buttons.

The rows come from the page, which forwards every job change of the
download manager into :class:`DownloadListModel`; the tab only acts on the
selected job.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app.core.models.download_queue import DownloadJob, JobState
from desktop_app.core.models.hub import HubClient, OfflineError
from desktop_app.core.models.library import LocalModel
from desktop_app.ui.common.user_text import translated
from desktop_app.ui.models.download_list_model import DownloadListModel, ProgressDelegate
from desktop_app.ui.models.download_manager import DownloadManager
from desktop_app.ui.models.model_controller import ModelController
from desktop_app.ui.models.page_widgets import message_label, selected_row, table_view


class DownloadsTab(QWidget):
    """The download queue: progress, speed, ETA, pause/resume/cancel, and errors."""

    def __init__(self, downloads: DownloadManager, hub: HubClient,
                 controller: ModelController) -> None:
        super().__init__()
        self._downloads = downloads
        self._hub = hub
        self._controller = controller
        self.model = DownloadListModel(self)
        self.view = table_view(self.model, stretch=2)  # the status text needs the room
        self.view.setObjectName("downloadList")
        self.view.setWordWrap(True)
        self.view.setItemDelegate(ProgressDelegate(self.view))
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        self.view.setColumnWidth(0, 330)
        self.view.setColumnWidth(1, 160)
        self.view.verticalHeader().setDefaultSectionSize(44)
        self.empty = QLabel(self.tr("Nothing is downloading. Choose a model under Recommended or "
                                    "Search Hugging Face."))
        self.error = message_label()
        self.error.setObjectName("downloadError")
        self.pause_button = QPushButton(self.tr("Pause"))
        self.resume_button = QPushButton(self.tr("Resume"))
        self.cancel_button = QPushButton(self.tr("Cancel download"))
        self.use_button = QPushButton(self.tr("Use"))
        self.clear_button = QPushButton(self.tr("Clear finished"))
        buttons = QHBoxLayout()
        for button in (self.pause_button, self.resume_button, self.cancel_button,
                       self.use_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.view.selectionModel().selectionChanged.connect(self.update_buttons)
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.resume_button.clicked.connect(self._on_resume_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.use_button.clicked.connect(self._on_use_clicked)
        self.clear_button.clicked.connect(self._on_clear_clicked)
        self.model.rowsInserted.connect(self.update_buttons)
        self.model.modelReset.connect(self.update_buttons)
        self.update_buttons()

    def current(self) -> DownloadJob | None:
        row = selected_row(self.view)
        if row is None and self.model.rowCount() == 1:
            row = 0  # one download: the buttons act on it without a click first
        return self.model.job(row) if row is not None else None

    def update_buttons(self, *_args: object) -> None:
        job = self.current()
        state = job.state if job is not None else None
        self.empty.setVisible(self.model.rowCount() == 0)
        self.pause_button.setEnabled(state in (JobState.QUEUED, JobState.RUNNING))
        self.resume_button.setEnabled(state in (JobState.PAUSED, JobState.FAILED))
        self.cancel_button.setEnabled(state in (JobState.QUEUED, JobState.RUNNING,
                                                JobState.PAUSED, JobState.FAILED))
        self.use_button.setEnabled(state is JobState.DONE and job is not None
                                   and job.result is not None)
        self.error.setText(translated(job.error) if job is not None and state is JobState.FAILED
                           else "")

    def _on_pause_clicked(self) -> None:
        job = self.current()
        if job is not None:
            self._downloads.pause(job.job_id)

    def _on_resume_clicked(self) -> None:
        job = self.current()
        if job is None:
            return
        if self._hub.offline:
            self.error.setText(translated(OfflineError()))
            return
        self._downloads.resume(job.job_id)

    def _on_cancel_clicked(self) -> None:
        job = self.current()
        if job is not None:
            self._downloads.cancel(job.job_id)

    def _on_use_clicked(self) -> None:
        job = self.current()
        if job is not None and isinstance(job.result, LocalModel):
            self._controller.select(job.result.id)

    def _on_clear_clicked(self) -> None:
        self.model.remove_finished()
