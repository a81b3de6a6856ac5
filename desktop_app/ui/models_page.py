"""The Models window: recommended models, Hugging Face search, downloads, and the library.

A non-modal dialog with four tabs, in the spirit of LM Studio's and GPT4All's
model managers but smaller. It owns no data: the catalog, the library, the
download manager and the Hub client are built in the composition root and
passed in. Every network call (search, repository listing) and every slow
disk job (import, scanning other apps' folders) runs in
:class:`~desktop_app.ui.background.BackgroundJobs`; the page shows what it is
doing and any error inline. In offline mode it says so and makes no call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core import hardware
from desktop_app.core.models.catalog import CatalogEntry
from desktop_app.core.models.download_queue import DownloadJob, JobState
from desktop_app.core.models.gguf import GGUFError, format_parameter_count
from desktop_app.core.models.hub import (
    GatedError,
    HubClient,
    HubError,
    OfflineError,
    RepoDetails,
    SearchSort,
)
from desktop_app.core.models.library import ImportMode, LocalModel, ModelLibrary
from desktop_app.ui.background import BackgroundJobs
from desktop_app.ui.download_list_model import DownloadListModel, ProgressDelegate, format_size
from desktop_app.ui.download_manager import DownloadManager
from desktop_app.ui.hub_models import CatalogModel, RepoFilesModel, SearchResultsModel
from desktop_app.ui.library_model import ExternalFile, ExternalModelsModel, LibraryModel
from desktop_app.ui.model_controller import ModelController

log = logging.getLogger(__name__)


def available_memory() -> int:
    """Bytes a model may use here: free RAM, or the free memory of the largest GPU if more.

    Asks the GPU driver (a subprocess), so call it from a background job.
    """
    best = hardware.memory().available_bytes
    for gpu in hardware.gpu_devices():
        best = max(best, gpu.free_bytes)
    return best


def _table(model: Any, stretch: int = 0) -> QTableView:
    """A read-only, row-selecting table: the look every list on this page shares."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view


def _message_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setObjectName("pageMessage")
    return label


def _selected_row(view: QTableView) -> int | None:
    rows = view.selectionModel().selectedRows()
    return rows[0].row() if rows else None


