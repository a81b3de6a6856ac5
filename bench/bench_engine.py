"""Hearth's engine benchmark: raw llama-cpp-python vs. Hearth's full path, in one run.

Measures, on the same model, settings and seed:

1. Decode tokens/s of a raw in-process ``Llama.create_completion`` loop vs.
   Hearth's full path (engine child process -> worker QThread -> batched Qt
   signals -> ChatModel in the GUI thread), and their ratio (target >= 0.97).
2. Time to first token of turn 20 in a conversation with >= 1,500 tokens of
   history: with Hearth's KV-cache reuse vs. a cold prefill of the same
   prompt, and vs. the time to prefill only the new turn's tokens (target:
   reuse within 1.5x of that).
3. Load time and peak RSS of the engine process.

Usage: ``.venv/bin/python bench/bench_engine.py [--model PATH] [--tokens 200]``.
Runs headless (``QT_QPA_PLATFORM=offscreen`` is set if unset). Prints a
Markdown table for the README.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

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
from desktop_app.core.engine.process import LocalEngine
from desktop_app.core.models.demo_model import demo_model_file

STORY = "Write a long story about a lighthouse keeper."
# What Hearth renders for that one-turn conversation with the demo model (Gemma's format).
PROMPT = f"<bos><start_of_turn>user\n{STORY}<end_of_turn>\n<start_of_turn>model\n"
N_CTX = 4096
SEED = 42


def demo_model() -> Path:
    """The demo model, shared with the test suite's cache."""
    return demo_model_file(Path(__file__).resolve().parents[1] / ".test-cache")


# ---- 1. decode speed ------------------------------------------------------------------


def raw_decode(model: Path, n_tokens: int, threads: int) -> tuple[float, int]:
    """Tokens/s of a plain create_completion stream loop, in this process."""
    import llama_cpp

    llama = llama_cpp.Llama(str(model), n_ctx=N_CTX, n_threads=threads,
                            n_threads_batch=threads, seed=SEED, verbose=False)
    tokens = llama.tokenize(PROMPT.encode(), add_bos=False, special=True)
    first: float | None = None
    for _chunk in llama.create_completion(tokens, max_tokens=n_tokens, temperature=0.7,
                                          top_k=40, top_p=0.95, min_p=0.05,
                                          repeat_penalty=1.1, seed=SEED, stream=True,
                                          stop=["<end_of_turn>"]):
        if first is None:
            first = time.perf_counter()
    ended = time.perf_counter()
    # Counted the way Hearth counts: evaluated reply tokens plus the last sampled one
    # (chunks undercount, since text that may start a stop string is held back).
    count = llama.n_tokens - len(tokens) + 1
    llama.close()
    assert first is not None
    return (count - 1) / (ended - first), count


def _raw_request(request_id: int, conversation_id: int, messages: tuple[ChatMessage, ...],
                 max_tokens: int) -> GenerateRequest:
    return GenerateRequest(request_id=request_id, conversation_id=conversation_id,
                           messages=messages,
                           params=SamplingParams(max_tokens=max_tokens, seed=SEED))


class HearthPath:
    """The GUI's pipeline without a window: engine process, worker thread, chat model."""

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
        self._item_class = ChatItem
        self.loaded: ModelLoaded | None = None
        self.finished: dict[int, ReplyStats] = {}
        self.first_chunk: dict[int, float] = {}
        self.last_chunk: dict[int, float] = {}
        self.worker.model_loaded.connect(self._on_loaded)
        self.worker.chunks_received.connect(self._on_chunks)
        self.worker.reply_finished.connect(self._on_finished)
        self.thread.start()
        self.worker.load(LoadOptions(model_path=str(model), n_ctx=N_CTX, n_threads=threads))
        self._wait(lambda: self.loaded is not None, 120)

    def _on_loaded(self, event: ModelLoaded) -> None:
        self.loaded = event

    def _on_chunks(self, request_id: int, text: str, thinking: str) -> None:
        now = time.perf_counter()
        self.first_chunk.setdefault(request_id, now)
        self.last_chunk[request_id] = now
        self.chat_model.append_text(1, text, thinking)

    def _on_finished(self, request_id: int, stats: ReplyStats) -> None:
        self.finished[request_id] = stats

    def _wait(self, done: Any, timeout: float) -> None:
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
                self.app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        finally:
            ticker.stop()

    def reply(self, request: GenerateRequest) -> ReplyStats:
        self.worker.generate(request)
        self._wait(lambda: request.request_id in self.finished, 600)
        return self.finished[request.request_id]

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


