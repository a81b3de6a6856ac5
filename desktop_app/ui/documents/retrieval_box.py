"""The "Test retrieval" box: what a question would fetch from a collection, with no model.

Users of other apps cannot tell a bad answer from a bad retrieval; this box
shows the retrieval alone: the ranked chunks with their scores, document and
page. The search runs on the documents thread
(:class:`~desktop_app.ui.documents.documents_service.DocumentsService`); the
first one loads the embedder (about a second) unless the page warmed it up.
Keyword and fused rankings are offered beside the default (by meaning), so a
user can see why a passage was or was not found.
Chunk texts and names are untrusted: table cells are plain display text.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.documents.retrieval import Hit, Retriever, SearchMode, describe_location
from desktop_app.core.documents.store import DocumentStore
from desktop_app.ui.common.table_model import SnapshotTableModel
from desktop_app.ui.common.user_text import translated
from desktop_app.ui.documents.documents_service import DocumentsService
from desktop_app.ui.models.page_widgets import message_label, table_view

RESULTS = 8
SNIPPET_CHARS = 300


class HitTableModel(SnapshotTableModel):
    """Ranked hits: rank, score, document, where in it, and the start of the chunk."""

    COLUMNS = 5
    RANK, SCORE, DOCUMENT, WHERE, TEXT = range(5)

    def headers(self) -> tuple[str, ...]:
        return (self.tr("#"), self.tr("Score"), self.tr("Document"), self.tr("Where"),
                self.tr("Text"))

    def cell(self, hit: Hit, row: int, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.RANK:
                return str(row + 1)
            if column == self.SCORE:
                return f"{hit.score:.3f}"
            if column == self.DOCUMENT:
                return hit.chunk.document_name
            if column == self.WHERE:
                return describe_location(hit.chunk)
            if column == self.TEXT:
                return " ".join(hit.chunk.text.split())[:SNIPPET_CHARS]
        if role == Qt.ItemDataRole.ToolTipRole and column == self.TEXT:
            return hit.chunk.text
        return None


class RetrievalBox(QGroupBox):
    """A question field and the ranked chunks it retrieves from the chosen collection.

    Signals:
        searched(int): a search ended with this many hits (tests wait on it).
    """

    searched = Signal(int)

    def __init__(self, service: DocumentsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Test retrieval"))
        self.setObjectName("retrievalBox")
        self._service = service
        self.collection_id: int | None = None
        self.question = QLineEdit()
        self.question.setPlaceholderText(self.tr(
            "Ask a question to see which passages would be given to the model"))
        self.question.setClearButtonEnabled(True)
        self.mode = QComboBox()
        self.mode.setObjectName("retrievalMode")
        # Vector first: the default of chats, the one the recall benchmark supports.
        self.mode.addItem(self.tr("By meaning"), "vector")
        self.mode.addItem(self.tr("By keywords"), "keyword")
        self.mode.addItem(self.tr("Both (fused)"), "hybrid")
        self.mode.setToolTip(self.tr(
            "By meaning finds passages in any language; keywords find exact words and "
            "numbers in the question's language. Chats search by meaning."))
        self.search_button = QPushButton(self.tr("Search"))
        self.model = HitTableModel(self)
        self.view = table_view(self.model, stretch=HitTableModel.TEXT)
        self.message = message_label()
        row = QHBoxLayout()
        row.addWidget(self.question, 1)
        row.addWidget(self.mode)
        row.addWidget(self.search_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(self.view, 1)
        self.question.returnPressed.connect(self.search)
        self.mode.activated.connect(self.search)
        self.search_button.clicked.connect(self.search)
        self._generation = 0

    def set_collection(self, collection_id: int | None) -> None:
        self.collection_id = collection_id
        self._generation += 1
        self.model.replace_rows([])
        self.message.clear()
        self.setEnabled(collection_id is not None)

    def search(self) -> None:
        question = self.question.text().strip()
        collection_id = self.collection_id
        if not question or collection_id is None:
            return
        self._generation += 1
        generation = self._generation
        self.message.setText(self.tr("Searching…"))
        mode: SearchMode = self.mode.currentData()

        def job(store: DocumentStore, retriever: Retriever) -> list[Hit]:
            return retriever.search([store.collection(collection_id)], question, RESULTS, mode)

        def done(hits: list[Hit]) -> None:
            if generation != self._generation:
                return  # another question or collection meanwhile
            self.model.replace_rows(hits)
            self.message.setText(self.tr("%n passage(s) found.", "", len(hits)) if hits
                                 else self.tr("Nothing found: is the collection indexed?"))
            self.searched.emit(len(hits))

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self.message.setText(translated(exc))
                self.searched.emit(0)

        self._service.call(job, done, failed)

