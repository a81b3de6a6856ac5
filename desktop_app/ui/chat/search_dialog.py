"""Search every conversation (Ctrl+K): titles and all messages of every branch.

Results come from the store's FTS5 index (see
:mod:`desktop_app.core.storage.search_text`, which is also why a two-character
Chinese word is found). A result shows its conversation's title and the
matching piece of text with the matches in bold. That piece is untrusted
text (anything a model or an import wrote), so it is HTML-escaped as a whole
and only Hearth's own ``<b>`` tags are added around the matched ranges
(:func:`snippet_html`); the delegate renders that and nothing else.

Enter (or a double-click) opens the conversation on the branch that holds
the message; Up and Down move through the results without leaving the
search box.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAbstractTextDocumentLayout, QKeyEvent, QPainter, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.storage.chat_store import ChatStore, SearchHit
from desktop_app.core.storage.database import StorageError
from desktop_app.core.storage.search_text import Snippet
from desktop_app.ui.common.untrusted_text import SafeTextDocument, make_plain

_Index = QModelIndex | QPersistentModelIndex

HTML_ROLE = Qt.ItemDataRole.UserRole + 1
HIT_ROLE = Qt.ItemDataRole.UserRole + 2
SEARCH_DELAY_MS = 120
"""Typing pauses this long before a search runs (a search takes a few ms; a redraw more)."""


def snippet_html(snippet: Snippet) -> str:
    """The snippet as HTML: every character escaped, the matched ranges in ``<b>``."""
    parts: list[str] = []
    at = 0
    for start, end in snippet.highlights:
        parts.append(html.escape(snippet.text[at:start]))
        parts.append("<b>" + html.escape(snippet.text[start:end]) + "</b>")
        at = end
    parts.append(html.escape(snippet.text[at:]))
    return "".join(parts)


class SearchResultsModel(QAbstractListModel):
    """The hits of the last query, best first."""

    def __init__(self, store: ChatStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._hits: list[SearchHit] = []
        self.error = ""

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        title = hit.title or self.tr("New chat")
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{title}\n{hit.snippet.text}" if hit.message_id is not None else title
        if role == HTML_ROLE:
            title_html = (snippet_html(hit.snippet) if hit.message_id is None
                          else html.escape(title))
            body = snippet_html(hit.snippet) if hit.message_id is not None else ""
            return f"<div><u>{title_html}</u></div><div>{body}</div>"
        if role == HIT_ROLE:
            return hit
        return None

    def search(self, query: str) -> None:
        try:
            hits = self._store.search(query)
            self.error = ""
        except StorageError as exc:
            hits, self.error = [], str(exc)
        self.beginResetModel()
        self._hits = hits
        self.endResetModel()

    def hit(self, row: int) -> SearchHit | None:
        return self._hits[row] if 0 <= row < len(self._hits) else None


class SnippetDelegate(QStyledItemDelegate):
    """Paints a result's title and snippet from :data:`HTML_ROLE` (escaped, bold matches)."""

    def _document(self, option: QStyleOptionViewItem, index: _Index) -> QTextDocument:
        # Snippets quote messages: escaped already, and rendered where nothing can load.
        document = SafeTextDocument()
        document.setDefaultFont(option.font)
        document.setHtml(index.data(HTML_ROLE) or "")
        document.setTextWidth(max(option.rect.width() - 8, 50))
        return document

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter,
                              option.widget)
        document = self._document(option, index)
        context = QAbstractTextDocumentLayout.PaintContext()
        if option.state & QStyle.StateFlag.State_Selected:
            context.palette.setColor(context.palette.ColorRole.Text,
                                     option.palette.highlightedText().color())
        painter.save()
        rect = option.rect
        painter.translate(rect.left() + 4, rect.top() + 2)
        document.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        document = self._document(option, index)
        return QSize(int(document.idealWidth()) + 8, int(document.size().height()) + 4)


class SearchDialog(QDialog):
    """The Ctrl+K search window.

    Signals:
        result_chosen(int, int): conversation id and message id (0 for a title hit).
    """

    result_chosen = Signal(int, int)

    def __init__(self, store: ChatStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Search conversations"))
        self.resize(620, 480)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(self.tr("Search titles and messages, e.g. 长城 or bread"))
        self.edit.setClearButtonEnabled(True)
        self.results = SearchResultsModel(store, self)
        self.view = QListView()
        self.view.setModel(self.results)
        self.view.setItemDelegate(SnippetDelegate(self.view))
        self.view.setWordWrap(True)
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing stays in the box
        self.status = make_plain(QLabel())  # may say an error text
        layout = QVBoxLayout(self)
        layout.addWidget(self.edit)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.run_search)
        self.edit.textChanged.connect(self._timer.start)
        self.edit.returnPressed.connect(self.choose_current)
        self.view.doubleClicked.connect(lambda index: self.choose_current())
        self.edit.installEventFilter(self)

    def run_search(self) -> None:
        """Search for the box's text now (typing runs it after a short pause)."""
        self._timer.stop()
        query = self.edit.text()
        self.results.search(query)
        count = self.results.rowCount()
        if self.results.error:
            self.status.setText(self.results.error)
        elif query.strip() and count == 0:
            self.status.setText(self.tr("Nothing found."))
        else:
            self.status.setText(self.tr("%n result(s)", "", count) if query.strip() else "")
        if count:
            self.view.setCurrentIndex(self.results.index(0, 0))

    def choose_current(self) -> None:
        if self._timer.isActive():  # Enter right after typing: search what was typed
            self.run_search()
        hit = self.results.hit(self.view.currentIndex().row())
        if hit is None:
            return
        self.result_chosen.emit(hit.conversation_id, hit.message_id or 0)
        self.accept()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            step = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1}.get(Qt.Key(event.key()))
            if step is not None and self.results.rowCount():
                row = max(0, min(self.results.rowCount() - 1,
                                 self.view.currentIndex().row() + step))
                self.view.setCurrentIndex(self.results.index(row, 0))
                return True
        return super().eventFilter(watched, event)
