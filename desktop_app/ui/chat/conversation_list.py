"""The sidebar's list of conversations: pinned, folders, then by date, with a filter.

One flat list model with section headers as rows of their own (not
selectable, not editable): a tree would need the user to expand groups, and a
proxy model per group would repeat the sorting. Sections, in order: Pinned,
each folder (by name), then Today, Yesterday, Previous 7 days and Older by
the conversation's last change. A pinned conversation shows under Pinned
only, a filed one under its folder only.

Renaming happens in place (F2 or double-click): the model does not write,
it emits ``rename_requested`` and the controller, which knows whether the
history may be written, does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont

from desktop_app.core.storage.chat_store import ChatStore, Conversation
from desktop_app.core.storage.database import StorageError
from desktop_app.ui.common.untrusted_text import plain_tooltip

_Index = QModelIndex | QPersistentModelIndex

CONVERSATION_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class ListRole(IntEnum):
    """Custom data roles of :class:`ConversationListModel`."""

    CONVERSATION_ID = CONVERSATION_ID_ROLE  # int; 0 on a header row
    IS_HEADER = Qt.ItemDataRole.UserRole + 2
    CONVERSATION = Qt.ItemDataRole.UserRole + 3  # the Conversation, None on a header


class DateGroup(IntEnum):
    """The date sections, newest first."""

    TODAY = 0
    YESTERDAY = 1
    PREVIOUS_7_DAYS = 2
    OLDER = 3


def date_group(timestamp: float, now: float) -> DateGroup:
    """The section of a conversation last changed at ``timestamp`` (local calendar days)."""
    today = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
    when = datetime.fromtimestamp(timestamp)
    if when >= today:
        return DateGroup.TODAY
    if when >= today - timedelta(days=1):
        return DateGroup.YESTERDAY
    if when >= today - timedelta(days=7):
        return DateGroup.PREVIOUS_7_DAYS
    return DateGroup.OLDER


@dataclass(frozen=True)
class _Row:
    header: str = ""
    conversation: Conversation | None = None


class ConversationListModel(QAbstractListModel):
    """Conversations from the store in sections; :meth:`refresh` re-reads them (one query).

    Signals:
        rename_requested(int, str): the user edited a title in place (id, new title).
    """

    rename_requested = Signal(int, str)

    def __init__(self, store: ChatStore, parent: Any = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self._store = store
        self._clock = clock
        self._rows: list[_Row] = []
        self._filter = ""

    # ---- Qt model --------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        conversation = row.conversation
        if conversation is None:
            if role == Qt.ItemDataRole.DisplayRole:
                return row.header
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                font.setPointSizeF(max(font.pointSizeF() * 0.85, 6.0))
                return font
            if role == ListRole.IS_HEADER:
                return True
            if role == ListRole.CONVERSATION_ID:
                return 0
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return conversation.title or self.tr("New chat")
        if role == Qt.ItemDataRole.EditRole:
            return conversation.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(conversation.title)
        if role == ListRole.CONVERSATION_ID:
            return conversation.id
        if role == ListRole.IS_HEADER:
            return False
        if role == ListRole.CONVERSATION:
            return conversation
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return Qt.ItemFlag.NoItemFlags
        if self._rows[index.row()].conversation is None:
            return Qt.ItemFlag.ItemIsEnabled
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsEditable)

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        conversation = self._rows[index.row()].conversation
        title = str(value).strip()
        if conversation is None or not title or title == conversation.title:
            return False
        self.rename_requested.emit(conversation.id, title)
        return True  # the controller's conversations_changed refreshes the row

    # ---- content ---------------------------------------------------------------

    def set_filter(self, text: str) -> None:
        """Show only conversations matching ``text`` (full-text, all branches); '' for all."""
        self._filter = text.strip()
        self.refresh()

    def refresh(self) -> None:
        try:
            conversations = (self._store.search_conversations(self._filter) if self._filter
                             else self._store.list_conversations())
        except StorageError:
            conversations = []
        self.beginResetModel()
        self._rows = self._sections(conversations)
        self.endResetModel()

    def _sections(self, conversations: list[Conversation]) -> list[_Row]:
        pinned = [c for c in conversations if c.pinned]
        folders: dict[str, list[Conversation]] = {}
        dated: dict[DateGroup, list[Conversation]] = {}
        now = self._clock()
        for conversation in conversations:
            if conversation.pinned:
                continue
            if conversation.folder:
                folders.setdefault(conversation.folder, []).append(conversation)
            else:
                dated.setdefault(date_group(conversation.updated_at, now), []).append(
                    conversation)
        sections: list[tuple[str, list[Conversation]]] = [(self.tr("Pinned"), pinned)]
        sections += [(name, folders[name]) for name in sorted(folders, key=str.casefold)]
        titles = {DateGroup.TODAY: self.tr("Today"), DateGroup.YESTERDAY: self.tr("Yesterday"),
                  DateGroup.PREVIOUS_7_DAYS: self.tr("Previous 7 days"),
                  DateGroup.OLDER: self.tr("Older")}
        sections += [(titles[group], dated.get(group, [])) for group in DateGroup]
        rows: list[_Row] = []
        for header, members in sections:
            if members:
                rows.append(_Row(header=header))
                rows.extend(_Row(conversation=c) for c in members)
        return rows

    def row_of(self, conversation_id: int) -> int | None:
        for row, item in enumerate(self._rows):
            if item.conversation is not None and item.conversation.id == conversation_id:
                return row
        return None

    def conversation_at(self, row: int) -> Conversation | None:
        """The conversation shown in ``row``; None for a header or no such row."""
        return self._rows[row].conversation if 0 <= row < len(self._rows) else None

    def headers(self) -> list[str]:
        """The section headers shown, in order (tests and accessibility)."""
        return [row.header for row in self._rows if row.conversation is None]
