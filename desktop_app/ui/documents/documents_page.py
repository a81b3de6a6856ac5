"""The Documents window: collections, their documents and indexing, and a test-retrieval box.

A non-modal window like the Models window, built once in the composition
root and shown from the menu (Ctrl+D). It owns no data: every read and edit
of the documents database is a job on the documents thread
(:class:`~desktop_app.ui.documents.documents_service.DocumentsService`), and
indexing runs on the indexer's own thread (:class:`~.ingest_bridge.IngestBridge`),
whose events keep the table current row by row. So the window never waits
for the disk, the embedder or a big PDF.

Files come in by the Add buttons or by dropping files and folders on the
window; a folder adds its supported files, recursively. Several documents
can be removed or re-indexed at once; the collection's context menu
re-indexes all of it. Added folders are kept up to date unless the user
unticks it (:mod:`.folder_watcher`). Deleting a collection asks first and
says its index goes with it. "Embedder…" chooses what makes a collection's
vectors (:mod:`.embedder_dialog`); changing it asks, then re-indexes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.documents.embedders import USE_DIMS, USE_NAME, parse_gguf_embedder_name
from desktop_app.core.documents.ingest import IngestProgress, RunFinished
from desktop_app.core.documents.remote_embedder import parse_remote_embedder_name
from desktop_app.core.documents.retrieval import Retriever
from desktop_app.core.documents.store import (
    Collection,
    Document,
    DocumentStore,
    MissingRecord,
)
from desktop_app.core.documents.watched_folders import FolderChanges
from desktop_app.ui.common.untrusted_text import as_rich_text, plain_label, plain_tooltip
from desktop_app.ui.common.user_text import translated
from desktop_app.ui.documents.document_table import DocumentTableModel
from desktop_app.ui.documents.documents_service import DocumentsService
from desktop_app.ui.documents.embedder_dialog import EmbedderChoices, embedder_box
from desktop_app.ui.documents.folder_watcher import FolderWatcher
from desktop_app.ui.documents.ingest_bridge import IngestBridge
from desktop_app.ui.documents.retrieval_box import RetrievalBox
from desktop_app.ui.models.page_widgets import message_label, table_view

Confirm = Callable[[QWidget, str, str], bool]
"""Ask a yes/no question (parent, title, text); tests stand in for the dialog."""
AskName = Callable[[QWidget, str, str], str | None]
"""Ask for a name (parent, title, current name); None if cancelled."""
AskEmbedder = Callable[[QWidget, str], str | None]
"""Ask for an embedder (parent, current embedder's name); its name, or None if cancelled."""


def confirm_box(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, as_rich_text(text))
    return answer == QMessageBox.StandardButton.Yes


def name_box(parent: QWidget, title: str, current: str) -> str | None:
    label = QCoreApplication.translate("DocumentsPage", "Name:")
    text, ok = QInputDialog.getText(parent, title, label, text=current)
    return text if ok else None


class DocumentsPage(QDialog):
    """Collections and their documents. :meth:`open_page` shows it.

    Signals:
        collections_changed(object): the list of Collection changed (the attach menu follows).
        documents_listed(): the table was filled for the chosen collection (tests wait on it).
    """

    collections_changed = Signal(object)
    documents_listed = Signal()

    def __init__(self, service: DocumentsService, ingest: IngestBridge,
                 watcher: FolderWatcher, parent: QWidget | None = None, *,
                 choices: EmbedderChoices | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Documents"))
        self.setObjectName("documentsPage")
        self.resize(1040, 700)
        self.setAcceptDrops(True)
        self.service = service
        self.ingest = ingest
        self.watcher = watcher
        self.confirm: Confirm = confirm_box
        self.ask_name: AskName = name_box
        self.ask_embedder: AskEmbedder | None = embedder_box(choices) if choices else None
        self.collections: list[Collection] = []
        self._warmed = False

        # ---- collections (left)
        self.collection_list = QListWidget()
        self.collection_list.setObjectName("collectionList")
        self.new_button = QPushButton(self.tr("New…"))
        self.rename_button = QPushButton(self.tr("Rename…"))
        self.delete_button = QPushButton(self.tr("Delete…"))
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel(self.tr("Collections")))
        left_layout.addWidget(self.collection_list, 1)
        buttons = QHBoxLayout()
        for button in (self.new_button, self.rename_button, self.delete_button):
            buttons.addWidget(button)
        left_layout.addLayout(buttons)

        # ---- documents (right)
        self.title = plain_label()
        self.title.setObjectName("collectionTitle")
        self.add_files_button = QPushButton(self.tr("Add files…"))
        self.add_folder_button = QPushButton(self.tr("Add folder…"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.reindex_button = QPushButton(self.tr("Re-index"))
        self.embedder_button = QPushButton(self.tr("Embedder…"))
        self.embedder_button.setToolTip(self.tr("Choose what turns this collection's passages "
                                                "into vectors"))
        tools = QHBoxLayout()
        tools.addWidget(self.title, 1)
        for button in (self.add_files_button, self.add_folder_button, self.remove_button,
                       self.reindex_button, self.embedder_button):
            tools.addWidget(button)
        self.table = DocumentTableModel(self)
        self.table_view = table_view(self.table, stretch=DocumentTableModel.NOTES)
        self.table_view.setObjectName("documentTable")
        self.table_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.hint = QLabel(self.tr("Drop files or folders here to add them: PDF, Word, "
                                   "Markdown, HTML, text and source code."))
        self.hint.setObjectName("dropHint")
        self.watch_box = QCheckBox(self.tr("Keep added folders up to date"))
        self.watch_box.setToolTip(self.tr(
            "New and changed files in the folder are indexed, and removed ones leave the "
            "collection, while Hearth runs and when it starts again."))
        self.watch_box.setChecked(True)
        self.progress_bar = QProgressBar()
        self.progress_label = plain_label()
        self.cancel_button = QPushButton(self.tr("Cancel"))
        progress = QHBoxLayout()
        progress.addWidget(self.progress_bar, 1)
        progress.addWidget(self.progress_label, 2)
        progress.addWidget(self.cancel_button)
        self.message = message_label()
        self.retrieval = RetrievalBox(service)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(tools)
        right_layout.addWidget(self.table_view, 3)
        hint_row = QHBoxLayout()
        hint_row.addWidget(self.hint, 1)
        hint_row.addWidget(self.watch_box)
        right_layout.addLayout(hint_row)
        right_layout.addLayout(progress)
        right_layout.addWidget(self.message)
        right_layout.addWidget(self.retrieval, 2)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 820])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        close = QShortcut(QKeySequence.StandardKey.Close, self)
        close.activated.connect(self.close)

        self.collection_list.currentRowChanged.connect(self._on_collection_chosen)
        self.collection_list.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.reindex_collection_action = QAction(self.tr("Re-index all documents…"), self)
        self.reindex_collection_action.triggered.connect(self.reindex_collection)
        rename = QAction(self.tr("Rename…"), self)
        rename.triggered.connect(self.rename_collection)
        delete = QAction(self.tr("Delete…"), self)
        delete.triggered.connect(self.delete_collection)
        self.unwatch_action = QAction(self.tr("Stop watching its folders"), self)
        self.unwatch_action.triggered.connect(self.unwatch_collection)
        embedder = QAction(self.tr("Embedder…"), self)
        embedder.triggered.connect(self.choose_embedder)
        self.collection_list.addActions([rename, embedder, self.reindex_collection_action,
                                         self.unwatch_action, delete])
        self.embedder_button.clicked.connect(self.choose_embedder)
        self.new_button.clicked.connect(self.new_collection)
        self.rename_button.clicked.connect(self.rename_collection)
        self.delete_button.clicked.connect(self.delete_collection)
        self.add_files_button.clicked.connect(self._on_add_files_clicked)
        self.add_folder_button.clicked.connect(self._on_add_folder_clicked)
        self.remove_button.clicked.connect(self.remove_selected)
        self.reindex_button.clicked.connect(self.reindex_selected)
        self.cancel_button.clicked.connect(ingest.cancel)
        self.table_view.selectionModel().selectionChanged.connect(self._update_buttons)
        ingest.document_changed.connect(self._on_ingest_document_changed)
        ingest.progress_changed.connect(self._on_ingest_progress_changed)
        ingest.run_finished.connect(self._on_ingest_run_finished)
        watcher.synced.connect(self._on_watcher_synced)
        self._show_progress(None)
        self._update_buttons()
        self.refresh_collections()

    # ---- API for the window and tests ----------------------------------------------

    def open_page(self) -> None:
        if self.isVisible():
            self.raise_()
            self.activateWindow()
        else:
            self.show()

    @property
    def current(self) -> Collection | None:
        row = self.collection_list.currentRow()
        return self.collections[row] if 0 <= row < len(self.collections) else None

    def refresh_collections(self, select: str | None = None) -> None:
        """Read the collections again; ``select`` names the one to show afterwards."""
        keep = select if select is not None else (self.current.name if self.current else None)
        self.service.call(lambda store, _r: store.collections(),
                          lambda found: self._set_collections(found, keep), self._show_error)

    def new_collection(self) -> None:
        name = self.ask_name(self, self.tr("New collection"), "")
        if not name or not name.strip():
            return
        self.service.call(
            lambda store, _r: store.create_collection(name, USE_NAME, USE_DIMS),
            lambda created: self.refresh_collections(select=created.name), self._show_error)

    def rename_collection(self) -> None:
        collection = self.current
        if collection is None:
            return
        name = self.ask_name(self, self.tr("Rename collection"), collection.name)
        if not name or not name.strip() or name.strip() == collection.name:
            return
        self.service.call(
            lambda store, _r: store.rename_collection(collection.id, name),
            lambda renamed: self.refresh_collections(select=renamed.name), self._show_error)

    def delete_collection(self) -> None:
        collection = self.current
        if collection is None:
            return
        if not self.confirm(self, self.tr("Delete collection"), self.tr(
                "Delete the collection “{name}”? Its index (the text and vectors Hearth made "
                "of its documents) is deleted too. Your files themselves are not touched."
                ).format(name=collection.name)):
            return
        self.watcher.unwatch(collection.id)
        self.service.call(lambda store, _r: store.delete_collection(collection.id),
                          lambda _none: self.refresh_collections(), self._show_error)

    def add_paths(self, paths: Sequence[Path]) -> None:
        """Index these files and folders into the shown collection (in the background)."""
        collection = self.current
        if collection is None:
            self.message.setText(self.tr("Create or choose a collection first."))
            return
        if paths:
            self.message.clear()
            self.ingest.add(collection.id, list(paths))
            if self.watch_box.isChecked():
                for folder in (p for p in paths if p.is_dir()):
                    self.watcher.watch(collection.id, folder)

    def selected_documents(self) -> list[Document]:
        rows = sorted(index.row() for index in self.table_view.selectionModel().selectedRows())
        return [self.table.item(row) for row in rows]

    def remove_selected(self) -> None:
        """Forget the selected documents (their files stay where they are)."""
        ids = [d.id for d in self.selected_documents()]
        if not ids:
            return

        def job(store: DocumentStore, _r: Retriever) -> list[int]:
            for document_id in ids:
                with contextlib.suppress(MissingRecord):  # removed meanwhile
                    store.remove_document(document_id)
            return ids

        def done(removed: list[int]) -> None:
            for document_id in removed:
                self.table.remove_document(document_id)
            self._update_title()

        self.service.call(job, done, self._show_error)

    def reindex_selected(self) -> None:
        """Index the selected documents afresh, even if their files did not change."""
        ids = [d.id for d in self.selected_documents()]
        if not ids:
            return
        self.service.call(lambda store, _r: [store.reindex_document(i) for i in ids],
                          self._on_reindexed, self._show_error)

    def reindex_collection(self) -> None:
        """Index every document of the collection afresh (its vectors are made again)."""
        collection = self.current
        if collection is None:
            return
        if not self.confirm(self, self.tr("Re-index collection"), self.tr(
                "Index every document of “{name}” again? Its current index is deleted first; "
                "questions find less until indexing is done.").format(name=collection.name)):
            return
        self.service.call(
            lambda store, _r: store.set_embedder(collection.id, collection.embedder,
                                                 collection.dims),
            lambda _collection: self._on_collection_reset(), self._show_error)

    def choose_embedder(self) -> None:
        """Ask for another embedder and, once confirmed, re-index the collection with it."""
        collection = self.current
        if collection is None or self.ask_embedder is None:
            return
        name = self.ask_embedder(self, collection.embedder)
        if not name or name == collection.embedder:
            return
        if not self.confirm(self, self.tr("Change the embedder"), self.tr(
                "Index every document of “{name}” again with {embedder}? Its current index is "
                "deleted first; questions find less until indexing is done.").format(
                name=collection.name, embedder=describe_embedder(name))):
            return
        embedders = self.service.embedders
        self.message.setText(self.tr("Checking the embedder…"))

        def job(store: DocumentStore, _r: Retriever) -> Collection:
            dims = embedders.get(name).dims  # loads the model or asks the server: may fail
            return store.set_embedder(collection.id, name, dims)

        def done(changed: Collection) -> None:
            self.message.clear()
            self.refresh_collections(select=changed.name)
            self.ingest.resume()

        self.service.call(job, done, self._show_error)

    def unwatch_collection(self) -> None:
        """Stop keeping the collection's folders up to date (their documents stay)."""
        collection = self.current
        if collection is not None:
            self.watcher.unwatch(collection.id)
            self._update_title()

    def _on_collection_reset(self) -> None:
        self._load_documents()
        self.ingest.resume()

    # ---- loading -------------------------------------------------------------------

    def _set_collections(self, collections: list[Collection], select: str | None) -> None:
        self.collections = collections
        self.collection_list.blockSignals(True)
        self.collection_list.clear()
        row = 0
        for index, collection in enumerate(collections):
            self.collection_list.addItem(QListWidgetItem(collection.name))
            if collection.name == select:
                row = index
        self.collection_list.blockSignals(False)
        self.collection_list.setCurrentRow(row if collections else -1)
        self._on_collection_chosen(self.collection_list.currentRow())
        self.collections_changed.emit(list(collections))

    def _on_collection_chosen(self, _row: int) -> None:
        collection = self.current
        self.retrieval.set_collection(collection.id if collection else None)
        self._update_title()
        self._load_documents()
        self._update_buttons()

    def _load_documents(self) -> None:
        collection = self.current
        if collection is None:
            self.table.set_documents(None, [], {})
            self.documents_listed.emit()
            return
        collection_id = collection.id

        def job(store: DocumentStore, _r: Retriever) -> tuple[list[Document], dict[int, int]]:
            return store.documents(collection_id), store.page_counts(collection_id)

        def done(result: tuple[list[Document], dict[int, int]]) -> None:
            current = self.current
            if current is None or current.id != collection_id:
                return
            self.table.set_documents(collection_id, *result)
            self._update_title()
            self._update_buttons()
            self.documents_listed.emit()

        self.service.call(job, done, self._show_error)

    # ---- indexing events --------------------------------------------------------------

    def _on_ingest_document_changed(self, document: Document) -> None:
        self.table.update_document(document)
        self._update_title()

    def _on_ingest_progress_changed(self, progress: IngestProgress) -> None:
        self._show_progress(progress)

    def _on_ingest_run_finished(self, finished: RunFinished) -> None:
        self._show_progress(None)
        if finished.error is not None:
            self.message.setText(translated(finished.error))
        elif finished.cancelled:
            self.message.setText(self.tr("Indexing paused. It goes on with the next file you "
                                         "add, or when Hearth starts again."))
        self._load_documents()  # page counts are known now

    def _on_watcher_synced(self, changes: FolderChanges) -> None:
        current = self.current
        if current is not None and current.id == changes.collection_id:
            if changes.vanished:
                self._load_documents()
            self._update_title()

    def _show_progress(self, progress: IngestProgress | None) -> None:
        visible = progress is not None
        for widget in (self.progress_bar, self.progress_label, self.cancel_button):
            widget.setVisible(visible)
        if progress is None:
            return
        self.progress_bar.setRange(0, max(1, progress.documents_total))
        self.progress_bar.setValue(progress.documents_done)
        parts = [self.tr("{done} of {total} documents").format(
            done=progress.documents_done, total=progress.documents_total)]
        if progress.documents_failed:
            parts.append(self.tr("{n} failed").format(n=progress.documents_failed))
        if progress.chunks_per_second > 0:
            parts.append(self.tr("{rate:.0f} chunks/s").format(rate=progress.chunks_per_second))
        if progress.eta_seconds is not None:
            parts.append(self.tr("about {s} left").format(s=_duration(progress.eta_seconds)))
        if progress.current is not None:
            parts.append(progress.current.name)
        self.progress_label.setText(" · ".join(parts))

    def _on_reindexed(self, documents: list[Document]) -> None:
        for document in documents:
            self.table.update_document(document)
        self.ingest.resume()

    # ---- small things ----------------------------------------------------------------

    def _update_title(self) -> None:
        collection = self.current
        if collection is None:
            self.title.setText(self.tr("No collection yet"))
            return
        if self.table.collection_id != collection.id:  # its documents are still loading
            self.title.setText(collection.name)
            return
        documents = self.table.documents()
        chunks = sum(d.chunk_count for d in documents)
        parts = [collection.name, self.tr("%n document(s)", "", len(documents)),
                 self.tr("%n chunk(s)", "", chunks), describe_embedder(collection.embedder)]
        watched = self.watcher.folders(collection.id)
        if watched:
            parts.append(self.tr("watching %n folder(s)", "", len(watched)))
        self.title.setText(" · ".join(parts))
        self.title.setToolTip(plain_tooltip("\n".join(str(f) for f in watched)))

    def _update_buttons(self, *_args: object) -> None:
        has_collection = self.current is not None
        for button in (self.rename_button, self.delete_button, self.add_files_button,
                       self.add_folder_button):
            button.setEnabled(has_collection)
        self.embedder_button.setEnabled(has_collection and self.ask_embedder is not None)
        has_document = bool(self.selected_documents())
        self.remove_button.setEnabled(has_document)
        self.reindex_button.setEnabled(has_document)

    def _show_error(self, exc: BaseException) -> None:
        self.message.setText(translated(exc))

    def _on_add_files_clicked(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, self.tr("Add files"))
        self.add_paths([Path(n) for n in names])

    def _on_add_folder_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add folder"))
        if folder:
            self.add_paths([Path(folder)])

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._warmed:
            self._warmed = True
            self.service.warm_up()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and self.current is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)


def describe_embedder(name: str) -> str:
    """An embedder's name for people: the bundled encoder, a GGUF file, a server's model."""
    translate = QCoreApplication.translate
    if name == USE_NAME:
        return translate("DocumentsPage", "bundled multilingual encoder")
    remote = parse_remote_embedder_name(name)
    if remote is not None:
        return translate("DocumentsPage", "{model} on a server").format(model=remote[1])
    gguf = parse_gguf_embedder_name(name)
    return gguf.name if gguf is not None else name


def _duration(seconds: float) -> str:
    """A short ETA: seconds under a minute and a half, then minutes, then hours."""
    translate = QCoreApplication.translate
    whole = round(seconds)
    if whole < 90:
        return translate("DocumentsPage", "{n} s").format(n=whole)
    if whole < 5400:
        return translate("DocumentsPage", "{n} min").format(n=round(whole / 60))
    return translate("DocumentsPage", "{n:.1f} h").format(n=whole / 3600)
