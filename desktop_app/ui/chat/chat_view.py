"""The chat transcript: a virtualised view and a delegate that paints messages.

Only visible rows are painted. Each row's height is measured once per
(message, revision, width) and cached, and a message's text layout (a
``QTextDocument``) is cached for recently painted rows, so a long conversation
scrolls smoothly. A streamed batch changes one row, and the view (a flat
QTreeView, see :class:`ChatView`) re-measures that row alone.

Every message is untrusted text: Markdown is rendered by
:class:`~desktop_app.ui.common.untrusted_text.SafeTextDocument`, which loads
no image or file a reply names. A message longer than
:data:`LONG_MESSAGE_CHARS` (a pasted log, an import) is shown shortened, as
plain text: laying out and painting a 2 MB message froze the window for
seconds when the chat opened and for about a second per streamed batch.
The whole text stays stored and is one right-click away.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QWidget,
)

from desktop_app.core.engine.api import ReplyStats, Role, StopReason
from desktop_app.core.storage.chat_store import MessageState
from desktop_app.ui.chat.chat_model import ChatItem, ChatModel, ChatRole
from desktop_app.ui.common.untrusted_text import SafeTextDocument

_Index = QModelIndex | QPersistentModelIndex

MARGIN_X = 18
MARGIN_Y = 8
BUBBLE_PAD = 10
USER_MAX_SHARE = 0.78
FOOTER_GAP = 4
LONG_MESSAGE_CHARS = 20_000
"""Longer messages show their first this many characters, as plain text.

