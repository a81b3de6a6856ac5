"""Does the chat view stay smooth in a 1,000-message conversation while a reply streams?

On a small machine the GUI and llama.cpp share the CPU, so GUI work during
streaming slows decoding. This measures both together, in one run:

1. Opening a 1,000-message conversation with code blocks from a real
   ChatStore on a temporary HEARTH_HOME: database read + model reset + first
   paint (target ≤ 300 ms).
2. Decode tokens/s through Hearth's full path with the chat view showing a
   2-message conversation vs. the 1,000-message one, and their ratio.
3. GUI event-loop stalls while streaming into the long conversation: a 10 ms
   timer records how late it fires (p50, p99, max; target p99 ≤ 16 ms).
4. The GUI time of one streamed batch (model update, layout, paint) at the
   start and at the end of a synthetic 4,000-token reply with code blocks:
   it must not grow with the reply.
5. Scrolling the whole long conversation page by page, each page measured
   from the scroll to its rows laid out (first time seen) and painted.

6. (``--window``) What issue 13 asks: raw llama-cpp-python vs. Hearth as the
   user runs it, the real main window (offscreen) showing the 1,000-message
   chat, on the starter model: decode tokens/s (Hearth's as text arrives in
   the window's chat model, in the GUI thread) and time to first token on both
   sides, same settings, prompts and seed, interleaved rounds, medians.
   ``--compare DIR`` runs that for DIR's Hearth ("before", e.g. an export of
   the previous commit) and this checkout's ("after") in alternating processes,
   and prints both in one table.

Usage: ``.venv/bin/python bench/bench_chat_view.py [--tokens 200] [--no-engine]``
(headless with ``QT_QPA_PLATFORM=offscreen``, set if unset; ``--no-engine``
skips 2 and 3, which need the demo model);
``bench/bench_chat_view.py --window --tokens 300 --rounds 5`` (add ``--processes 10``
to pool the rounds of 10 processes, ``--save FILE`` to keep them and ``--pool FILE...``
to print one table over several saved runs);
``git archive HEAD~1 | tar -x -C /tmp/before``, the starter model linked into
``/tmp/before/resources/models/``, then
``bench/bench_chat_view.py --compare /tmp/before --tokens 300 --rounds 3 --processes 2``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench  # noqa: F401  (this checkout's benches, whichever Hearth they measure)

if os.environ.get(CODE_VARIABLE := "HEARTH_BENCH_CODE"):
    # ``--compare``: the "before" processes import Hearth from another checkout. An
    # environment variable, not an argument, so the engine process (spawned, which runs
    # this module's top again) imports the same Hearth as its parent.
    sys.path.insert(0, os.environ[CODE_VARIABLE])

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HEARTH_HOME"] = tempfile.mkdtemp(prefix="hearth-bench-")

from bench.bench_engine import (
    STORY,
    HearthPath,
    RawModel,
    Sample,
    _ms,
    demo_model,
    story_request,
    wait_in_qt,
)
from desktop_app.core import hardware
from desktop_app.core.engine.api import (
    ChatMessage,
    GenerateRequest,
    Role,
    SamplingParams,
)
from desktop_app.core.paths import AppPaths
from desktop_app.core.storage.chat_store import ChatStore, MessageState

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


def store_conversation(store: ChatStore, items: list[object]) -> int:
    """Write the conversation to the database, as Hearth would have; returns its id."""
    conversation = store.create_conversation(model_id=None, system_prompt="",
                                             params=SamplingParams())
    for item in items:
        if item.role == Role.USER:  # type: ignore[attr-defined]
            store.add_message(conversation.id, Role.USER, item.content)  # type: ignore[attr-defined]
        else:
            reply = store.begin_reply(conversation.id)
            store.finish_reply(reply.id, item.content, thinking="",  # type: ignore[attr-defined]
                               state=MessageState.COMPLETE, stats=None)
    return conversation.id


def long_reply(tokens: int) -> str:
    """A synthetic reply of about ``tokens`` tokens (4 characters each): prose and code."""
    parts: list[str] = []
    while sum(map(len, parts)) < tokens * 4:
        parts.append(CODE if len(parts) % 4 == 3 else f"{PARAGRAPH} {PARAGRAPH}")
    return "\n\n".join(parts)[:tokens * 4]


def synthetic_lateness(app: object, model: object, text: str) -> list[float]:
    """Stream ``text`` in 80-character batches every 50 ms (the engine worker's pace at
    ~400 tok/s) with no engine running; returns how late a 10 ms timer fired (ms)."""
    from PySide6.QtCore import QElapsedTimer, QTimer

    lateness: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]
    position = [0]

    def tick() -> None:
        now = clock.elapsed()
        lateness.append(max(0.0, now - last[0] - 10))
        last[0] = now

    def batch() -> None:
        model.append_text(1, text[position[0]:position[0] + 80])  # type: ignore[attr-defined]
        position[0] += 80

    ticker = QTimer()
    ticker.timeout.connect(tick)
    ticker.start(10)
    feeder = QTimer()
    feeder.timeout.connect(batch)
    feeder.start(50)
    while position[0] < len(text):
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.001)
    ticker.stop()
    feeder.stop()
    return lateness


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-engine", action="store_true",
                        help="only the GUI measures (no demo model needed)")
    parser.add_argument("--window", action="store_true",
                        help="only 6: raw vs. the real window showing the long chat "
                             "(starter model; --rounds interleaved rounds)")
    parser.add_argument("--compare", metavar="DIR",
                        help="6 for DIR's Hearth (before) and this checkout's (after), in "
                             "--processes alternating processes a side")
    parser.add_argument("--processes", type=int,
                        help="--compare: processes a side (3 unless given); --window: this "
                             "checkout in this many processes, every round pooled")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", action="store_true", help="with --window: print JSON")
    parser.add_argument("--save", metavar="FILE",
                        help="--compare or --window with --processes: also write every "
                             "process's results to FILE (JSON), to pool runs later")
    parser.add_argument("--pool", metavar="FILE", nargs="+",
                        help="print the window table over every round of these --save files")
    parser.add_argument("--pipe-cost", type=float, metavar="RATE",
                        help="7: the parent's CPU per token with a fake engine making RATE "
                             "tokens/s, into the real window (no llama.cpp; with --window "
                             "or --compare)")
    parser.add_argument("--pipe-text", choices=("story", "synthetic"), default="story",
                        help="with --pipe-cost: stream a real reply's tokens (story) or a "
                             "word a token with a paragraph every 12 (synthetic, as in "
                             "earlier figures)")
    args = parser.parse_args()
    if args.pool:
        return pool_saved(args.pool)
    if args.compare:
        args.processes = args.processes or 3
        return compare(args)
    if args.window and (args.processes or 1) > 1 and not args.json and not args.pipe_cost:
        return pooled(args)
    if args.window:
        return report_window(args)

    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop_app.ui.chat.chat_model import ChatItem, ChatModel
    from desktop_app.ui.chat.chat_view import ChatView
    from desktop_app.ui.chat.markdown import warm_up

    app = QApplication.instance() or QApplication([])
    warm_up()  # as the app does at start, in the background
    history = long_conversation(args.messages)
    streaming = ChatItem(1, Role.ASSISTANT, "", state=MessageState.STREAMING)

    # ---- 1. open from the database
    paths = AppPaths.from_environment().ensure()
    store = ChatStore.open(paths.database_path)
    conversation_id = store_conversation(store, history)
    db_times: list[float] = []
    for _ in range(args.rounds):
        model = ChatModel()
        view = ChatView()
        view.resize(900, 700)
        view.setModel(model)
        view.show()
        app.processEvents()
        started = time.perf_counter()
        stored = store.messages(conversation_id)
        model.set_items([ChatItem.from_stored(m) for m in stored])
        view.repaint()
        app.processEvents()
        db_times.append(time.perf_counter() - started)
        view.close()
        view.deleteLater()
        app.processEvents()
    store.close()

    # ---- 4. one batch's GUI time at the start and at the end of a long reply
    model = ChatModel()
    view = ChatView()
    view.resize(900, 700)
    view.setModel(model)
    view.show()
    model.set_items([*history[-20:], ChatItem(1, Role.ASSISTANT, "",  # type: ignore[list-item]
                                              state=MessageState.STREAMING)])
    app.processEvents()
    text = long_reply(4000)
    batch_times: list[float] = []
    step = 80  # ~20 tokens: what the worker sends per 50 ms at 400 tok/s, a worst case
    for begin in range(0, len(text), step):
        started = time.perf_counter()
        model.append_text(1, text[begin:begin + step])
        app.processEvents()  # layout and paint of the changed row
        batch_times.append(time.perf_counter() - started)
    view.close()
    edge = max(5, len(batch_times) // 10)

    # ---- 3b. lateness while a reply streams into the long chat at the worker's pace
    model = ChatModel()
    view = ChatView()
    view.resize(900, 700)
    view.setModel(model)
    view.show()
    model.set_items([*history, ChatItem(1, Role.ASSISTANT, "",  # type: ignore[list-item]
                                        state=MessageState.STREAMING)])
    app.processEvents()
    paced = synthetic_lateness(app, model, long_reply(args.tokens * 4))

    # ---- 5. scrolling the long conversation from top to bottom, rows never seen before
    model.set_items(list(history))  # type: ignore[arg-type]
    view.repaint()
    bar = view.verticalScrollBar()
    for _ in range(50):  # let the batched layout finish so the range is the whole chat
        app.processEvents()
    bar.setValue(0)
    app.processEvents()
    page_times: list[float] = []
    while bar.value() < bar.maximum():
        started = time.perf_counter()
        bar.setValue(bar.value() + view.viewport().height())
        view.viewport().repaint()  # lays out the rows seen for the first time
        app.processEvents()  # and applies their corrected heights
        page_times.append(time.perf_counter() - started)
    view.close()

    if args.no_engine:
        report_gui(args, db_times, batch_times, edge, page_times, paced)
        return 0

    path = HearthPath(demo_model(), hardware.physical_cores())
    view = ChatView()
    view.resize(900, 700)
    view.setModel(path.chat_model)
    view.show()

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
            params=SamplingParams(max_tokens=args.tokens, seed=42, speculative=False))
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

    path.close()

    short = statistics.median(short_speeds)
    long = statistics.median(long_speeds)
    print(f"{args.messages} messages · {args.tokens} tokens per reply · "
          f"{hardware.physical_cores()} threads · {args.rounds} rounds")
    report_gui(args, db_times, batch_times, edge, page_times, paced)
    print(f"| open the {args.messages}-message conversation, rows only (no database) | "
          f"{statistics.median(open_times) * 1000:.0f} ms |")
    print(f"| decode with a 2-message chat shown | {short:.1f} tok/s |")
    print(f"| decode with the {args.messages}-message chat shown | {long:.1f} tok/s |")
    print(f"| ratio long / short | {long / short:.3f} |")
    print(f"| GUI timer lateness while streaming, p50 / p99 / max | "
          f"{percentile(all_lateness, 0.5):.0f} / {percentile(all_lateness, 0.99):.0f} / "
          f"{max(all_lateness):.0f} ms |")
    return 0


def report_gui(args: argparse.Namespace, db_times: list[float], batch_times: list[float],
               edge: int, page_times: list[float], paced: list[float]) -> None:
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| open the {args.messages}-message conversation (database read, model reset, "
          f"first paint) | {statistics.median(db_times) * 1000:.0f} ms |")
    print(f"| one streamed batch, first {edge} of a 4,000-token reply (median) | "
          f"{statistics.median(batch_times[:edge]) * 1000:.1f} ms |")
    print(f"| one streamed batch, last {edge} (median; max over the reply) | "
          f"{statistics.median(batch_times[-edge:]) * 1000:.1f} ms "
          f"(max {max(batch_times) * 1000:.1f} ms) |")
    print(f"| GUI timer lateness, {args.tokens * 4}-token reply streamed into the "
          f"{args.messages}-message chat every 50 ms without the engine, p50 / p99 / max | "
          f"{percentile(paced, 0.5):.0f} / {percentile(paced, 0.99):.0f} / {max(paced):.0f} ms |")
    if page_times:
        print(f"| scroll one page of rows never seen (layout + paint) | median "
              f"{statistics.median(page_times) * 1000:.1f} ms, max "
              f"{max(page_times) * 1000:.1f} ms over {len(page_times)} pages |")


# ---- 6. raw llama-cpp-python vs. the real window showing the long chat -------------------


class WindowPath:
    """Hearth as the user runs it: ``build_app``'s window (offscreen), showing the long chat.

    Everything between the engine and the screen is the real thing: the engine
    process, the broker, the routing engine, the worker thread, the chat
    controller (its checkpoints included), the chat model, the view, the
    status bar. Only what the engine is asked is fixed, through the
    controller's ``prepare_request`` hook: each round's story prompt with the
    bench's sampling settings and seed instead of the 1,000-message history,
    so the engine evaluates exactly what the raw side does.

    Times are taken in the GUI thread: when the user's message is sent (the click on Send),
    and each time the reply's row in the chat model has grown.
    """

    def __init__(self, conversation_id: int) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer
        from PySide6.QtWidgets import QApplication

        from desktop_app.core.keychain import MemoryKeyStore
        from desktop_app.ui.app import build_app
        from desktop_app.ui.models.model_controller import ModelState

        self.app = QApplication.instance() or QApplication([])
        self.hearth = build_app(AppPaths.from_environment().ensure(), keys=MemoryKeyStore())
        self.hearth.window.resize(1100, 800)
        self.hearth.window.show()
        self.hearth.start()
        models = self.hearth.models
        wait_in_qt(self.app, lambda: models.state in (ModelState.READY, ModelState.FAILED), 120)
        assert models.state == ModelState.READY, self.hearth.window.model_status.text()
        self.hearth.chat.open_conversation(conversation_id)
        self.model = self.hearth.window.chat_view.model()
        self._documents = self.hearth.chat.prepare_request
        self.hearth.chat.prepare_request = self._prepare
        self.model.dataChanged.connect(
            lambda top, _bottom, _roles: self._on_changed(top))  # after the view's own slot
        self.hearth.chat.reply_stats.connect(self._on_stats)
        self._next: GenerateRequest | None = None
        self._message_id = 0
        self._shown = 0
        self.sent = self.first = self.last = 0.0
        # CPU seconds (GUI thread, whole process) at the first and the latest update.
        self.first_cpu = self.last_cpu = (0.0, 0.0)
        self.stats: object | None = None
        self.requests: list[GenerateRequest] = []
        # How late a 10 ms GUI timer fires while replies stream: the window's stalls.
        self.lateness: list[float] = []
        # The engine's own decode rate of each reply (first text to end, in the child).
        self.engine_rates: list[float] = []
        self._clock = QElapsedTimer()
        self._clock.start()
        self._tick_at = 0
        self._timer = QTimer()
        self._timer.timeout.connect(self._tick)
        self.app.processEvents()

    def _tick(self) -> None:
        now = self._clock.elapsed()
        if self._shown:  # between the reply's first text and its end
            self.lateness.append(max(0.0, now - self._tick_at - 10))
        self._tick_at = now

    def _prepare(self, request: GenerateRequest, message_id: int,
                 send: Callable[[GenerateRequest], None]) -> None:
        assert self._next is not None
        wanted = dataclasses.replace(request, messages=self._next.messages,
                                     params=self._next.params, system_prompt="")

        def timed_send(prepared: GenerateRequest) -> None:
            self.requests.append(prepared)
            send(prepared)

        self._message_id = message_id
        self._shown = 0
        if self._documents is None:
            timed_send(wanted)
        else:  # the documents' hook: a chat without collections sends as is
            self._documents(wanted, message_id, timed_send)

    def _on_changed(self, top: object) -> None:
        item = self.model.item(top.row())  # type: ignore[attr-defined]
        if item.message_id != self._message_id or len(item.content) <= self._shown:
            return
        now = time.perf_counter()  # the text is in the model (and the view told) now
        cpu = (time.thread_time(), time.process_time())
        if not self._shown:
            self.first, self.first_cpu = now, cpu
        self.last, self.last_cpu = now, cpu
        self._shown = len(item.content)

    def _on_stats(self, stats: object) -> None:
        self.stats = stats

    def sample(self, messages: tuple[ChatMessage, ...], n_tokens: int, seed: int,
               lateness: bool = False) -> Sample:
        """One reply, sent from the window's chat as the user would, timed in the GUI thread.

        With ``lateness`` a 10 ms GUI timer runs while it streams and records how
        late it fires; its hundred wake-ups a second are GUI work of their own, so
        the decode rounds run without it.
        """
        # Plain decoding, like the raw side: this measures the path from the engine to
        # the screen; how drafting changes decoding is bench_speculative.py's measure.
        self._next = GenerateRequest(0, 0, messages, params=SamplingParams(
            max_tokens=n_tokens, seed=seed, speculative=False))
        self.stats = None
        self._tick_at = self._clock.elapsed()
        if lateness:
            self._timer.start(10)
        # From the user's Send: the GUI's own work before the request leaves (the new
        # rows' layout) is part of the wait the user sees.
        self.sent = time.perf_counter()
        assert self.hearth.chat.send("Another story, please.")
        wait_in_qt(self.app, lambda: self.stats is not None, 600)
        self._timer.stop()
        stats = self.stats
        assert stats is not None
        self.engine_rates.append(stats.tokens_per_second)  # type: ignore[attr-defined]
        tokens = stats.completion_tokens  # type: ignore[attr-defined]
        return Sample(self.first - self.sent, (tokens - 1) / (self.last - self.first), tokens,
                      stats.prompt_eval_tokens)  # type: ignore[attr-defined]

    def close(self) -> None:
        self.hearth.window.close()
        self.hearth.shutdown()


def window_rounds(args: argparse.Namespace) -> dict[str, object]:
    """Raw vs. the real window in this process: interleaved rounds after one warm-up each."""
    from desktop_app.core.models.starter_model import starter_path
    from desktop_app.ui.chat.chat_model import ChatItem

    paths = AppPaths.from_environment().ensure()
    store = ChatStore.open(paths.database_path)
    conversation_id = store_conversation(store, long_conversation(args.messages))
    store.close()
    window = WindowPath(conversation_id)
    assert window.model.rowCount() >= args.messages
    assert isinstance(window.model.item(0), ChatItem)
    loaded = window.hearth.models.loaded
    assert loaded is not None
    threads = hardware.physical_cores()  # what the engine uses with the model's default
    raw = RawModel(Path(loaded.model_path), threads, n_ctx=loaded.n_ctx)
    raw_samples: list[Sample] = []
    gui_samples: list[Sample] = []
    for round_ in range(args.rounds + 1):
        messages = story_request(round_)
        if round_ % 2:
            gui = window.sample(messages, args.tokens, args.seed)
            raw_sample = raw.reply(messages, args.tokens, args.seed)
        else:
            raw_sample = raw.reply(messages, args.tokens, args.seed)
            gui = window.sample(messages, args.tokens, args.seed)
        if round_:  # round 0 warms both sides up
            raw_samples.append(raw_sample)
            gui_samples.append(gui)
    engine_rates = window.engine_rates[1:]
    window.sample(story_request(args.rounds + 1), args.tokens, args.seed, lateness=True)
    assert all(not r.tools for r in window.requests), "the window's chat offered tools"
    window.close()
    raw.close()
    return {"model": Path(loaded.model_path).name, "threads": threads, "n_ctx": loaded.n_ctx,
            "messages": window.model.rowCount(),
            "raw": [dataclasses.asdict(s) for s in raw_samples],
            "hearth": [dataclasses.asdict(s) for s in gui_samples],
            "lateness": window.lateness, "engine_rates": engine_rates,
            "starter": str(starter_path())}


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values) or [0.0]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{statistics.median(ordered):.0f} / {p99:.0f} / {ordered[-1]:.0f} ms"


def _median_interval(values: list[float], share: float = 0.9) -> str:
    """A bootstrap interval of the median: how far the noise of a shared machine lets the
    rounds pin it down (resampled 2,000 times with a fixed seed, so a run reprints it)."""
    import random

    draw = random.Random(0)
    medians = sorted(statistics.median(draw.choices(values, k=len(values)))
                     for _ in range(2000))
    cut = int(len(medians) * (1 - share) / 2)
    return f"{medians[cut]:.3f}–{medians[-1 - cut]:.3f}"


def _window_table(label: str, results: list[dict[str, object]]) -> list[str]:
    """Table rows for one side of a run: medians over every round of its processes."""
    late = [float(x) for r in results for x in r.get("lateness", [])]  # type: ignore[attr-defined]
    engine = [float(x) for r in results  # type: ignore[attr-defined]
              for x in r.get("engine_rates", [])]
    raw = [Sample(**s) for r in results for s in r["raw"]]  # type: ignore[attr-defined]
    gui = [Sample(**s) for r in results for s in r["hearth"]]  # type: ignore[attr-defined]
    ratios = [g.tokens_per_second / r.tokens_per_second for g, r in zip(gui, raw, strict=True)]
    gaps = [g.ttft - r.ttft for g, r in zip(gui, raw, strict=True)]
    med = statistics.median
    return [
        f"| {label}: decode, raw / Hearth in the window (median) | "
        f"{med([s.tokens_per_second for s in raw]):.1f} / "
        f"{med([s.tokens_per_second for s in gui]):.1f} tok/s |",
        f"| {label}: decode in the engine process, as it reports it (median) | "
        f"{med(engine or [0.0]):.1f} tok/s |",
        f"| {label}: ratio Hearth / raw, median of {len(ratios)} per-round ratios | "
        f"{med(ratios):.3f} (90 % interval of the median {_median_interval(ratios)}; "
        f"rounds {min(ratios):.3f}–{max(ratios):.3f}) |",
        f"| {label}: time to first token, raw / Hearth (median) | "
        f"{_ms(med([s.ttft for s in raw]))} / {_ms(med([s.ttft for s in gui]))} |",
        f"| {label}: Hearth − raw time to first token, median of per-round gaps | "
        f"{_ms(med(gaps))} (rounds {_ms(min(gaps))}–{_ms(max(gaps))}) |",
        f"| {label}: reply tokens, prompt tokens evaluated (raw / Hearth, median) | "
        f"{med([s.completion_tokens for s in raw]):.0f} / "
        f"{med([s.completion_tokens for s in gui]):.0f}, "
        f"{med([s.evaluated_prompt_tokens for s in raw]):.0f} / "
        f"{med([s.evaluated_prompt_tokens for s in gui]):.0f} |",
        f"| {label}: GUI timer lateness while streaming (one more reply), p50 / p99 / max | "
        f"{_percentiles(late)} |",
    ]


def _run_processes(args: argparse.Namespace,
                   sides: dict[str, str | None]) -> tuple[dict[str, list[dict[str, object]]],
                                                           list[tuple[float, float, float]]]:
    """``--window --json`` in ``--processes`` processes per side, the sides taking turns
    (which one goes first alternating). ``sides`` maps a label to the checkout whose Hearth
    it measures (None: this one); returns each side's results and the load averages seen."""
    import json
    import subprocess

    script = Path(__file__).resolve()
    command = [sys.executable, str(script), "--window", "--json", "--rounds", str(args.rounds),
               "--tokens", str(args.tokens), "--messages", str(args.messages),
               "--seed", str(args.seed)]
    if args.pipe_cost:
        command += ["--pipe-cost", str(args.pipe_cost), "--pipe-text", args.pipe_text]
    results: dict[str, list[dict[str, object]]] = {side: [] for side in sides}
    load = [os.getloadavg()]
    for process in range(args.processes):
        order = list(sides) if process % 2 == 0 else list(reversed(sides))
        for side in order:
            env = dict(os.environ)
            env.pop(CODE_VARIABLE, None)
            code = sides[side]
            if code is not None:
                env[CODE_VARIABLE] = str(Path(code).resolve())
            done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
            results[side].append(json.loads(done.stdout.strip().splitlines()[-1]))
            load.append(os.getloadavg())
    if args.save:
        Path(args.save).write_text(json.dumps(results), encoding="utf-8")
    return results, load


