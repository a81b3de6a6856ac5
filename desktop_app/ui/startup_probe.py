"""Startup milestones for ``bench/bench_startup.py``; inert unless ``HEARTH_BENCH_STARTUP`` is set.

The issue's targets (a usable window within 0.8 s, a first token within 2 s)
are measured from outside, by a parent process that notes the time just
before it starts Hearth. The two processes share one clock:
:func:`time.monotonic` is ``CLOCK_MONOTONIC`` on Linux, the same in every
process. Each milestone is one appended line ``name seconds [value]``.

Turned on by ``HEARTH_BENCH_STARTUP=<file>``; ``HEARTH_BENCH_SEND=<text>``
also types and sends that message as soon as the window is usable, notes
when the reply's first text reaches the chat view's model, and closes the
window once the reply has ended (without it, the window closes as soon as it
is usable). Off, the cost is one environment lookup per milestone.

This file imports nothing from Hearth and PySide6 only inside
:func:`attach`, so the benchmark can also load it by path into an older
Hearth that lacks it (the "before" side of a before/after comparison).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktop_app.ui.main_window import MainWindow

TRACE_ENV = "HEARTH_BENCH_STARTUP"
SEND_ENV = "HEARTH_BENCH_SEND"
GIVE_UP_MS = 120_000
"""A run that never reaches its last milestone (a failed load) closes instead of hanging."""


def enabled() -> bool:
    return bool(os.environ.get(TRACE_ENV))


def mark(name: str, value: object = None) -> None:
    """Append milestone ``name`` at the current monotonic time (no-op unless enabled)."""
    path = os.environ.get(TRACE_ENV)
    if not path:
        return
    now = time.monotonic()
    line = f"{name} {now:.6f}" + ("" if value is None else f" {value}")
    with open(path, "a", encoding="utf-8") as trace:
        trace.write(line + "\n")


def attach(window: MainWindow) -> None:
    """Watch ``window`` for the first paint, then for the reply to the benchmark's message.

    Typed loosely inside (``Any``): an older Hearth's window has the same
    attributes but not necessarily the same classes.
    """
    if not enabled():
        return
    _make_probe(window, os.environ.get(SEND_ENV, ""))


_probes: list[Any] = []  # kept alive for the life of the window


def _make_probe(window: Any, message: str) -> Any:
    """Build the probe (a QObject event filter); the class is made here so importing is free."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    class Probe(QObject):
        def __init__(self) -> None:
            super().__init__(window)
            self._painted = False
            self._first_token = False
            self._viewport = window.composer.edit.viewport()
            self._viewport.installEventFilter(self)
            models = window.models
            models.model_ready.connect(
                lambda loaded: mark("engine_ready", f"{loaded.load_seconds:.6f}"))
            models.state_changed.connect(self._on_model_state)
            QTimer.singleShot(GIVE_UP_MS, self._give_up)

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if not self._painted and event.type() == QEvent.Type.Paint:
                self._painted = True
                mark("first_paint")
                # The next turn of the event loop comes after this frame is flushed.
                QTimer.singleShot(0, self._on_painted)
            return False

        def _on_model_state(self, state: object, _text: str) -> None:
            mark(f"model_{state}")

        def _on_painted(self) -> None:
            edit = window.composer.edit
            if not (edit.isEnabled() and edit.isVisible()):
                mark("not_usable")
                self._close()
                return
            mark("usable")
            if not message:
                self._close()
                return
            chat = window.chat
            model = window.chat_view.model()
            model.dataChanged.connect(self._on_model_changed)
            model.rowsInserted.connect(self._on_model_changed)
            chat.reply_stats.connect(self._on_reply_stats)
            chat.error_occurred.connect(self._on_error)
            window.composer.set_text(message)
            mark("sent")
            window.composer.button.click()

        def _on_model_changed(self, *_args: object) -> None:
            if self._first_token:
                return
            items = window.chat_view.model().items()
            last = items[-1] if items else None
            if last is not None and str(last.role) == "assistant" and (
                    last.content or last.thinking):
                self._first_token = True
                mark("first_token")

        def _on_reply_stats(self, stats: Any) -> None:
            mark("reply_ttft", f"{stats.time_to_first_token:.6f}")
            mark("reply_prompt_tokens", stats.prompt_eval_tokens)
            self._close()

        def _on_error(self, text: str) -> None:
            mark("error", " ".join(str(text).split()))
            self._close()

        def _give_up(self) -> None:
            mark("gave_up")
            self._close()

        def _close(self) -> None:
            mark("closing")
            QTimer.singleShot(0, window.close)
            QTimer.singleShot(0, QApplication.quit)

    probe = Probe()
    _probes.append(probe)
    return probe
