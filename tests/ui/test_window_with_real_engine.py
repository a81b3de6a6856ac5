"""The real window, the real engine process and the real demo model, end to end."""

from __future__ import annotations

import os
import signal

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import SamplingParams
from desktop_app.core.engine.process import LocalEngine
from desktop_app.core.storage.chat_store import MessageState
from desktop_app.ui.app import HearthApp
from desktop_app.ui.models.model_controller import ModelState
from tests.ui.conftest import AppFactory

pytestmark = pytest.mark.slow


def _wait_ready(qtbot: QtBot, hearth: HearthApp, timeout: int = 120_000) -> None:
    qtbot.waitUntil(lambda: hearth.models.state in (ModelState.READY, ModelState.FAILED),
                    timeout=timeout)
    assert hearth.models.state == ModelState.READY, hearth.window.model_status.text()


def _short_replies(hearth: HearthApp, max_tokens: int = 24) -> None:
    """The demo is a base model that seldom ends its turn: cap replies to keep tests quick."""
    hearth.chat.update_conversation_settings("", SamplingParams(max_tokens=max_tokens, seed=5))


def _send(qtbot: QtBot, hearth: HearthApp, text: str) -> None:
    edit = hearth.window.composer.edit
    edit.setFocus()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


@pytest.mark.usefixtures("registered_demo")
def test_real_reply_streams_stops_and_survives_restart(qtbot: QtBot,
                                                       make_app: AppFactory) -> None:
    hearth = make_app(LocalEngine)
    _wait_ready(qtbot, hearth)
    assert "CPU" in hearth.window.model_status.text()
    assert "Gemma" in hearth.window.model_status.toolTip()
    _short_replies(hearth)
    batches: list[str] = []
    hearth.engine_thread.worker.chunks_received.connect(lambda _r, text, _t: batches.append(text))
    with qtbot.waitSignal(hearth.chat.busy_changed, timeout=60_000,
                          check_params_cb=lambda busy: not busy):
        _send(qtbot, hearth, "The best thing about tea is")
    model = hearth.window.chat_view.model()
    reply = model.item(1)
    assert reply.state == MessageState.COMPLETE
    assert reply.content.strip()
    assert reply.stats is not None
    assert reply.stats.completion_tokens > 0
    assert len(batches) >= 2

    # A long reply, stopped with Esc while it streams.
    conversation = hearth.chat.conversation
    assert conversation is not None
    hearth.chat.update_conversation_settings("", SamplingParams(max_tokens=400))
    _send(qtbot, hearth, "Now write a very long story about the sea.")
    qtbot.waitUntil(lambda: model.rowCount() == 4 and model.item(3).content != "",
                    timeout=60_000)
    qtbot.keyClick(hearth.window.composer.edit, Qt.Key.Key_Escape)
    assert not hearth.chat.busy
    stopped = model.item(3)
    assert stopped.state == MessageState.STOPPED
    shown = stopped.content
    qtbot.wait(300)
    assert model.item(3).content == shown

    hearth.window.close()
    hearth.shutdown()
    again = make_app(LocalEngine)
    assert again.chat.conversation is not None
    assert again.chat.conversation.id == conversation.id
    restored = [item.content for item in again.window.chat_view.model().items()]
    assert restored[:2] == ["The best thing about tea is", reply.content]
    assert restored[3] == shown


@pytest.mark.usefixtures("registered_demo")
def test_engine_crash_keeps_window_and_text_then_recovers(qtbot: QtBot,
                                                          make_app: AppFactory) -> None:
    engine = LocalEngine()
    hearth = make_app(lambda: engine)
    _wait_ready(qtbot, hearth)
    hearth.chat.update_conversation_settings("", SamplingParams(max_tokens=400))
    _send(qtbot, hearth, "Write a very long story about mountains.")
    model = hearth.window.chat_view.model()
    qtbot.waitUntil(lambda: model.rowCount() == 2 and len(model.item(1).content) > 10,
                    timeout=60_000)
    assert engine.pid is not None
    with qtbot.waitSignal(hearth.chat.error_occurred, timeout=30_000) as error:
        os.kill(engine.pid, signal.SIGSEGV)
    assert "SIGSEGV" in error.args[0]
    assert hearth.window.isVisible()
    assert hearth.window.banner.isVisible()
    assert hearth.chat.conversation is not None
    stored = hearth.store.messages(hearth.chat.conversation.id)
    assert stored[1].state == MessageState.INTERRUPTED
    assert stored[1].content == model.item(1).content != ""
    _short_replies(hearth)
    with qtbot.waitSignal(hearth.chat.busy_changed, timeout=120_000,
                          check_params_cb=lambda busy: not busy):
        _send(qtbot, hearth, "Hello again.")
    assert model.item(3).state == MessageState.COMPLETE


def test_first_run_prepares_and_loads_the_demo_model(qtbot: QtBot,
                                                     make_app: AppFactory) -> None:
    hearth = make_app(LocalEngine)
    assert hearth.models.state in (ModelState.PREPARING, ModelState.LOADING, ModelState.READY)
    _wait_ready(qtbot, hearth, timeout=240_000)
    assert hearth.models.selected is not None
    assert hearth.models.selected.is_demo
    assert hearth.window.demo_note.isVisibleTo(hearth.window)
    assert hearth.window.model_combo.currentText() == hearth.models.selected.display_name