def _print_window_tables(sides: dict[str, list[dict[str, object]]]) -> None:
    """The window table: a row group per side, each over every round of its processes."""
    print()
    print("| measure | value |")
    print("|---|---|")
    for side, results in sides.items():
        for row in _window_table(side, results):
            print(row)


def _run_line(args: argparse.Namespace, first: dict[str, object], processes: str) -> str:
    """What a multi-process run measured: the chat, model, settings and rounds."""
    return (f"{first['messages']}-message chat in the real window · {first['model']} · "
            f"{first['threads']} threads · n_ctx {first['n_ctx']} · seed {args.seed} · "
            f"{args.tokens} tokens · {processes} × {args.rounds} "
            f"interleaved rounds (+1 warm-up each)")


def _load_line(load: list[tuple[float, float, float]]) -> str:
    return ("load average (1 min) during the run: "
            + ", ".join(f"{one:.2f}" for one, _five, _fifteen in load))


def pooled(args: argparse.Namespace) -> int:
    """``--window --processes N`` (N > 1): this checkout in N processes, every round pooled.

    A process's rounds share its luck (which core it got, a neighbour's load), so
    pooling several processes pins the median ratio down better than more rounds."""
    results, load = _run_processes(args, {"this checkout": None})
    print(_run_line(args, results["this checkout"][0], f"{args.processes} processes"))
    print(_load_line(load))
    _print_window_tables(results)
    return 0


