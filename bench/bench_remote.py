"""Hearth's remote-backend benchmark: a server's own stream vs. what reaches the chat view.

Starts llama-cpp-python's OpenAI-compatible server (``python -m llama_cpp.server``)
with the starter model on 127.0.0.1, then, in one run and on the same requests:

(a) the server's own streaming rate, read by a plain client: ``httpx`` +
    ``httpx-sse`` posting the very body Hearth sends, timing from the send to
    the first streamed text and tokens/s from then to the last;
(b) the same as the user sees it, measured in the GUI thread: from the GUI's
    generate call until the chat view's model (``ChatModel``) first holds text,
    and tokens/s as text lands there, through the GUI's whole engine path:
    ``EngineWorker`` (its QThread, 50 ms batching, queued Qt signals) →
    ``RoutingEngine`` (local llama.cpp engine + remote) → ``RemoteEngine`` →
    HTTP/SSE. The chat window's own remote-model wiring belongs to the GUI
    work; this drives the worker and chat model exactly as the window does,
    like ``bench_engine.py``.

Targets: tokens/s ratio (b)/(a) ≥ 0.97 and time to first token (b) − (a) ≤ 30 ms,
medians over rounds that alternate which side goes first, each round with a
new prompt (the same for both sides) and the same seed. Before each reply a
one-token request to another prompt clears the server's prompt cache, so
both sides evaluate the same prompt tokens.

Usage: ``.venv/bin/python bench/bench_remote.py [--tokens 300] [--rounds 6] [--seed 42]``.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
from httpx_sse import connect_sse

from desktop_app.core.engine.api import (
    ChatMessage,
    GenerateRequest,
    LoadFailed,
    LoadOptions,
    ModelLoaded,
    ReplyStats,
    Role,
    SamplingParams,
)
from desktop_app.core.engine.process import LocalEngine
from desktop_app.core.engine.routing import RoutingEngine
from desktop_app.core.models.starter_model import starter_path
from desktop_app.core.remote.servers import PRESETS_BY_ID, ServerConfig
from desktop_app.core.remote.stream import request_body
from tests.core.remote.llama_server import LlamaServer

SUBJECTS = ("a lighthouse keeper", "a baker in a mountain village", "a retired train driver",
            "two sisters who mend old maps", "a cat that lives in a library",
            "a ferry crossing in winter", "a beekeeper and her neighbour",
            "a clockmaker's apprentice", "a night-shift nurse", "a boy who collects stones")
SERVER_ID = "srv-bench"


@dataclass(frozen=True)
class Sample:
    ttft: float
    tokens_per_second: float
    tokens: int


def make_request(request_id: int, round_: int, n_tokens: int, seed: int) -> GenerateRequest:
    subject = SUBJECTS[round_ % len(SUBJECTS)]
    return GenerateRequest(
        request_id=request_id, conversation_id=1,
        messages=(ChatMessage(Role.USER, f"Write a long story about {subject}."),),
        params=SamplingParams(max_tokens=n_tokens, seed=seed))


class PlainClient:
    """(a): the server's stream read directly, nothing of Hearth's in the way."""

    def __init__(self, config: ServerConfig, model: str) -> None:
        self.config = config
        self.model = model
        self.http = httpx.Client(timeout=httpx.Timeout(120.0, connect=10.0))

    def sample(self, request: GenerateRequest) -> Sample:
        _, body, _ = request_body(request, self.model, PRESETS_BY_ID[self.config.preset])
        import json

        chunks = 0
        first: float | None = None
        last = 0.0
        started = time.perf_counter()
        with connect_sse(self.http, "POST", f"{self.config.base_url}/chat/completions",
                         json=body) as source:
            for event in source.iter_sse():
                if event.data == "[DONE]":
                    break
                data = json.loads(event.data)
                choices = data.get("choices") or [{}]
                if (choices[0].get("delta") or {}).get("content"):
                    now = time.perf_counter()
                    if first is None:
                        first = now
                    last = now
                    chunks += 1
        assert first is not None, "the server sent no text"
        return Sample(first - started, (chunks - 1) / (last - first), chunks)

    def reset_cache(self) -> None:
        """A one-token reply to another prompt, so the next one finds no prompt cached.

        llama-cpp-python's server keeps the last prompt's KV cache; without this
        whichever side went second would skip most of the prefill.
        """
        body = {"model": self.model, "max_tokens": 1, "messages": [
            {"role": "user", "content": "Reset: an unrelated short question?"}]}
        self.http.post(f"{self.config.base_url}/chat/completions", json=body).raise_for_status()

    def close(self) -> None:
        self.http.close()


class HearthPath:
    """(b): the GUI's engine worker and chat model, timed in the GUI thread."""

    def __init__(self, config: ServerConfig, model: str) -> None:
        from PySide6.QtWidgets import QApplication

        from desktop_app.ui.chat.chat_model import ChatItem, ChatModel
        from desktop_app.ui.common.engine_worker import EngineThread, EngineWorker

        self.app = QApplication.instance() or QApplication([])
        self.local = LocalEngine()
        self.engine = RoutingEngine(self.local, lambda server_id: (config, None))
        self.worker = EngineWorker(self.engine)
        self.thread = EngineThread(self.worker)
        self.chat_model = ChatModel()
        self.chat_model.set_items([ChatItem(1, Role.ASSISTANT, "")])
        self.loaded: ModelLoaded | LoadFailed | None = None
        self.finished: dict[int, ReplyStats] = {}
        self.sent: dict[int, float] = {}
        self.first_text: dict[int, float] = {}
        self.last_text: dict[int, float] = {}
        self.worker.model_loaded.connect(self._on_loaded)
        self.worker.load_failed.connect(self._on_loaded)
        self.worker.chunks_received.connect(self._on_chunks)
        self.worker.reply_finished.connect(self._on_finished)
        self.thread.start()
        self.worker.load(LoadOptions(model_path=model, server_id=SERVER_ID))
        self._wait(lambda: self.loaded is not None, 30)
        if not isinstance(self.loaded, ModelLoaded):
            raise RuntimeError(f"the remote model did not load: {self.loaded}")

    def _on_loaded(self, event: ModelLoaded | LoadFailed) -> None:
        self.loaded = event

    def _on_chunks(self, request_id: int, text: str, thinking: str) -> None:
        self.chat_model.append_text(1, text, thinking)
        if text or thinking:
            now = time.perf_counter()  # the text is in the chat view's model now
            self.first_text.setdefault(request_id, now)
            self.last_text[request_id] = now

    def _on_finished(self, request_id: int, stats: ReplyStats) -> None:
        self.finished[request_id] = stats

    def _wait(self, done: Callable[[], bool], timeout: float) -> None:
        """Run the GUI event loop until ``done()``; blocks in Qt, never spins."""
        from PySide6.QtCore import QEventLoop, QTimer

        ticker = QTimer()
        ticker.start(100)
        deadline = time.monotonic() + timeout
        try:
            while not done():
                if time.monotonic() > deadline:
                    raise TimeoutError("the reply did not end in time")
                self.app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        finally:
            ticker.stop()

    def sample(self, request: GenerateRequest) -> Sample:
        rid = request.request_id
        self.sent[rid] = time.perf_counter()
        self.worker.generate(request)
        self._wait(lambda: rid in self.finished, 300)
        stats = self.finished[rid]
        first, last = self.first_text[rid], self.last_text[rid]
        return Sample(first - self.sent[rid], (stats.completion_tokens - 1) / (last - first),
                      stats.completion_tokens)

    def close(self) -> None:
        self.thread.shutdown()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tokens", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    model_file = starter_path()
    with tempfile.TemporaryDirectory() as scratch:
        server = LlamaServer(model_file, Path(scratch) / "server.log", n_ctx=2048)
        try:
            model = server.wait_ready()
            config = ServerConfig(id=SERVER_ID, name="llama.cpp (bench)",
                                  base_url=server.base_url, preset="llama-cpp").validate()
            plain = PlainClient(config, model)
            hearth = HearthPath(config, model)
            plain_s: list[Sample] = []
            hearth_s: list[Sample] = []
            for round_ in range(args.rounds + 1):
                request = make_request(100 + round_, round_, args.tokens, args.seed)
                plain.reset_cache()
                if round_ % 2:
                    h = hearth.sample(request)
                    plain.reset_cache()
                    p = plain.sample(request)
                else:
                    p = plain.sample(request)
                    plain.reset_cache()
                    h = hearth.sample(request)
                if round_ == 0:
                    continue  # warm-up
                plain_s.append(p)
                hearth_s.append(h)
            hearth.close()
            plain.close()
        finally:
            server.stop()

    med = statistics.median
    ratios = [h.tokens_per_second / p.tokens_per_second
              for h, p in zip(hearth_s, plain_s, strict=True)]
    gaps = [h.ttft - p.ttft for h, p in zip(hearth_s, plain_s, strict=True)]
    print(f"Model: {model_file.name} via llama_cpp.server · {args.tokens} tokens · seed "
          f"{args.seed} · {args.rounds} alternating rounds (+1 warm-up)")
    print(f"Machine: {_cpu_name()}, {os.cpu_count()} logical CPUs, {platform.system()}")
    print()
    print("| measure (medians over the rounds) | value |")
    print("|---|---|")
    print(f"| decode, plain httpx-sse client (server's own stream) | "
          f"{med([s.tokens_per_second for s in plain_s]):.1f} tok/s |")
    print(f"| decode, Hearth, as text lands in the chat model (GUI thread) | "
          f"{med([s.tokens_per_second for s in hearth_s]):.1f} tok/s |")
    print(f"| ratio Hearth / plain, median of per-round ratios (target ≥ 0.97) | "
          f"{med(ratios):.3f} (rounds {min(ratios):.3f}–{max(ratios):.3f}) |")
    print(f"| time to first token, plain client (send → first text) | "
          f"{_ms(med([s.ttft for s in plain_s]))} |")
    print(f"| time to first token, Hearth (GUI send → text in the chat model) | "
          f"{_ms(med([s.ttft for s in hearth_s]))} |")
    print(f"| Hearth − plain, median of per-round gaps (target ≤ 30 ms) | {_ms(med(gaps))} "
          f"(rounds {_ms(min(gaps))}–{_ms(max(gaps))}) |")
    print(f"| reply tokens (plain / Hearth) | {med([s.tokens for s in plain_s]):.0f} / "
          f"{med([s.tokens for s in hearth_s]):.0f} |")
    print()
    for name, samples in (("plain", plain_s), ("Hearth", hearth_s)):
        print(f"{name} rounds: " + "; ".join(
            f"{s.tokens_per_second:.1f} tok/s, TTFT {_ms(s.ttft)}" for s in samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
