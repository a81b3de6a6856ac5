"""The conversation header's "Documents" button: attach collections to the open chat.

A menu of the collections with a check mark each (several may be attached),
and a way to the Documents window. The button's text says what is attached,
so the user sees at a glance that answers come from their documents.
"Add a file…" attaches single files to this chat only (indexed into the
chat's own hidden collection, see :class:`ChatDocuments`); each is listed
with its indexing state and a way to remove it.
Collection names are the user's own but still shown literally: menu entries
are plain text in Qt, and their ``&`` is doubled so it is not a shortcut mark.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QToolButton, QWidget

from desktop_app.core.documents.store import Collection, Document
from desktop_app.ui.common.untrusted_text import plain_tooltip
from desktop_app.ui.common.user_text import translated
from desktop_app.ui.documents.chat_documents import ChatDocuments

AskFiles = Callable[[QWidget], list[Path]]
"""Ask for files to add (parent); tests stand in for the dialog."""


def files_box(parent: QWidget) -> list[Path]:
    title = QCoreApplication.translate("AttachButton", "Add files to this chat")
    names, _ = QFileDialog.getOpenFileNames(parent, title)
    return [Path(name) for name in names]


class AttachButton(QToolButton):
    """Attach and detach collections for the open conversation.

    Signals:
        manage_requested(): the user wants the Documents window.
    """

    manage_requested = Signal()

    def __init__(self, documents: ChatDocuments, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachDocuments")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._documents = documents
        self._collections: list[Collection] = []
        self.ask_files: AskFiles = files_box
        self.menu_ = QMenu(self)
        self.menu_.setToolTipsVisible(True)
        self.setMenu(self.menu_)
        documents.attachments_changed.connect(self._update)
        documents.files_changed.connect(self._update)
        self._update()

    def set_collections(self, collections: Sequence[Collection]) -> None:
        """The collections there are (from the Documents window, whenever they change)."""
        self._collections = list(collections)
        self._update()

    def actions_by_collection(self) -> dict[int, QAction]:
        """The menu's checkable entries, by collection id (tests use them)."""
        return {int(a.data()): a for a in self.menu_.actions()
                if a.isCheckable() and a.data() is not None}

    def file_menus(self) -> dict[int, QMenu]:
        """The submenus of the files attached to the chat, by document id (tests use them)."""
        return {int(m.property("documentId")): m for m in self.menu_.findChildren(QMenu)
                if m.property("documentId") is not None}

    def add_files(self) -> None:
        """Ask for files and attach them to this chat."""
        self._documents.add_files(self.ask_files(self.window()))

    def _update(self, *_args: object) -> None:
        attached = set(self._documents.attached)
        for old in self.file_menus().values():
            old.setProperty("documentId", None)  # no longer one of file_menus()
            old.deleteLater()
        self.menu_.clear()
        names = []
        for collection in self._collections:
            action = self.menu_.addAction(_literal(collection.name))
            action.setCheckable(True)
            action.setChecked(collection.id in attached)
            action.setData(collection.id)
            action.toggled.connect(self._on_action_toggled)
            if collection.id in attached:
                names.append(collection.name)
        if not self._collections:
            empty = self.menu_.addAction(self.tr("No collections yet"))
            empty.setEnabled(False)
        self.menu_.addSeparator()
        files = self._documents.files
        if files:
            self.menu_.addSection(self.tr("Files in this chat"))
        for document in files:
            self._add_file_entry(document)
            names.append(document.name)
        add = self.menu_.addAction(self.tr("Add a file…"))
        add.setToolTip(self.tr("Answer from a file in this chat only, without making a "
                               "collection"))
        add.triggered.connect(self.add_files)
        manage = self.menu_.addAction(self.tr("Manage documents…"))
        manage.triggered.connect(self.manage_requested)
        if not names:
            self.setText(self.tr("Documents"))
            self.setToolTip(self.tr("Answer from your documents: attach collections to "
                                    "this chat"))
        elif len(names) == 1:
            self.setText(self.tr("Documents: {name}").format(name=_literal(_short(names[0]))))
            self.setToolTip(plain_tooltip(self.tr("Answers use {name}").format(name=names[0])))
        else:
            self.setText(self.tr("Documents ({n})").format(n=len(names)))
            self.setToolTip(plain_tooltip(self.tr("Answers use {names}").format(
                names=", ".join(names))))

    def _add_file_entry(self, document: Document) -> None:
        submenu = QMenu(self.menu_)
        submenu.setTitle(f"{_literal(document.name)} · {self._state(document)}")
        submenu.setProperty("documentId", document.id)
        if document.state == "failed" and document.reason is not None:
            submenu.menuAction().setToolTip(plain_tooltip(translated(document.reason)))
        remove = submenu.addAction(self.tr("Remove from this chat"))
        document_id = document.id
        remove.triggered.connect(lambda: self._documents.remove_file(document_id))
        self.menu_.addMenu(submenu)

    def _state(self, document: Document) -> str:
        if document.state == "ready":
            return self.tr("ready")
        if document.state == "failed":
            return self.tr("failed")
        return self.tr("indexing…")

    def _on_action_toggled(self, _checked: bool) -> None:
        chosen = [cid for cid, action in self.actions_by_collection().items()
                  if action.isChecked()]
        self._documents.set_attached(chosen)


def _literal(text: str) -> str:
    """``text`` for a menu entry or button, where a single & marks a shortcut key."""
    return text.replace("&", "&&")


def _short(name: str, limit: int = 24) -> str:
    return name if len(name) <= limit else name[:limit - 1] + "…"