def pool_saved(files: list[str]) -> int:
    """``--pool FILE...``: one table per side over every round that ``--save`` kept."""
    import json

    sides: dict[str, list[dict[str, object]]] = {}
    for name in files:
        for side, results in json.loads(Path(name).read_text(encoding="utf-8")).items():
            sides.setdefault(side, []).extend(results)
    print(f"pooled from {', '.join(files)}: "
          + ", ".join(f"{side} {len(results)} processes" for side, results in sides.items()))
    _print_window_tables(sides)
    return 0


def compare(args: argparse.Namespace) -> int:
    """``--compare DIR``: processes measuring DIR's Hearth ("before") and this checkout's
    ("after") take turns, which one goes first alternating; each runs ``--window``."""
    from desktop_app.core.models.starter_model import starter_path

    before_starter = starter_path(Path(args.compare) / "resources")
    if not before_starter.exists():
        # The model file is not in git: an exported tree needs it linked in.
        sys.exit(f"{before_starter} is missing: link {starter_path()} there first")
    script = Path(__file__).resolve()
    results, load = _run_processes(args, {"before": args.compare, "after": None})
    if args.pipe_cost:
        print(f"Paced fake engine at {args.pipe_cost:g} tokens/s into the real window "
              f"({args.messages}-message chat) · {args.tokens} tokens × {args.rounds} replies · "
              f"{args.processes} processes a side, alternating · load average "
              + ", ".join(f"{one:.2f}" for one, _five, _fifteen in load))
        print()
        print("| parent CPU per token (median over processes) | before | after |")
        print("|---|---|---|")
        for key, label in (("streaming_gui_ms", "GUI thread, while streaming"),
                           ("streaming_other_ms", "other threads, while streaming"),
                           ("gui_ms", "GUI thread, whole replies (send included)"),
                           ("other_ms", "other threads, whole replies"),
                           ("display_ms", "the X server, whole replies (QT_QPA_PLATFORM=xcb)"),
                           ("ttft_ms", "time to first token (GUI, median)")):
            if any(r[key] is None for side in ("before", "after") for r in results[side]):
                continue
            values = [statistics.median(float(r[key]) for r in results[side])  # type: ignore[arg-type]
                      for side in ("before", "after")]
            print(f"| {label} | {values[0]:.3f} ms | {values[1]:.3f} ms |")
        signals = [statistics.median(int(r["signals"]) for r in results[side])  # type: ignore[call-overload]
                   for side in ("before", "after")]
        print(f"| chunks_received signals per run | {signals[0]:.0f} | {signals[1]:.0f} |")
        return 0
    print(_run_line(args, results["after"][0], f"{args.processes} processes a side"))
    print(f"before: {args.compare} · after: {script.parents[1]}")
    print(_load_line(load))
    _print_window_tables(results)
    return 0


