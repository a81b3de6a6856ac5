"""The window when the engine stops answering, ignores Stop or crashes.

The real window, the real engine process and the demo model; the engine is
suspended with SIGSTOP, which is what a hung engine looks like from outside.
"""

from __future__ import annotations

import os
import signal

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import SamplingParams
from desktop_app.core.engine.process import CANCEL_GRACE, LocalEngine
from desktop_app.core.paths import AppPaths
from desktop_app.core.settings import ModelSettings, SettingsStore
from desktop_app.core.storage.chat_store import MessageState
from desktop_app.ui.app import HearthApp
from desktop_app.ui.models.model_controller import ModelState
from tests.ui.conftest import AppFactory
from tests.ui.fake_engine import FakeEngine


def _wait_ready(qtbot: QtBot, hearth: HearthApp, timeout: int = 120_000) -> None:
    qtbot.waitUntil(lambda: hearth.models.state in (ModelState.READY, ModelState.FAILED),
                    timeout=timeout)
    assert hearth.models.state == ModelState.READY, hearth.window.model_status.text()


def _send(qtbot: QtBot, hearth: HearthApp, text: str) -> None:
    edit = hearth.window.composer.edit
    edit.setFocus()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def _watchdog(app_paths: AppPaths, model_id: str, seconds: int) -> None:
    store = SettingsStore(app_paths.settings_path)
    settings, _ = store.load()
    settings.model_settings[model_id] = ModelSettings(n_ctx=1024, watchdog_seconds=seconds)
    store.save(settings)


def _start_long_reply(qtbot: QtBot, hearth: HearthApp, engine: LocalEngine) -> int:
    """Send a message, wait until some of the reply is on screen; return the engine's pid."""
    hearth.chat.update_conversation_settings("", SamplingParams(max_tokens=400, seed=3))
    _send(qtbot, hearth, "Write a very long story about mountains.")
    model = hearth.window.chat_view.model()
    qtbot.waitUntil(lambda: model.rowCount() == 2 and len(model.item(1).content) > 10,
                    timeout=60_000)
    assert engine.pid is not None
    return engine.pid


@pytest.mark.slow
def test_hung_engine_is_restarted_text_kept_and_status_follows(
        qtbot: QtBot, make_app: AppFactory, app_paths: AppPaths, registered_demo: str) -> None:
    _watchdog(app_paths, registered_demo, 5)
    engine = LocalEngine()
    hearth = make_app(lambda: engine)
    _wait_ready(qtbot, hearth)
    statuses: list[tuple[ModelState, str]] = []
    hearth.models.state_changed.connect(lambda state, text: statuses.append((state, text)))
    pid = _start_long_reply(qtbot, hearth, engine)
    with qtbot.waitSignal(hearth.chat.error_occurred, timeout=90_000) as error:
        os.kill(pid, signal.SIGSTOP)
    assert "suspended" in error.args[0]
    assert "text shown so far is kept" in error.args[0]
    model = hearth.window.chat_view.model()
    assert hearth.chat.conversation is not None
    stored = hearth.store.messages(hearth.chat.conversation.id)
    assert stored[1].state == MessageState.INTERRUPTED
    assert stored[1].content == model.item(1).content != ""
    assert model.item(1).state == MessageState.INTERRUPTED
    # The status line said the engine was restarted (not "Ready"), then the model is back.
    _wait_ready(qtbot, hearth)
    assert statuses[0][0] == ModelState.LOADING
    assert "restarted" in statuses[0][1]
    assert statuses[-1][0] == ModelState.READY
    assert engine.pid not in (None, pid)
    hearth.chat.update_conversation_settings("", SamplingParams(max_tokens=8, seed=5))
    with qtbot.waitSignal(hearth.chat.busy_changed, timeout=120_000,
                          check_params_cb=lambda busy: not busy):
        _send(qtbot, hearth, "Hello again.")
    assert model.item(3).state == MessageState.COMPLETE


@pytest.mark.slow
@pytest.mark.usefixtures("registered_demo")
def test_stop_ends_the_reply_at_once_and_an_engine_ignoring_it_is_restarted(
        qtbot: QtBot, make_app: AppFactory) -> None:
    engine = LocalEngine()
    hearth = make_app(lambda: engine)
    _wait_ready(qtbot, hearth)
    pid = _start_long_reply(qtbot, hearth, engine)
    os.kill(pid, signal.SIGSTOP)
    model = hearth.window.chat_view.model()
    qtbot.keyClick(hearth.window.composer.edit, Qt.Key.Key_Escape)
    # The reply ends on screen at once, whatever the engine does.
    assert not hearth.chat.busy
    assert model.item(1).state == MessageState.STOPPED
    shown = model.item(1).content
    with qtbot.waitSignal(hearth.chat.error_occurred,
                          timeout=int((CANCEL_GRACE + 30) * 1000)) as error:
        pass
    assert "did not stop" in error.args[0]
    _wait_ready(qtbot, hearth)
    assert engine.pid not in (None, pid)
    assert model.item(1).content == shown
    assert model.item(1).state == MessageState.STOPPED
    hearth.chat.update_conversation_settings("", SamplingParams(max_tokens=8, seed=5))
    with qtbot.waitSignal(hearth.chat.busy_changed, timeout=120_000,
                          check_params_cb=lambda busy: not busy):
        _send(qtbot, hearth, "Hello again.")
    assert model.item(3).state == MessageState.COMPLETE


def test_status_line_says_the_engine_crashed_not_ready(qtbot: QtBot,
                                                       make_app: AppFactory) -> None:
    engine = FakeEngine(crash_after_tokens=2)
    hearth = make_app(lambda: engine)
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    with qtbot.waitSignal(hearth.chat.error_occurred, timeout=5000):
        _send(qtbot, hearth, "Hi")
    # The model controller hears of the crash from the same worker signal, queued separately.
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.CRASHED, timeout=5000)
    status = hearth.window.model_status.text()
    assert "engine stopped" in status
    assert not status.startswith("Ready")
