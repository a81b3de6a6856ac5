"""Does the chat view stay smooth in a 1,000-message conversation while a reply streams?

On a small machine the GUI and llama.cpp share the CPU, so GUI work during
streaming slows decoding. This measures both together, in one run:

1. Opening a 1,000-message conversation (model reset + first paint).
2. Decode tokens/s through Hearth's full path with the chat view showing a
   2-message conversation vs. the 1,000-message one, and their ratio.
3. GUI event-loop stalls while streaming into the long conversation: a 10 ms
   timer records how late it fires (p50, p99, max).
4. Scrolling the whole long conversation, page by page (ms per page).

Usage: ``.venv/bin/python bench/bench_chat_view.py [--tokens 200]``
(headless with ``QT_QPA_PLATFORM=offscreen``, set if unset).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_engine import STORY, HearthPath, demo_model
from desktop_app.core import hardware
from desktop_app.core.engine.api import (
    ChatMessage,
    GenerateRequest,
    Role,
    SamplingParams,
)
from desktop_app.core.storage.chat_store import MessageState

PARAGRAPH = ("Lighthouses guided ships along dangerous coasts for centuries. "
             "Their keepers trimmed wicks, wound clockwork and logged the weather.")
CODE = "```python\ndef beam(angle: float) -> float:\n    return angle % 360\n```"


def long_conversation(count: int) -> list[object]:
    from desktop_app.ui.chat.chat_model import ChatItem

    items: list[object] = []
    # Ids from 2: id 1 is the streaming reply HearthPath appends to.
    for i in range(count):
        if i % 2 == 0:
            items.append(ChatItem(i + 2, Role.USER, f"Question {i // 2}: tell me more."))
        else:
            body = "\n\n".join([PARAGRAPH] * (1 + i % 4))
            if i % 10 == 1:
                body += "\n\n" + CODE + "\n\n- one\n- two\n- three"
            items.append(ChatItem(i + 2, Role.ASSISTANT, f"**Answer {i // 2}.** " + body))
    return items


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from PySide6.QtCore import QElapsedTimer, QTimer

    from desktop_app.ui.chat.chat_model import ChatItem
    from desktop_app.ui.chat.chat_view import ChatView

    path = HearthPath(demo_model(), hardware.physical_cores())
    view = ChatView()
    view.resize(900, 700)
    view.setModel(path.chat_model)
    view.show()

    history = long_conversation(args.messages)
    streaming = ChatItem(1, Role.ASSISTANT, "", state=MessageState.STREAMING)

    def open_conversation(items: list[object]) -> float:
        started = time.perf_counter()
        path.chat_model.set_items([*items, streaming])  # type: ignore[list-item]
        view.repaint()
        path.app.processEvents()
        return time.perf_counter() - started

    def stream(request_id: int) -> tuple[float, list[float]]:
        """Decode speed and timer lateness (ms) while a reply streams into the view."""
        lateness: list[float] = []
        clock = QElapsedTimer()
        clock.start()
        last = [clock.elapsed()]

        def tick() -> None:
            now = clock.elapsed()
            lateness.append(max(0.0, now - last[0] - 10))
            last[0] = now

        timer = QTimer()
        timer.timeout.connect(tick)
        timer.start(10)
        request = GenerateRequest(
            request_id=request_id, conversation_id=5000 + request_id,
            messages=(ChatMessage(Role.USER, STORY),),
            params=SamplingParams(max_tokens=args.tokens, seed=42))
        stats = path.reply(request)
        timer.stop()
        return stats.tokens_per_second, lateness

    short_speeds: list[float] = []
    long_speeds: list[float] = []
    all_lateness: list[float] = []
    open_times: list[float] = []
    rid = 1
    for _ in range(args.rounds):
        streaming.content = ""
        open_conversation(history[:2])
        speed, _ = stream(rid)
        short_speeds.append(speed)
        rid += 1
        streaming.content = ""
        open_times.append(open_conversation(history))
        speed, lateness = stream(rid)
        long_speeds.append(speed)
        all_lateness += lateness
        rid += 1

    # Scrolling the long conversation from top to bottom.
    open_conversation(history)
    bar = view.verticalScrollBar()
    bar.setValue(0)
    path.app.processEvents()
    page_times: list[float] = []
    for _ in range(50):  # let the batched layout finish so the range is the whole chat
        path.app.processEvents()
    while bar.value() < bar.maximum():
        bar.setValue(bar.value() + view.viewport().height())
        path.app.processEvents()
        started = time.perf_counter()
        view.viewport().repaint()
        page_times.append(time.perf_counter() - started)
    path.close()

    short = statistics.median(short_speeds)
    long = statistics.median(long_speeds)
    print(f"{args.messages} messages · {args.tokens} tokens per reply · "
          f"{hardware.physical_cores()} threads · {args.rounds} rounds")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| open the {args.messages}-message conversation | "
          f"{statistics.median(open_times) * 1000:.0f} ms |")
    print(f"| decode with a 2-message chat shown | {short:.1f} tok/s |")
    print(f"| decode with the {args.messages}-message chat shown | {long:.1f} tok/s |")
    print(f"| ratio long / short | {long / short:.3f} |")
    print(f"| GUI timer lateness while streaming, p50 / p99 / max | "
          f"{percentile(all_lateness, 0.5):.0f} / {percentile(all_lateness, 0.99):.0f} / "
          f"{max(all_lateness):.0f} ms |")
    print(f"| scroll one page (paint) | median {statistics.median(page_times) * 1000:.1f} ms, "
          f"max {max(page_times) * 1000:.1f} ms over {len(page_times)} pages |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