def report_window(args: argparse.Namespace) -> int:
    import json

    result = pipe_cost(args) if args.pipe_cost else window_rounds(args)
    if args.json:
        print(json.dumps(result))
        return 0
    if args.pipe_cost:
        print(f"| parent CPU per token while streaming, GUI thread / other threads | "
              f"{result['streaming_gui_ms']:.3f} / {result['streaming_other_ms']:.3f} ms |")
        print(f"| parent CPU per token, whole replies (send included) | {result['gui_ms']:.3f} / "
              f"{result['other_ms']:.3f} ms |")
        if result["display_ms"] is not None:
            print(f"| the X server's CPU per token, whole replies | "
                  f"{result['display_ms']:.3f} ms |")
        return 0
    print(f"{result['messages']}-message chat in the real window · {result['model']} · "
          f"{result['threads']} threads · n_ctx {result['n_ctx']} · {args.tokens} tokens · "
          f"{args.rounds} interleaved rounds (+1 warm-up) · load average "
          f"{os.getloadavg()[0]:.2f}")
    _print_window_tables({"this checkout": [result]})
    return 0


# ---- 7. what the path between the engine and the screen costs, without llama.cpp -----------

FAKE_RATE_VARIABLE = "HEARTH_BENCH_FAKE_RATE"
FAKE_TEXT_VARIABLE = "HEARTH_BENCH_FAKE_TEXT"
STORY_TOKENS = Path(__file__).with_name("data") / "smollm2_story_tokens.json"
"""A real reply, token by token: SmolLM2 135M Instruct's story about a lighthouse keeper
(400 tokens, seeded, Hearth's default sampling), re-tokenized, for ``--pipe-text story``."""


