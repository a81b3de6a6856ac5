"""The chat transcript: row heights, collapsed reasoning, following the bottom while streaming."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import Role
from desktop_app.core.storage.chat_store import MessageState
from desktop_app.ui.chat.chat_model import ChatItem, ChatModel
from desktop_app.ui.chat.chat_view import ChatView
from desktop_app.ui.chat.message_delegate import MessageDelegate


def _view(qtbot: QtBot, items: list[ChatItem]) -> tuple[ChatView, ChatModel]:
    model = ChatModel()
    model.set_items(items)
    view = ChatView()
    view.setModel(model)
    view.resize(700, 400)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view, model


def _height(view: ChatView, index: QModelIndex) -> int:
    delegate = view.itemDelegate()
    assert isinstance(delegate, MessageDelegate)
    option = QStyleOptionViewItem()
    option.font = view.font()
    return delegate.sizeHint(option, index).height()


def test_reasoning_is_a_collapsed_line_above_the_answer(qtbot: QtBot) -> None:
    plain = ChatItem(1, Role.ASSISTANT, "The answer is 4.")
    thought = ChatItem(2, Role.ASSISTANT, "The answer is 4.",
                       thinking="Two plus two. " * 200)
    view, model = _view(qtbot, [plain, thought])
    one_line = _height(view, model.index(0, 0))
    with_reasoning = _height(view, model.index(1, 0))
    # One extra line, not the 600 words of reasoning.
    assert one_line < with_reasoning < one_line + 3 * view.fontMetrics().height()
    delegate = view.itemDelegate()
    assert isinstance(delegate, MessageDelegate)
    assert "600 words" in delegate.reasoning_label(thought)
    view.grab()  # paints every row without errors


def test_streaming_reply_grows_and_the_view_follows_the_bottom(qtbot: QtBot) -> None:
    history = [ChatItem(i, Role.USER if i % 2 else Role.ASSISTANT, f"message {i}\n" * 3)
               for i in range(1, 61)]
    reply = ChatItem(100, Role.ASSISTANT, "", state=MessageState.STREAMING)
    view, model = _view(qtbot, [*history, reply])
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), timeout=3000)
    before = _height(view, model.index(model.rowCount() - 1, 0))
    for i in range(30):
        model.append_text(100, f"line {i}\n\n")
    qtbot.waitUntil(lambda: bar.value() == bar.maximum(), timeout=3000)
    assert _height(view, model.index(model.rowCount() - 1, 0)) > before * 5


def test_scrolling_up_stops_following(qtbot: QtBot) -> None:
    history = [ChatItem(i, Role.ASSISTANT, f"message {i}\n\nmore") for i in range(1, 80)]
    reply = ChatItem(100, Role.ASSISTANT, "", state=MessageState.STREAMING)
    view, model = _view(qtbot, [*history, reply])
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=3000)
    bar.setValue(0)
    model.append_text(100, "new text\n\n" * 10)
    qtbot.wait(50)
    assert bar.value() == 0  # the reader keeps their place



def test_an_empty_chat_paints_a_hint(qtbot: QtBot) -> None:
    view, _model = _view(qtbot, [])
    blank = ChatView()
    blank.resize(700, 400)
    qtbot.addWidget(blank)
    # The hint draws text: the empty chat's pixels differ from a plain view's.
    assert view.grab().toImage() != blank.grab().toImage()


def test_a_long_chat_lays_out_only_what_is_on_screen(qtbot: QtBot) -> None:
    paragraph = "Lighthouses guided ships along dangerous coasts for centuries. " * 3
    history = [ChatItem(i, Role.USER if i % 2 else Role.ASSISTANT,
                        f"**{i}.** {paragraph}\n\n- one\n- two") for i in range(1, 1001)]
    view, model = _view(qtbot, history)
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), timeout=5000)
    delegate = view.itemDelegate()
    assert isinstance(delegate, MessageDelegate)
    view.grab()  # paints the visible rows (a viewport repaint may not, offscreen)
    # Estimates size the scroll bar; only the rows painted at the bottom were laid out.
    assert 0 < delegate.exact_measurements < 60
    last = model.index(model.rowCount() - 1, 0)
    assert view.visualRect(last).bottom() <= view.viewport().height()
    # Rows painted got their exact heights, and the view still ends at the last message.
    qtbot.wait(50)
    assert bar.value() == bar.maximum()
    assert history[-1].message_id not in delegate._estimated
