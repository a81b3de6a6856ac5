"""Does the GUI stay responsive with very large messages (issue 7, point 4)?

Measures GUI event-loop stalls with a 5 ms ``QTimer`` whose lateness is
recorded (a stall of N ms shows up as one tick N ms late), in four scenes
built from the real widgets (composer, chat model, chat view), no engine:

1. ``paste``: pasting a 2 MB text into the message box (Ctrl+V; Hearth
   refuses a paste past its message limit, the clipboard keeps the text).
2. ``send``: Enter with a 2 MB text in the box (put there directly; Hearth
   refuses to send it, with a message, and keeps it in the box; older
   versions appended it to the chat and laid it out).
   ``send 390k``: the same with a text just under Hearth's limit, which is sent
   and shown in the chat.
3. ``open``: opening a chat whose stored user message and reply are 2 MB each
   (imported, or saved by an older version).
4. ``stream``: 100 streamed batches into a reply below those two messages,
   plus how many times a message's text was laid out (``QTextDocument``
   content set) during them: only the streaming row should be.

Usage: ``.venv/bin/python bench/bench_large_input.py [--size 2000000]``
(headless with ``QT_QPA_PLATFORM=offscreen``, set if unset).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TICK_MS = 5


def big_text(size: int) -> str:
    """Prose with line breaks and a little Markdown, about ``size`` characters."""
    line = "The keeper logged the **weather** and trimmed the wick, as every night. "
    lines = [f"{i}. {line}" for i in range(size // (len(line) + 6) + 1)]
    return "\n".join(lines)[:size]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2_000_000)
    parser.add_argument("--batches", type=int, default=100)
    args = parser.parse_args()

    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtGui import QTextDocument
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

    from desktop_app.core.engine.api import Role
    from desktop_app.core.storage.chat_store import MessageState
    from desktop_app.ui.chat.chat_model import ChatItem, ChatModel
    from desktop_app.ui.chat.chat_view import ChatView
    from desktop_app.ui.chat.composer import Composer

    app = QApplication.instance() or QApplication(sys.argv)
    model = ChatModel()
    view = ChatView()
    view.setModel(model)
    composer = Composer()
    window = QWidget()
    layout = QVBoxLayout(window)
    layout.addWidget(view, 1)
    layout.addWidget(composer)
    window.resize(900, 760)
    window.show()
    app.processEvents()

    # Count how often any message text is laid out (subclasses inherit the count).
    layouts = [0]
    for name in ("setMarkdown", "setPlainText"):
        original = getattr(QTextDocument, name)

        def counted(self: QTextDocument, *a: object, _original: Callable[..., None] = original,
                    ) -> None:
            layouts[0] += 1
            _original(self, *a)

        setattr(QTextDocument, name, counted)

    sent: list[str] = []

    def on_send(text: str) -> None:
        # What the controller does once the message is stored: show it in the chat.
        sent.append(text)
        model.append(ChatItem(1000 + len(sent), Role.USER, text))
        composer.clear()

    composer.send_requested.connect(on_send)

    def measure(name: str, action: Callable[[], None], settle_ms: int = 300) -> None:
        lateness: list[float] = []
        clock = QElapsedTimer()
        clock.start()
        last = [clock.elapsed()]

        def tick() -> None:
            now = clock.elapsed()
            lateness.append(max(0.0, now - last[0] - TICK_MS))
            last[0] = now

        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.timeout.connect(tick)
        timer.start(TICK_MS)
        started = time.perf_counter()
        QTest.qWait(30)
        action()
        QTest.qWait(settle_ms)
        timer.stop()
        wall = (time.perf_counter() - started) * 1000 - 30 - settle_ms
        ordered = sorted(lateness) or [0.0]
        print(f"{name:>9}: max stall {ordered[-1]:7.0f} ms, p99 "
              f"{ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]:5.0f} ms, "
              f"action {wall:7.0f} ms")

    text = big_text(args.size)
    QApplication.clipboard().setText(text)
    composer.edit.setFocus()
    measure("paste", lambda: QTest.keyClick(composer.edit, Qt.Key.Key_V,
                                            Qt.KeyboardModifier.ControlModifier))
    print(f"          characters in the box: {len(composer.text())}")
    composer.edit.setPlainText(text)
    layouts[0] = 0
    measure("send", lambda: QTest.keyClick(composer.edit, Qt.Key.Key_Return))
    print(f"          sent: {bool(sent)}, text kept in the box: "
          f"{composer.text() == text}, layouts: {layouts[0]}")
    composer.clear()
    under = text[:390_000]
    composer.edit.setPlainText(under)
    measure("send 390k", lambda: QTest.keyClick(composer.edit, Qt.Key.Key_Return))
    print(f"          sent: {bool(sent)}")

    reply = ChatItem(2, Role.ASSISTANT, "", state=MessageState.STREAMING)
    items = [ChatItem(10, Role.USER, text), ChatItem(11, Role.ASSISTANT, text),
             ChatItem(12, Role.USER, "And now?"), reply]
    measure("open", lambda: model.set_items(items))

    def stream() -> None:
        for i in range(args.batches):
            model.append_text(2, f"token {i} and more words, ")
            QTest.qWait(10)  # the worker sends at most one batch every 50 ms

    layouts[0] = 0
    measure("stream", stream)
    print(f"          layouts during {args.batches} batches: {layouts[0]}")
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
