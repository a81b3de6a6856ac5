"""The item model behind the chat view: one row per message of the open conversation.

Only the GUI thread touches it (Qt's rule for models). Streaming text arrives
in batches from :class:`~desktop_app.ui.common.engine_worker.EngineWorker` through the
controller, and each batch changes exactly one row, so the view repaints that
row alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from desktop_app.core.engine.api import ReplyStats, Role
from desktop_app.core.storage.chat_store import MessageState, StoredMessage
from desktop_app.ui.chat.tool_card import ToolCard, cards_from_json

_Index = QModelIndex | QPersistentModelIndex


class ChatRole(IntEnum):
    """Custom data roles of :class:`ChatModel`."""

    MESSAGE = Qt.ItemDataRole.UserRole + 1   # the whole ChatItem
    ROLE = Qt.ItemDataRole.UserRole + 2      # Role
    STATE = Qt.ItemDataRole.UserRole + 3     # MessageState
    REVISION = Qt.ItemDataRole.UserRole + 4  # int, bumped on every change (layout cache key)


@dataclass
class ChatItem:
    """A message as the view shows it; mutable so streaming can append in place.

    ``message_id`` is the database id, or a negative id for notices that are
    only shown (e.g. "older messages are no longer seen by the model").
    """

    message_id: int
    role: Role
    content: str
    state: MessageState = MessageState.COMPLETE
    thinking: str = ""
    stats: ReplyStats | None = None
    error: str = ""
    notice: bool = False
    tool_cards: tuple[ToolCard, ...] = ()  # the tools the reply called, in order
    revision: int = field(default=0)

    @classmethod
    def from_stored(cls, message: StoredMessage) -> ChatItem:
        return cls(
            message_id=message.id,
            role=message.role,
            content=message.content,
            state=message.state,
            thinking=message.thinking,
            stats=message.stats,
            error=message.error,
            tool_cards=cards_from_json(message.tool_calls),
        )


_MESSAGE_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                  | Qt.ItemFlag.ItemNeverHasChildren)
"""A message's flags, made once: the view asks for them per row at every layout, and
"never has children" spares it asking for each row's children as well."""


class ChatModel(QAbstractListModel):
    """A flat list of :class:`ChatItem`; the last row is usually the streaming reply."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[ChatItem] = []
        self._next_notice_id = -1

    # ---- Qt model API ----------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == ChatRole.MESSAGE:  # first: the delegate asks for it per row and paint
            return item
        if role == Qt.ItemDataRole.DisplayRole:
            return item.content
        if role == ChatRole.ROLE:
            return item.role
        if role == ChatRole.STATE:
            return item.state
        if role == ChatRole.REVISION:
            return item.revision
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        return _MESSAGE_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    # ---- changes ---------------------------------------------------------

    def set_items(self, items: list[ChatItem]) -> None:
        """Replace everything, e.g. when the user opens another conversation."""
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def append(self, item: ChatItem) -> int:
        row = len(self._items)
        self.beginInsertRows(QModelIndex(), row, row)
        self._items.append(item)
        self.endInsertRows()
        return row

    def append_notice(self, text: str) -> int:
        """Add a line that is shown in the chat but is not part of the conversation."""
        item = ChatItem(self._next_notice_id, Role.SYSTEM, text, notice=True)
        self._next_notice_id -= 1
        return self.append(item)

    def append_text(self, message_id: int, text: str, thinking: str = "") -> None:
        """Append a streamed batch to one message and repaint only that row."""
        row = self.row_of(message_id)
        if row is None:
            return
        item = self._items[row]
        item.content += text
        item.thinking += thinking
        self._changed(row)

    def update_item(self, message_id: int, **changes: Any) -> None:
        row = self.row_of(message_id)
        if row is None:
            return
        item = self._items[row]
        for name, value in changes.items():
            setattr(item, name, value)
        self._changed(row)

    def remove_from(self, row: int) -> None:
        """Remove ``row`` and every row after it (regenerate, edit and resend)."""
        if not 0 <= row < len(self._items):
            return
        self.beginRemoveRows(QModelIndex(), row, len(self._items) - 1)
        del self._items[row:]
        self.endRemoveRows()

    # ---- queries ---------------------------------------------------------

    def item(self, row: int) -> ChatItem:
        return self._items[row]

    def items(self) -> list[ChatItem]:
        return list(self._items)

    def row_of(self, message_id: int) -> int | None:
        # Streaming always touches the last rows, so search from the end.
        for row in range(len(self._items) - 1, -1, -1):
            if self._items[row].message_id == message_id:
                return row
        return None

    def _changed(self, row: int) -> None:
        self._items[row].revision += 1
        index = self.index(row, 0)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole, ChatRole.REVISION])
