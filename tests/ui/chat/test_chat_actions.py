"""Regenerate, continue and per-chat settings, through the real window with a scripted engine."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import Role, SamplingParams
from desktop_app.core.storage.chat_store import MessageState
from tests.ui.chat_driver import reply_to, wait_ready
from tests.ui.conftest import AppFactory
from tests.ui.fake_engine import FakeEngine

pytestmark = pytest.mark.usefixtures("registered_demo")


def test_regenerate_replaces_the_last_reply_with_a_new_sample(qtbot: QtBot,
                                                              make_app: AppFactory) -> None:
    engine = FakeEngine(reply_tokens=["first ", "answer"])
    hearth = make_app(lambda: engine)
    wait_ready(qtbot, hearth)
    reply_to(qtbot, hearth, lambda: hearth.chat.send("Question"))
    engine.reply_tokens = ["second ", "answer"]
    reply_to(qtbot, hearth, hearth.window.regenerate_action.trigger)

    model = hearth.window.chat_view.model()
    assert [item.content for item in model.items()] == ["Question", "second answer"]
    first, second = engine.requests
    assert second.messages == first.messages  # same history, new sample
    assert second.request_id != first.request_id
    assert hearth.chat.conversation is not None
    stored = hearth.store.messages(hearth.chat.conversation.id)
    assert [m.content for m in stored] == ["Question", "second answer"]


def test_continue_appends_to_the_same_reply(qtbot: QtBot, make_app: AppFactory) -> None:
    engine = FakeEngine(reply_tokens=["Once ", "upon"])
    hearth = make_app(lambda: engine)
    wait_ready(qtbot, hearth)
    reply_to(qtbot, hearth, lambda: hearth.chat.send("Story?"))
    engine.reply_tokens = [" a ", "time."]
    reply_to(qtbot, hearth, hearth.window.continue_action.trigger)

    request = engine.requests[-1]
    assert request.continue_reply
    assert request.messages[-1].role == Role.ASSISTANT
    assert request.messages[-1].content == "Once upon"
    model = hearth.window.chat_view.model()
    assert model.rowCount() == 2
    assert model.item(1).content == "Once upon a time."
    assert model.item(1).state == MessageState.COMPLETE
    assert hearth.chat.conversation is not None
    assert hearth.store.messages(hearth.chat.conversation.id)[1].content == "Once upon a time."


def test_chat_settings_apply_to_the_next_reply_and_persist(qtbot: QtBot,
                                                           make_app: AppFactory) -> None:
    engine = FakeEngine(reply_tokens=["ok"])
    hearth = make_app(lambda: engine)
    wait_ready(qtbot, hearth)
    params = SamplingParams(temperature=0.2, max_tokens=50, seed=9, stop=("###",))
    # Settings chosen for a new chat are used when its first message creates it.
    hearth.chat.update_conversation_settings("Speak like a pirate.", params)
    reply_to(qtbot, hearth, lambda: hearth.chat.send("Hello"))
    assert engine.requests[-1].system_prompt == "Speak like a pirate."
    assert engine.requests[-1].params == params
    conversation = hearth.chat.conversation
    assert conversation is not None
    assert hearth.store.get_conversation(conversation.id).params == params

    hearth.chat.update_conversation_settings("Be brief.", SamplingParams(max_tokens=10))
    reply_to(qtbot, hearth, lambda: hearth.chat.send("Again"))
    assert engine.requests[-1].system_prompt == "Be brief."
    assert engine.requests[-1].params.max_tokens == 10


def test_settings_dialog_result_reaches_new_chats(qtbot: QtBot, make_app: AppFactory) -> None:
    hearth = make_app()
    wait_ready(qtbot, hearth)
    dialog = hearth.window.settings_dialog()
    dialog.system_prompt_edit.setPlainText("Default prompt")
    hearth.models.apply_settings(dialog.result_settings())
    dialog.deleteLater()
    assert hearth.chat.conversation_settings()[0] == "Default prompt"
    assert hearth.settings_store.load()[0].default_system_prompt == "Default prompt"


def test_reasoning_is_kept_apart_stored_and_left_out_of_the_next_prompt(
        qtbot: QtBot, make_app: AppFactory) -> None:
    engine = FakeEngine(thinking_tokens=["Let me ", "think."], reply_tokens=["Four."])
    hearth = make_app(lambda: engine)
    wait_ready(qtbot, hearth)
    reply_to(qtbot, hearth, lambda: hearth.chat.send("2+2?"))
    reply = hearth.window.chat_view.model().item(1)
    assert reply.content == "Four."
    assert reply.thinking == "Let me think."
    assert hearth.chat.conversation is not None
    stored = hearth.store.messages(hearth.chat.conversation.id)[1]
    assert (stored.content, stored.thinking) == ("Four.", "Let me think.")
    reply_to(qtbot, hearth, lambda: hearth.chat.send("And 3+3?"))
    history = engine.requests[-1].messages
    assert [m.content for m in history] == ["2+2?", "Four.", "And 3+3?"]


def test_trimmed_context_is_announced_above_the_reply(qtbot: QtBot,
                                                      make_app: AppFactory) -> None:
    engine = FakeEngine(reply_tokens=["ok"], trimmed_messages=4)
    hearth = make_app(lambda: engine)
    wait_ready(qtbot, hearth)
    reply_to(qtbot, hearth, lambda: hearth.chat.send("Long chat"))
    items = hearth.window.chat_view.model().items()
    assert [i.notice for i in items] == [False, True, False]
    assert "4 older messages" in items[1].content
    assert items[2].content == "ok"
    assert hearth.chat.conversation is not None
    # The notice is shown, not stored: the conversation itself is unchanged.
    stored = hearth.store.messages(hearth.chat.conversation.id)
    assert [m.content for m in stored] == ["Long chat", "ok"]
