"""The main window with a scripted engine: sending, stopping, crashes, restarts."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import Role
from desktop_app.core.storage.chat_store import MessageState
from desktop_app.ui.app import HearthApp
from desktop_app.ui.models.model_controller import ModelState
from tests.ui.conftest import AppFactory
from tests.ui.fake_engine import FakeEngine

pytestmark = pytest.mark.usefixtures("registered_demo")


def _wait_ready(qtbot: QtBot, hearth: HearthApp) -> None:
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)


def _send(qtbot: QtBot, hearth: HearthApp, text: str) -> None:
    edit = hearth.window.composer.edit
    edit.setFocus()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_enter_sends_and_reply_streams_into_view(qtbot: QtBot, make_app: AppFactory) -> None:
    hearth = make_app()
    _wait_ready(qtbot, hearth)
    batches: list[str] = []
    hearth.engine_thread.worker.chunks_received.connect(lambda _r, text, _t: batches.append(text))
    with qtbot.waitSignal(hearth.chat.busy_changed, timeout=5000,
                          check_params_cb=lambda busy: not busy):
        _send(qtbot, hearth, "Hello there")
    assert hearth.window.composer.text() == ""
    model = hearth.window.chat_view.model()
    assert model.rowCount() == 2
    reply = model.item(1)
    assert reply.role == Role.ASSISTANT
    assert reply.content == "".join(f"word{i} " for i in range(40))
    assert reply.state == MessageState.COMPLETE
    assert len(batches) > 1
    stored = hearth.store.messages(hearth.chat.conversation.id)
    assert [m.content for m in stored] == ["Hello there", reply.content]


def test_stop_button_and_escape_end_the_reply(qtbot: QtBot, make_app: AppFactory) -> None:
    engine = FakeEngine(token_interval=0.05)
    hearth = make_app(lambda: engine)
    _wait_ready(qtbot, hearth)
    _send(qtbot, hearth, "Tell me a story")
    qtbot.waitUntil(lambda: hearth.window.chat_view.model().item(1).content != "", timeout=5000)
    assert hearth.window.composer.button.text() == "Stop"
    qtbot.keyClick(hearth.window.composer.edit, Qt.Key.Key_Escape)
    assert not hearth.chat.busy
    reply = hearth.window.chat_view.model().item(1)
    assert reply.state == MessageState.STOPPED
    shown = reply.content
    qtbot.wait(300)  # late tokens, if any, must not appear
    assert hearth.window.chat_view.model().item(1).content == shown
    assert engine.cancels == [engine.requests[0].request_id]
    stored = hearth.store.messages(hearth.chat.conversation.id)[-1]
    assert stored.state == MessageState.STOPPED
    assert stored.content == shown


def test_engine_crash_keeps_text_and_window(qtbot: QtBot, make_app: AppFactory) -> None:
    engine = FakeEngine(crash_after_tokens=5)
    hearth = make_app(lambda: engine)
    _wait_ready(qtbot, hearth)
    with qtbot.waitSignal(hearth.chat.error_occurred, timeout=5000) as error:
        _send(qtbot, hearth, "Crash please")
    assert "SIGSEGV" in error.args[0]
    assert hearth.window.banner.isVisible()
    stored = hearth.store.messages(hearth.chat.conversation.id)
    assert stored[0].content == "Crash please"
    assert stored[1].state == MessageState.INTERRUPTED
    assert stored[1].content == "word0 word1 word2 word3 word4 "
    # The next message works.
    with qtbot.waitSignal(hearth.chat.busy_changed, timeout=5000,
                          check_params_cb=lambda busy: not busy):
        _send(qtbot, hearth, "Again")
    assert hearth.window.chat_view.model().item(3).state == MessageState.COMPLETE


def test_conversation_restored_after_restart(qtbot: QtBot, make_app: AppFactory) -> None:
    first = make_app()
    _wait_ready(qtbot, first)
    with qtbot.waitSignal(first.chat.busy_changed, timeout=5000,
                          check_params_cb=lambda busy: not busy):
        _send(qtbot, first, "Remember me")
    conversation_id = first.chat.conversation.id
    first.window.close()
    first.shutdown()

    second = make_app()
    assert second.chat.conversation is not None
    assert second.chat.conversation.id == conversation_id
    items = second.window.chat_view.model().items()
    assert next(i.content for i in items) == "Remember me"
    assert items[1].content.startswith("word0 ")
    assert second.window.conversations.headers() == ["Today"]
    assert second.window.conversations.rowCount() == 2  # the header and the conversation


def test_message_is_kept_in_the_box_when_no_model(qtbot: QtBot, make_app: AppFactory) -> None:
    hearth = make_app()
    hearth.chat.model_id = None
    _send(qtbot, hearth, "Not lost")
    assert hearth.window.composer.text() == "Not lost"
    assert hearth.window.banner.isVisible()


def test_streaming_reply_is_checkpointed_every_second(qtbot: QtBot, make_app: AppFactory) -> None:
    engine = FakeEngine(reply_tokens=[f"t{i} " for i in range(200)], token_interval=0.02)
    hearth = make_app(lambda: engine)
    _wait_ready(qtbot, hearth)
    _send(qtbot, hearth, "A long one please")
    conversation = hearth.chat.conversation
    assert conversation is not None

    def checkpointed() -> bool:
        stored = hearth.store.messages(conversation.id)[-1]
        return stored.state == MessageState.STREAMING and len(stored.content) > 0

    # While the reply is still streaming, the database already holds part of it.
    qtbot.waitUntil(checkpointed, timeout=4000)
    assert hearth.chat.busy
    hearth.chat.stop()
