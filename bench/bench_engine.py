"""Hearth's engine benchmark: raw llama-cpp-python vs. Hearth's full path, in one run.

Measures, on the same model, settings, prompts and seed:

1. Speed as the user sees it, measured in the GUI thread: the time from the
   GUI's generate call until the chat view's model (``ChatModel``) first holds
   text of the reply, and tokens/s as text arrives in that model, through the
   whole path (worker QThread -> engine child process -> worker -> batched Qt
   signals -> ChatModel). The reference is a raw in-process
   ``Llama.create_completion`` stream on a model loaded with the same settings:
   time from the call to its first streamed text, and tokens/s from then to the
   end. Targets: decode ratio Hearth / raw >= 0.97, and Hearth's time to first
   token at most 60 ms above raw. Rounds are interleaved (which side goes first
   alternates) and every round has a new prompt, the same for both sides, so
   both evaluate the same tokens; figures are medians over the rounds.
2. Time to first token of turn 20 in a conversation with >= 1,500 tokens of
   history: with Hearth's KV-cache reuse vs. a cold prefill of the same
   prompt, and vs. the time to prefill only the new turn's tokens (target:
   reuse within 1.5x of that).
3. Load time and peak RSS of the engine process.

Usage: ``.venv/bin/python bench/bench_engine.py [--model starter|gemma] [--tokens 300]
[--rounds 5] [--seed 42] [--threads N]``. ``starter`` is the bundled SmolLM2 135M, ``gemma``
the Gemma 3 270M demo model. Runs headless (``QT_QPA_PLATFORM=offscreen`` is set
if unset). Prints Markdown tables for the README.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parents[1]) not in sys.path:
    # (Already there when bench_chat_view imports this module: it may have put another
    # checkout's Hearth before it, for --compare, which must stay first.)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desktop_app.core import hardware
from desktop_app.core.engine.api import (
    ChatMessage,
    GenerateRequest,
    LoadOptions,
    ModelLoaded,
    ReplyStats,
    Role,
    SamplingParams,
)
from desktop_app.core.engine.loader import LoadedModel, load_model
from desktop_app.core.engine.process import LocalEngine
from desktop_app.core.engine.session import longest_common_prefix
from desktop_app.core.models.demo_model import demo_model_file
from desktop_app.core.models.starter_model import starter_path

STORY = "Write a long story about a lighthouse keeper."
# One new prompt per round, the same for both sides (see the module docstring).
SUBJECTS = ("a lighthouse keeper", "a baker in a mountain village", "a retired train driver",
            "two sisters who mend old maps", "a cat that lives in a library",
            "a ferry crossing in winter", "a beekeeper and her neighbour",
            "a clockmaker's apprentice", "a night-shift nurse", "a boy who collects stones")
N_CTX = 4096
SEED = 42


def demo_model() -> Path:
    """The demo model, shared with the test suite's cache."""
    return demo_model_file(Path(__file__).resolve().parents[1] / ".test-cache")


MODELS: dict[str, Callable[[], Path]] = {"starter": starter_path, "gemma": demo_model}


def story_request(round_: int) -> tuple[ChatMessage, ...]:
    subject = SUBJECTS[round_ % len(SUBJECTS)]
    return (ChatMessage(Role.USER, f"Write a long story about {subject}."),)


# ---- 1. time to first token and decode speed, raw vs. the GUI ---------------------------


@dataclass(frozen=True)
class Sample:
    """One reply: time to its first text, decode speed after it, tokens involved."""

    ttft: float
    tokens_per_second: float
    completion_tokens: int
    evaluated_prompt_tokens: int


