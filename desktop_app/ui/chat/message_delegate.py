"""Paints one message of the chat, and knows where each part of a row goes.

Only visible rows are painted. Each row's height is measured once per
(message, revision, width) and cached, and a message's text layout (a
``QTextDocument``) is cached for recently painted rows, so a long conversation
scrolls smoothly. Rows never painted are sized by a cheap estimate.

Messages sit in a centred reading column (:data:`READING_WIDTH` at most):
the user's as bubbles on the right, replies across the column with no
bubble. Every row keeps a line at its bottom for the message's actions,
which the view shows on hover or keyboard focus (see
:mod:`desktop_app.ui.chat.message_editor`); reserving it keeps rows from
jumping when the actions appear. A message with other versions (edits,
regenerated replies) has its switcher "‹ 2/3 ›" painted, muted, in that
line, where the live row's bar shows it as buttons: it costs no height, so
switching never changes a row's height by itself.

Every message is untrusted text. Replies are Markdown rendered to Qt-safe
HTML by :mod:`desktop_app.ui.chat.markdown` (raw HTML off, no images, only
http(s) links) into a :class:`SafeTextDocument`, which loads no resource
whatever the HTML names. A message longer than :data:`LONG_MESSAGE_CHARS`
(a pasted log, an import) is shown shortened, as plain text: laying out and
painting a 2 MB message froze the window for seconds when the chat opened
and for about a second per streamed batch.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import (
    QCoreApplication,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPalette,
    QPen,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextDocumentFragment,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from desktop_app.core.documents.chat_links import Source
from desktop_app.core.engine.api import ReplyStats, Role, StopReason
from desktop_app.core.storage.chat_store import MessageState
from desktop_app.ui.chat.chat_model import ChatItem, ChatRole
from desktop_app.ui.chat.citations import FooterLabels, sources_footer
from desktop_app.ui.chat.markdown import DARK, LIGHT, MarkdownRenderer, Rendered
from desktop_app.ui.chat.message_editor import ICON_SIZE, themed_icon
from desktop_app.ui.chat.tool_card import CardStatus
from desktop_app.ui.chat.tool_cards_html import CardLabels, tool_cards_html
from desktop_app.ui.common.look import LIGHT_COLORS, Colors
from desktop_app.ui.common.untrusted_text import SafeTextDocument

_Index = QModelIndex | QPersistentModelIndex

READING_WIDTH = 760
"""The reading column's widest width in pixels: about 90 characters, a comfortable line."""
MARGIN_X = 18
MARGIN_Y = 8
BUBBLE_PAD = 10
USER_MAX_SHARE = 0.8
FOOTER_GAP = 4
ACTIONS_HEIGHT = 30
"""The line under each message where its action buttons appear."""
SWITCHER_PAD = 4
"""Space either side of the painted version number."""
SWITCHER_BUTTON = 22
"""The width of a painted chevron's cell: the live bar's ‹ and › buttons are this wide."""
BAR_INSET = 4
"""How far left of a reply's text its action bar starts (icons line up with the text)."""
LONG_MESSAGE_CHARS = 20_000
"""Longer messages show their first this many characters, as plain text.

About 5,000 tokens: longer than nearly every real reply, and short enough
that re-laying out a reply streaming past it stays near 10 ms a batch.
"""
BranchInfo = Callable[[int], tuple[int, int]]
"""Message id -> (index, count) among its versions; (0, 1) for a message without others."""


def no_branches(_message_id: int) -> tuple[int, int]:
    return (0, 1)


SourcesInfo = Callable[[int], "tuple[Source, ...]"]
"""Message id -> the sources its reply was given (empty for an ordinary reply)."""


def no_sources(_message_id: int) -> tuple[Source, ...]:
    return ()


DOCUMENT_STYLE = "p, li { line-height: 135%; } pre { line-height: 120%; }"
"""Airier lines than Qt's default for prose; the painted row and the editor both use it."""


_CJK = "\u2e80-\u9fff\uf900-\ufaff"
_WORD = re.compile(f"[{_CJK}]|[^\\s{_CJK}]+")
"""A word: a run of non-space characters, or one CJK character (Chinese has no spaces)."""


