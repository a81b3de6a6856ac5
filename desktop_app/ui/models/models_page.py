"""The Models window: recommended models, Hugging Face search, downloads, and the library.

A non-modal dialog with four tabs, in the spirit of LM Studio's and GPT4All's
model managers but smaller. It owns no data: the catalog, the library, the
download manager and the Hub client are built in the composition root and
passed in. Every network call (search, repository listing) and every slow
disk job (import, scanning other apps' folders) runs in
:class:`~desktop_app.ui.common.background.BackgroundJobs`; the page shows what it is
doing and any error inline. In offline mode it says so and makes no call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QTabWidget, QVBoxLayout, QWidget

from desktop_app.core.models.catalog import CatalogEntry
from desktop_app.core.models.download_queue import DownloadJob, JobState
from desktop_app.core.models.hub import HubClient, OfflineError
from desktop_app.core.models.library import LocalModel, ModelLibrary
from desktop_app.ui.common.background import BackgroundJobs
from desktop_app.ui.common.user_text import translated
from desktop_app.ui.models.download_manager import DownloadManager
from desktop_app.ui.models.downloads_tab import DownloadsTab
from desktop_app.ui.models.library_tab import LibraryTab
from desktop_app.ui.models.model_controller import ModelController
from desktop_app.ui.models.recommended_tab import RecommendedTab
from desktop_app.ui.models.search_tab import SearchTab

log = logging.getLogger(__name__)


class ModelsPage(QDialog):
    """Find, download and manage models. Built once in ``build_app``; :meth:`open_page` shows it.

    ``available_memory`` returns the bytes a model may use on this computer;
    it may be slow (it asks the GPU driver), so it only runs in background jobs.

    Signals:
        memory_measured(int): what a model may use here, measured once at start-up
            (the welcome's suggestions use it too, instead of asking the driver again).
    """

    memory_measured = Signal(object)  # bytes: past what a C int holds

    def __init__(self, controller: ModelController, library: ModelLibrary,
                 downloads: DownloadManager, hub: HubClient, jobs: BackgroundJobs,
                 catalog: Sequence[CatalogEntry], available_memory: Callable[[], int],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Models"))
        self.setObjectName("modelsPage")
        self.resize(980, 640)
        self.controller = controller
        self.downloads = downloads
        self.hub = hub
        self.jobs = jobs
        # Each tab gets only the services it uses; this window just assembles them.
        self.recommended = RecommendedTab(catalog, controller, self.start_download)
        self.search = SearchTab(hub, jobs, available_memory, self.start_download)
        self.downloads_tab = DownloadsTab(downloads, hub, controller)
        self.local = LibraryTab(controller, library, jobs)
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
        self.jobs.run(available_memory, self._on_memory_measured, self._on_memory_failed)

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
            return translated(OfflineError())
        job = self.downloads.download(repo_id, filename, revision)
        if job.state is JobState.DONE:
            return self.tr("{file} is already downloaded.").format(file=filename)
        return self.tr("Downloading {file}: see the Downloads tab.").format(file=filename)

    # ---- shared slots --------------------------------------------------------

    def _on_memory_measured(self, available: int) -> None:
        self.recommended.model.set_available_memory(available)
        self.memory_measured.emit(available)

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
