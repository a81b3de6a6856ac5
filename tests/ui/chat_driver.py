"""Drive the real window in GUI tests: wait for the model, run an action until the reply ends."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from desktop_app.ui.app import HearthApp
from desktop_app.ui.models.model_controller import ModelState


def wait_ready(qtbot: QtBot, hearth: HearthApp) -> None:
    """Until the selected model is loaded."""
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)


def reply_to(qtbot: QtBot, hearth: HearthApp, action: Callable[[], object]) -> None:
    """Run ``action`` (send, regenerate, …) and wait until the reply it starts has ended."""
    with qtbot.waitSignal(hearth.chat.busy_changed, timeout=5000,
                          check_params_cb=lambda busy: not busy):
        action()
