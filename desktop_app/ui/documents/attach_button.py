"""The conversation header's "Documents" button: attach collections to the open chat.

A menu of the collections with a check mark each (several may be attached),
and a way to the Documents window. The button's text says what is attached,
so the user sees at a glance that answers come from their documents.
Collection names are the user's own but still shown literally: menu entries
are plain text in Qt, and their ``&`` is doubled so it is not a shortcut mark.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from desktop_app.core.documents.store import Collection
from desktop_app.ui.common.untrusted_text import plain_tooltip
from desktop_app.ui.documents.chat_documents import ChatDocuments


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
        self.menu_ = QMenu(self)
        self.setMenu(self.menu_)
        documents.attachments_changed.connect(self._update)
        self._update()

    def set_collections(self, collections: Sequence[Collection]) -> None:
        """The collections there are (from the Documents window, whenever they change)."""
        self._collections = list(collections)
        self._update()

    def actions_by_collection(self) -> dict[int, QAction]:
        """The menu's checkable entries, by collection id (tests use them)."""
        return {int(a.data()): a for a in self.menu_.actions()
                if a.isCheckable() and a.data() is not None}

    def _update(self, *_args: object) -> None:
        attached = set(self._documents.attached)
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

    def _on_action_toggled(self, _checked: bool) -> None:
        chosen = [cid for cid, action in self.actions_by_collection().items()
                  if action.isChecked()]
        self._documents.set_attached(chosen)


def _literal(text: str) -> str:
    """``text`` for a menu entry or button, where a single & marks a shortcut key."""
    return text.replace("&", "&&")


def _short(name: str, limit: int = 24) -> str:
    return name if len(name) <= limit else name[:limit - 1] + "…"
