"""The chat transcript: a virtualised view of painted rows, with one live message.

Rows are painted by :class:`~desktop_app.ui.chat.message_delegate.MessageDelegate`
(no widget per message: a long chat stays fast). The row under the pointer,
or the current row when moving with the keyboard, gets the view's single
:class:`~desktop_app.ui.chat.message_editor.MessageBrowser` and
:class:`~desktop_app.ui.chat.message_editor.MessageActions`, placed over the
painted text, so text can be selected and copied, links clicked and actions
used. The streaming row never gets them: it changes every batch.

A message with other versions (an edited question, a regenerated reply)
shows "‹ 2/3 ›": painted in its actions line, and as buttons in the live
row's bar; Alt+Left and Alt+Right switch the current message's version.
The view asks for the numbers through :meth:`ChatView.set_branch_info` and
asks for a switch with ``branch_switch_requested``; it keeps the switched
message where it was on screen when the chat reloads with the new branch.

Links are untrusted: only http(s) ones are links at all (see
:mod:`desktop_app.ui.chat.markdown`), and a click shows the full address and
opens the browser only once the user confirms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAccessible,
    QAccessibleTableModelChangeEvent,
    QColor,
    QCursor,
    QDesktopServices,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QMessageBox,
    QToolButton,
    QToolTip,
    QTreeView,
    QWidget,
)

from desktop_app.core.engine.api import Role, StopReason
from desktop_app.core.storage.chat_store import MessageState
from desktop_app.ui.chat.chat_model import ChatItem, ChatModel
from desktop_app.ui.chat.citations import SOURCE_SCHEME, SOURCES_SCHEME, source_key
from desktop_app.ui.chat.markdown import COPY_SCHEME, LIGHT, SAFE_LINK, MarkdownRenderer
from desktop_app.ui.chat.message_delegate import (
    BAR_INSET,
    DOCUMENT_STYLE,
    BranchInfo,
    MessageDelegate,
    SourcesInfo,
    no_branches,
    no_sources,
    renders_markdown,
)
from desktop_app.ui.chat.message_editor import MessageActions, MessageBrowser, themed_icon
from desktop_app.ui.chat.tool_cards_html import card_number
from desktop_app.ui.common.look import LIGHT_COLORS, Colors
from desktop_app.ui.common.quiet_scroll_bar import QuietScrollBar
from desktop_app.ui.common.untrusted_text import SafeTextDocument, plain_tooltip

LinkConfirm = Callable[[QWidget, str], bool]


def ask_to_open_link(parent: QWidget, url: str) -> bool:
    """Ask before a reply's link opens the browser, showing the whole address as plain text."""
    translate = QCoreApplication.translate
    box = QMessageBox(QMessageBox.Icon.Question, translate("ChatView", "Open link?"), "",
                      QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
                      parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(translate("ChatView", "Open this address in your web browser?\n\n{url}")
                .format(url=url))
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box.exec() == QMessageBox.StandardButton.Open


def can_continue(item: ChatItem) -> bool:
    """A reply stopped by the user, cut off by a crash or at the length limit can be continued."""
    return item.state in (MessageState.STOPPED, MessageState.INTERRUPTED) or (
        item.stats is not None and item.stats.stop_reason == StopReason.LENGTH)


class ChatView(QTreeView):
    """The transcript. Follows the bottom while a reply streams, unless the user scrolled up.

    A flat, headerless QTreeView rather than a QListView: QListView (Qt 6) lays
    out every row again on each ``dataChanged``, which is a thousand Python
    ``sizeHint`` calls per streamed batch in a long chat, while QTreeView
    re-measures only the changed row and keeps the other heights cached.

    Signals:
        context_menu_requested(int, QPoint): row, and the global position for the menu.
        edit_requested(int): the user wants to change and resend this (user) message's row.
        regenerate_requested(): the user wants the last reply written again.
        continue_requested(): the user wants the last reply continued.
        branch_switch_requested(int, int): show another version of this message
            (id), -1 the previous one, +1 the next one.
        source_requested(int, object): a citation or Sources entry was clicked: the
            reply's message id and the SourceKey (see :mod:`.citations`).

    Attributes:
        confirm_link: asks whether to open a link (parent, url) -> bool; tests replace it.
    """

    context_menu_requested = Signal(int, QPoint)
    edit_requested = Signal(int)
    regenerate_requested = Signal()
    continue_requested = Signal()
    branch_switch_requested = Signal(int, int)
    source_requested = Signal(int, object)

    def __init__(self, parent: QWidget | None = None, colors: Colors = LIGHT_COLORS) -> None:
        super().__init__(parent)
        self.confirm_link: LinkConfirm = ask_to_open_link
        self._colors = colors
        self._busy = False
        self._branch_info: BranchInfo = no_branches
        self._sources_info: SourcesInfo = no_sources
        # While a version switch is asked for: the reload puts the row back, not at the end.
        self._switching = False
        self._switched_reset = False
        self._corrected: list[QPersistentModelIndex] = []
        self._correction_timer = QTimer(self)
        self._correction_timer.setSingleShot(True)
        self._correction_timer.timeout.connect(self._apply_corrections)
        # Created before anything below can call an override that uses them.
        self._editor_index = QPersistentModelIndex()
        self.browser = MessageBrowser(self.viewport())
        self.browser.hide()
        self.browser.anchorClicked.connect(self._on_browser_anchor_clicked)
        self.browser.highlighted.connect(self._on_browser_link_hovered)
        self.browser.installEventFilter(self)
        self.actions_bar = MessageActions(self.viewport())
        self.actions_bar.hide()
        self.actions_bar.copy_clicked.connect(lambda: self._on_action(self.copy_message))
        self.actions_bar.edit_clicked.connect(lambda: self._on_action(self.edit_requested.emit))
        self.actions_bar.regenerate_clicked.connect(self.regenerate_requested)
        self.actions_bar.continue_clicked.connect(self.continue_requested)
        self.actions_bar.branch_clicked.connect(self._on_branch_clicked)
        self._place_timer = QTimer(self)
        self._place_timer.setSingleShot(True)
        self._place_timer.timeout.connect(self._place_editor)
        # Follows rows added at the end once control is back in the event loop (see
        # _on_rows_inserted).
        self._follow_timer = QTimer(self)
        self._follow_timer.setSingleShot(True)
        self._follow_timer.timeout.connect(self._follow_to_bottom)

        self._delegate = MessageDelegate(self, colors)
        self._use_delegate(self._delegate)
        # Plain-text copies: code without its "python · Copy" header line.
        self._plain_markdown = MarkdownRenderer(LIGHT, copy_label="")
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setItemsExpandable(False)
        self.setIndentation(0)
        self.setUniformRowHeights(False)
        self.setAllColumnsShowFocus(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setWordWrap(True)
        self.setFrameShape(QTreeView.Shape.NoFrame)
        self.setMouseTracking(True)
        self.header().setStretchLastSection(True)
        self.setVerticalScrollBar(QuietScrollBar(Qt.Orientation.Vertical, self))
        self.verticalScrollBar().setSingleStep(24)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_context_menu)
        self._follow = True
        self._streaming_update = False  # in dataChanged for the streaming row
        # (message id, viewport width, height) of the streaming row as QTreeView last
        # measured it: a batch that leaves the height alone skips the re-measure.
        self._streaming_height: tuple[int, int, int] | None = None
        self._laid_out_width = -1
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.verticalScrollBar().rangeChanged.connect(self._on_range_changed)

        self.jump_button = QToolButton(self)
        self.jump_button.setObjectName("jumpToLatest")
        self.jump_button.setText(self.tr("Jump to latest"))
        self.jump_button.setAccessibleName(self.tr("Jump to latest"))
        self.jump_button.setToolTip(self.tr("Scroll to the newest message and follow the reply"))
        self.jump_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.jump_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.jump_button.clicked.connect(self.jump_to_latest)
        self.jump_button.hide()
        self.set_colors(colors)

    # ---- model and theme -------------------------------------------------------

    def setModel(self, model: Any) -> None:
        old = self.model()
        if isinstance(old, ChatModel):
            old.modelReset.disconnect(self._on_reset)
            old.rowsInserted.disconnect(self._on_rows_inserted)
            old.rowsRemoved.disconnect(self._on_rows_removed)
            old.dataChanged.disconnect(self._on_data_changed)
        super().setModel(model)
        if isinstance(model, ChatModel):
            model.modelReset.connect(self._on_reset)
            model.rowsInserted.connect(self._on_rows_inserted)
            model.rowsRemoved.connect(self._on_rows_removed)
            model.dataChanged.connect(self._on_data_changed)

    def chat_model(self) -> ChatModel:
        model = self.model()
        assert isinstance(model, ChatModel)
        return model

    def set_colors(self, colors: Colors) -> None:
        """Apply a theme: Markdown is rendered again in its palette (code colours, links)."""
        self._colors = colors
        self._replace_delegate()
        self.actions_bar.set_color(colors.muted)
        self.jump_button.setIcon(themed_icon("jump-down", colors.text))
        self.scheduleDelayedItemsLayout()
        self._refresh_editor()

    def set_busy(self, busy: bool) -> None:
        """While a reply streams, Regenerate and Continue are not offered."""
        self._busy = busy
        self._refresh_editor()

    def message_delegate(self) -> MessageDelegate:
        return self._delegate

    def set_branch_info(self, branch_info: BranchInfo) -> None:
        """Where a message's (index, count) among its versions comes from (the controller)."""
        self._branch_info = branch_info
        self._delegate.branch_info = branch_info
        self.viewport().update()
        self._refresh_editor()

    def set_sources_info(self, sources_info: SourcesInfo) -> None:
        """Where a reply's sources come from (the documents' chat links); see :mod:`.citations`."""
        self._sources_info = sources_info
        self._delegate.sources_info = sources_info
        self.sources_changed()

    def sources_changed(self) -> None:
        """Sources of shown replies arrived or changed: lay the rows out again."""
        self._delegate.forget_layouts()
        self.scheduleDelayedItemsLayout()
        self.viewport().update()
        self._refresh_editor()

    # ---- following the bottom ----------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Heights depend on the width (word wrap): re-measure every row, once per width.
        width = self.viewport().width()
        if width != self._laid_out_width:
            self._laid_out_width = width
            self.scheduleDelayedItemsLayout()
            # The live text wraps at the old width until refilled (a side panel opening
            # narrows the chat without any window resize).
            self._refresh_editor()
        self._place_jump_button()
        self._place_timer.start(0)

    def _place_jump_button(self) -> None:
        self.jump_button.adjustSize()
        area = self.viewport().geometry()
        size = self.jump_button.sizeHint()
        self.jump_button.move(area.right() - size.width() - 16,
                              area.bottom() - size.height() - 12)

    def jump_to_latest(self) -> None:
        """Scroll to the bottom and follow the streaming reply again."""
        self._follow = True
        self.scrollToBottom()
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())
        self.jump_button.hide()

    def is_following(self) -> bool:
        return self._follow

    def _on_reset(self) -> None:
        self.close_editor()
        if self._switching:
            self._switched_reset = True  # switch_branch puts the switched row back in place
            return
        self._follow = True
        self.jump_button.hide()
        self.scrollToBottom()

    def _on_rows_inserted(self, *_args: Any) -> None:
        """Follow new rows, after the code that added them has finished.

        ``scrollToBottom`` lays out every row at once (a Python ``sizeHint`` per
        row: about 20 ms in a 1,000-message chat on 2 cores). Called here, a send
        paid that twice (the user's message, then the reply's row), both before
        the request left for the engine: time to first token grew by it. From the
        event loop, the two rows cost one layout, after the request is on its way.
        """
        if self._follow:
            self._follow_timer.start(0)

    def _follow_to_bottom(self) -> None:
        if self._follow:
            self.scrollToBottom()

    def _on_rows_removed(self, *_args: Any) -> None:
        # The live row was removed (regenerate, edit) or moved up: close or re-place it.
        if self._editor_index.isValid():
            self._place_timer.start(0)
        else:
            self.close_editor()

    def _on_scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum() - 4
        self.jump_button.setVisible(not self._follow)
        if self.jump_button.isVisible():
            self._place_jump_button()
            self.jump_button.raise_()

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._follow and not self._streaming_update:
            self.verticalScrollBar().setValue(maximum)

    def dataChanged(self, top_left: QModelIndex | QPersistentModelIndex,
                    bottom_right: QModelIndex | QPersistentModelIndex,
                    roles: Sequence[int] = ()) -> None:
        """A streamed batch repaints what it changed, not the page.

        For a row whose height changed, QTreeView repaints the whole viewport
        (and otherwise the whole row), about 20 times a second while a reply
        streams into view: most of the GUI thread's time, taken from llama.cpp
        on a small machine. For the streaming reply, the view's own update is
        held back while QTreeView re-measures the row (Qt has no other way to
        re-measure one row), the follow scroll moves the pixels already on
        screen, and only the reply from its first changed block down is painted.
        """
        model = self.model()
        row = top_left.row()
        item = model.item(row) if isinstance(model, ChatModel) and roles else None
        # (The view's own calls, with no roles, re-measure a row for other reasons.)
        if (item is None or item.state != MessageState.STREAMING or row != bottom_right.row()
                or row != model.rowCount() - 1 or not self.isVisible()):
            self._streaming_height = None  # re-measured here: not what the record says
            super().dataChanged(top_left, bottom_right, roles)
            return
        viewport = self.viewport()
        width = viewport.width()
        height = self._delegate.exact_height(item, width, self.font())
        if self._streaming_height == (item.message_id, width, height):
            # Most batches add words to a line already there: the row keeps the height
            # QTreeView measured last time, so its re-measure (and the scroll bar's and the
            # follow scroll's updates) would change nothing. Only the new words are painted.
            self._tell_accessibility(row)
        else:
            # Set directly, not with setUpdatesEnabled(): that repaints everything when
            # updates come back on, which is what this avoids. Nothing else runs meanwhile.
            viewport.setAttribute(Qt.WidgetAttribute.WA_UpdatesDisabled, True)
            self._streaming_update = True
            try:
                super().dataChanged(top_left, bottom_right, roles)
            finally:
                viewport.setAttribute(Qt.WidgetAttribute.WA_UpdatesDisabled, False)
                self._streaming_update = False
            self._streaming_height = (item.message_id, width, height)
            if self._follow:
                bar = self.verticalScrollBar()
                bar.setValue(bar.maximum())  # the pixels move; the strip coming in is painted
        rect = self.visualRect(model.index(row, 0))
        top = self._delegate.streaming_changed_top(item, rect, self.font())
        if top is not None:
            rect.setTop(max(rect.top(), top))
        viewport.update(rect)

    def _tell_accessibility(self, row: int) -> None:
        """What QAbstractItemView.dataChanged tells screen readers, for a row it was not given."""
        if QAccessible.isActive():
            event = QAccessibleTableModelChangeEvent(
                self, QAccessibleTableModelChangeEvent.ModelChangeType.DataChanged)
            event.setFirstRow(row)
            event.setLastRow(row)
            event.setFirstColumn(0)
            event.setLastColumn(0)
            QAccessible.updateAccessibility(event)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        if dx == 0 and dy != 0:
            # QTreeView repaints the whole viewport and the scroll bar instead of
            # scrolling when |dy| exceeds the number of rows that fit (it compares
            # pixels with a row count), so while a reply streams and the view follows
            # it, every batch repainted the page. Scrolling moves the pixels (and the
            # editor over them); only the strip that comes into view is painted.
            self.viewport().scroll(0, dy)
        else:
            super().scrollContentsBy(dx, dy)
        self._place_editor()

    def updateGeometries(self) -> None:
        super().updateGeometries()
        self._place_timer.start(0)

    # ---- painting ----------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        # The delegate draws only the text inside this (the painter's own clip is in the
        # window's coordinates, not the viewport's).
        self._delegate.paint_area = event.rect()
        try:
            super().paintEvent(event)
        finally:
            self._delegate.paint_area = None
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

    def _use_delegate(self, delegate: MessageDelegate) -> None:
        self._delegate = delegate
        delegate.height_corrected.connect(self._on_delegate_height_corrected)
        self.setItemDelegate(delegate)

    def _replace_delegate(self) -> None:
        old = self._delegate
        new = MessageDelegate(self, self._colors)
        new.hidden_text_id = old.hidden_text_id
        new.branch_info = self._branch_info
        new._expanded = set(old._expanded)
        new.sources_info = self._sources_info
        new.sources_expanded = set(old.sources_expanded)
        self._use_delegate(new)

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
        self._place_timer.start(0)

    def event(self, e: QEvent) -> bool:
        # A font or style change invalidates every cached layout.
        if e.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._replace_delegate()
            self.scheduleDelayedItemsLayout()
            self._place_timer.start(0)
        return super().event(e)

    # ---- the live message ------------------------------------------------------------

    def editor_row(self) -> int | None:
        """The row that has the selectable text and action buttons, if any."""
        return self._editor_index.row() if self._editor_index.isValid() else None

    def open_editor(self, row: int) -> None:
        """Give ``row`` the live text and action buttons (not the streaming row)."""
        model = self.model()
        if model is None or not 0 <= row < model.rowCount():
            self.close_editor()
            return
        item = self.chat_model().item(row)
        if item.state == MessageState.STREAMING:
            self.close_editor()
            return
        if self.editor_row() == row and self.browser.isVisible():
            return
        self._editor_index = QPersistentModelIndex(model.index(row, 0))
        self._fill_editor(item)

    def close_editor(self) -> None:
        hidden = self._delegate.hidden_text_id
        self._editor_index = QPersistentModelIndex()
        self._delegate.hidden_text_id = None
        self.browser.hide()
        self.actions_bar.hide()
        if hidden is not None:
            self.viewport().update()

    def _fill_editor(self, item: ChatItem) -> None:
        width = self._delegate.text_width(item, self.viewport().width())
        document = self.browser.prepare(self.font(), DOCUMENT_STYLE)
        self._delegate.fill_document(document, item)
        self.browser.setLineWrapMode(MessageBrowser.LineWrapMode.FixedPixelWidth)
        self.browser.setLineWrapColumnOrWidth(width)
        self.browser.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        last = self.editor_row() == self.model().rowCount() - 1
        reply = item.role == Role.ASSISTANT and not item.notice
        self.actions_bar.configure(user=item.role == Role.USER,
                                   regenerate=reply and last and not self._busy,
                                   cont=reply and last and not self._busy and can_continue(item),
                                   branch=self.branch_position(item),
                                   can_switch=not self._busy)
        self._delegate.hidden_text_id = item.message_id
        self._place_editor()
        self.viewport().update()

    def _refresh_editor(self) -> None:
        row = self.editor_row()
        if row is not None and self.browser.isVisible():
            item = self.chat_model().item(row)
            if item.state == MessageState.STREAMING:
                self.close_editor()
            else:
                self._fill_editor(item)

    def _place_editor(self) -> None:
        """Put the live text exactly over the painted row's text (after scrolls and layouts)."""
        row = self.editor_row()
        if row is None:
            if self.browser.isVisible():
                self.close_editor()
            return
        index = self.model().index(row, 0)
        rect = self.visualRect(index)
        if rect.isEmpty() or not rect.intersects(self.viewport().rect()):
            self.close_editor()
            return
        item = self.chat_model().item(row)
        parts = self._delegate.geometry(item, rect, self.font())
        self.browser.setGeometry(parts.text.left(), parts.text.top(), parts.text.width(),
                                 max(1, parts.text.height()))
        self.browser.show()
        if item.notice:
            self.actions_bar.hide()
            return
        size = self.actions_bar.sizeHint()
        x = (parts.actions.right() + 1 - size.width() if item.role == Role.USER
             else parts.actions.left() - BAR_INSET)
        self.actions_bar.setGeometry(x, parts.actions.top(), size.width(),
                                     min(size.height(), parts.actions.height()))
        self.actions_bar.show()

    def _on_data_changed(self, top: QModelIndex, bottom: QModelIndex, *_args: Any) -> None:
        row = self.editor_row()
        if row is not None and top.row() <= row <= bottom.row():
            self._refresh_editor()
        elif row is not None:
            self._place_timer.start(0)

    # ---- versions (branches) ------------------------------------------------------------

    def branch_position(self, item: ChatItem) -> tuple[int, int]:
        """The message's (index, count) among its versions; (0, 1) when it has no other."""
        if item.notice or item.message_id < 0:
            return (0, 1)
        return self._branch_info(item.message_id)

    def switch_branch(self, row: int, direction: int) -> None:
        """Ask to show the previous (-1) or next (+1) version of the row's message.

        When the chat reloads with the other branch, the switched message stays
        where it was on screen (its top, or its bottom if its top was scrolled
        off; a longer version scrolls up just enough to show as much of it as
        fits), keeps the live text and actions if it had them, and stays current.
        """
        model = self.model()
        if model is None or not 0 <= row < model.rowCount():
            return
        item = self.chat_model().item(row)
        index, count = self.branch_position(item)
        if count < 2 or not 0 <= index + direction < count:
            return
        rect = self.visualRect(model.index(row, 0))
        anchor_bottom = rect.top() < 0
        self._switching, self._switched_reset = True, False
        had_editor = self.editor_row() == row and self.browser.isVisible()
        was_current = self.currentIndex().row() == row
        focused = QGuiApplication.focusObject()
        try:
            self.branch_switch_requested.emit(item.message_id, direction)
        finally:
            reset = self._switched_reset
            self._switching = self._switched_reset = False
        if reset:
            self._restore_anchor(row, rect.bottom() if anchor_bottom else rect.top(),
                                 anchor_bottom, had_editor=had_editor,
                                 was_current=was_current, focused=focused)

    def _restore_anchor(self, row: int, y: int, bottom: bool, *, had_editor: bool,
                        was_current: bool, focused: object) -> None:
        model = self.model()
        if not 0 <= row < model.rowCount():
            self.jump_to_latest()
            return
        # The switched row is a new message: measure it exactly so its place holds.
        self._delegate.exact_height(self.chat_model().item(row), self.viewport().width(),
                                    self.font())
        self.doItemsLayout()
        index = model.index(row, 0)
        rect = self.visualRect(index)
        bar = self.verticalScrollBar()
        self._follow = False
        bar.setValue(bar.value() + ((rect.bottom() if bottom else rect.top()) - y))
        rect = self.visualRect(index)
        overflow = rect.bottom() - self.viewport().height() + 1
        if not bottom and overflow > 0 and rect.top() > 0:
            # A longer version: show as much of it as fits, its top still on screen.
            bar.setValue(bar.value() + min(overflow, rect.top()))
        self._on_scrolled(bar.value())
        if was_current:
            self.setCurrentIndex(index)
        if had_editor:
            self.open_editor(row)
        if focused in self.actions_bar.buttons():
            # Keep the keyboard on the switcher; at an end, on the button still usable.
            usable = [b for b in (focused, self.actions_bar.previous_button,
                                  self.actions_bar.next_button)
                      if isinstance(b, QToolButton) and b.isVisible() and b.isEnabled()]
            if usable:
                usable[0].setFocus(Qt.FocusReason.OtherFocusReason)
            else:
                self.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_branch_clicked(self, direction: int) -> None:
        row = self.editor_row()
        if row is not None:
            self.switch_branch(row, direction)

    def _on_action(self, action: Callable[[int], Any]) -> None:
        row = self.editor_row()
        if row is not None:
            action(row)

    # ---- copying -------------------------------------------------------------------

    def plain_text(self, item: ChatItem) -> str:
        """A message as plain text: a reply's Markdown rendered, its code blocks kept exactly."""
        if not renders_markdown(item):
            return item.content
        doc = SafeTextDocument()
        doc.setHtml(self._plain_markdown.render_blocks(item.content).html)
        return doc.toPlainText().strip().replace("\u2028", "\n")

    def copy_message(self, row: int, *, as_markdown: bool = False) -> None:
        """Put a whole message on the clipboard, as plain text or as its Markdown source."""
        item = self.chat_model().item(row)
        mime = QMimeData()
        mime.setText(item.content if as_markdown else self.plain_text(item))
        QGuiApplication.clipboard().setMimeData(mime)

    # ---- links -----------------------------------------------------------------------

    def _on_browser_anchor_clicked(self, url: QUrl) -> None:
        row = self.editor_row()
        if url.scheme() == COPY_SCHEME:
            if row is None:
                return
            blocks = self._delegate.rendered(self.chat_model().item(row)).code_blocks
            number = url.path()
            if number.isdigit() and int(number) < len(blocks):
                QGuiApplication.clipboard().setText(blocks[int(number)])
            return
        card = card_number(url)
        if card is not None:
            if row is not None:
                self._delegate.toggle_tool_result(self.chat_model().item(row), card)
                self.scheduleDelayedItemsLayout()
                self._refresh_editor()
            return
        if url.scheme() in (SOURCE_SCHEME, SOURCES_SCHEME):
            if row is not None:
                self._on_source_link(row, url)
            return
        address = url.toString()
        if (url.scheme() in ("http", "https") and SAFE_LINK.match(address)
                and self.confirm_link(self, address)):
            QDesktopServices.openUrl(url)
        # Any other scheme does nothing (the renderer never makes one a link anyway).

    def _on_source_link(self, row: int, url: QUrl) -> None:
        """A citation opens its source; the Sources line expands or collapses its list."""
        item = self.chat_model().item(row)
        if url.scheme() == SOURCES_SCHEME:
            self._delegate.toggle_sources(item)
            self.scheduleDelayedItemsLayout()
            self._refresh_editor()
            return
        key = source_key(url)
        if key is not None:
            self.source_requested.emit(item.message_id, key)

    def source_tooltip(self, url: QUrl) -> str:
        """For a citation link of the live message: its document and where in it ("" if none)."""
        key = source_key(url)
        row = self.editor_row()
        if key is None or row is None:
            return ""
        source = key.find(self._sources_info(self.chat_model().item(row).message_id))
        if source is None:
            return ""
        return source.document_name + (f", {source.location}" if source.location else "")

    def _on_browser_link_hovered(self, url: QUrl) -> None:
        tip = self.source_tooltip(url)
        if tip:
            QToolTip.showText(QCursor.pos(), plain_tooltip(tip), self.browser)
        elif url.isValid() and url.scheme() in ("http", "https"):
            QToolTip.showText(QCursor.pos(), plain_tooltip(url.toString()), self.browser)
        else:
            QToolTip.hideText()

    # ---- pointer and keyboard ----------------------------------------------------------

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        if event.buttons() != Qt.MouseButton.NoButton or self.browser.has_selection():
            return  # a selection being made, or kept, holds the live message where it is
        index = self.indexAt(event.position().toPoint())
        if index.isValid():
            self.open_editor(index.row())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        if index.isValid() and event.button() == Qt.MouseButton.LeftButton:
            item = self.chat_model().item(index.row())
            parts = self._delegate.geometry(item, self.visualRect(index), self.font())
            if parts.reasoning.contains(event.position().toPoint()):
                self.toggle_reasoning(index.row())
                return
        super().mousePressEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave:
            self._on_pointer_left()
        return super().viewportEvent(event)

    def eventFilter(self, watched: Any, event: QEvent) -> bool:
        if watched is self.browser and event.type() == QEvent.Type.Leave:
            self._on_pointer_left()
        if (watched is self.browser and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)):
            # Alt+Left/Right in the live text switch versions (not QTextBrowser's history).
            direction = self._branch_key(event)
            row = self.editor_row()
            if direction and row is not None:
                self.switch_branch(row, direction)
                return True
        return super().eventFilter(watched, event)

    @staticmethod
    def _branch_key(event: QKeyEvent) -> int:
        """-1 for Alt+Left, +1 for Alt+Right, 0 for any other key."""
        if event.modifiers() != Qt.KeyboardModifier.AltModifier:
            return 0
        return {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: +1}.get(Qt.Key(event.key()), 0)

    def _on_pointer_left(self) -> None:
        """Close the live message once the pointer has left the chat, unless text is selected."""
        inside = self.viewport().rect().contains(self.viewport().mapFromGlobal(QCursor.pos()))
        focused = QGuiApplication.focusObject()
        keyboard = self.hasFocus() or (isinstance(focused, QWidget)
                                       and self.actions_bar.isAncestorOf(focused))
        if not inside and not keyboard and not self.browser.has_selection():
            self.close_editor()

    def toggle_reasoning(self, row: int) -> None:
        """Show or hide a reply's reasoning in place, under its "▸ Reasoning" line."""
        item = self.chat_model().item(row)
        if not item.thinking.strip():
            return
        self._delegate.toggle_reasoning(item)
        index = self.model().index(row, 0)
        self.dataChanged(index, index, [])
        self.viewport().update()
        self._place_timer.start(0)

    def currentChanged(self, current: QModelIndex | QPersistentModelIndex,
                       previous: QModelIndex | QPersistentModelIndex) -> None:
        super().currentChanged(current, previous)
        if current.isValid() and self.hasFocus():
            self.open_editor(current.row())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        current = self.currentIndex()
        row = current.row() if current.isValid() else None
        if event.matches(QKeySequence.StandardKey.Copy):
            if self.browser.has_selection():
                self.browser.copy()
            elif row is not None:
                self.copy_message(row)
            return
        if row is not None and (event.key() == Qt.Key.Key_Menu or (
                event.key() == Qt.Key.Key_F10
                and event.modifiers() == Qt.KeyboardModifier.ShiftModifier)):
            rect = self.visualRect(current)
            self.context_menu_requested.emit(
                row, self.viewport().mapToGlobal(rect.topLeft() + QPoint(40, 20)))
            return
        direction = self._branch_key(event)
        if direction:
            if row is not None:
                self.switch_branch(row, direction)
            return
        if row is not None and event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return,
                                               Qt.Key.Key_Enter):
            self.toggle_reasoning(row)
            return
        super().keyPressEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:
        # Tab from the chat goes into the current message's actions first.
        if next and self.hasFocus() and self.actions_bar.isVisible():
            buttons = self.actions_bar.visible_buttons()
            if buttons:
                buttons[0].setFocus(Qt.FocusReason.TabFocusReason)
                return True
        return super().focusNextPrevChild(next)

    def focusInEvent(self, event: Any) -> None:
        super().focusInEvent(event)
        model = self.model()
        if model is not None and model.rowCount() and not self.currentIndex().isValid():
            self.setCurrentIndex(model.index(model.rowCount() - 1, 0))

    def _on_context_menu(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        if index.isValid():
            self.context_menu_requested.emit(index.row(), self.viewport().mapToGlobal(pos))
