"""After a kill mid-reply: the conversation reopens, the reply offers Continue and Regenerate."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import Role, SamplingParams
from desktop_app.core.paths import AppPaths
from desktop_app.core.storage.chat_store import ChatStore, MessageState
from desktop_app.ui.models.model_controller import ModelState
from tests.ui.conftest import AppFactory
from tests.ui.fake_engine import FakeEngine

pytestmark = pytest.mark.usefixtures("registered_demo")


def test_the_interrupted_conversation_reopens_with_continue(qtbot: QtBot, app_paths: AppPaths,
                                                            make_app: AppFactory) -> None:
    app_paths.ensure()
    store = ChatStore.open(app_paths.database_path)
    streaming = store.create_conversation(model_id=None, system_prompt="",
                                          params=SamplingParams())
    store.add_message(streaming.id, Role.USER, "Tell me a story")
    reply = store.begin_reply(streaming.id)
    store.checkpoint_reply(reply.id, "Once upon", "")
    later = store.create_conversation(model_id=None, system_prompt="", params=SamplingParams())
    store.add_message(later.id, Role.USER, "A newer chat, not the one that was streaming")
    store.close()  # as a SIGKILL leaves it: the reply still marked STREAMING

    engine = FakeEngine(reply_tokens=[" a time."])
    hearth = make_app(lambda: engine)
    assert hearth.chat.conversation is not None
    assert hearth.chat.conversation.id == streaming.id
    items = hearth.window.chat_view.model().items()
    assert (items[-1].content, items[-1].state) == ("Once upon", MessageState.INTERRUPTED)
    actions = hearth.window.message_actions(len(items) - 1)
    assert {"continue", "regenerate"} <= set(actions)

    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    with qtbot.waitSignal(hearth.chat.busy_changed, timeout=5000,
                          check_params_cb=lambda busy: not busy):
        actions["continue"][1]()
    assert hearth.store.get_message(reply.id).content == "Once upon a time."
