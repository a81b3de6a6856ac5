"""Branches through the controller and the real window: edit, regenerate, switch, delete, undo."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import Role
from desktop_app.core.storage.chat_store import MessageState
from desktop_app.ui.app import HearthApp
from tests.ui.chat_driver import reply_to, wait_ready
from tests.ui.conftest import AppFactory
from tests.ui.fake_engine import FakeEngine

pytestmark = pytest.mark.usefixtures("registered_demo")


def _shown(hearth: HearthApp) -> list[str]:
    return [item.content for item in hearth.window.chat_view.model().items()]


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine(reply_tokens=["first"])


@pytest.fixture
def hearth(qtbot: QtBot, make_app: AppFactory, engine: FakeEngine) -> HearthApp:
    app = make_app(lambda: engine)
    wait_ready(qtbot, app)
    reply_to(qtbot, app, lambda: app.chat.send("Question"))
    engine.reply_tokens = ["second"]
    reply_to(qtbot, app, app.chat.regenerate)
    return app


def _row_id(hearth: HearthApp, row: int) -> int:
    return hearth.window.chat_view.model().item(row).message_id


def test_regenerate_keeps_the_old_reply_as_a_sibling(hearth: HearthApp,
                                                     qtbot: QtBot) -> None:
    assert _shown(hearth) == ["Question", "second"]
    reply = _row_id(hearth, 1)
    assert hearth.chat.siblings(reply) == (1, 2)
    assert hearth.chat.siblings(_row_id(hearth, 0)) == (0, 1)

    with qtbot.waitSignal(hearth.chat.path_changed, timeout=1000):
        assert hearth.chat.switch_branch(reply, -1)
    assert _shown(hearth) == ["Question", "first"]
    assert hearth.chat.siblings(_row_id(hearth, 1)) == (0, 2)
    assert not hearth.chat.switch_branch(_row_id(hearth, 1), -1)  # no earlier one
    # The choice is stored: reopening shows the same branch.
    assert hearth.chat.conversation is not None
    hearth.chat.open_conversation(hearth.chat.conversation.id)
    assert _shown(hearth) == ["Question", "first"]


def test_edit_branches_and_asks_for_a_reply_to_the_new_text(hearth: HearthApp,
                                                            qtbot: QtBot) -> None:
    question = _row_id(hearth, 0)
    with qtbot.waitSignal(hearth.chat.busy_changed, timeout=5000,
                          check_params_cb=lambda busy: not busy):
        assert hearth.chat.edit_message(question, "Better question")
    assert _shown(hearth)[0] == "Better question"
    assert len(_shown(hearth)) == 2
    assert hearth.chat.siblings(_row_id(hearth, 0)) == (1, 2)
    hearth.chat.switch_branch(_row_id(hearth, 0), -1)
    assert _shown(hearth) == ["Question", "second"]  # the old branch, its newest reply


def test_path_changes_are_refused_while_a_reply_streams(hearth: HearthApp, qtbot: QtBot,
                                                        engine: FakeEngine) -> None:
    engine.reply_tokens = [f"w{i} " for i in range(200)]
    engine.token_interval = 0.01
    reply = _row_id(hearth, 1)
    with qtbot.waitSignal(hearth.chat.busy_changed, timeout=5000):
        hearth.chat.regenerate()
    with qtbot.waitSignal(hearth.chat.error_occurred, timeout=1000):
        assert not hearth.chat.switch_branch(reply, -1)
    hearth.chat.stop()
    assert hearth.chat.switch_branch(reply, -1)


def test_delete_a_branch_then_undo(hearth: HearthApp, qtbot: QtBot) -> None:
    reply = _row_id(hearth, 1)
    with qtbot.waitSignal(hearth.chat.undo_available, timeout=1000) as signal:
        hearth.chat.delete_branch(reply)
    assert "1" in signal.args[0]
    assert _shown(hearth) == ["Question", "first"]  # the remaining sibling's branch
    assert hearth.chat.siblings(_row_id(hearth, 1)) == (0, 1)
    assert hearth.chat.undo()
    assert _shown(hearth) == ["Question", "second"]
    assert hearth.chat.siblings(_row_id(hearth, 1)) == (1, 2)
    assert not hearth.chat.undo()


def test_delete_a_conversation_then_undo(hearth: HearthApp, qtbot: QtBot) -> None:
    assert hearth.chat.conversation is not None
    conversation_id = hearth.chat.conversation.id
    with qtbot.waitSignal(hearth.chat.undo_available, timeout=1000):
        hearth.chat.delete_conversation(conversation_id)
    assert hearth.store.list_conversations() == []
    assert hearth.chat.conversation is None
    hearth.chat.undo()
    assert [c.id for c in hearth.store.list_conversations()] == [conversation_id]
    assert hearth.chat.conversation is not None
    assert hearth.chat.conversation.id == conversation_id
    assert hearth.store.message_count(conversation_id) == 3


def test_a_search_result_opens_its_branch_and_reveals_the_message(hearth: HearthApp,
                                                                  qtbot: QtBot) -> None:
    assert hearth.chat.conversation is not None
    conversation_id = hearth.chat.conversation.id
    hit = next(h for h in hearth.store.search("first") if h.message_id is not None)
    assert hit.role == Role.ASSISTANT
    hearth.chat.new_conversation()
    with qtbot.waitSignal(hearth.chat.message_revealed, timeout=1000) as signal:
        hearth.chat.open_message(conversation_id, hit.message_id)
    assert signal.args == [1]
    assert _shown(hearth) == ["Question", "first"]


def test_duplicate_opens_the_copy(hearth: HearthApp) -> None:
    assert hearth.chat.conversation is not None
    original = hearth.chat.conversation.id
    hearth.chat.duplicate_conversation(original)
    assert hearth.chat.conversation is not None
    assert hearth.chat.conversation.id != original
    assert hearth.chat.conversation.title.endswith("(copy)")
    assert _shown(hearth) == ["Question", "second"]
    assert hearth.store.message_count(hearth.chat.conversation.id) == 3


def test_an_interrupted_reply_can_be_continued(hearth: HearthApp, qtbot: QtBot) -> None:
    reply = _row_id(hearth, 1)
    hearth.store.finish_reply(reply, "cut", thinking="", state=MessageState.INTERRUPTED,
                              stats=None)
    assert hearth.chat.conversation is not None
    hearth.chat.open_conversation(hearth.chat.conversation.id)
    actions = hearth.window.message_actions(1)
    assert {"continue", "regenerate"} <= set(actions)