About 5,000 tokens: longer than nearly every real reply, and short enough
that re-laying out a reply streaming past it stays near 10 ms a batch.
"""


def is_shortened(item: ChatItem) -> bool:
    """Whether the chat shows only the start of this message (see :data:`LONG_MESSAGE_CHARS`)."""
    return len(item.content) > LONG_MESSAGE_CHARS


def shown_text(item: ChatItem) -> str:
    """The part of a message the chat lays out: all of it, or its start if it is long."""
    return item.content[:LONG_MESSAGE_CHARS] if is_shortened(item) else item.content


def keep_line_breaks(markdown: str) -> str:
    """Make single newlines line breaks, as chat users expect, except inside code fences.

    Strict Markdown joins lines separated by one newline into one paragraph,
    which runs a model's line-per-item answers together. Two trailing spaces
    are Markdown's hard break (and are dropped where a block ends anyway, unlike
    a trailing backslash); code blocks keep their text exactly.
    """
    out: list[str] = []
    in_fence = False
    lines = markdown.split("\n")
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not in_fence and line.strip() and i + 1 < len(lines) and lines[i + 1].strip():
            line += "  "
        out.append(line)
    return "\n".join(out)


CODE_BACKGROUND = QColor(127, 127, 127, 38)  # translucent: reads on light and dark palettes


def shade_code_blocks(doc: QTextDocument) -> None:
    """Give fenced code blocks a background, so code stands apart from prose."""
    block = doc.begin()
    while block.isValid():
        fmt = block.blockFormat()
        if fmt.hasProperty(QTextFormat.Property.BlockCodeFence):
            fmt.setBackground(CODE_BACKGROUND)
            QTextCursor(block).setBlockFormat(fmt)
        block = block.next()


def format_stats(stats: ReplyStats | None, state: MessageState) -> str:
    """The small line under a reply: speed, tokens, time to first token, how it ended.

    A module function shared by the delegate and the status bar, so its strings
    are translated under one context of their own ("ReplyStats").
    """
    # Written out in full so lupdate sees each string with its context.
    translate = QCoreApplication.translate
    parts: list[str] = []
    if stats is not None and stats.completion_tokens:
        parts.append(translate("ReplyStats", "{n} tokens").format(n=stats.completion_tokens))
        if stats.tokens_per_second > 0:
            parts.append(translate("ReplyStats", "{v:.1f} tok/s").format(
                v=stats.tokens_per_second))
        if stats.time_to_first_token > 0:
            parts.append(translate("ReplyStats", "first token {v:.2f} s").format(
                v=stats.time_to_first_token))
        if stats.stop_reason == StopReason.LENGTH:
            parts.append(translate("ReplyStats", "stopped at the length limit"))
    if state == MessageState.STOPPED:
        parts.append(translate("ReplyStats", "stopped"))
    elif state == MessageState.INTERRUPTED:
        parts.append(translate("ReplyStats", "interrupted"))
    return " · ".join(parts)


class MessageDelegate(QStyledItemDelegate):
    """Paints one message: user turns as right-aligned bubbles, replies full width.

    Keeps two caches: heights for every row it has measured (cheap, needed for
    the whole list's layout) and documents for recently painted rows (bounded).
    """

    height_corrected = Signal(QPersistentModelIndex)

    MAX_DOCUMENTS = 160

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._documents: OrderedDict[tuple[int, int, int], QTextDocument] = OrderedDict()
        # message id -> (revision, width, height)
        self._heights: dict[int, tuple[int, int, int]] = {}
        # Rows whose cached height is an estimate, corrected when first painted.
        self._estimated: set[int] = set()
        self._words: dict[int, tuple[int, int]] = {}  # message id -> (revision, reasoning words)
        self.exact_measurements = 0  # rows laid out exactly (tests and benchmarks read it)

    # ---- layout ------------------------------------------------------------

    def _text_width(self, item: ChatItem, view_width: int) -> int:
        usable = max(120, view_width - 2 * MARGIN_X)
        if item.role == Role.USER:
            return max(80, int(usable * USER_MAX_SHARE) - 2 * BUBBLE_PAD)
        return usable

    def _document(self, item: ChatItem, width: int, font: QFont) -> QTextDocument:
        key = (item.message_id, item.revision, width)
        doc = self._documents.get(key)
        if doc is not None:
            self._documents.move_to_end(key)
            return doc
        doc = SafeTextDocument()
        doc.setDefaultFont(font)
        doc.setDocumentMargin(0)
        text = item.content
        if is_shortened(item):
            self._set_shortened(doc, item)
        elif item.role == Role.ASSISTANT and not item.notice:
            if not text and item.state == MessageState.STREAMING:
                doc.setPlainText("…")
            else:
                doc.set_markdown(keep_line_breaks(text))
                shade_code_blocks(doc)
        else:
            doc.setPlainText(text)
        doc.setTextWidth(width)
        if item.role == Role.USER:
            # Shrink the bubble to its text when the text is short.
            doc.setTextWidth(min(width, int(doc.idealWidth()) + 2))
        self._documents[key] = doc
        while len(self._documents) > self.MAX_DOCUMENTS:
            self._documents.popitem(last=False)
        return doc

    def _set_shortened(self, doc: QTextDocument, item: ChatItem) -> None:
        """The start of a long message as plain text, then an italic line on what is left out."""
        doc.setPlainText(shown_text(item) + "…")
        cursor = QTextCursor(doc)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertBlock()
        note = QTextCharFormat()
        note.setFontItalic(True)
        cursor.insertText(self.tr(
            "Long message: {shown} of {total} characters shown. "
            "Right-click › Show the whole message.").format(
            shown=QLocale().toString(LONG_MESSAGE_CHARS),
            total=QLocale().toString(len(item.content))), note)

    def _footer(self, item: ChatItem) -> str:
        if item.notice or item.role != Role.ASSISTANT:
            return ""
        footer = format_stats(item.stats, item.state)
        if item.error:
            footer = f"{footer} · {item.error}" if footer else item.error
        return footer

    def _thinking_label(self, item: ChatItem) -> str:
        """One muted line standing for a reasoning model's hidden thinking (shown collapsed)."""
        if item.notice or item.role != Role.ASSISTANT or not item.thinking.strip():
            return ""
        words = self._word_count(item)
        if item.state == MessageState.STREAMING and not item.content:
            return self.tr("Thinking… ({n} words)").format(n=words)
        return self.tr("▸ Reasoning, {n} words (right-click › Show reasoning)").format(n=words)

    def _word_count(self, item: ChatItem) -> int:
        """Words of the reasoning, counted once per revision (it is asked for at every paint)."""
        cached = self._words.get(item.message_id)
        if cached is None or cached[0] != item.revision:
            cached = (item.revision, len(item.thinking.split()))
            self._words[item.message_id] = cached
        return cached[1]

    def _thinking_height(self, item: ChatItem, font: QFont) -> int:
        if not self._thinking_label(item):
            return 0
        return QFontMetrics(self._footer_font(font)).height() + FOOTER_GAP

    def _footer_font(self, font: QFont) -> QFont:
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        return small

    def _measure(self, item: ChatItem, view_width: int, font: QFont) -> int:
        """The row's exact height: lays out its text (cached per revision and width)."""
        cached = self._heights.get(item.message_id)
        if (cached is not None and cached[0] == item.revision and cached[1] == view_width
                and item.message_id not in self._estimated):
            return cached[2]
        doc = self._document(item, self._text_width(item, view_width), font)
        height = int(doc.size().height()) + 2 * MARGIN_Y + self._thinking_height(item, font)
        if item.role == Role.USER:
            height += 2 * BUBBLE_PAD
        if self._footer(item):
            footer_font = self._footer_font(font)
            footer_doc = SafeTextDocument()
            footer_doc.setDefaultFont(footer_font)
            footer_doc.setDocumentMargin(0)
            footer_doc.setPlainText(self._footer(item))
            footer_doc.setTextWidth(self._text_width(item, view_width))
            height += FOOTER_GAP + int(footer_doc.size().height())
        self._heights[item.message_id] = (item.revision, view_width, height)
        self._estimated.discard(item.message_id)
        self.exact_measurements += 1
        return height

    def _estimate(self, item: ChatItem, view_width: int, font: QFont) -> int:
        """A cheap height for a row not yet painted: wrapped lines from character widths.

        Laying out Markdown for every row of a long chat just to size the scroll
        bar took ~0.3 ms a message; rows get their exact height when first
        painted (see :meth:`paint`), so only what is on screen is laid out.
        """
        metrics = QFontMetrics(font)
        width = max(1, self._text_width(item, view_width))
        char = max(1, metrics.averageCharWidth())
        lines = 0
        for line in shown_text(item).split("\n"):
            # CJK characters are about twice as wide as the average Latin one.
            units = len(line) + sum(1 for c in line if ord(c) >= 0x2E80)
            lines += max(1, -(-units * char // width))
        height = lines * metrics.lineSpacing() + 2 * MARGIN_Y + self._thinking_height(item, font)
        if item.role == Role.USER:
            height += 2 * BUBBLE_PAD
        if self._footer(item):
            height += FOOTER_GAP + QFontMetrics(self._footer_font(font)).lineSpacing()
        self._heights[item.message_id] = (item.revision, view_width, height)
        self._estimated.add(item.message_id)
        return height

    def _height(self, item: ChatItem, view_width: int, font: QFont) -> int:
        cached = self._heights.get(item.message_id)
        if cached is not None and cached[0] == item.revision and cached[1] == view_width:
            return cached[2]
        if item.state == MessageState.STREAMING or item.notice:
            return self._measure(item, view_width, font)
        return self._estimate(item, view_width, font)

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        item: ChatItem = index.data(ChatRole.MESSAGE)
        width = self._view_width(option)
        return QSize(width, self._height(item, width, option.font))

    def _view_width(self, option: QStyleOptionViewItem) -> int:
        view = self.parent()
        if isinstance(view, QAbstractItemView):
            return view.viewport().width()
        return option.rect.width()

    # ---- painting ------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        item: ChatItem = index.data(ChatRole.MESSAGE)
        if item.message_id in self._estimated or item.message_id not in self._heights:
            # First paint of a row sized by an estimate (or by a previous delegate):
            # lay it out, and have the view fix the row if the estimate was off.
            exact = self._measure(item, self._view_width(option), option.font)
            if exact != option.rect.height():
                self.height_corrected.emit(QPersistentModelIndex(index))
        rect: QRect = option.rect
        palette: QPalette = option.palette
        width = self._text_width(item, rect.width())
        doc = self._document(item, width, option.font)
        view = self.parent()
        visible = (view.viewport().rect().intersected(rect)
                   if isinstance(view, QAbstractItemView) else rect)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_color = palette.color(QPalette.ColorRole.Text)
        muted = QColor(text_color)
        muted.setAlphaF(0.6)

        if item.notice:
            origin = QPoint(rect.left() + (rect.width() - int(doc.idealWidth())) // 2,
                            rect.top() + MARGIN_Y)
            self._draw_doc(painter, doc, origin, muted, visible)
        elif item.role == Role.USER:
            doc_w = int(doc.textWidth())
            bubble = QRect(rect.right() - MARGIN_X - doc_w - 2 * BUBBLE_PAD, rect.top() + MARGIN_Y,
                           doc_w + 2 * BUBBLE_PAD, int(doc.size().height()) + 2 * BUBBLE_PAD)
            bubble_color = QColor(palette.color(QPalette.ColorRole.Highlight))
            bubble_color.setAlphaF(0.16)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(bubble_color)
            painter.drawRoundedRect(bubble, 12, 12)
            self._draw_doc(painter, doc, bubble.topLeft() + QPoint(BUBBLE_PAD, BUBBLE_PAD),
                           text_color, visible)
        else:
            origin = QPoint(rect.left() + MARGIN_X, rect.top() + MARGIN_Y)
            thinking = self._thinking_label(item)
            if thinking:
                line_height = self._thinking_height(item, option.font)
                painter.setFont(self._footer_font(option.font))
                painter.setPen(muted)
                painter.drawText(QRect(origin.x(), origin.y(), width, line_height),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, thinking)
                origin += QPoint(0, line_height)
            self._draw_doc(painter, doc, origin, text_color, visible)
            footer = self._footer(item)
            if footer:
                painter.setFont(self._footer_font(option.font))
                color = QColor("#c0392b") if item.error else muted
                painter.setPen(color)
                top = origin.y() + int(doc.size().height()) + FOOTER_GAP
                footer_rect = QRect(origin.x(), top, width, rect.bottom() - top)
                painter.drawText(footer_rect, Qt.TextFlag.TextWordWrap, footer)

        if option.state & QStyle.StateFlag.State_Selected:
            highlight = QColor(palette.color(QPalette.ColorRole.Highlight))
            highlight.setAlphaF(0.08)
            painter.fillRect(rect, highlight)
        painter.restore()

    @staticmethod
    def _draw_doc(painter: QPainter, doc: QTextDocument, origin: QPoint, color: QColor,
                  visible: QRect) -> None:
        painter.save()
        painter.translate(origin)
        context = QAbstractTextDocumentLayout.PaintContext()
        # Only the blocks on screen: a tall message is otherwise drawn whole on every repaint.
        context.clip = QRectF(visible.translated(-origin))
        context.palette.setColor(QPalette.ColorRole.Text, color)
        doc.documentLayout().draw(painter, context)
        painter.restore()


class ChatView(QTreeView):
    """The transcript. Follows the bottom while a reply streams, unless the user scrolled up.

    A flat, headerless QTreeView rather than a QListView: QListView (Qt 6) lays
    out every row again on each ``dataChanged``, which is a thousand Python
    ``sizeHint`` calls per streamed batch in a long chat, while QTreeView
    re-measures only the changed row and keeps the other heights cached.

    Signals:
        context_menu_requested(int, QPoint): row under the cursor and global position.
    """

    context_menu_requested = Signal(int, QPoint)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._corrected: list[QPersistentModelIndex] = []
        self._correction_timer = QTimer(self)
        self._correction_timer.setSingleShot(True)
        self._correction_timer.timeout.connect(self._apply_corrections)
        self._delegate = MessageDelegate(self)
        self._use_delegate(self._delegate)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setItemsExpandable(False)
        self.setIndentation(0)
        self.setUniformRowHeights(False)
        self.setAllColumnsShowFocus(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(True)
        self.setFrameShape(QTreeView.Shape.NoFrame)
        self.header().setStretchLastSection(True)
        self.verticalScrollBar().setSingleStep(24)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_context_menu)
        self._follow = True
        self._laid_out_width = -1
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.verticalScrollBar().rangeChanged.connect(self._on_range_changed)

    def setModel(self, model: Any) -> None:
        old = self.model()
        if isinstance(old, ChatModel):
            old.modelReset.disconnect(self._on_reset)
            old.rowsInserted.disconnect(self._on_rows_inserted)
        super().setModel(model)
        if isinstance(model, ChatModel):
            model.modelReset.connect(self._on_reset)
            model.rowsInserted.connect(self._on_rows_inserted)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Heights depend on the width (word wrap): re-measure every row, once per width.
        width = self.viewport().width()
        if width != self._laid_out_width:
            self._laid_out_width = width
            self.scheduleDelayedItemsLayout()

    def _on_reset(self) -> None:
        self._follow = True
        self.scrollToBottom()

    def _on_rows_inserted(self, *_args: Any) -> None:
        if self._follow:
            self.scrollToBottom()

    def _on_scrolled(self, value: int) -> None:
        self._follow = value >= self.verticalScrollBar().maximum() - 4

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(maximum)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0:
            # An empty chat says what to do instead of showing a blank page.
            painter = QPainter(self.viewport())
            color = QColor(self.palette().color(QPalette.ColorRole.Text))
            color.setAlphaF(0.45)
            painter.setPen(color)
            painter.drawText(self.viewport().rect(),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.tr("Type a message below to start.\n"
                                     "Everything stays on this computer."))
            painter.end()

    def _on_context_menu(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        if index.isValid():
            self.context_menu_requested.emit(index.row(), self.viewport().mapToGlobal(pos))

    def _use_delegate(self, delegate: MessageDelegate) -> None:
        self._delegate = delegate
        delegate.height_corrected.connect(self._on_delegate_height_corrected)
        self.setItemDelegate(delegate)

    def _on_delegate_height_corrected(self, index: QPersistentModelIndex) -> None:
        # Painting is no time to change the layout: collect, then apply after it.
        self._corrected.append(index)
        self._correction_timer.start(0)

    def _apply_corrections(self) -> None:
        corrected, self._corrected = self._corrected, []
        for index in corrected:
            if index.isValid():
                model_index = self.model().index(index.row(), 0)
                # QTreeView re-measures just this row (its height cache is per row).
                self.dataChanged(model_index, model_index, [])

    def event(self, e: QEvent) -> bool:
        # A font or style change invalidates every cached layout.
        if e.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._use_delegate(MessageDelegate(self))
            self.scheduleDelayedItemsLayout()
        return super().event(e)