def fake_tokens(kind: str) -> list[str]:
    """What the paced engine streams, cycled: a real reply's tokens, or ``synthetic``, a
    word a token and a paragraph every 12 (the text the README's earlier figures used).

    The kind matters: a real reply adds words to the paragraph at the end in most
    batches, which the chat view types in cheaply; the synthetic text starts a new
    paragraph in about every other batch, each parsed and inserted as a new block."""
    if kind == "synthetic":
        return ["\n\nword"] + [" word"] * 11
    import json

    tokens: list[str] = json.loads(STORY_TOKENS.read_text(encoding="utf-8"))
    return tokens


class _PacedSession:
    """Stands in for ``Session`` in the engine process: :func:`fake_tokens` at a steady
    rate (``HEARTH_BENCH_FAKE_RATE`` tokens/s), sleeping in between, so the CPU the
    parent spends per token can be counted while nothing else competes for it."""

    def __init__(self, _model: object, *_draft: object) -> None:
        self.rate = float(os.environ.get(FAKE_RATE_VARIABLE, "100"))
        self.tokens = fake_tokens(os.environ.get(FAKE_TEXT_VARIABLE, "story"))

    def generate(self, request: GenerateRequest, emit: Callable[[object], None],
                 cancelled: Callable[[], bool], phase: Callable[[object], None]) -> None:
        from desktop_app.core.engine.api import ReplyFinished, ReplyStats, TokenChunk
        from desktop_app.core.engine.protocol import Phase

        phase(Phase.GENERATING)
        started = time.monotonic()
        tokens = request.params.max_tokens
        for i in range(tokens):
            delay = started + i / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            emit(TokenChunk(request.request_id, self.tokens[i % len(self.tokens)]))
            if cancelled():
                break
        emit(ReplyFinished(request.request_id, ReplyStats(
            prompt_tokens=10, completion_tokens=tokens, tokens_per_second=self.rate)))

    def close(self) -> None:
        pass


