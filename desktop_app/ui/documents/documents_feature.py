"""Builds the documents feature once and wires it into the window: the composition root's part.

Kept here, not in :mod:`desktop_app.ui.app`, so the composition root gains
one call and the window one button and one menu entry; everything the
feature needs is built in :func:`build_documents` and passed in, as the rest
of the app does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QSplitter

from desktop_app.core.documents.embedders import EmbedderCache
from desktop_app.ui.chat.chat_controller import ChatController
from desktop_app.ui.chat.chat_model import ChatModel
from desktop_app.ui.documents.attach_button import AttachButton
from desktop_app.ui.documents.chat_documents import ChatDocuments
from desktop_app.ui.documents.documents_page import DocumentsPage
from desktop_app.ui.documents.documents_service import DocumentsService
from desktop_app.ui.documents.embedder_dialog import EmbedderChoices
from desktop_app.ui.documents.folder_watcher import FolderWatcher
from desktop_app.ui.documents.ingest_bridge import IngestBridge
from desktop_app.ui.documents.source_panel import SourcePanel
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.models.model_controller import ModelController


@dataclass
class DocumentsFeature:
    """The documents objects of one window; :meth:`start` and :meth:`close` bracket them."""

    service: DocumentsService
    ingest: IngestBridge
    watcher: FolderWatcher
    page: DocumentsPage
    chat: ChatDocuments
    attach_button: AttachButton
    source_panel: SourcePanel

    def start(self) -> None:
        """Go on indexing whatever the last session left queued or half done.

        Only once the documents thread has opened the store: two threads creating
        a fresh database at once would both run its migrations, and one fails.
        """
        self.service.call(lambda _store, _retriever: None, lambda _none: self._started())

    def _started(self) -> None:
        self.ingest.resume()
        self.watcher.start()  # folders that changed while Hearth was closed catch up

    def close(self) -> None:
        """Stop indexing (after its current batch) and the documents thread, before exit."""
        self.ingest.close()
        self.service.close()
        self.service.embedders.close()  # a server embedder's connections


def build_documents(data_dir: Path, window: MainWindow, chat: ChatController,
                    chat_model: ChatModel, models: ModelController, embedders: EmbedderCache,
                    choices: EmbedderChoices) -> DocumentsFeature:
    """``embedders`` is shared with the API server (one encoder loaded for both)."""
    service = DocumentsService(data_dir, embedders)
    ingest = IngestBridge(data_dir, embedders)
    watcher = FolderWatcher(service, ingest)
    page = DocumentsPage(service, ingest, watcher, window, choices=choices)

    def context_size() -> int | None:
        return models.loaded.n_ctx if models.loaded is not None else None

    documents = ChatDocuments(service, chat, chat_model, context_size, ingest)
    attach = AttachButton(documents)
    header = window.header_layout  # after the model picker and Models, before the status
    header.insertWidget(header.indexOf(window.model_status), attach)
    panel = SourcePanel()
    splitter = window.centralWidget()
    if isinstance(splitter, QSplitter):
        splitter.addWidget(panel)
        splitter.setCollapsible(splitter.indexOf(panel), True)
    view = window.chat_view
    view.set_sources_info(documents.sources_for)
    documents.sources_changed.connect(view.sources_changed)
    view.source_requested.connect(documents.request_passage)
    documents.passage_ready.connect(panel.show_passage)
    documents.error_occurred.connect(window.banner.show_message)
    page.collections_changed.connect(attach.set_collections)
    attach.manage_requested.connect(page.open_page)
    window.documents_page_requested.connect(page.open_page)
    return DocumentsFeature(service, ingest, watcher, page, documents, attach, panel)