def is_shortened(item: ChatItem) -> bool:
    """Whether the chat shows only the start of this message (see :data:`LONG_MESSAGE_CHARS`)."""
    return len(item.content) > LONG_MESSAGE_CHARS


def shown_text(item: ChatItem) -> str:
    """The part of a message the chat lays out: all of it, or its start if it is long."""
    return item.content[:LONG_MESSAGE_CHARS] if is_shortened(item) else item.content


def renders_markdown(item: ChatItem) -> bool:
    """Replies are Markdown; the user's own text, notices and shortened messages are plain."""
    return item.role == Role.ASSISTANT and not item.notice and not is_shortened(item)


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
        if stats.drafted_tokens > 0:
            parts.append(translate("ReplyStats", "{a} of {d} drafted tokens accepted").format(
                a=stats.accepted_tokens, d=stats.drafted_tokens))
        if stats.stop_reason == StopReason.LENGTH:
            parts.append(translate("ReplyStats", "stopped at the length limit"))
    if state == MessageState.STOPPED:
        parts.append(translate("ReplyStats", "stopped"))
    elif state == MessageState.INTERRUPTED:
        parts.append(translate("ReplyStats", "interrupted"))
    return " · ".join(parts)


_PARAGRAPH, _PARAGRAPH_END = "<p>", "</p>"


def appended_text(old: str, new: str) -> str | None:
    """The plain text ``new`` adds at the end of ``old``, both a rendered paragraph, or None.

    Only when typing that text into the paragraph gives what rendering ``new``
    gives: the paragraph was plain text at its end (not inside a closing tag,
    so the text takes the paragraph's own format), nothing before it changed,
    and the new text has nothing HTML would read differently from plain text
    (markup, entities, line breaks, runs of spaces).
    """
    old, new = old.strip(), new.strip()
    if not (old.startswith(_PARAGRAPH) and old.endswith(_PARAGRAPH_END)
            and new.endswith(_PARAGRAPH_END)):
        return None
    before, after = old[:-len(_PARAGRAPH_END)], new[:-len(_PARAGRAPH_END)]
    if len(after) <= len(before) or not after.startswith(before) or before.endswith(">"):
        return None
    extra = after[len(before):]
    if any(c in extra for c in "<>&\n\r\t") or "  " in before[-1] + extra:
        return None
    return extra