class _PacedModel:
    llama = None

    def __init__(self, options: object) -> None:
        from desktop_app.core.engine.api import ModelLoaded

        self.event = ModelLoaded(options.model_path, 4096,  # type: ignore[attr-defined]
                                 "paced (bench)", "CPU", "none", 0, 0.0)


def serve_paced(conn: object, log_level: int = 30, _stderr_path: str | None = None) -> None:
    """The engine process's entry point with :class:`_PacedSession` instead of llama.cpp."""
    from desktop_app.core.engine import runner

    runner.Session = _PacedSession  # type: ignore[misc,assignment]
    runner.load_model = _PacedModel  # type: ignore[assignment]
    runner.serve(conn, log_level, None)  # type: ignore[arg-type]


def _thread_cpu() -> dict[str, float]:
    """CPU seconds of each thread of this process, by thread id (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    cpu: dict[str, float] = {}
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu[task.name] = (int(fields[11]) + int(fields[12])) / ticks
    return cpu


DISPLAY_SERVERS = frozenset({"Xvfb", "Xorg", "Xwayland"})


def _display_server_cpu() -> float:
    """CPU seconds of the X servers running (Linux): what the window's repaints cost
    the display server, which the user's machine spends as well (0 when none is found)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, fields = (entry / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        if head.split("(", 1)[1] in DISPLAY_SERVERS:
            parts = fields.split()
            total += (int(parts[11]) + int(parts[12])) / ticks
    return total


