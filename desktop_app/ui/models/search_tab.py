"""The Search Hugging Face tab of the Models window: find GGUF repositories, pick a file.

Searches and repository listings run in the page's background jobs; each
carries a serial number so an older answer that arrives late is dropped
instead of overwriting a newer one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.formatting import format_size
from desktop_app.core.models.gguf import format_parameter_count
from desktop_app.core.models.hub import (
    GatedError,
    HubClient,
    HubError,
    OfflineError,
    RepoDetails,
    SearchSort,
)
from desktop_app.ui.common.background import BackgroundJobs
from desktop_app.ui.common.untrusted_text import plain_label
from desktop_app.ui.common.user_text import translated
from desktop_app.ui.models.hub_models import RepoFilesModel, SearchResultsModel
from desktop_app.ui.models.page_widgets import (
    StartDownload,
    message_label,
    selected_row,
    table_view,
)

log = logging.getLogger(__name__)


class SearchTab(QWidget):
    """Search the Hub for GGUF repositories and list a repository's files with fit badges."""

    def __init__(self, hub: HubClient, jobs: BackgroundJobs, available_memory: Callable[[], int],
                 start_download: StartDownload) -> None:
        super().__init__()
        self._hub = hub
        self._jobs = jobs
        self.available_memory = available_memory
        self._start_download = start_download
        self._search_serial = 0
        self._details_serial = 0
        self.query_edit = QLineEdit()
        self.query_edit.setObjectName("searchEdit")
        self.query_edit.setPlaceholderText(self.tr("Search GGUF models, e.g. “qwen3 4b”"))
        self.query_edit.setClearButtonEnabled(True)
        self.sort_combo = QComboBox()
        for label, sort in ((self.tr("Most downloaded"), "downloads"),
                            (self.tr("Most liked"), "likes"),
                            (self.tr("Recently updated"), "last_modified")):
            self.sort_combo.addItem(label, sort)
        self.search_button = QPushButton(self.tr("Search"))
        self.status = message_label()
        self.status.setObjectName("searchStatus")
        self.results = SearchResultsModel(self)
        self.results_view = table_view(self.results)
        self.results_view.setObjectName("searchResults")
        self.results_view.setTextElideMode(Qt.TextElideMode.ElideMiddle)

        # Repo ids and licences come from the Hub: plain text, bold by font not markup.
        self.repo_title = plain_label()
        title_font = self.repo_title.font()
        title_font.setBold(True)
        self.repo_title.setFont(title_font)
        self.repo_title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts = plain_label()
        self.facts.setWordWrap(True)
        self.repo_status = message_label()
        self.repo_status.setObjectName("repoStatus")
        self.files = RepoFilesModel(self)
        self.files_view = table_view(self.files, stretch=3)
        self.files_view.setObjectName("repoFiles")
        self.download_button = QPushButton(self.tr("Download"))
        self.download_button.setObjectName("fileDownload")
        self.download_message = message_label()
        files_panel = QWidget()
        files_layout = QVBoxLayout(files_panel)
        files_layout.setContentsMargins(0, 0, 0, 0)
        files_layout.addWidget(self.repo_title)
        files_layout.addWidget(self.facts)
        files_layout.addWidget(self.repo_status)
        files_layout.addWidget(self.files_view, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.download_message, 1)
        bottom.addWidget(self.download_button)
        files_layout.addLayout(bottom)

        top = QHBoxLayout()
        top.addWidget(self.query_edit, 1)
        top.addWidget(self.sort_combo)
        top.addWidget(self.search_button)
        splitter = QSplitter()
        splitter.addWidget(self.results_view)
        splitter.addWidget(files_panel)
        splitter.setSizes([440, 500])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

        self.query_edit.returnPressed.connect(self.run_search)
        self.search_button.clicked.connect(self.run_search)
        self.sort_combo.activated.connect(self.run_search)
        self.results_view.selectionModel().selectionChanged.connect(self._on_results_selected)
        self.files_view.selectionModel().selectionChanged.connect(self.update_buttons)
        self.files_view.doubleClicked.connect(self._on_download_clicked)
        self.download_button.clicked.connect(self._on_download_clicked)
        self._show_repo(None)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Say so before the user types a query that could never be sent.
        if self._hub.offline:
            self.status.setText(translated(OfflineError()))

    # ---- searching -----------------------------------------------------------

    def run_search(self, *_args: object) -> None:
        """Search with the query box and sort choice, off the GUI thread."""
        if self._hub.offline:
            self.status.setText(translated(OfflineError()))
            return
        query = self.query_edit.text().strip()
        sort: SearchSort = self.sort_combo.currentData()
        self._search_serial += 1
        serial = self._search_serial
        self.status.setText(self.tr("Searching…"))
        self.search_button.setEnabled(False)
        hub = self._hub
        self._jobs.run(lambda: hub.search(query, sort=sort),
                           lambda found: self._on_search_done(serial, query, found),
                           lambda exc: self._on_search_failed(serial, exc))

    def _on_search_done(self, serial: int, query: str, found: list[Any]) -> None:
        if serial != self._search_serial:
            return  # an older search answered late
        self.search_button.setEnabled(True)
        self.results.set_results(found)
        self._show_repo(None)
        if not found:
            self.status.setText(self.tr("No GGUF models found for “{query}”.").format(query=query))
        else:
            self.status.setText(self.tr("{n} repositories. Choose one to see its files.")
                                .format(n=len(found)))

    def _on_search_failed(self, serial: int, exc: BaseException) -> None:
        if serial != self._search_serial:
            return
        self.search_button.setEnabled(True)
        self.status.setText(self._error_text(exc))

    # ---- one repository ------------------------------------------------------

    def _on_results_selected(self, _selected: QItemSelection, _deselected: QItemSelection
                             ) -> None:
        row = selected_row(self.results_view)
        if row is not None:
            self.open_repo(self.results.item(row).repo_id)

    def open_repo(self, repo_id: str) -> None:
        """List a repository's files with fit badges (network and memory query off-thread)."""
        self._show_repo(None)
        self.repo_title.setText(repo_id)
        if self._hub.offline:
            self.repo_status.setText(translated(OfflineError()))
            return
        self._details_serial += 1
        serial = self._details_serial
        self.repo_status.setText(self.tr("Loading the file list…"))
        hub, measure = self._hub, self.available_memory
        self._jobs.run(lambda: (hub.repo_details(repo_id), measure()),
                           lambda result: self._on_details_done(serial, *result),
                           lambda exc: self._on_details_failed(serial, exc))

    def _on_details_done(self, serial: int, details: RepoDetails, available: int) -> None:
        if serial != self._details_serial:
            return
        self._show_repo(details, available)

    def _on_details_failed(self, serial: int, exc: BaseException) -> None:
        if serial != self._details_serial:
            return
        self.repo_status.setText(self._error_text(exc))

    def _show_repo(self, details: RepoDetails | None, available: int = 0) -> None:
        self.files.set_details(details, available)
        self.download_message.clear()
        if details is None:
            self.repo_title.clear()
            self.facts.clear()
            self.repo_status.clear()
            self.update_buttons()
            return
        self.repo_title.setText(details.repo_id)
        facts = []
        if details.parameters:
            facts.append(self.tr("{n} parameters").format(
                n=format_parameter_count(details.parameters)))
        if details.architecture:
            facts.append(self.tr("architecture {arch}").format(arch=details.architecture))
        if details.context_length:
            facts.append(self.tr("context {n} tokens").format(n=details.context_length))
        facts.append(self.tr("licence {licence}").format(
            licence=details.license or self.tr("not stated")))
        self.facts.setText(" · ".join(facts))
        notes = []
        if details.gated:
            notes.append(str(GatedError(details.repo_id)))
        if not details.models:
            notes.append(self.tr("This repository has no GGUF model files."))
        elif self.files.recommended is None:
            notes.append(self.tr("None of these files fits comfortably in this computer's free "
                                 "memory ({size}).").format(size=format_size(available)))
        else:
            notes.append(self.tr("Recommended for this computer: {quant} ({size}).").format(
                quant=self.files.recommended.quant_label,
                size=format_size(self.files.recommended.size or 0)))
        self.repo_status.setText("\n".join(notes))
        if self.files.recommended is not None:
            row = self.files.row_of(self.files.recommended.path)
            if row is not None:
                self.files_view.selectRow(row)
        self.update_buttons()

    def update_buttons(self, *_args: object) -> None:
        row = selected_row(self.files_view)
        self.download_button.setEnabled(row is not None and self.files.item(row).complete)

    def _on_download_clicked(self, *_args: object) -> None:
        row = selected_row(self.files_view)
        details = self.files.details
        if row is None or details is None or not self.files.item(row).complete:
            return
        remote = self.files.item(row)
        self.download_message.setText(
            self._start_download(details.repo_id, remote.path, details.commit))

    def _error_text(self, exc: BaseException) -> str:
        if isinstance(exc, HubError):
            return translated(exc)
        log.error("unexpected error talking to Hugging Face", exc_info=exc)
        return self.tr("Something went wrong: {error}").format(error=exc)