class StreamingDocument:
    """The streaming reply's document, updated by replacing only the blocks that changed.

    ``setHtml`` of the whole reply on every batch made a batch cost grow with
    the reply (2 ms at its start, 8.5 ms at 4,000 tokens with code blocks);
    a batch changes only the last top-level block or starts a new one, so
    only those are removed and inserted again, and Qt re-lays out only them.

    Attributes:
        blocks_inserted: top-level blocks inserted so far (tests count them).
        texts_appended: batches that only added plain words to the last paragraph,
            typed into it without parsing (:func:`appended_text`).
        changed_top: where the last update's changes begin, in document
            coordinates (everything above it is as it was): the view repaints
            only from there down.
    """

    def __init__(self, message_id: int, doc: SafeTextDocument) -> None:
        self.message_id = message_id
        self.doc = doc
        self._pieces: list[str] = []
        self._starts: list[int] = []  # the position where each piece's text begins
        self.blocks_inserted = 0
        self.texts_appended = 0
        self.changed_top = 0.0

    def update(self, pieces: tuple[str, ...]) -> None:
        same = 0
        limit = min(len(pieces), len(self._pieces))
        while same < limit and pieces[same] == self._pieces[same]:
            same += 1
        if same == len(pieces) == len(self._pieces):
            return
        if same == len(pieces) - 1 == len(self._pieces) - 1:
            extra = appended_text(self._pieces[-1], pieces[-1])
            if extra is not None:
                self._append_text(extra)
                self._pieces[-1] = pieces[-1]
                return
        cursor = QTextCursor(self.doc)
        if same == 0 and self._pieces:
            self.doc.clear()
        elif same < len(self._pieces):
            # Remove from the end of the last unchanged block (its separator) to the end.
            cursor.setPosition(self._starts[same] - 1)
            cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
        if same == 0:
            self.changed_top = 0.0
        else:
            # Everything below the last kept block is replaced or new.
            end = (self._starts[same] - 1 if same < len(self._starts)
                   else self.doc.characterCount() - 1)
            kept = self.doc.findBlock(end)
            self.changed_top = self.doc.documentLayout().blockBoundingRect(kept).bottom()
        del self._pieces[same:]
        del self._starts[same:]
        for piece in pieces[same:]:
            html = piece.strip()
            if not self._pieces:
                self.doc.setHtml(html)  # the first block: exactly as the whole reply renders
                self._starts.append(0)
            else:
                self._append(cursor, html)
            self._pieces.append(piece)
            self.blocks_inserted += 1

    def _append_text(self, text: str) -> None:
        """The common batch: words added to the paragraph at the end, in its format.

        Typed into the last block instead of parsing the paragraph again and
        swapping its block (a tenth of the cost); only its last line and what
        follows are laid out and repainted.
        """
        cursor = QTextCursor(self.doc)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        block = cursor.block()
        layout = block.layout()
        top = self.doc.documentLayout().blockBoundingRect(block).top()
        if layout is not None and layout.lineCount() > 0:
            top += layout.lineAt(layout.lineCount() - 1).y()
        self.changed_top = top
        cursor.insertText(text)  # in the format of the character before it
        self.texts_appended += 1

    def _append(self, cursor: QTextCursor, html: str) -> None:
        cursor.movePosition(QTextCursor.MoveOperation.End)
        # A fresh block with no formats, so a piece never inherits its neighbour's.
        cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
        start = cursor.position()
        # Parsed alone with the same defaults (font, line height), then copied in.
        alone = SafeTextDocument()
        alone.setDefaultFont(self.doc.defaultFont())
        alone.setDefaultStyleSheet(self.doc.defaultStyleSheet())
        alone.setHtml(html)
        cursor.insertFragment(QTextDocumentFragment(alone))
        block = self.doc.findBlock(start)
        if block.length() == 1 and block.next().isValid():
            # A list or a table starts on blocks of its own: drop the empty one before it.
            # (The list now begins where the empty block did: ``start`` stays right.)
            QTextCursor(block).deletePreviousChar()
        elif alone.begin().textList() is None:
            # Qt keeps the block format of the block a fragment goes into: give the
            # piece's first block its own format back (a paragraph's margins).
            QTextCursor(block).setBlockFormat(alone.begin().blockFormat())
        self._starts.append(start)


@dataclass(frozen=True)
class RowGeometry:
    """Where the parts of one row go, in view coordinates (shared by painting and the editor)."""

    bubble: QRect        # the user's bubble (empty for replies and notices)
    reasoning: QRect     # the "▸ Reasoning" line (empty without reasoning)
    thinking: QRect      # the expanded reasoning text (empty when collapsed)
    text: QRect          # the message text: the painted document or the editor over it
    footer: QRect        # statistics and errors under a reply
    actions: QRect       # the line for the action buttons
    switcher: QRect      # the painted "‹ 2/3 ›", in the actions line (empty without versions)