def pipe_cost(args: argparse.Namespace) -> dict[str, object]:
    """Parent CPU per token (GUI thread, other threads) while a paced fake engine streams
    into the real window showing the long chat."""
    import threading

    from desktop_app.core.engine import process

    process.serve = serve_paced  # type: ignore[assignment]
    os.environ[FAKE_RATE_VARIABLE] = str(args.pipe_cost)
    os.environ[FAKE_TEXT_VARIABLE] = args.pipe_text
    paths = AppPaths.from_environment().ensure()
    store = ChatStore.open(paths.database_path)
    conversation_id = store_conversation(store, long_conversation(args.messages))
    store.close()
    window = WindowPath(conversation_id)
    signals: list[int] = []
    window.hearth.engine_thread.worker.chunks_received.connect(lambda *_: signals.append(1))
    window.sample(story_request(0), 50, args.seed)  # warm-up
    signals.clear()
    gui = str(threading.get_native_id())
    before = _thread_cpu()
    display_before = _display_server_cpu()
    samples: list[Sample] = []
    streaming_gui = streaming_all = 0.0  # CPU between a reply's first and last update
    for i in range(args.rounds):
        samples.append(window.sample(story_request(i + 1), args.tokens, args.seed))
        streaming_gui += window.last_cpu[0] - window.first_cpu[0]
        streaming_all += window.last_cpu[1] - window.first_cpu[1]
    after = _thread_cpu()
    display = _display_server_cpu() - display_before
    window.close()
    spent = {k: v - before.get(k, 0.0) for k, v in after.items()}
    tokens = sum(s.completion_tokens for s in samples)
    streamed = tokens - len(samples)  # the tokens after each reply's first
    return {"tokens": tokens, "signals": len(signals), "rate": args.pipe_cost,
            "streaming_gui_ms": streaming_gui / streamed * 1000,
            "streaming_other_ms": (streaming_all - streaming_gui) / streamed * 1000,
            "gui_ms": spent.get(gui, 0.0) / tokens * 1000,
            "other_ms": (sum(spent.values()) - spent.get(gui, 0.0)) / tokens * 1000,
            # Offscreen, Qt draws into memory and no X server sees the window.
            "display_ms": (None if os.environ["QT_QPA_PLATFORM"] == "offscreen"
                           else display / tokens * 1000),
            "ttft_ms": statistics.median(s.ttft for s in samples) * 1000,
            "tokens_per_second": statistics.median(s.tokens_per_second for s in samples)}


if __name__ == "__main__":
    sys.exit(main())
