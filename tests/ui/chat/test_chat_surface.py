"""The chat surface: rendered replies, the live message (selection, Copy, actions), reasoning,
Jump to latest, keyboard use, themes, and the work a streamed batch costs."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import (
    QContextMenuEvent,
    QCursor,
    QGuiApplication,
    QImage,
    QKeySequence,
    QPainter,
    QTextDocument,
)
from PySide6.QtWidgets import QApplication, QToolButton
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import Role
from desktop_app.core.storage.chat_store import MessageState
from desktop_app.ui.chat.chat_model import ChatItem, ChatModel
from desktop_app.ui.chat.chat_view import ChatView
from desktop_app.ui.chat.markdown import DARK, LIGHT
from desktop_app.ui.chat.message_delegate import MessageDelegate
from desktop_app.ui.common.look import DARK_COLORS

REPLY = ("# Plan\n\nSome *prose* with `code`.\n\n- one\n- two\n\n> a quote\n\n"
         "| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint('first')\n```\n\n"
         "Then:\n\n```sh\necho second\n```\n\nDone, see [docs](https://example.org/x).")


def _view(qtbot: QtBot, items: list[ChatItem], height: int = 500) -> tuple[ChatView, ChatModel]:
    model = ChatModel()
    model.set_items(items)
    view = ChatView()
    view.setModel(model)
    view.resize(800, height)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    qtbot.wait(10)  # the batched layout and height corrections
    return view, model


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _streamed_and_whole(delegate: MessageDelegate, item: ChatItem,
                        content: str) -> tuple[QTextDocument, QTextDocument]:
    """The streaming document after ``content`` arrived, and the finished reply's render."""
    item.content = content
    item.revision += 1
    streamed = delegate.document(item, 600, QApplication.font())
    whole = delegate.new_document(QApplication.font())
    delegate.fill_document(whole, item)
    whole.setTextWidth(600)
    return streamed, whole


def test_a_streamed_reply_looks_exactly_like_the_finished_one_at_every_step(
        qapp: QApplication) -> None:
    delegate = MessageDelegate()
    item = ChatItem(1, Role.ASSISTANT, "", state=MessageState.STREAMING)
    for end in range(1, len(REPLY) + 1, 3):
        streamed, whole = _streamed_and_whole(delegate, item, REPLY[:end])
        assert _squeeze(streamed.toPlainText()) == _squeeze(whole.toPlainText()), end
        assert streamed.size().height() == whole.size().height(), end


def test_a_batch_parses_only_the_last_block_and_lays_out_only_the_streaming_row(
        qtbot: QtBot) -> None:
    history = [ChatItem(i, Role.USER if i % 2 else Role.ASSISTANT, REPLY) for i in range(1, 201)]
    reply = ChatItem(500, Role.ASSISTANT, "", state=MessageState.STREAMING)
    view, model = _view(qtbot, [*history, reply])
    delegate = view.message_delegate()
    for i in range(30):
        model.append_text(500, f"Paragraph {i} of a long reply.\n\n```python\nx = {i}\n```\n\n")
    view.grab()
    streaming = delegate.streaming
    assert streaming is not None
    def touched() -> int:
        assert streaming is not None
        return streaming.blocks_inserted + streaming.texts_appended

    parses, measured, inserted = (delegate.markdown.parses, delegate.exact_measurements,
                                  touched())
    for i in range(10):
        model.append_text(500, f"word{i} ")
        view.grab()
    # Each batch: one block parsed, one block put into the document (or words typed
    # into it, which is most batches: see the next test), one row measured.
    assert delegate.markdown.parses - parses == 10
    assert touched() - inserted == 10
    assert streaming.texts_appended >= 8
    assert delegate.exact_measurements - measured == 10


PROSE = ("Lighthouses guided ships along dangerous coasts for centuries. Their keepers "
         "trimmed **wicks**, wound *clockwork* and logged the weather in `ledgers`; "
         "see [the archive](https://example.org/a) & the museum < the tower > the house. "
         "Some lines\nwrap softly,  with double  spaces.\n\nA second paragraph follows, "
         "long enough to wrap over several lines of the column at this width. " * 2)