class RawModel:
    """llama-cpp-python in this process, loaded with the settings Hearth's engine uses.

    It goes through Hearth's loader only to build the ``Llama`` with the same
    arguments and to render the prompt with the same chat format; generation
    is a plain ``create_completion`` stream.
    """

    def __init__(self, model: Path, threads: int, n_ctx: int = N_CTX) -> None:
        self.loaded: LoadedModel = load_model(
            LoadOptions(model_path=str(model), n_ctx=n_ctx, n_threads=threads))
        self.llama = self.loaded.llama

    def reply(self, messages: tuple[ChatMessage, ...], n_tokens: int, seed: int) -> Sample:
        from llama_cpp import StoppingCriteriaList

        llama = self.llama
        rendered = self.loaded.formatter.render(messages)
        tokens = llama.tokenize(rendered.text.encode(), add_bos=not rendered.starts_with_bos,
                                special=True)
        cached = longest_common_prefix(list(llama._input_ids), tokens)
        evaluated = len(tokens) - (cached - 1 if cached == len(tokens) else cached)
        params = SamplingParams()
        sampled = 0

        def count_sampled(_ids: Any, _logits: Any) -> bool:
            # Once per sampled token, as Hearth's TextStream counts the tokens it receives.
            nonlocal sampled
            sampled += 1
            return False

        first: float | None = None
        started = time.perf_counter()
        stream = llama.create_completion(
            tokens, max_tokens=n_tokens, temperature=params.temperature, top_k=params.top_k,
            top_p=params.top_p, min_p=params.min_p, repeat_penalty=params.repeat_penalty,
            stop=list(self.loaded.formatter.stops), seed=seed, stream=True,
            stopping_criteria=StoppingCriteriaList([count_sampled]))
        for chunk in stream:
            if first is None and chunk["choices"][0]["text"]:
                first = time.perf_counter()
        ended = time.perf_counter()
        sampled -= 1  # create_completion asks the criteria once more after the last token
        assert first is not None
        return Sample(first - started, (sampled - 1) / (ended - first), sampled, evaluated)

    def close(self) -> None:
        self.llama.close()


def _request(request_id: int, conversation_id: int, messages: tuple[ChatMessage, ...],
             max_tokens: int, seed: int = SEED) -> GenerateRequest:
    # Plain decoding, like RawModel: these benches measure Hearth's path around the
    # engine; bench_speculative.py measures drafting.
    return GenerateRequest(request_id=request_id, conversation_id=conversation_id,
                           messages=messages,
                           params=SamplingParams(max_tokens=max_tokens, seed=seed,
                                                 speculative=False))


