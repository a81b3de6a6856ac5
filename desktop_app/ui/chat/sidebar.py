"""The sidebar: New chat, a filter box, the sectioned conversation list and the Undo bar.

Every change goes through :class:`ChatController` (it knows whether the
history may be written and tells the list to refresh). Deleting needs no
confirmation because it can be undone: the Undo bar appears at once and
stays until dismissed or replaced by a newer deletion, and Ctrl+Z in the
list does the same. So no single keystroke loses a conversation.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.chat.chat_controller import ChatController
from desktop_app.ui.chat.conversation_list import ConversationListModel, ListRole
from desktop_app.ui.common.untrusted_text import make_plain


class UndoBar(QWidget):
    """"Deleted “…”. [Undo] [×]" under the list, after a deletion."""

    def __init__(self, chat: ChatController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("undoBar")
        self._chat = chat
        self.label = make_plain(QLabel())  # says a conversation title
        self.label.setWordWrap(True)
        self.undo_button = QPushButton(self.tr("Undo"))
        self.undo_button.setObjectName("undoButton")
        close = QToolButton()
        close.setText("×")
        close.setAutoRaise(True)
        close.setToolTip(self.tr("Dismiss"))
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 0, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.undo_button)
        layout.addWidget(close)
        self.undo_button.clicked.connect(self.undo)
        chat.undo_available.connect(self._on_chat_undo_available)
        self.hide()

    def undo(self) -> None:
        self._chat.undo()
        self.hide()

    def _on_chat_undo_available(self, text: str) -> None:
        self.label.setText(text)
        self.show()


class Sidebar(QWidget):
    """Conversations on the left of the window.

    Signals:
        export_requested(list): the user asked to export these conversation ids.
    """

    export_requested = Signal(list)

    def __init__(self, chat: ChatController, conversations: ConversationListModel,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.chat = chat
        self.conversations = conversations
        self.new_chat_button = QPushButton(self.tr("New chat"))
        self.new_chat_button.setObjectName("newChatButton")
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("Search conversations"))
        self.search_edit.setClearButtonEnabled(True)
        self.view = QListView()
        self.view.setObjectName("conversationList")
        self.view.setModel(conversations)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # Long titles end in "…" instead of widening the list past the sidebar.
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.DoubleClicked)
        self.undo_bar = UndoBar(chat)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 6, 10)
        layout.addWidget(self.new_chat_button)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.undo_bar)

        # Keys are read by an event filter rather than QAction shortcuts: the
        # list's own key handling (type-ahead search) would otherwise see them first.
        self.view.installEventFilter(self)

        self.new_chat_button.clicked.connect(chat.new_conversation)
        self.search_edit.textChanged.connect(conversations.set_filter)
        self.view.clicked.connect(self._on_view_clicked)
        self.view.customContextMenuRequested.connect(self._on_view_menu)
        conversations.rename_requested.connect(chat.rename_conversation)
        chat.conversations_changed.connect(self._on_chat_conversations_changed)
        chat.conversation_opened.connect(self.select_conversation)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view and event.type() == QEvent.Type.KeyPress \
                and self.view.state() != QAbstractItemView.State.EditingState:
            assert isinstance(event, QKeyEvent)
            if event.matches(QKeySequence.StandardKey.Delete) or (
                    event.key() == Qt.Key.Key_Backspace and not event.modifiers()):
                self.delete_selected()
                return True
            if event.matches(QKeySequence.StandardKey.Undo):
                self.undo_bar.undo()
                return True
        return super().eventFilter(watched, event)

    # ---- selection -------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        """The selected conversations' ids, in list order."""
        rows = sorted(index.row() for index in self.view.selectionModel().selectedRows())
        ids = [self.conversations.index(row, 0).data(ListRole.CONVERSATION_ID) for row in rows]
        return [i for i in ids if i]

    def select_conversation(self, conversation_id: int) -> None:
        """Select the conversation's row (none for 0, a new chat)."""
        row = self.conversations.row_of(conversation_id)
        if row is None:
            self.view.clearSelection()
        else:
            self.view.setCurrentIndex(self.conversations.index(row, 0))

    def _on_view_clicked(self, index: QModelIndex) -> None:
        conversation_id = index.data(ListRole.CONVERSATION_ID)
        if conversation_id:
            self.chat.open_conversation(conversation_id)

    def _on_chat_conversations_changed(self) -> None:
        self.conversations.refresh()
        conversation = self.chat.conversation
        self.select_conversation(conversation.id if conversation else 0)

    # ---- actions -----------------------------------------------------------------

    def delete_selected(self) -> None:
        """Delete the selected conversations at once; each can be undone."""
        for conversation_id in self.selected_ids():
            self.chat.delete_conversation(conversation_id)

    def rename(self, conversation_id: int) -> None:
        """Start editing the title in place."""
        row = self.conversations.row_of(conversation_id)
        if row is not None:
            self.view.edit(self.conversations.index(row, 0))

    def move_to_folder(self, conversation_id: int) -> None:
        """Ask for a folder (an existing one or a new name) and file the conversation there."""
        row = self.conversations.row_of(conversation_id)
        conversation = self.conversations.conversation_at(row) if row is not None else None
        folders = ["", *self.chat.folders()]
        current = conversation.folder if conversation is not None else ""
        folder, ok = QInputDialog.getItem(
            self, self.tr("Move to folder"),
            self.tr("Folder (type a new name, or leave empty for none):"), folders,
            folders.index(current) if current in folders else 0, True)
        if ok:
            self.chat.set_folder(conversation_id, folder)

    def _on_view_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        conversation = index.data(ListRole.CONVERSATION) if index.isValid() else None
        if conversation is None:
            return
        if not self.view.selectionModel().isSelected(index):
            self.view.setCurrentIndex(index)
        ids = self.selected_ids() or [conversation.id]
        menu = QMenu(self)
        rename = menu.addAction(self.tr("Rename"))
        pin = menu.addAction(self.tr("Unpin") if conversation.pinned else self.tr("Pin"))
        folder = menu.addAction(self.tr("Move to folder…"))
        duplicate = menu.addAction(self.tr("Duplicate"))
        export = menu.addAction(self.tr("Export…"))
        menu.addSeparator()
        delete = menu.addAction(self.tr("Delete"))
        chosen = menu.exec(self.view.viewport().mapToGlobal(pos))
        if chosen is rename:
            self.rename(conversation.id)
        elif chosen is pin:
            self.chat.set_pinned(conversation.id, not conversation.pinned)
        elif chosen is folder:
            self.move_to_folder(conversation.id)
        elif chosen is duplicate:
            self.chat.duplicate_conversation(conversation.id)
        elif chosen is export:
            self.export_requested.emit(ids)
        elif chosen is delete:
            self.delete_selected()