def _pixels(doc: QTextDocument) -> QImage:
    image = QImage(620, int(doc.size().height()) + 1, QImage.Format.Format_RGB32)
    image.fill(0xFFFFFF)
    painter = QPainter(image)
    doc.drawContents(painter)
    painter.end()
    return image


def test_words_typed_into_the_streaming_paragraph_look_like_a_whole_render(
        qapp: QApplication) -> None:
    """The fast path (plain words typed into the last paragraph) against parsing it all."""
    delegate = MessageDelegate()
    item = ChatItem(1, Role.ASSISTANT, "", state=MessageState.STREAMING)
    words = re.findall(r"\S+\s*", PROSE)
    for end in range(1, len(words) + 1):
        streamed, whole = _streamed_and_whole(delegate, item, "".join(words[:end]))
        assert _squeeze(streamed.toPlainText()) == _squeeze(whole.toPlainText()), end
        assert _pixels(streamed) == _pixels(whole), end
    streaming = delegate.streaming
    assert streaming is not None
    assert streaming.texts_appended > len(words) // 2  # most words took the fast path


def test_a_code_blocks_copy_link_copies_that_block(qtbot: QtBot) -> None:
    view, _model = _view(qtbot, [ChatItem(1, Role.ASSISTANT, REPLY)])
    view.open_editor(0)
    document = view.browser.document()
    first = document.find("Copy")
    second = document.find("Copy", first)
    assert not second.isNull()
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(view.browser.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.browser.cursorRect(second).center() + QPoint(-4, 0))
    assert QGuiApplication.clipboard().text() == "echo second"


def test_a_message_copies_as_plain_text_or_as_markdown(qtbot: QtBot) -> None:
    view, _model = _view(qtbot, [ChatItem(1, Role.ASSISTANT, REPLY)])
    view.copy_message(0)
    plain = QGuiApplication.clipboard().text()
    assert plain.startswith("Plan\nSome prose with code.")
    assert "print('first')" in plain
    assert "*" not in plain
    assert "Copy" not in plain  # code blocks without their header line
    view.copy_message(0, as_markdown=True)
    assert QGuiApplication.clipboard().text() == REPLY


def test_ctrl_c_copies_the_current_message_or_the_selection(qtbot: QtBot) -> None:
    view, model = _view(qtbot, [ChatItem(1, Role.USER, "Question?"),
                                ChatItem(2, Role.ASSISTANT, "**Answer** here.")])
    view.setFocus()
    view.setCurrentIndex(model.index(1, 0))
    assert view.editor_row() == 1  # the keyboard's current message is live too
    QGuiApplication.clipboard().clear()
    qtbot.keySequence(view, QKeySequence.StandardKey.Copy)
    assert QGuiApplication.clipboard().text() == "Answer here."
    cursor = view.browser.document().find("here")
    view.browser.setTextCursor(cursor)
    qtbot.keySequence(view.browser, QKeySequence.StandardKey.Copy)
    assert QGuiApplication.clipboard().text() == "here"


def test_the_live_text_sits_exactly_over_the_painted_text(qtbot: QtBot) -> None:
    view, model = _view(qtbot, [ChatItem(1, Role.USER, "A question that is long enough " * 4),
                                ChatItem(2, Role.ASSISTANT, REPLY)], height=900)
    delegate = view.message_delegate()
    for row in range(2):
        view.open_editor(row)
        item = model.item(row)
        index = model.index(row, 0)
        parts = delegate.geometry(item, view.visualRect(index), view.font())
        assert view.browser.geometry() == parts.text
        painted = delegate.document(item, parts.text.width(), view.font())
        assert view.browser.document().size().height() == painted.size().height()
        assert delegate.hidden_text_id == item.message_id  # drawn once, by the live text
        assert parts.actions.contains(view.actions_bar.geometry().center())
    # The user's actions sit under the bubble's right edge, a reply's at its left.
    view.open_editor(0)
    user = delegate.geometry(model.item(0), view.visualRect(model.index(0, 0)), view.font())
    assert view.actions_bar.geometry().right() == user.actions.right()
    assert user.bubble.right() == user.actions.right()
    view.open_editor(1)
    assert view.actions_bar.geometry().left() < parts.text.left()  # the icons' own padding


