"""A streaming reply repaints what changed, and the screen still shows what a full paint shows.

The view holds back QTreeView's repaint of the whole page for each streamed
batch (``ChatView.dataChanged``) and scrolls the pixels already on screen
instead of repainting them (``ChatView.scrollContentsBy``). Both are only
right if nothing stale is left: each test compares the window's backing
store (what the user sees, ``QScreen.grabWindow``) with a fresh rendering of
the same view (``QWidget.grab``).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QModelIndex, QObject, QSize, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QStyleOptionViewItem, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import Role
from desktop_app.core.storage.chat_store import MessageState
from desktop_app.ui.chat.chat_model import ChatItem, ChatModel
from desktop_app.ui.chat.chat_view import ChatView
from desktop_app.ui.chat.message_delegate import MessageDelegate
from desktop_app.ui.common.quiet_scroll_bar import QuietScrollBar

REPLY_ID = 100
BATCHES = [" Lighthouses", " guided", " ships.\n\n- one", " item\n- two", " items\n\n```python\n",
           "x = 1\n", "y = 2\n```\n\nAnd", " a closing", " paragraph", " that wraps"
           + " over several lines of the column" * 3, ".\n\n**Bold", " end**."]


class _Paints(QObject):
    """Records the height of every region a widget is asked to paint."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.heights: list[int] = []
        widget.installEventFilter(self)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.heights.append(event.region().boundingRect().height())  # type: ignore[attr-defined]
        return False


def _view(qtbot: QtBot, reply: str) -> tuple[ChatView, ChatModel, QWidget]:
    history = [ChatItem(i, Role.USER if i % 2 else Role.ASSISTANT, f"message {i}\n" * 3)
               for i in range(1, 61)]
    model = ChatModel()
    model.set_items([*history, ChatItem(REPLY_ID, Role.ASSISTANT, reply,
                                        state=MessageState.STREAMING)])
    # Inside a window, away from its corner, as in Hearth: coordinates in the window and
    # in the view's viewport differ, and painting must use the right ones.
    window = QWidget()
    layout = QVBoxLayout(window)
    layout.setContentsMargins(40, 60, 0, 0)
    view = ChatView()
    layout.addWidget(view)
    view.setModel(model)
    window.resize(740, 460)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), timeout=3000)
    # Settled: rows laid out from estimates are corrected when first painted, which
    # repaints the page once; that is opening a chat, not streaming.
    settling = _Paints(view.viewport())
    seen = -1
    while seen != len(settling.heights):
        seen = len(settling.heights)
        qtbot.wait(60)
    view.viewport().removeEventFilter(settling)
    return view, model, window  # the caller keeps the window alive


def _shown_equals_fresh(view: ChatView) -> bool:
    window = view.window()
    shown = view.screen().grabWindow(window.winId()).toImage()
    fresh = window.grab().toImage()
    return (shown.convertToFormat(QImage.Format.Format_RGB32)
            == fresh.convertToFormat(QImage.Format.Format_RGB32))


def _stream(qtbot: QtBot, model: ChatModel) -> None:
    for text in BATCHES:
        model.append_text(REPLY_ID, text)
        qtbot.wait(5)  # painted between batches, as at 20 batches a second
    qtbot.wait(30)


def test_each_batch_repaints_the_end_of_the_reply_not_the_page(qtbot: QtBot) -> None:
    view, model, _window = _view(qtbot, "The first paragraph of the reply. " * 20)
    paints = _Paints(view.viewport())
    _stream(qtbot, model)
    assert paints.heights, "the view did not repaint the streamed text"
    page = view.viewport().height()
    assert max(paints.heights) < page, paints.heights  # never the whole page again
    assert _shown_equals_fresh(view)
    assert model.item(model.rowCount() - 1).content.endswith("**Bold end**.")


def test_the_screen_stays_right_when_the_reader_scrolled_away(qtbot: QtBot) -> None:
    view, model, _window = _view(qtbot, "A start. " * 30)
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum() - 150)  # the top of the reply still in view, its end not
    qtbot.wait(20)
    _stream(qtbot, model)
    assert bar.value() < bar.maximum() - 150  # not pulled down
    assert _shown_equals_fresh(view)
    view.jump_to_latest()
    qtbot.wait(20)
    assert _shown_equals_fresh(view)


def test_a_reply_that_starts_streaming_from_nothing_is_painted_right(qtbot: QtBot) -> None:
    view, model, _window = _view(qtbot, "")
    _stream(qtbot, model)
    assert _shown_equals_fresh(view)


def test_the_scroll_bar_repaints_only_when_its_handle_moves(qtbot: QtBot) -> None:
    bar = QuietScrollBar(Qt.Orientation.Vertical)
    bar.resize(14, 400)
    qtbot.addWidget(bar)
    bar.setRange(0, 100_000)
    bar.setPageStep(400)
    bar.setValue(bar.maximum())  # a view following the end of a long chat
    bar.show()
    qtbot.waitExposed(bar)
    qtbot.wait(30)  # its first paint
    paints = _Paints(bar)
    # A long chat growing by a line, the view following: the handle stays at the bottom.
    for step in range(1, 11):
        bar.setRange(0, 100_000 + 20 * step)
        bar.setValue(bar.maximum())
    qtbot.wait(30)
    assert paints.heights == []
    assert bar.skipped_repaints >= 1
    bar.setValue(0)  # the reader jumps to the top: the handle moves
    qtbot.waitUntil(lambda: len(paints.heights) > 0, timeout=2000)



def test_a_batch_that_keeps_the_row_height_is_not_measured_again(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """Words added to the last line skip QTreeView's re-measure; a new line does not."""
    asked: list[int] = []
    original = MessageDelegate.sizeHint

    def counting(self: MessageDelegate, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        asked.append(index.row())
        return original(self, option, index)

    monkeypatch.setattr(MessageDelegate, "sizeHint", counting)
    view, model, _window = _view(qtbot, "A reply that has started")
    index = model.index(model.rowCount() - 1, 0)
    delegate = view.itemDelegate()
    assert isinstance(delegate, MessageDelegate)

    def measured() -> int:
        return delegate.exact_height(model.item(index.row()), view.viewport().width(),
                                     view.font())

    model.append_text(REPLY_ID, " to")  # the first batch is measured (nothing recorded yet)
    qtbot.wait(20)
    asked.clear()
    model.append_text(REPLY_ID, " stream")
    qtbot.wait(20)
    assert index.row() not in asked
    assert view.rowHeight(index) == measured()
    model.append_text(REPLY_ID, ".\n\nA second paragraph.")
    qtbot.wait(20)
    assert index.row() in asked
    assert view.rowHeight(index) == measured()
    assert _shown_equals_fresh(view)
