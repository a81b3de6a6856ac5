"""Very large messages: refused in the composer over the limit, shown shortened in the chat.

No timing asserts: work is counted instead (how often message text is laid out).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import Role
from desktop_app.core.storage.chat_store import MessageState
from desktop_app.ui.chat.chat_model import ChatItem, ChatModel
from desktop_app.ui.chat.chat_view import ChatView
from desktop_app.ui.chat.composer import MAX_MESSAGE_CHARS, Composer
from desktop_app.ui.chat.message_delegate import LONG_MESSAGE_CHARS, MessageDelegate, is_shortened
from desktop_app.ui.common.untrusted_text import SafeTextDocument

TWO_MB = ("All work and no play makes the keeper a dull boy.\n" * 40_000)[:2_000_000]


@pytest.fixture
def composer(qtbot: QtBot) -> Composer:
    widget = Composer()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_over_long_message_is_refused_and_stays_in_the_box(qtbot: QtBot,
                                                           composer: Composer) -> None:
    sent: list[str] = []
    composer.send_requested.connect(sent.append)
    text = ("y" * 99 + "\n") * (MAX_MESSAGE_CHARS // 100) + "z"
    composer.edit.setPlainText(text)
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == []
    assert composer.text() == text  # nothing the user wrote is lost or cut
    assert composer.notice.isVisible()
    assert "characters long" in composer.notice.text()
    assert composer.notice.textFormat() == Qt.TextFormat.PlainText
    # Shortened to the limit, it goes, and the notice goes away as the text shrinks.
    composer.edit.setPlainText(text[:MAX_MESSAGE_CHARS])
    assert not composer.notice.isVisible()
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert len(sent) == 1
    assert len(sent[0]) == MAX_MESSAGE_CHARS


def test_a_paste_past_the_limit_is_refused(qtbot: QtBot, composer: Composer) -> None:
    composer.edit.setPlainText("Please summarise: ")
    composer.edit.moveCursor(composer.edit.textCursor().MoveOperation.End)
    QApplication.clipboard().setText(TWO_MB)
    composer.edit.paste()
    assert composer.text() == "Please summarise: "
    assert composer.notice.isVisible()
    assert "Not pasted" in composer.notice.text()
    QApplication.clipboard().setText("a short log line")
    composer.edit.paste()
    assert composer.text() == "Please summarise: a short log line"


def test_a_pasted_long_unbroken_line_wraps_anywhere(composer: Composer) -> None:
    QApplication.clipboard().setText("{" + '"k":1,' * 20_000 + "}")
    composer.edit.paste()
    assert composer.edit.wordWrapMode() == QTextOption.WrapMode.WrapAnywhere
    composer.clear()
    assert composer.edit.wordWrapMode() == QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere


def _count_layouts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the times message text is put into a document (each means a new layout).

    Returns [all layouts, layouts of more than 10,000 characters].
    """
    counter = [0, 0]
    for name in ("set_markdown", "setPlainText", "setHtml"):
        original = getattr(SafeTextDocument, name)

        def counted(doc: SafeTextDocument, text: str, _original: object = original) -> None:
            counter[0] += 1
            counter[1] += len(text) > 10_000
            _original(doc, text)  # type: ignore[operator]

        monkeypatch.setattr(SafeTextDocument, name, counted)
    return counter


def test_a_chat_with_a_2mb_message_opens_and_streams_without_relaying_it_out(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    big_user = ChatItem(1, Role.USER, TWO_MB)
    big_reply = ChatItem(2, Role.ASSISTANT, "# Log\n" + TWO_MB)
    streaming = ChatItem(3, Role.ASSISTANT, "", state=MessageState.STREAMING)
    assert is_shortened(big_user)
    assert is_shortened(big_reply)
    model = ChatModel()
    model.set_items([big_user, big_reply, streaming])
    view = ChatView()
    view.setModel(model)
    view.resize(700, 600)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    for row in range(3):
        view.scrollTo(model.index(row, 0))
        view.grab()
    delegate = view.itemDelegate()
    assert isinstance(delegate, MessageDelegate)
    doc = delegate.document(big_reply, 600, view.font())
    # The start of the message as plain text, and a line saying the rest is not shown.
    assert len(doc.toPlainText()) < LONG_MESSAGE_CHARS + 500
    assert doc.toPlainText().startswith("# Log\n")
    assert "2,000,006" in doc.toPlainText() or "2000006" in doc.toPlainText()

    qtbot.wait(10)  # the view takes focus and its current row its live text
    layouts = _count_layouts(monkeypatch)
    for i in range(20):
        model.append_text(3, f"word{i} ")
        view.grab()
    # The streaming reply is laid out once a batch (parsed, or words typed into its
    # paragraph); the two big rows never again.
    streaming_doc = delegate.streaming
    assert streaming_doc is not None
    assert layouts[0] + streaming_doc.texts_appended == 20
    assert layouts[1] == 0


def test_a_long_streaming_reply_switches_to_the_shortened_form(qtbot: QtBot) -> None:
    reply = ChatItem(1, Role.ASSISTANT, "", state=MessageState.STREAMING)
    model = ChatModel()
    model.set_items([reply])
    view = ChatView()
    view.setModel(model)
    qtbot.addWidget(view)
    view.show()
    chunk = "**bold** words " * 100
    while len(reply.content) <= LONG_MESSAGE_CHARS:
        model.append_text(1, chunk)
    view.grab()
    delegate = view.itemDelegate()
    assert isinstance(delegate, MessageDelegate)
    text = delegate.document(reply, 600, view.font()).toPlainText()
    assert text.startswith("**bold**")  # plain text now, not Markdown
    assert len(text) < LONG_MESSAGE_CHARS + 500