def test_right_click_on_the_live_text_opens_the_message_menu(qtbot: QtBot) -> None:
    view, _model = _view(qtbot, [ChatItem(1, Role.ASSISTANT, "Some words.")])
    view.open_editor(0)
    point = QPoint(5, 5)
    with qtbot.waitSignal(view.context_menu_requested) as menu:
        QApplication.sendEvent(view.browser.viewport(), QContextMenuEvent(
            QContextMenuEvent.Reason.Mouse, point, view.browser.viewport().mapToGlobal(point)))
    assert menu.args[0] == 0


def test_the_pointer_makes_a_row_live_but_never_the_streaming_one(qtbot: QtBot) -> None:
    items = [ChatItem(1, Role.USER, "Hi"), ChatItem(2, Role.ASSISTANT, "Hello"),
             ChatItem(3, Role.ASSISTANT, "partial", state=MessageState.STREAMING)]
    view, model = _view(qtbot, items)
    for row in range(2):
        qtbot.mouseMove(view.viewport(), view.visualRect(model.index(row, 0)).center())
        qtbot.waitUntil(lambda r=row: view.editor_row() == r, timeout=2000)  # type: ignore[misc]
        assert view.browser.isVisible()
    qtbot.mouseMove(view.viewport(), view.visualRect(model.index(2, 0)).center())
    qtbot.waitUntil(lambda: view.editor_row() is None, timeout=2000)
    assert not view.browser.isVisible()


def test_leaving_closes_the_live_text_unless_it_holds_a_selection(qtbot: QtBot) -> None:
    view, _model = _view(qtbot, [ChatItem(1, Role.ASSISTANT, "Some words to select.")])
    view.clearFocus()
    QCursor.setPos(view.mapToGlobal(QPoint(-500, -500)))
    view.open_editor(0)
    view.browser.selectAll()
    QApplication.sendEvent(view.viewport(), QEvent(QEvent.Type.Leave))
    assert view.editor_row() == 0
    view.browser.moveCursor(view.browser.textCursor().MoveOperation.Start)
    QApplication.sendEvent(view.viewport(), QEvent(QEvent.Type.Leave))
    assert view.editor_row() is None


def test_each_message_offers_its_own_actions(qtbot: QtBot) -> None:
    items = [ChatItem(1, Role.USER, "Q1"), ChatItem(2, Role.ASSISTANT, "A1"),
             ChatItem(3, Role.USER, "Q2"),
             ChatItem(4, Role.ASSISTANT, "A2", state=MessageState.STOPPED)]
    view, _model = _view(qtbot, items)
    bar = view.actions_bar

    def shown() -> set[str]:
        return {b.accessibleName() for b in bar.visible_buttons()}

    view.open_editor(0)
    assert shown() == {"Copy", "Edit"}
    with qtbot.waitSignal(view.edit_requested) as edit:
        bar.edit_button.click()
    assert edit.args == [0]
    view.open_editor(1)
    assert shown() == {"Copy"}  # not the last reply: regenerating it would drop the rest
    view.open_editor(3)
    assert shown() == {"Copy", "Regenerate", "Continue"}
    with qtbot.waitSignal(view.regenerate_requested):
        bar.regenerate_button.click()
    with qtbot.waitSignal(view.continue_requested):
        bar.continue_button.click()
    view.set_busy(True)
    assert shown() == {"Copy"}
    assert all(not b.icon().isNull() for b in bar.buttons())


