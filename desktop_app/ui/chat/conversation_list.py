"""The sidebar's list of conversations, most recent first, with search."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from desktop_app.core.storage.chat_store import ChatStore, Conversation
from desktop_app.core.storage.database import StorageError
from desktop_app.ui.common.untrusted_text import plain_tooltip

_Index = QModelIndex | QPersistentModelIndex

CONVERSATION_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class ConversationListModel(QAbstractListModel):
    """Conversations from the store; :meth:`refresh` re-reads them (one query)."""

    def __init__(self, store: ChatStore, parent: Any = None) -> None:
        super().__init__(parent)
        self._store = store
        self._rows: list[Conversation] = []
        self._filter = ""

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        conversation = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return conversation.title or self.tr("New chat")
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(conversation.title)
        if role == CONVERSATION_ID_ROLE:
            return conversation.id
        return None

    def set_filter(self, text: str) -> None:
        self._filter = text.strip()
        self.refresh()

    def refresh(self) -> None:
        try:
            rows = (self._store.search_conversations(self._filter) if self._filter
                    else self._store.list_conversations())
        except StorageError:
            rows = []
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def row_of(self, conversation_id: int) -> int | None:
        for row, conversation in enumerate(self._rows):
            if conversation.id == conversation_id:
                return row
        return None