class ModelsPage(QDialog):
    """Find, download and manage models. Built once in ``build_app``; :meth:`open_page` shows it.

    ``available_memory`` returns the bytes a model may use on this computer;
    it may be slow (it asks the GPU driver), so it only runs in background jobs.
    """

    def __init__(self, controller: ModelController, library: ModelLibrary,
                 downloads: DownloadManager, hub: HubClient, jobs: BackgroundJobs,
                 catalog: Sequence[CatalogEntry], available_memory: Callable[[], int],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Models"))
        self.setObjectName("modelsPage")
        self.resize(980, 640)
        self.controller = controller
        self.library = library
        self.downloads = downloads
        self.hub = hub
        self.jobs = jobs
        self.available_memory = available_memory
        self.recommended = RecommendedTab(self, catalog)
        self.search = SearchTab(self)
        self.downloads_tab = DownloadsTab(self)
        self.local = LibraryTab(self)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.recommended, self.tr("Recommended"))
        self.tabs.addTab(self.search, self.tr("Search Hugging Face"))
        self.tabs.addTab(self.downloads_tab, self.tr("Downloads"))
        self.tabs.addTab(self.local, self.tr("On this computer"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        close = QShortcut(QKeySequence.StandardKey.Close, self)
        close.activated.connect(self.close)

        downloads.job_changed.connect(self._on_downloads_job_changed)
        downloads.model_downloaded.connect(self._on_downloads_model_downloaded)
        controller.models_changed.connect(self._on_library_changed)
        controller.selection_changed.connect(self._on_library_changed)
        for job in downloads.jobs():
            self.downloads_tab.model.update_job(job)
        self._on_library_changed()
        self._update_downloads_title()
        self.jobs.run(self.available_memory, self._on_memory_measured, self._on_memory_failed)

    # ---- API used by the window and tests ------------------------------------

    def open_page(self, tab: int | None = None) -> None:
        """Show (or raise) the window, optionally on one tab."""
        if tab is not None:
            self.tabs.setCurrentIndex(tab)
        if self.isVisible():  # behind the main window: bring it forward
            self.raise_()
            self.activateWindow()
        else:
            self.show()

    def start_download(self, repo_id: str, filename: str, revision: str | None = None) -> str:
        """Queue a download; returns the sentence to show where the user clicked."""
        if self.hub.offline:
            return str(OfflineError())
        job = self.downloads.download(repo_id, filename, revision)
        if job.state is JobState.DONE:
            return self.tr("{file} is already downloaded.").format(file=filename)
        return self.tr("Downloading {file}: see the Downloads tab.").format(file=filename)

    # ---- shared slots --------------------------------------------------------

    def _on_memory_measured(self, available: int) -> None:
        self.recommended.model.set_available_memory(available)

    def _on_memory_failed(self, exc: BaseException) -> None:
        log.warning("could not measure the free memory: %s", exc)

    def _on_downloads_job_changed(self, job: DownloadJob) -> None:
        self.downloads_tab.model.update_job(job)
        self.downloads_tab.update_buttons()
        self._update_downloads_title()

    def _on_downloads_model_downloaded(self, model: LocalModel) -> None:
        # The library registered it already; the controller tells the window's model combo.
        self.controller.refresh()

    def _on_library_changed(self, *_args: object) -> None:
        models = self.controller.models()
        selected = self.controller.selected
        self.local.model.set_models(models, selected.id if selected is not None else None)
        self.local.update_buttons()
        self.recommended.model.set_downloaded(m.id for m in models)
        self.recommended.update_buttons()

    def _update_downloads_title(self) -> None:
        active = self.downloads.active_count()
        index = self.tabs.indexOf(self.downloads_tab)
        self.tabs.setTabText(index, self.tr("Downloads ({n})").format(n=active) if active
                             else self.tr("Downloads"))


class RecommendedTab(QWidget):
    """The curated catalog: a short list of known-good chat models, small to large."""

    def __init__(self, page: ModelsPage, catalog: Sequence[CatalogEntry]) -> None:
        super().__init__()
        self.page = page
        self.model = CatalogModel(catalog, self)
        self.view = _table(self.model)
        self.view.setObjectName("catalogView")
        intro = QLabel(self.tr("Good chat models to start with, from small and fast to large and "
                               "capable. “Fit” compares each with this computer's free memory."))
        intro.setWordWrap(True)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.download_button = QPushButton(self.tr("Download"))
        self.download_button.setObjectName("catalogDownload")
        self.message = _message_label()
        row = QHBoxLayout()
        row.addWidget(self.description, 1)
        row.addWidget(self.download_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.view.selectionModel().selectionChanged.connect(self.update_buttons)
        self.view.doubleClicked.connect(self._on_download_clicked)
        self.download_button.clicked.connect(self._on_download_clicked)
        self.update_buttons()

    def current(self) -> CatalogEntry | None:
        row = _selected_row(self.view)
        return self.model.item(row) if row is not None else None

    def update_buttons(self, *_args: object) -> None:
        entry = self.current()
        self.download_button.setEnabled(entry is not None)
        if entry is None:
            self.description.setText(self.tr("Choose a model to see what it is good for."))
            self.download_button.setText(self.tr("Download"))
            return
        self.description.setText(self.tr("<b>{name}</b> · {params} parameters · {size} · licence "
                                         "{licence}<br>{text}").format(
            name=entry.name, params=entry.parameters, size=format_size(entry.size_bytes),
            licence=entry.license, text=entry.description))
        self.download_button.setText(self.tr("Use") if self.model.is_downloaded(entry)
                                     else self.tr("Download"))

    def _on_download_clicked(self, *_args: object) -> None:
        entry = self.current()
        if entry is None:
            return
        if self.model.is_downloaded(entry):
            self.page.controller.select(f"{entry.repo}/{entry.file}")
            self.message.setText(self.tr("Loading {name}…").format(name=entry.name))
            return
        self.message.setText(self.page.start_download(entry.repo, entry.file))


class SearchTab(QWidget):
    """Search the Hub for GGUF repositories and list a repository's files with fit badges."""

    def __init__(self, page: ModelsPage) -> None:
        super().__init__()
        self.page = page
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
        self.status = _message_label()
        self.status.setObjectName("searchStatus")
        self.results = SearchResultsModel(self)
        self.results_view = _table(self.results)
        self.results_view.setObjectName("searchResults")
        self.results_view.setTextElideMode(Qt.TextElideMode.ElideMiddle)

        self.repo_title = QLabel()
        self.repo_title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.repo_status = _message_label()
        self.repo_status.setObjectName("repoStatus")
        self.files = RepoFilesModel(self)
        self.files_view = _table(self.files, stretch=3)
        self.files_view.setObjectName("repoFiles")
        self.download_button = QPushButton(self.tr("Download"))
        self.download_button.setObjectName("fileDownload")
        self.download_message = _message_label()
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

    # ---- searching -----------------------------------------------------------

    def run_search(self, *_args: object) -> None:
        """Search with the query box and sort choice, off the GUI thread."""
        if self.page.hub.offline:
            self.status.setText(str(OfflineError()))
            return
        query = self.query_edit.text().strip()
        sort: SearchSort = self.sort_combo.currentData()
        self._search_serial += 1
        serial = self._search_serial
        self.status.setText(self.tr("Searching…"))
        self.search_button.setEnabled(False)
        hub = self.page.hub
        self.page.jobs.run(lambda: hub.search(query, sort=sort),
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
        row = _selected_row(self.results_view)
        if row is not None:
            self.open_repo(self.results.item(row).repo_id)

    def open_repo(self, repo_id: str) -> None:
        """List a repository's files with fit badges (network and memory query off-thread)."""
        self._show_repo(None)
        self.repo_title.setText(f"<b>{repo_id}</b>")
        if self.page.hub.offline:
            self.repo_status.setText(str(OfflineError()))
            return
        self._details_serial += 1
        serial = self._details_serial
        self.repo_status.setText(self.tr("Loading the file list…"))
        hub, measure = self.page.hub, self.page.available_memory
        self.page.jobs.run(lambda: (hub.repo_details(repo_id), measure()),
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
        self.repo_title.setText(f"<b>{details.repo_id}</b>")
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
        row = _selected_row(self.files_view)
        self.download_button.setEnabled(row is not None and self.files.item(row).complete)

    def _on_download_clicked(self, *_args: object) -> None:
        row = _selected_row(self.files_view)
        details = self.files.details
        if row is None or details is None or not self.files.item(row).complete:
            return
        remote = self.files.item(row)
        self.download_message.setText(
            self.page.start_download(details.repo_id, remote.path, details.commit))

    def _error_text(self, exc: BaseException) -> str:
        if isinstance(exc, HubError):
            return str(exc)
        log.error("unexpected error talking to Hugging Face", exc_info=exc)
        return self.tr("Something went wrong: {error}").format(error=exc)


class DownloadsTab(QWidget):
    """The download queue: progress, speed, ETA, pause/resume/cancel, and errors."""

    def __init__(self, page: ModelsPage) -> None:
        super().__init__()
        self.page = page
        self.model = DownloadListModel(self)
        self.view = _table(self.model, stretch=2)  # the status text needs the room
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
        self.error = _message_label()
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
        row = _selected_row(self.view)
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
        self.error.setText(job.error if job is not None and state is JobState.FAILED else "")

    def _on_pause_clicked(self) -> None:
        job = self.current()
        if job is not None:
            self.page.downloads.pause(job.job_id)

    def _on_resume_clicked(self) -> None:
        job = self.current()
        if job is None:
            return
        if self.page.hub.offline:
            self.error.setText(str(OfflineError()))
            return
        self.page.downloads.resume(job.job_id)

    def _on_cancel_clicked(self) -> None:
        job = self.current()
        if job is not None:
            self.page.downloads.cancel(job.job_id)

    def _on_use_clicked(self) -> None:
        job = self.current()
        if job is not None and isinstance(job.result, LocalModel):
            self.page.controller.select(job.result.id)

    def _on_clear_clicked(self) -> None:
        self.model.remove_finished()


class LibraryTab(QWidget):
    """The models on this computer, imports, deletion, and models other apps downloaded."""

    def __init__(self, page: ModelsPage) -> None:
        super().__init__()
        self.page = page
        self._scanned = False
        self.model = LibraryModel(self)
        self.view = _table(self.model, stretch=3)
        self.view.setObjectName("libraryView")
        self.use_button = QPushButton(self.tr("Use"))
        self.import_button = QPushButton(self.tr("Import a .gguf…"))
        self.delete_button = QPushButton(self.tr("Delete…"))
        self.message = _message_label()
        self.message.setObjectName("libraryMessage")
        buttons = QHBoxLayout()
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)

        self.external = ExternalModelsModel(self)
        self.external_view = _table(self.external, stretch=2)
        self.external_view.setObjectName("externalView")
        self.external_status = QLabel()
        self.use_in_place_button = QPushButton(self.tr("Use in place"))
        self.rescan_button = QPushButton(self.tr("Look again"))
        found = QGroupBox(self.tr("Found elsewhere (Hugging Face cache, LM Studio)"))
        found_buttons = QHBoxLayout()
        found_buttons.addWidget(self.external_status, 1)
        found_buttons.addWidget(self.rescan_button)
        found_buttons.addWidget(self.use_in_place_button)
        found_layout = QVBoxLayout(found)
        found_layout.addWidget(self.external_view, 1)
        found_layout.addLayout(found_buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 3)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(found, 2)
        self.view.selectionModel().selectionChanged.connect(self.update_buttons)
        self.external_view.selectionModel().selectionChanged.connect(self.update_buttons)
        self.view.doubleClicked.connect(self._on_use_clicked)
        self.use_button.clicked.connect(self._on_use_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.import_button.clicked.connect(self._on_import_clicked)
        self.use_in_place_button.clicked.connect(self._on_use_in_place_clicked)
        self.rescan_button.clicked.connect(self.scan_external)
        self.update_buttons()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._scanned:
            self.scan_external()

    def current(self) -> LocalModel | None:
        row = _selected_row(self.view)
        return self.model.model(row) if row is not None else None

    def update_buttons(self, *_args: object) -> None:
        model = self.current()
        self.use_button.setEnabled(model is not None
                                   and not self.page.controller.is_loaded(model.id))
        self.delete_button.setEnabled(model is not None)
        self.use_in_place_button.setEnabled(_selected_row(self.external_view) is not None)

    # ---- actions -------------------------------------------------------------

    def _on_use_clicked(self, *_args: object) -> None:
        model = self.current()
        if model is not None and not self.page.controller.is_loaded(model.id):
            self.page.controller.select(model.id)

    def _on_delete_clicked(self) -> None:
        model = self.current()
        if model is None:
            return
        if self.page.controller.is_loaded(model.id):
            self.message.setText(self.refusal(model))
            return
        if model.in_place:
            question = self.tr("Remove {name} from Hearth? The file stays where it is:\n{path}")
        else:
            question = self.tr("Delete {name}? This removes {size} from\n{path}")
        answer = QMessageBox.question(
            self, self.tr("Delete model"), question.format(
                name=model.display_name, size=format_size(model.size_bytes), path=model.path))
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_model(model.id)

    def refusal(self, model: LocalModel) -> str:
        return self.tr("{name} is the model in use, so it cannot be deleted. Choose another "
                       "model in the window first, then delete this one.").format(
            name=model.display_name)

    def delete_model(self, model_id: str) -> bool:
        """Remove a model (after confirmation); refused for the one in use."""
        model = self.page.library.get(model_id)
        if self.page.controller.is_loaded(model_id):
            self.message.setText(self.refusal(model))
            return False
        try:
            self.page.library.remove(model_id)
        except OSError as exc:
            self.message.setText(self.tr("{name} could not be deleted: {error}").format(
                name=model.display_name, error=exc.strerror or exc))
            return False
        self.message.setText(self.tr("Deleted {name}.").format(name=model.display_name))
        self.page.controller.refresh()
        return True

    def _on_import_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import a GGUF model"), "",
            self.tr("GGUF models (*.gguf);;All files (*)"))
        if not path:
            return
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Import a GGUF model"),
                          self.tr("Copy the file into Hearth's models folder, or use it where "
                                  "it is?"), parent=self)
        copy = box.addButton(self.tr("Copy"), QMessageBox.ButtonRole.AcceptRole)
        in_place = box.addButton(self.tr("Use where it is"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is copy:
            self.import_file(path, "copy")
        elif box.clickedButton() is in_place:
            self.import_file(path, "in_place")

    def import_file(self, path: str, mode: ImportMode) -> None:
        """Validate and add a file in the background; errors appear under the list."""
        self.message.setText(self.tr("Checking {path}…").format(path=path))
        self.import_button.setEnabled(False)
        library = self.page.library
        self.page.jobs.run(lambda: library.import_file(path, mode), self._on_import_done,
                           lambda exc: self._on_import_failed(path, exc))

    def _on_import_done(self, model: LocalModel) -> None:
        self.import_button.setEnabled(True)
        self.message.setText(self.tr("Added {name}.").format(name=model.display_name))
        self.page.controller.refresh()
        # A model found elsewhere and now used in place is no longer "elsewhere".
        remaining = [self.external.file(r) for r in range(self.external.rowCount())
                     if self.external.file(r).path != model.path]
        if len(remaining) != self.external.rowCount():
            self.external.set_files(remaining)
        row = self.model.row_of(model.id)
        if row is not None:
            self.view.selectRow(row)

    def _on_import_failed(self, path: str, exc: BaseException) -> None:
        self.import_button.setEnabled(True)
        if isinstance(exc, GGUFError):
            text = self.tr("{path} cannot be used: {error}").format(path=path, error=exc)
        elif isinstance(exc, OSError):
            text = self.tr("{path} could not be imported: {error}").format(
                path=path, error=exc.strerror or exc)
        else:
            log.error("unexpected error importing %s", path, exc_info=exc)
            text = self.tr("Something went wrong: {error}").format(error=exc)
        self.message.setText(text)

    # ---- other apps' folders -------------------------------------------------

    def scan_external(self) -> None:
        self._scanned = True
        self.external_status.setText(self.tr("Looking for models other apps downloaded…"))
        library = self.page.library
        self.page.jobs.run(lambda: [ExternalFile.of(p) for p in library.find_external()],
                           self._on_scan_done, self._on_scan_failed)

    def _on_scan_done(self, files: list[ExternalFile]) -> None:
        self.external.set_files(files)
        self.external_status.setText(
            self.tr("{n} models found.").format(n=len(files)) if files
            else self.tr("No other models found."))
        self.update_buttons()

    def _on_scan_failed(self, exc: BaseException) -> None:
        self.external_status.setText(self.tr("Could not look for other models: {error}").format(
            error=exc))

    def _on_use_in_place_clicked(self) -> None:
        row = _selected_row(self.external_view)
        if row is not None:
            self.import_file(str(self.external.file(row).path), "in_place")