class MessageDelegate(QStyledItemDelegate):
    """Paints one message: user turns as bubbles on the right, replies across the column.

    Keeps two caches: heights for every row it has measured (cheap, needed for
    the whole list's layout) and documents for recently painted rows (bounded).

    Signals:
        height_corrected(QPersistentModelIndex): a row's estimated height was wrong.

    Attributes:
        exact_measurements: rows laid out exactly (tests and benchmarks read it).
        markdown_renders: documents filled from rendered Markdown (tests read it).
        hidden_text_id: the message whose text the view's editor shows instead.
        branch_info: a message's (index, count) among its versions, asked at every
            layout and paint (the controller answers from memory).
    """

    height_corrected = Signal(QPersistentModelIndex)

    MAX_DOCUMENTS = 160

    def __init__(self, parent: QWidget | None = None, colors: Colors = LIGHT_COLORS) -> None:
        super().__init__(parent)
        self._documents: OrderedDict[tuple[int, int, int], QTextDocument] = OrderedDict()
        # message id -> (revision, width, height)
        self._heights: dict[int, tuple[int, int, int]] = {}
        # Rows whose cached height is an estimate, corrected when first painted.
        self._estimated: set[int] = set()
        self._words: dict[int, tuple[int, int]] = {}  # message id -> (revision, reasoning words)
        self._expanded: set[int] = set()  # replies whose reasoning is shown
        self._thinking_docs: dict[tuple[int, int, int], QTextDocument] = {}
        self.streaming: StreamingDocument | None = None
        # The viewport's area being repainted, set by the view around each paint event.
        self.paint_area: QRect | None = None
        self.colors = colors
        self.markdown = MarkdownRenderer(DARK if colors.dark else LIGHT, self.tr("Copy"))
        self.exact_measurements = 0
        self.markdown_renders = 0
        self.hidden_text_id: int | None = None
        self.branch_info: BranchInfo = no_branches
        # Replies written from documents: their sources, and whose Sources list is open.
        self.sources_info: SourcesInfo = no_sources
        self.sources_expanded: set[int] = set()
        # Tool cards whose result is shown: (message id, card number).
        self.tool_results_shown: set[tuple[int, int]] = set()
        self.cited_markdown = MarkdownRenderer(DARK if colors.dark else LIGHT, self.tr("Copy"),
                                               cite=True)

    # ---- state the view changes -------------------------------------------------

    def reasoning_expanded(self, item: ChatItem) -> bool:
        return item.message_id in self._expanded

    def toggle_reasoning(self, item: ChatItem) -> None:
        """Show or hide a reply's reasoning in place (the view re-measures the row)."""
        self._expanded ^= {item.message_id}
        self._heights.pop(item.message_id, None)

    # ---- documents ----------------------------------------------------------------

    def column(self, view_width: int) -> tuple[int, int]:
        """The reading column's left edge and width for a viewport this wide."""
        width = max(160, min(READING_WIDTH, view_width - 2 * MARGIN_X))
        return max(0, (view_width - width) // 2), width

    def text_width(self, item: ChatItem, view_width: int) -> int:
        width = self.column(view_width)[1]
        if item.role == Role.USER:
            return max(80, int(width * USER_MAX_SHARE) - 2 * BUBBLE_PAD)
        return width

    def rendered(self, item: ChatItem) -> Rendered:
        """A reply's Markdown as HTML; only its last block is parsed again as it grows.

        A reply with sources gets its citation numbers as links (:mod:`.citations`).
        """
        renderer = self.cited_markdown if self.sources_info(item.message_id) else self.markdown
        return renderer.render_blocks(shown_text(item))

    def toggle_sources(self, item: ChatItem) -> None:
        """Expand or collapse a reply's Sources list (the view re-measures the row)."""
        self.sources_expanded ^= {item.message_id}
        self._heights.pop(item.message_id, None)
        for key in [k for k in self._documents if k[0] == item.message_id]:
            del self._documents[key]

    def toggle_tool_result(self, item: ChatItem, number: int) -> None:
        """Show or hide one tool card's result (the view re-measures the row)."""
        self.tool_results_shown ^= {(item.message_id, number)}
        self._heights.pop(item.message_id, None)
        for key in [k for k in self._documents if k[0] == item.message_id]:
            del self._documents[key]

    def tool_cards_html(self, item: ChatItem) -> str:
        """The cards of the tools a reply called (all plain text: :mod:`.tool_cards_html`)."""
        if not item.tool_cards:
            return ""
        labels = CardLabels({
            CardStatus.WAITING: self.tr("waiting for approval"),
            CardStatus.RUNNING: self.tr("running…"),
            CardStatus.DONE: self.tr("done"),
            CardStatus.DENIED: self.tr("denied"),
            CardStatus.FAILED: self.tr("failed"),
        }, self.tr("Result"), self.tr("{s:.1f} s"))
        shown = {n for m, n in self.tool_results_shown if m == item.message_id}
        return tool_cards_html(item.tool_cards, shown, self.markdown.palette, labels)

    def forget_layouts(self) -> None:
        """Drop every cached height and document (sources arrived: rows render differently)."""
        self._heights.clear()
        self._documents.clear()
        self.streaming = None

    def sources_html(self, item: ChatItem) -> str:
        """The Sources line (and list, when expanded) under a reply written from documents."""
        sources = self.sources_info(item.message_id)
        if not sources or item.state == MessageState.STREAMING:
            return ""
        palette = self.cited_markdown.palette
        labels = FooterLabels(self.tr("Sources ({n})"),
                              self.tr("not given to the model (no room)"),
                              self.tr("score {score:.2f}"))
        return sources_footer(sources, item.message_id in self.sources_expanded, palette.link,
                              palette.code_header, labels)

    def new_document(self, font: QFont) -> SafeTextDocument:
        doc = SafeTextDocument()
        doc.setDefaultFont(font)
        doc.setDocumentMargin(0)
        doc.setDefaultStyleSheet(DOCUMENT_STYLE)
        return doc

    def fill_document(self, doc: QTextDocument, item: ChatItem) -> None:
        """Put a message's text into ``doc`` exactly as the chat shows it."""
        if is_shortened(item):
            self._set_shortened(doc, item)
        elif renders_markdown(item):
            if not item.content and item.state == MessageState.STREAMING \
                    and not item.tool_cards:
                doc.setPlainText("…")
            else:
                doc.setHtml(self.rendered(item).html + self.tool_cards_html(item)
                            + self.sources_html(item))
                self.markdown_renders += 1
        else:
            doc.setPlainText(item.content)

    def document(self, item: ChatItem, width: int, font: QFont) -> QTextDocument:
        key = (item.message_id, item.revision, width)
        doc = self._documents.get(key)
        if doc is not None:
            self._documents.move_to_end(key)
            return doc
        if (item.state == MessageState.STREAMING and renders_markdown(item) and item.content
                and not item.tool_cards):  # cards change in place: rendered whole
            doc = self._streaming_document(item, width, font)
        else:
            if self.streaming is not None and self.streaming.message_id == item.message_id:
                self.streaming = None  # finished: drawn from one whole render from now on
            doc = self.new_document(font)
            self.fill_document(doc, item)
            doc.setTextWidth(width)
        # Older revisions of this message are never painted again.
        for old in [k for k in self._documents if k[0] == item.message_id]:
            del self._documents[old]
        self._documents[key] = doc
        while len(self._documents) > self.MAX_DOCUMENTS:
            self._documents.popitem(last=False)
        return doc

    def _streaming_document(self, item: ChatItem, width: int, font: QFont) -> QTextDocument:
        """The streaming reply's one document, brought up to date block by block."""
        streaming = self.streaming
        if (streaming is None or streaming.message_id != item.message_id
                or streaming.doc.textWidth() != width):
            doc = self.new_document(font)
            doc.setTextWidth(width)
            streaming = self.streaming = StreamingDocument(item.message_id, doc)
        streaming.update(self.rendered(item).pieces)
        self.markdown_renders += 1
        return streaming.doc

    def _set_shortened(self, doc: QTextDocument, item: ChatItem) -> None:
        """The first :data:`LONG_MESSAGE_CHARS` characters as plain text,
        then an italic line on what is left out."""
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

    def _thinking_document(self, item: ChatItem, width: int, font: QFont) -> QTextDocument:
        key = (item.message_id, item.revision, width)
        doc = self._thinking_docs.get(key)
        if doc is None:
            doc = self.new_document(self.small_font(font))
            doc.setPlainText(item.thinking.strip())
            doc.setTextWidth(width)
            self._thinking_docs = {k: v for k, v in self._thinking_docs.items()
                                   if k[0] != item.message_id}
            self._thinking_docs[key] = doc
        return doc

    # ---- layout ---------------------------------------------------------------------

    def footer_text(self, item: ChatItem) -> str:
        if item.notice or item.role != Role.ASSISTANT:
            return ""
        footer = format_stats(item.stats, item.state)
        if item.error:
            footer = f"{footer} · {item.error}" if footer else item.error
        return footer

    def reasoning_label(self, item: ChatItem) -> str:
        """One muted line standing for a reasoning model's thinking: a toggle, shown collapsed."""
        if item.notice or item.role != Role.ASSISTANT or not item.thinking.strip():
            return ""
        words = self._word_count(item)
        if item.state == MessageState.STREAMING and not item.content:
            return self.tr("Thinking… ({n} words)").format(n=words)
        if self.reasoning_expanded(item):
            return self.tr("▾ Reasoning, {n} words").format(n=words)
        return self.tr("▸ Reasoning, {n} words").format(n=words)

    def _word_count(self, item: ChatItem) -> int:
        """Words of the reasoning, counted once per revision (it is asked for at every paint)."""
        cached = self._words.get(item.message_id)
        if cached is None or cached[0] != item.revision:
            cached = (item.revision, len(_WORD.findall(item.thinking)))
            self._words[item.message_id] = cached
        return cached[1]

    def small_font(self, font: QFont) -> QFont:
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.87))
        return small

    def _reasoning_height(self, item: ChatItem, font: QFont) -> int:
        if not self.reasoning_label(item):
            return 0
        return QFontMetrics(self.small_font(font)).height() + 2 * FOOTER_GAP

    def _footer_height(self, item: ChatItem, width: int, font: QFont, *, exact: bool) -> int:
        footer = self.footer_text(item)
        if not footer:
            return 0
        metrics = QFontMetrics(self.small_font(font))
        if not exact:
            return FOOTER_GAP + metrics.lineSpacing()
        bounds = metrics.boundingRect(QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap,
                                      footer)
        return FOOTER_GAP + bounds.height()

    def geometry(self, item: ChatItem, rect: QRect, font: QFont) -> RowGeometry:
        """Lays the row out in ``rect`` (its visual rect): the text's document is measured."""
        left, width = self.column(rect.width())
        left += rect.left()
        text_width = self.text_width(item, rect.width())
        doc = self.document(item, text_width, font)
        doc_h = int(doc.size().height())
        top = rect.top() + MARGIN_Y
        empty = QRect()
        if item.notice:
            ideal = min(text_width, int(doc.idealWidth()) + 1)
            text = QRect(left + (width - ideal) // 2, top, ideal, doc_h)
            return RowGeometry(empty, empty, empty, text, empty, empty, empty)
        if item.role == Role.USER:
            doc_w = min(text_width, max(int(doc.idealWidth()) + 1, 24))
            bubble = QRect(left + width - doc_w - 2 * BUBBLE_PAD, top,
                           doc_w + 2 * BUBBLE_PAD, doc_h + 2 * BUBBLE_PAD)
            text = QRect(bubble.left() + BUBBLE_PAD, bubble.top() + BUBBLE_PAD, text_width,
                         doc_h)
            actions = QRect(left, bubble.bottom() + 1, width, ACTIONS_HEIGHT)
            return RowGeometry(bubble, empty, empty, text, empty, actions,
                               self._switcher_rect(item, actions, font))
        reasoning = thinking = empty
        label_h = self._reasoning_height(item, font)
        if label_h:
            reasoning = QRect(left, top, width, label_h)
            top += label_h
            if self.reasoning_expanded(item):
                thinking_doc = self._thinking_document(item, text_width - 14, font)
                thinking = QRect(left + 14, top, text_width - 14,
                                 int(thinking_doc.size().height()) + FOOTER_GAP)
                top = thinking.bottom() + 1 + FOOTER_GAP
        text = QRect(left, top, text_width, doc_h)
        footer_h = self._footer_height(item, text_width, font, exact=True)
        footer = QRect(left, text.bottom() + 1 + FOOTER_GAP, text_width,
                       footer_h - FOOTER_GAP) if footer_h else empty
        actions = QRect(left, text.bottom() + 1 + footer_h, width, ACTIONS_HEIGHT)
        return RowGeometry(empty, reasoning, thinking, text, footer, actions,
                           self._switcher_rect(item, actions, font))

    def switcher_text(self, item: ChatItem) -> str:
        """The painted version switcher, "‹ 2/3 ›", or "" for a message with no other version."""
        if item.notice or item.message_id < 0:
            return ""
        index, count = self.branch_info(item.message_id)
        return f"‹ {index + 1}/{count} ›" if count > 1 else ""

    def _switcher_rect(self, item: ChatItem, actions: QRect, font: QFont) -> QRect:
        """Where the painted switcher goes: where the live bar shows its buttons.

        The start of the actions line for replies, its end for the user's
        (right-aligned) messages.
        """
        label = self._switcher_label(item)
        if not label:
            return QRect()
        width = (QFontMetrics(self.small_font(font)).horizontalAdvance(label)
                 + 2 * SWITCHER_PAD + 2 * SWITCHER_BUTTON)
        x = actions.right() + 1 - width if item.role == Role.USER else actions.left() - BAR_INSET
        return QRect(x, actions.top(), width, actions.height())

    def _switcher_label(self, item: ChatItem) -> str:
        """The number between the painted chevrons: "2/3"."""
        if item.notice or item.message_id < 0:
            return ""
        index, count = self.branch_info(item.message_id)
        return f"{index + 1}/{count}" if count > 1 else ""

    def _paint_switcher(self, painter: QPainter, item: ChatItem, rect: QRect, font: QFont,
                        color: QColor) -> None:
        """‹ 2/3 › as the live bar shows it: chevron icons in button-wide cells, the number."""
        icon_top = rect.top() + (rect.height() - ICON_SIZE) // 2
        inset = (SWITCHER_BUTTON - ICON_SIZE) // 2
        for name, left in (("chevron-left", rect.left() + inset),
                           ("chevron-right", rect.right() + 1 - SWITCHER_BUTTON + inset)):
            themed_icon(name, color.name()).paint(
                painter, QRect(left, icon_top, ICON_SIZE, ICON_SIZE))
        painter.setFont(self.small_font(font))
        painter.setPen(color)
        painter.drawText(rect.adjusted(SWITCHER_BUTTON, 0, -SWITCHER_BUTTON, 0),
                         Qt.AlignmentFlag.AlignCenter, self._switcher_label(item))

    def _measure(self, item: ChatItem, view_width: int, font: QFont) -> int:
        """The row's exact height: lays out its text (cached per revision and width)."""
        cached = self._heights.get(item.message_id)
        if (cached is not None and cached[0] == item.revision and cached[1] == view_width
                and item.message_id not in self._estimated):
            return cached[2]
        parts = self.geometry(item, QRect(0, 0, view_width, 0), font)
        bottom = max(parts.text.bottom(), parts.bubble.bottom(), parts.footer.bottom(),
                     parts.actions.bottom())
        height = bottom + 1 + MARGIN_Y
        self._heights[item.message_id] = (item.revision, view_width, height)
        self._estimated.discard(item.message_id)
        self.exact_measurements += 1
        return height

    def streaming_changed_top(self, item: ChatItem, rect: QRect, font: QFont) -> int | None:
        """Where the streaming reply in ``rect`` changed with its last batch, in view
        coordinates: above it the row is painted as it was. None when that is not
        known (not the streaming document, or reasoning that streams above the text)."""
        streaming = self.streaming
        if (streaming is None or streaming.message_id != item.message_id or item.thinking
                or item.tool_cards):
            return None
        parts = self.geometry(item, rect, font)
        return parts.text.top() + int(streaming.changed_top)

    def exact_height(self, item: ChatItem, view_width: int, font: QFont) -> int:
        """The row's height, laid out exactly now (the view anchors a row it is about to show)."""
        return self._measure(item, view_width, font)

    def _estimate(self, item: ChatItem, view_width: int, font: QFont) -> int:
        """A cheap height for a row not yet painted: wrapped lines from character widths.

        Laying out Markdown for every row of a long chat just to size the scroll
        bar took ~0.3 ms a message; rows get their exact height when first
        painted (see :meth:`paint`), so only what is on screen is laid out.
        """
        metrics = QFontMetrics(font)
        width = max(1, self.text_width(item, view_width))
        char = max(1, metrics.averageCharWidth())
        lines = 0
        for line in shown_text(item).split("\n"):
            # CJK characters are about twice as wide as the average Latin one.
            units = len(line) + sum(1 for c in line if ord(c) >= 0x2E80)
            lines += max(1, -(-units * char // width))
        height = (int(lines * metrics.lineSpacing() * 1.3) + 2 * MARGIN_Y
                  + self._reasoning_height(item, font)
                  + self._footer_height(item, width, font, exact=False))
        if item.role == Role.USER:
            height += 2 * BUBBLE_PAD
        if not item.notice:
            height += ACTIONS_HEIGHT
        self._heights[item.message_id] = (item.revision, view_width, height)
        self._estimated.add(item.message_id)
        return height

    def _cached_height(self, item: ChatItem, view_width: int) -> int | None:
        """The row's height measured or estimated for this revision and width, if any."""
        cached = self._heights.get(item.message_id)
        if cached is not None and cached[0] == item.revision and cached[1] == view_width:
            return cached[2]
        return None

    def _height(self, item: ChatItem, view_width: int, font: QFont) -> int:
        cached = self._cached_height(item, view_width)
        if cached is not None:
            return cached
        if (item.state == MessageState.STREAMING or item.notice
                or item.message_id in self._expanded or self.sources_info(item.message_id)
                or item.tool_cards):
            # The estimate knows nothing of a Sources list under a reply: measure those.
            return self._measure(item, view_width, font)
        return self._estimate(item, view_width, font)

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        item: ChatItem = index.data(ChatRole.MESSAGE)
        width = self._view_width(option)
        # The common call finds the height cached: the view lays out every row again when
        # one is added, a thousand calls in a long chat, which need no font (a copy each).
        cached = self._cached_height(item, width)
        return QSize(width, cached if cached is not None else
                     self._height(item, width, option.font))

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
        parts = self.geometry(item, rect, option.font)
        doc = self.document(item, self.text_width(item, rect.width()), option.font)
        view = self.parent()
        visible = (view.viewport().rect().intersected(rect)
                   if isinstance(view, QAbstractItemView) else rect)
        if self.paint_area is not None:
            # Only what this paint event repaints (a streaming reply's last lines).
            visible = visible.intersected(self.paint_area)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_color = palette.color(QPalette.ColorRole.Text)
        muted = QColor(self.colors.muted)

        if self.hidden_text_id == item.message_id and not item.notice:
            # The live message (under the pointer or the keyboard) is lightly shaded.
            hover = QColor(text_color)
            hover.setAlphaF(0.035)
            left, width = self.column(rect.width())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(hover)
            painter.drawRoundedRect(QRect(rect.left() + left - 8, rect.top() + 2, width + 16,
                                          rect.height() - 4), 10, 10)
        if not parts.bubble.isEmpty():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(self.colors.user_bubble))
            painter.drawRoundedRect(parts.bubble, 14, 14)
        if not parts.reasoning.isEmpty():
            painter.setFont(self.small_font(option.font))
            painter.setPen(muted)
            painter.drawText(parts.reasoning, Qt.AlignmentFlag.AlignLeft
                             | Qt.AlignmentFlag.AlignVCenter, self.reasoning_label(item))
        if not parts.thinking.isEmpty():
            painter.setPen(QPen(QColor(self.colors.border), 2))
            painter.drawLine(parts.thinking.left() - 8, parts.thinking.top(),
                             parts.thinking.left() - 8, parts.thinking.bottom())
            thinking_doc = self._thinking_document(item, parts.thinking.width(), option.font)
            self._draw_doc(painter, thinking_doc, parts.thinking.topLeft(), muted, visible)
        if self.hidden_text_id != item.message_id:
            self._draw_doc(painter, doc, parts.text.topLeft(),
                           muted if item.notice else text_color, visible)
        if not parts.footer.isEmpty():
            painter.setFont(self.small_font(option.font))
            painter.setPen(QColor(self.colors.error) if item.error else muted)
            painter.drawText(parts.footer, Qt.TextFlag.TextWordWrap, self.footer_text(item))
        if not parts.switcher.isEmpty() and self.hidden_text_id != item.message_id:
            # The live row's action bar shows it as buttons instead, on the same spot.
            self._paint_switcher(painter, item, parts.switcher, option.font, muted)
        if option.state & QStyle.StateFlag.State_HasFocus:
            # A focus ring for keyboard users, around the column.
            left, width = self.column(rect.width())
            ring = QPen(QColor(self.colors.accent), 2)
            painter.setPen(ring)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRect(rect.left() + left - 7, rect.top() + 3, width + 14,
                                          rect.height() - 6), 10, 10)
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
