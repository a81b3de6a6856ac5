"""The table of a collection's documents: name, state, pages, chunks, and what went wrong.

Rows are :class:`~desktop_app.core.documents.store.Document` snapshots. The
page fills the table from a list read on the documents thread and then keeps
it current from the indexer's ``document_changed`` events, changing one row
at a time (``dataChanged`` for that row only) rather than reloading: a big
folder sends an event per file.

File names, paths and failure reasons are untrusted: cells are display text
(plain in an item view) and tooltips go through ``plain_tooltip``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt

from desktop_app.core.documents.store import Document, DocumentState
from desktop_app.ui.common.table_model import SnapshotTableModel
from desktop_app.ui.common.user_text import translated


class DocumentTableModel(SnapshotTableModel):
    """One row per document of the collection shown on the Documents page."""

    COLUMNS = 5
    NAME, STATE, PAGES, CHUNKS, NOTES = range(5)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.collection_id: int | None = None
        self._pages: dict[int, int] = {}

    def headers(self) -> tuple[str, ...]:
        return (self.tr("Document"), self.tr("State"), self.tr("Pages"), self.tr("Chunks"),
                self.tr("Notes"))

    def state_text(self, state: DocumentState) -> str:
        """A state in words; each a literal ``tr`` so the lead's translation finds it."""
        return {"queued": self.tr("Queued"), "parsing": self.tr("Reading"),
                "embedding": self.tr("Embedding"), "ready": self.tr("Ready"),
                "failed": self.tr("Failed")}.get(state, state)

    def notes(self, document: Document) -> str:
        """The failure reason, or the notices ("page 2 has no text"), translated."""
        if document.state == "failed" and document.reason is not None:
            return translated(document.reason)
        return "; ".join(translated(n) for n in document.notices)

    def cell(self, document: Document, row: int, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.NAME:
                return document.name
            if column == self.STATE:
                return self.state_text(document.state)
            if column == self.PAGES:
                pages = self._pages.get(document.id)
                return str(pages) if pages else ""
            if column == self.CHUNKS:
                return str(document.chunk_count) if document.chunk_count else ""
            if column == self.NOTES:
                return self.notes(document)
        if role == Qt.ItemDataRole.ToolTipRole:
            notes = self.notes(document)
            return document.path + (f"\n{notes}" if notes else "")
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.PAGES, self.CHUNKS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def set_documents(self, collection_id: int | None, documents: Iterable[Document],
                      pages: Mapping[int, int]) -> None:
        self.collection_id = collection_id
        self._pages = dict(pages)
        self.replace_rows(documents)

    def documents(self) -> list[Document]:
        return [self.item(row) for row in range(self.rowCount())]

    def row_of(self, document_id: int) -> int | None:
        for row in range(self.rowCount()):
            if self.item(row).id == document_id:
                return row
        return None

    def update_document(self, document: Document) -> None:
        """Put a changed document in its row, or add it if it is new to this collection."""
        if document.collection_id != self.collection_id:
            return
        row = self.row_of(document.id)
        if row is None:
            row = self.rowCount()
            self.beginInsertRows(QModelIndex(), row, row)
            self._rows.append(document)
            self.endInsertRows()
            return
        self._rows[row] = document
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.COLUMNS - 1))

    def remove_document(self, document_id: int) -> None:
        row = self.row_of(document_id)
        if row is not None:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()

    def set_pages(self, pages: Mapping[int, int]) -> None:
        self._pages = dict(pages)
        if self.rowCount():
            self.dataChanged.emit(self.index(0, self.PAGES),
                                  self.index(self.rowCount() - 1, self.PAGES))
