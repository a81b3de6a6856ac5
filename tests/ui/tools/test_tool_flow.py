"""A reply that calls a tool, end to end in the window: card, approval, result, answer."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import Role, ToolCall
from desktop_app.core.tools.agent import Decision
from desktop_app.ui.app import HearthApp
from desktop_app.ui.chat.chat_model import ChatItem
from desktop_app.ui.chat.tool_card import CardStatus
from desktop_app.ui.models.model_controller import ModelState
from tests.core.tools.scripted_engine import Reply, ScriptedEngine
from tests.ui.conftest import AppFactory

pytestmark = pytest.mark.usefixtures("registered_demo")

CALL = ToolCall("call-1", "calculator", '{"expression": "2+3"}')


def _app(qtbot: QtBot, make_app: AppFactory, engine: ScriptedEngine) -> HearthApp:
    hearth = make_app(lambda: engine)
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    assert hearth.tools is not None
    hearth.tools.button.setChecked(True)  # a new chat: on for the chat its message creates
    return hearth


def _reply(hearth: HearthApp) -> ChatItem:
    return [i for i in hearth.window.chat_view.model().items() if i.role == Role.ASSISTANT][-1]


def _ask(qtbot: QtBot, hearth: HearthApp, text: str) -> None:
    assert hearth.tools is not None
    with qtbot.waitSignal(hearth.tools.runner.approval_requested, timeout=10_000):
        assert hearth.chat.send(text)
    card, = _reply(hearth).tool_cards
    assert (card.name, card.source, card.status) == ("calculator", "Hearth", CardStatus.WAITING)
    assert '"expression": "2+3"' in card.arguments


def test_allowed_call_runs_and_the_model_answers_with_its_result(
        qtbot: QtBot, make_app: AppFactory) -> None:
    engine = ScriptedEngine(script=[Reply(("Let me compute. ",), (CALL,)),
                                    Reply(("It is 5.",))])
    hearth = _app(qtbot, make_app, engine)
    _ask(qtbot, hearth, "What is 2+3?")
    assert hearth.tools is not None
    dialog = hearth.tools.dialogs[CALL.id]
    qtbot.mouseClick(dialog.buttons[Decision.ALLOW_ONCE], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=10_000)
    assert len(engine.requests) == 2
    assert engine.requests[0].tools
    assert engine.requests[0].tools[0].name == "calculator"
    tool_turn = engine.requests[1].messages[-1]
    assert tool_turn.role == Role.TOOL
    assert tool_turn.tool_call_id == CALL.id
    assert "2+3 = 5" in tool_turn.content
    reply = _reply(hearth)
    assert reply.content == "Let me compute. It is 5."
    card, = reply.tool_cards
    assert card.status == CardStatus.DONE
    assert card.result == "2+3 = 5"


def test_denied_call_is_reported_to_the_model(qtbot: QtBot, make_app: AppFactory) -> None:
    engine = ScriptedEngine(script=[Reply((), (CALL,)), Reply(("I may not.",))])
    hearth = _app(qtbot, make_app, engine)
    _ask(qtbot, hearth, "What is 2+3?")
    assert hearth.tools is not None
    hearth.tools.dialogs[CALL.id].reject()  # Escape, or Deny
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=10_000)
    tool_turn = engine.requests[1].messages[-1]
    assert tool_turn.role == Role.TOOL
    assert "denied" in tool_turn.content
    card, = _reply(hearth).tool_cards
    assert card.status == CardStatus.DENIED
    assert _reply(hearth).content == "I may not."


def test_tools_stay_off_without_the_switch(qtbot: QtBot, make_app: AppFactory) -> None:
    engine = ScriptedEngine(script=[Reply(("Hello.",))])
    hearth = make_app(lambda: engine)
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    assert hearth.chat.send("Hi")
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=10_000)
    assert engine.requests[0].tools == ()
    assert _reply(hearth).content == "Hello."


def test_stop_while_asking_ends_the_reply(qtbot: QtBot, make_app: AppFactory) -> None:
    engine = ScriptedEngine(script=[Reply(("Let me compute. ",), (CALL,)), Reply(("no",))])
    hearth = _app(qtbot, make_app, engine)
    _ask(qtbot, hearth, "What is 2+3?")
    hearth.chat.stop()
    assert not hearth.chat.busy
    assert hearth.tools is not None
    assert hearth.tools.dialogs == {}  # the question went away with the reply
    hearth.tools.runner.approve(_reply(hearth).message_id, CALL.id, Decision.ALLOW_ONCE)
    assert len(engine.requests) == 1  # too late: nothing runs
    assert engine.cancels == []  # no engine request was running to cancel


def test_calls_are_stored_with_the_reply(qtbot: QtBot, make_app: AppFactory) -> None:
    engine = ScriptedEngine(script=[Reply((), (CALL,)), Reply(("5.",))])
    hearth = _app(qtbot, make_app, engine)
    _ask(qtbot, hearth, "What is 2+3?")
    assert hearth.tools is not None
    hearth.tools.dialogs[CALL.id].answer(Decision.ALLOW_CHAT)
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=10_000)
    conversation = hearth.chat.conversation
    assert conversation is not None
    hearth.chat.new_conversation()
    hearth.chat.open_conversation(conversation.id)  # read back from the history
    card, = _reply(hearth).tool_cards
    assert (card.name, card.status, card.result) == ("calculator", CardStatus.DONE, "2+3 = 5")
    # "For this chat": the next call of the tool in this chat runs without asking.
    engine.script = [Reply((), (CALL,)), Reply(("Again 5.",))]
    engine.requests.clear()
    assert hearth.chat.send("And again?")
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=10_000)
    assert _reply(hearth).content == "Again 5."
    assert hearth.tools.dialogs == {}


def test_the_step_limit_shows_as_a_notice(qtbot: QtBot, make_app: AppFactory) -> None:
    engine = ScriptedEngine(script=[Reply((), (CALL,))])  # calls the tool forever
    hearth = _app(qtbot, make_app, engine)
    _ask(qtbot, hearth, "Loop")
    assert hearth.tools is not None
    hearth.tools.dialogs[CALL.id].answer(Decision.ALLOW_CHAT)
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=20_000)
    items = hearth.window.chat_view.model().items()
    assert items[-1].notice
    assert "Stopped after 8 rounds" in items[-1].content
    assert len(_reply(hearth).tool_cards) == 8