def test_reasoning_opens_in_place_and_closes_again(qtbot: QtBot) -> None:
    item = ChatItem(1, Role.ASSISTANT, "Four.", thinking="Two plus two is four. " * 20)
    view, model = _view(qtbot, [item])
    delegate = view.message_delegate()
    index = model.index(0, 0)
    closed = view.visualRect(index).height()
    reasoning = delegate.geometry(item, view.visualRect(index), view.font()).reasoning
    assert "▸" in delegate.reasoning_label(item)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=reasoning.center())
    qtbot.waitUntil(lambda: view.visualRect(index).height() > closed + 40, timeout=2000)
    assert "▾" in delegate.reasoning_label(item)
    view.grab()  # paints the reasoning text
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=reasoning.center())
    qtbot.waitUntil(lambda: view.visualRect(index).height() == closed, timeout=2000)


def test_jump_to_latest_appears_when_scrolled_up_and_follows_again(qtbot: QtBot) -> None:
    history = [ChatItem(i, Role.ASSISTANT, f"message {i}\n\nmore") for i in range(1, 80)]
    reply = ChatItem(100, Role.ASSISTANT, "", state=MessageState.STREAMING)
    view, model = _view(qtbot, [*history, reply])
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), timeout=3000)
    assert not view.jump_button.isVisible()
    bar.setValue(0)
    assert view.jump_button.isVisible()
    assert view.jump_button.accessibleName()
    model.append_text(100, "new text\n\n" * 10)
    qtbot.wait(20)
    assert bar.value() == 0  # the reader keeps their place
    qtbot.mouseClick(view.jump_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum(), timeout=2000)
    assert view.is_following()
    assert not view.jump_button.isVisible()
    model.append_text(100, "and more\n\n" * 20)
    qtbot.waitUntil(lambda: bar.value() == bar.maximum(), timeout=2000)


def test_keyboard_reaches_the_actions_and_the_menu(qtbot: QtBot) -> None:
    view, model = _view(qtbot, [ChatItem(1, Role.USER, "Q"), ChatItem(2, Role.ASSISTANT, "A")])
    view.setFocus()
    view.setCurrentIndex(model.index(0, 0))
    qtbot.keyClick(view, Qt.Key.Key_Down)
    assert view.editor_row() == 1
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    focused = QApplication.focusWidget()
    assert isinstance(focused, QToolButton)
    assert focused.accessibleName() == "Copy"
    with qtbot.waitSignal(view.context_menu_requested) as menu:
        qtbot.keyClick(view, Qt.Key.Key_Menu)
    assert menu.args[0] == 1


def test_a_theme_change_renders_replies_in_the_new_palette(qtbot: QtBot) -> None:
    view, model = _view(qtbot, [ChatItem(1, Role.ASSISTANT, REPLY)])
    item = model.item(0)

    def code_background() -> str:
        document: QTextDocument = view.message_delegate().document(item, 600, view.font())
        return document.toHtml()

    assert LIGHT.code_background in code_background()
    view.set_colors(DARK_COLORS)
    assert DARK.code_background in code_background()
    assert view.message_delegate().colors == DARK_COLORS


@pytest.mark.parametrize("text", ["中文的回答应该在阅读栏里正确换行。" * 12])
def test_chinese_wraps_inside_the_reading_column(qtbot: QtBot, text: str) -> None:
    view, model = _view(qtbot, [ChatItem(1, Role.ASSISTANT, text)])
    delegate = view.message_delegate()
    width = delegate.text_width(model.item(0), view.viewport().width())
    document = delegate.document(model.item(0), width, view.font())
    assert document.idealWidth() <= width
    assert document.size().height() > 2 * view.fontMetrics().height()  # wrapped lines


def test_the_link_question_shows_the_whole_address_as_plain_text(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    from desktop_app.ui.chat.chat_view import ask_to_open_link

    shown: list[tuple[str, Qt.TextFormat]] = []
    replies = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Open]

    def answer(box: QMessageBox) -> int:
        shown.append((box.text(), box.textFormat()))
        return int(replies.pop(0).value)

    monkeypatch.setattr(QMessageBox, "exec", answer)
    view, _model = _view(qtbot, [])
    url = "https://example.org/<b>bold</b>?q=1"
    assert ask_to_open_link(view, url) is False
    assert url in shown[0][0]
    assert shown[0][1] == Qt.TextFormat.PlainText
    assert ask_to_open_link(view, url) is True