def hearth_decode(path: HearthPath, n_tokens: int, request_id: int) -> float:
    """Tokens/s as the GUI sees it: completion tokens over the time chunks kept arriving."""
    # The same prompt as the raw loop, as a one-turn conversation in Gemma's format.
    messages = (ChatMessage(Role.USER, STORY),)
    stats = path.reply(_raw_request(request_id, 1000 + request_id, messages, n_tokens))
    return stats.tokens_per_second


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


def ttft(path: HearthPath, model: Path, threads: int) -> dict[str, float]:
    history = long_history()
    new_turn = ChatMessage(Role.USER, "Now summarise everything we discussed in one line.")
    # Turn 19 primes the cache the way a real conversation would.
    path.reply(_raw_request(50, 7, tuple(history[:-1]), 8))
    # Another conversation in between, so turn 20 also exercises the cache switch.
    path.reply(_raw_request(51, 9, (ChatMessage(Role.USER, "Something else entirely."),), 8))
    reuse = path.reply(_raw_request(52, 7, (*history, new_turn), 8))

    # Raw references in this process: a cold prefill of the whole turn-20 prompt, and
    # a prefill of only as many tokens as Hearth had to evaluate.
    import llama_cpp

    from desktop_app.core.engine.prompt import ChatFormatter

    llama = llama_cpp.Llama(str(model), n_ctx=N_CTX, n_threads=threads,
                            n_threads_batch=threads, seed=SEED, verbose=False)
    formatter = ChatFormatter(model_name="bench", template=None, architecture="gemma3")
    prompt = formatter.render((*history, new_turn)).text
    full = llama.tokenize(prompt.encode(), add_bos=False, special=True)

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
    llama.close()
    return {"prompt_tokens": reuse.prompt_tokens, "reuse_eval_tokens": n_new,
            "reuse_ttft": reuse.time_to_first_token, "cold_ttft": cold,
            "new_only_prefill": new_in_context, "new_at_start": new_at_start}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    model = args.model or demo_model()
    threads = hardware.physical_cores()

    raw_speeds: list[float] = []
    hearth_speeds: list[float] = []
    path = HearthPath(model, threads)
    assert path.loaded is not None
    load_seconds = path.loaded.load_seconds
    # Alternate the two so drift on a shared machine hits both equally.
    for round_ in range(args.rounds):
        raw_speeds.append(raw_decode(model, args.tokens, threads)[0])
        hearth_speeds.append(hearth_decode(path, args.tokens, round_ + 1))
    ttfts = ttft(path, model, threads)
    rss = path.peak_rss()
    path.close()

    raw = statistics.median(raw_speeds)
    hearth = statistics.median(hearth_speeds)
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    print(f"Model: {model.name} · {threads} threads · n_ctx {N_CTX} · seed {SEED}")
    print(f"Machine: {cpu}, {os.cpu_count()} logical CPUs, "
          f"{hardware.memory().total_bytes / 1024**3:.0f} GB RAM, {platform.system()}")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| decode, raw llama-cpp-python | {raw:.1f} tok/s |")
    print(f"| decode, Hearth full path | {hearth:.1f} tok/s |")
    print(f"| ratio Hearth / raw (target ≥ 0.97) | {hearth / raw:.3f} |")
    print(f"| turn 20 prompt | {ttfts['prompt_tokens']:.0f} tokens, "
          f"{ttfts['reuse_eval_tokens']:.0f} evaluated with reuse |")
    print(f"| turn 20 TTFT, reuse | {ttfts['reuse_ttft'] * 1000:.0f} ms |")
    print(f"| turn 20 cold prefill of the whole prompt (raw) | "
          f"{ttfts['cold_ttft'] * 1000:.0f} ms |")
    print(f"| prefill of only the new tokens after the cached history (raw) | "
          f"{ttfts['new_only_prefill'] * 1000:.0f} ms |")
    print(f"| (the same number of tokens at the start of an empty context) | "
          f"{ttfts['new_at_start'] * 1000:.0f} ms |")
    print(f"| reuse TTFT / new-turn prefill (target ≤ 1.5) | "
          f"{ttfts['reuse_ttft'] / ttfts['new_only_prefill']:.2f} |")
    print(f"| cold prefill / reuse TTFT | {ttfts['cold_ttft'] / ttfts['reuse_ttft']:.1f}× |")
    print(f"| model load (engine process) | {load_seconds:.2f} s |")
    print(f"| engine peak RSS | {rss / 1024**2:.0f} MB |")
    print()
    print(f"raw rounds: {', '.join(f'{s:.1f}' for s in raw_speeds)}; "
          f"Hearth rounds: {', '.join(f'{s:.1f}' for s in hearth_speeds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