def wait_in_qt(app: Any, done: Callable[[], bool], timeout: float) -> None:
    """Run the GUI event loop until ``done()``; blocks in Qt, never spins.

    A busy-waiting harness would steal CPU from llama.cpp on a small
    machine and make Hearth look slower than it is.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    ticker = QTimer()
    ticker.start(100)  # wakes the loop to check the deadline
    deadline = time.monotonic() + timeout
    try:
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError("the engine did not answer in time")
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    finally:
        ticker.stop()


class HearthPath:
    """The GUI's pipeline without a window: engine process, worker thread, chat model.

    Times are taken in the GUI thread: when :meth:`reply` hands the request to
    the worker, and each time a batch has landed in the chat model.
    """

    def __init__(self, model: Path, threads: int) -> None:
        from PySide6.QtWidgets import QApplication

        from desktop_app.ui.chat.chat_model import ChatItem, ChatModel
        from desktop_app.ui.common.engine_worker import EngineThread, EngineWorker

        self.app = QApplication.instance() or QApplication([])
        self.engine = LocalEngine()
        self.worker = EngineWorker(self.engine)
        self.thread = EngineThread(self.worker)
        self.chat_model = ChatModel()
        self.chat_model.set_items([ChatItem(1, Role.ASSISTANT, "")])
        self.loaded: ModelLoaded | None = None
        self.finished: dict[int, ReplyStats] = {}
        self.sent: dict[int, float] = {}
        self.first_text: dict[int, float] = {}
        self.last_text: dict[int, float] = {}
        self.worker.model_loaded.connect(self._on_loaded)
        self.worker.chunks_received.connect(self._on_chunks)
        self.worker.reply_finished.connect(self._on_finished)
        self.thread.start()
        self.worker.load(LoadOptions(model_path=str(model), n_ctx=N_CTX, n_threads=threads))
        self._wait(lambda: self.loaded is not None, 120)

    def _on_loaded(self, event: ModelLoaded) -> None:
        self.loaded = event

    def _on_chunks(self, request_id: int, text: str, thinking: str) -> None:
        self.chat_model.append_text(1, text, thinking)
        if text or thinking:
            now = time.perf_counter()  # the text is in the model now
            self.first_text.setdefault(request_id, now)
            self.last_text[request_id] = now

    def _on_finished(self, request_id: int, stats: ReplyStats) -> None:
        self.finished[request_id] = stats

    def _wait(self, done: Callable[[], bool], timeout: float) -> None:
        wait_in_qt(self.app, done, timeout)

    def reply(self, request: GenerateRequest) -> ReplyStats:
        self.sent[request.request_id] = time.perf_counter()
        self.worker.generate(request)
        self._wait(lambda: request.request_id in self.finished, 600)
        return self.finished[request.request_id]

    def sample(self, request: GenerateRequest) -> Sample:
        """One reply, timed as the GUI sees it."""
        rid = request.request_id
        stats = self.reply(request)
        first, last = self.first_text[rid], self.last_text[rid]
        return Sample(first - self.sent[rid], (stats.completion_tokens - 1) / (last - first),
                      stats.completion_tokens, stats.prompt_eval_tokens)

    def peak_rss(self) -> int:
        pid = self.engine.pid
        if pid is None:
            return 0
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0

    def close(self) -> None:
        self.thread.shutdown()


def speed_rounds(path: HearthPath, raw: RawModel, rounds: int, n_tokens: int,
                 seed: int) -> tuple[list[Sample], list[Sample], list[ReplyStats]]:
    """Interleaved rounds after one unmeasured warm-up reply on each side.

    Hearth's replies all go to one conversation, as when a user sends again
    in an open chat; the raw model keeps its cache between calls the same
    way, so both reuse only the chat format's opening tokens.
    """
    raw_samples: list[Sample] = []
    gui_samples: list[Sample] = []
    engine_stats: list[ReplyStats] = []
    for round_ in range(rounds + 1):
        messages = story_request(round_)
        request = _request(100 + round_, 1, messages, n_tokens, seed)
        if round_ % 2:
            gui = path.sample(request)
            raw_sample = raw.reply(messages, n_tokens, seed)
        else:
            raw_sample = raw.reply(messages, n_tokens, seed)
            gui = path.sample(request)
        if round_ == 0:
            continue  # warm-up
        raw_samples.append(raw_sample)
        gui_samples.append(gui)
        engine_stats.append(path.finished[request.request_id])
    return raw_samples, gui_samples, engine_stats


# ---- 2. time to first token deep into a conversation ---------------------------------


def long_history() -> list[ChatMessage]:
    topics = ["tea", "rivers", "mountains", "old maps", "bicycles", "bread", "lanterns",
              "winter", "harbours", "libraries"]
    history: list[ChatMessage] = []
    for i in range(19):
        topic = topics[i % len(topics)]
        history.append(ChatMessage(Role.USER, f"Tell me something about {topic}. " * 6))
        history.append(ChatMessage(Role.ASSISTANT, f"Here are some thoughts on {topic}: "
                                   + "it has a long history and many uses. " * 5))
    return history


def ttft(path: HearthPath, raw: RawModel) -> dict[str, float]:
    history = long_history()
    new_turn = ChatMessage(Role.USER, "Now summarise everything we discussed in one line.")
    # Turn 19 primes the cache the way a real conversation would.
    path.reply(_request(50, 7, tuple(history[:-1]), 8))
    # Another conversation in between, so turn 20 also exercises the cache switch.
    path.reply(_request(51, 9, (ChatMessage(Role.USER, "Something else entirely."),), 8))
    reuse = path.reply(_request(52, 7, (*history, new_turn), 8))

    # Raw references in this process: a cold prefill of the whole turn-20 prompt, and
    # a prefill of only as many tokens as Hearth had to evaluate.
    llama = raw.llama
    rendered = raw.loaded.formatter.render((*history, new_turn))
    full = llama.tokenize(rendered.text.encode(), add_bos=not rendered.starts_with_bos,
                          special=True)

    def prefill(tokens: list[int], cached: list[int] | None = None) -> float:
        """Median time to evaluate ``tokens``, after ``cached`` (untimed) when given."""
        samples = []
        for _ in range(3):
            llama.reset()
            if cached:
                llama.eval(cached)
            started = time.perf_counter()
            llama.eval(tokens)
            samples.append(time.perf_counter() - started)
        return statistics.median(samples)

    n_new = reuse.prompt_eval_tokens
    cold = prefill(full)
    # The target's denominator: the new tokens evaluated on top of the cached
    # history, the least any engine can do for this turn.
    new_in_context = prefill(full[-n_new:], cached=full[:-n_new])
    new_at_start = prefill(full[:n_new])
    return {"prompt_tokens": reuse.prompt_tokens, "reuse_eval_tokens": n_new,
            "reuse_ttft": reuse.time_to_first_token, "cold_ttft": cold,
            "new_only_prefill": new_in_context, "new_at_start": new_at_start}


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", choices=sorted(MODELS), default="gemma")
    parser.add_argument("--tokens", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--threads", type=int, default=0,
                        help="llama.cpp threads on both sides (default: physical cores)")
    parser.add_argument("--skip-turn20", action="store_true",
                        help="measure only the GUI-side speed (section 1)")
    args = parser.parse_args()
    model = MODELS[args.model]()
    threads = args.threads or hardware.physical_cores()

    path = HearthPath(model, threads)
    assert path.loaded is not None
    load_seconds = path.loaded.load_seconds
    raw = RawModel(model, threads)
    raw_s, gui_s, engine_s = speed_rounds(path, raw, args.rounds, args.tokens, args.seed)
    ttfts = None if args.skip_turn20 else ttft(path, raw)
    rss = path.peak_rss()
    path.close()
    raw.close()

    def med(values: list[float]) -> float:
        return statistics.median(values)

    raw_tps = med([s.tokens_per_second for s in raw_s])
    gui_tps = med([s.tokens_per_second for s in gui_s])
    ratios = [g.tokens_per_second / r.tokens_per_second for g, r in zip(gui_s, raw_s, strict=True)]
    raw_ttft = med([s.ttft for s in raw_s])
    gui_ttft = med([s.ttft for s in gui_s])
    engine_ttft = med([s.time_to_first_token for s in engine_s])
    gaps = [g.ttft - r.ttft for g, r in zip(gui_s, raw_s, strict=True)]
    print(f"Model: {model.name} · {threads} threads · n_ctx {N_CTX} · seed {args.seed} · "
          f"{args.tokens} tokens · {args.rounds} interleaved rounds (+1 warm-up)")
    print(f"Machine: {_cpu_name()}, {os.cpu_count()} logical CPUs, "
          f"{hardware.memory().total_bytes / 1024**3:.0f} GB RAM, {platform.system()}")
    print()
    print("| measure (medians over the rounds) | value |")
    print("|---|---|")
    print(f"| decode, raw llama-cpp-python | {raw_tps:.1f} tok/s |")
    print(f"| decode, Hearth, as text arrives in the chat model (GUI thread) | "
          f"{gui_tps:.1f} tok/s |")
    print(f"| ratio Hearth / raw, median of per-round ratios (target ≥ 0.97) | "
          f"{med(ratios):.3f} (rounds {min(ratios):.3f}–{max(ratios):.3f}) |")
    print(f"| time to first token, raw (call → first streamed text) | {_ms(raw_ttft)} |")
    print(f"| time to first token, Hearth (GUI send → text in the chat model) | "
          f"{_ms(gui_ttft)} |")
    print(f"| Hearth − raw, median of per-round gaps (target ≤ 60 ms) | {_ms(med(gaps))} "
          f"(rounds {_ms(min(gaps))}–{_ms(max(gaps))}) |")
    print(f"| (inside the engine process: request received → first token) | "
          f"{_ms(engine_ttft)} |")
    print(f"| prompt tokens evaluated per reply (raw / Hearth) | "
          f"{med([s.evaluated_prompt_tokens for s in raw_s]):.0f} / "
          f"{med([s.evaluated_prompt_tokens for s in gui_s]):.0f} |")
    print(f"| reply tokens (raw / Hearth) | "
          f"{med([s.completion_tokens for s in raw_s]):.0f} / "
          f"{med([s.completion_tokens for s in gui_s]):.0f} |")
    if ttfts is not None:
        print(f"| turn 20 prompt | {ttfts['prompt_tokens']:.0f} tokens, "
              f"{ttfts['reuse_eval_tokens']:.0f} evaluated with reuse |")
        print(f"| turn 20 TTFT, reuse | {_ms(ttfts['reuse_ttft'])} |")
        print(f"| turn 20 cold prefill of the whole prompt (raw) | {_ms(ttfts['cold_ttft'])} |")
        print(f"| prefill of only the new tokens after the cached history (raw) | "
              f"{_ms(ttfts['new_only_prefill'])} |")
        print(f"| (the same number of tokens at the start of an empty context) | "
              f"{_ms(ttfts['new_at_start'])} |")
        print(f"| reuse TTFT / new-turn prefill (target ≤ 1.5) | "
              f"{ttfts['reuse_ttft'] / ttfts['new_only_prefill']:.2f} |")
        print(f"| cold prefill / reuse TTFT | "
              f"{ttfts['cold_ttft'] / ttfts['reuse_ttft']:.1f}× |")
    print(f"| model load (engine process) | {load_seconds:.2f} s |")
    print(f"| engine peak RSS | {rss / 1024**2:.0f} MB |")
    print()
    for name, samples in (("raw", raw_s), ("Hearth", gui_s)):
        print(f"{name} rounds: " + "; ".join(
            f"{s.tokens_per_second:.1f} tok/s, TTFT {_ms(s.ttft)}" for s in samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
