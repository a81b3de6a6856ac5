"""A reply the disk could not take is kept on screen and saved once writing works again.

The disk is "full" by SQLite's own means: ``PRAGMA max_page_count`` at the
current size makes every write that needs a new page fail with SQLITE_FULL,
exactly as a full disk does, and raising it again is the space coming back.
"""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.core.paths import AppPaths
from desktop_app.core.storage.chat_store import ChatStore, MessageState
from desktop_app.ui.app import HearthApp
from desktop_app.ui.chat import chat_controller
from desktop_app.ui.models.model_controller import ModelState
from tests.ui.conftest import AppFactory
from tests.ui.fake_engine import FakeEngine

pytestmark = pytest.mark.usefixtures("registered_demo")

TOKENS = [f"{i:03d}" + "x" * 997 for i in range(30)]  # 30 kB: needs new pages
FULL_TEXT = "".join(TOKENS)


def _disk_full(hearth: HearthApp, full: bool) -> None:
    connection = hearth.store._db.connection
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.execute(f"PRAGMA max_page_count = {pages if full else 1_000_000}")


def _stored_reply(hearth: HearthApp) -> tuple[str, MessageState]:
    assert hearth.chat.conversation is not None
    reply = hearth.store.messages(hearth.chat.conversation.id)[-1]
    return reply.content, reply.state


def _reply_on_a_full_disk(qtbot: QtBot, make_app: AppFactory,
                          engine: FakeEngine | None = None) -> tuple[HearthApp, list[str]]:
    engine = engine or FakeEngine()
    engine.reply_tokens, engine.token_interval = TOKENS, 0.002
    hearth = make_app(lambda: engine)
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    errors: list[str] = []
    hearth.chat.error_occurred.connect(errors.append)
    assert hearth.chat.send("Write a lot")  # stored before the disk fills up
    _disk_full(hearth, True)
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=10_000)
    shown = hearth.window.chat_view.model().items()[-1]
    assert shown.content == FULL_TEXT
    assert shown.state == MessageState.COMPLETE
    content, state = _stored_reply(hearth)
    assert len(content) < len(FULL_TEXT)  # today's bug: it stays like this for good
    assert state == MessageState.STREAMING
    assert hearth.chat.unsaved_replies == 1
    return hearth, errors


def test_reply_is_saved_when_space_returns(qtbot: QtBot, make_app: AppFactory,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat_controller, "CHECKPOINT_INTERVAL", 0.0)  # every batch
    monkeypatch.setattr(chat_controller, "SAVE_RETRY_MS", 50)
    hearth, errors = _reply_on_a_full_disk(qtbot, make_app)
    # Every checkpoint and the final write failed, yet the user was told once, not each time.
    full_disk = [e for e in errors if "is full" in e]
    assert len(full_disk) == 2  # the first failed checkpoint, and the failed final write
    assert "saved as soon as that works again" in full_disk[-1]
    # Reopening the chat meanwhile shows the reply as it ended, not as the disk has it.
    assert hearth.chat.conversation is not None
    hearth.chat.open_conversation(hearth.chat.conversation.id)
    assert hearth.window.chat_view.model().items()[-1].content == FULL_TEXT

    with qtbot.waitSignal(hearth.chat.error_occurred, timeout=5000,
                          check_params_cb=lambda text: text == "The reply is saved now."):
        _disk_full(hearth, False)
    assert _stored_reply(hearth) == (FULL_TEXT, MessageState.COMPLETE)
    assert hearth.chat.unsaved_replies == 0


def test_reply_is_saved_at_exit_if_the_timer_did_not_get_to_it(
        qtbot: QtBot, make_app: AppFactory, app_paths: AppPaths,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat_controller, "SAVE_RETRY_MS", 3_600_000)  # never, in this test
    hearth, _ = _reply_on_a_full_disk(qtbot, make_app)
    _disk_full(hearth, False)
    qtbot.waitUntil(lambda: not hearth.jobs._relays, timeout=10_000)
    hearth.shutdown()
    store = ChatStore.open(app_paths.database_path)
    try:
        reply = store.messages(store.list_conversations()[0].id)[-1]
        assert (reply.content, reply.state) == (FULL_TEXT, MessageState.COMPLETE)
    finally:
        store.close()


def test_a_continued_reply_is_not_overwritten_by_its_older_unsaved_form(
        qtbot: QtBot, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat_controller, "SAVE_RETRY_MS", 3_600_000)
    engine = FakeEngine()
    hearth, _ = _reply_on_a_full_disk(qtbot, make_app, engine)
    _disk_full(hearth, False)
    engine.reply_tokens = [" and more"]
    with qtbot.waitSignal(hearth.chat.busy_changed, timeout=5000,
                          check_params_cb=lambda busy: not busy):
        hearth.chat.continue_reply()
    assert hearth.chat.unsaved_replies == 0
    assert hearth.chat.save_unsaved()
    assert _stored_reply(hearth) == (FULL_TEXT + " and more", MessageState.COMPLETE)
