"""The side panel beside the chat that shows a cited passage, so an answer can be checked.

It shows the document's name, where in it (page, heading or line), the
score, and the chunk's text within its neighbours
(:func:`~desktop_app.core.documents.retrieval.passage_around`), the cited
part highlighted and scrolled into view. Document text is untrusted, so it is
plain text in a read-only ``QPlainTextEdit``: an ``<img src=file:…>`` in a
document shows as those characters and loads nothing.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QPlainTextEdit,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.documents.chat_links import Source
from desktop_app.core.documents.retrieval import Passage
from desktop_app.ui.common.untrusted_text import plain_label

HIGHLIGHT = QColor(255, 214, 10, 110)
"""A translucent yellow that reads on light and dark backgrounds."""


class SourcePanel(QFrame):
    """The passage behind a citation; hidden until a citation is clicked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourcePanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(260)
        self.title = plain_label()
        self.title.setObjectName("sourceTitle")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.location = plain_label()
        self.location.setObjectName("sourceLocation")
        self.location.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName("sourceText")
        self.text.setReadOnly(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        close = QToolButton()
        close.setText("×")
        close.setAutoRaise(True)
        close.setToolTip(self.tr("Close"))
        close.clicked.connect(self.hide)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 10)
        layout.addLayout(top)
        layout.addWidget(self.location)
        layout.addWidget(self.text, 1)
        self.source: Source | None = None
        self.hide()

    def show_passage(self, source: Source, passage: Passage) -> None:
        """Show ``passage`` with the cited chunk highlighted and in view."""
        self.source = source
        number = f"[{source.number}] " if source.number is not None else ""
        self.title.setText(number + source.document_name)
        where = [source.location] if source.location else []
        where.append(self.tr("score {score:.2f}").format(score=source.score))
        if source.number is None:
            where.append(self.tr("not given to the model"))
        self.location.setText(" · ".join(where))
        self.text.setPlainText(passage.text)
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(passage.start)
        cursor.setPosition(passage.end, QTextCursor.MoveMode.KeepAnchor)
        highlight = QTextEdit.ExtraSelection()
        highlight.cursor = cursor
        char_format = QTextCharFormat()
        char_format.setBackground(HIGHLIGHT)
        highlight.format = char_format
        self.text.setExtraSelections([highlight])
        self.show()
        end = QTextCursor(self.text.document())
        end.setPosition(passage.end)
        self.text.setTextCursor(end)
        self.text.ensureCursorVisible()
        start = QTextCursor(self.text.document())
        start.setPosition(passage.start)
        self.text.setTextCursor(start)
        self.text.ensureCursorVisible()

    def highlighted_text(self) -> str:
        """The highlighted part's text (tests check it is the cited chunk)."""
        selections = self.text.extraSelections()
        return selections[0].cursor.selectedText() if selections else ""
