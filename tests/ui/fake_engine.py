"""A scripted in-process :class:`Engine` for GUI tests that need exact timing.

It streams a fixed reply token by token at a set pace, honours cancel between
tokens like the real engine, and can be told to "crash". Real-model tests
cover the real engine; this one makes batching and race tests deterministic.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from desktop_app.core.engine.api import (
    ContextTrimmed,
    EngineCrashed,
    EngineEvent,
    GenerateRequest,
    LoadOptions,
    ModelLoaded,
    ReplyFinished,
    ReplyStats,
    StopReason,
    TokenChunk,
)


@dataclass
class _Stream:
    request: GenerateRequest
    tokens: list[tuple[str, bool]]  # (text, is thinking)
    next_at: float
    sent: int = 0


@dataclass
class FakeEngine:
    reply_tokens: list[str] = field(default_factory=lambda: [f"word{i} " for i in range(40)])
    token_interval: float = 0.005
    requests: list[GenerateRequest] = field(default_factory=list)
    cancels: list[int] = field(default_factory=list)
    crash_after_tokens: int | None = None
    thinking_tokens: list[str] = field(default_factory=list)  # streamed first, as reasoning
    trimmed_messages: int = 0  # > 0: report that many old messages left out of the context

    def __post_init__(self) -> None:
        self._wake = threading.Event()
        self._events: list[EngineEvent] = []
        self._stream: _Stream | None = None
        self.shut_down = False

    def load(self, options: LoadOptions) -> None:
        self._events.append(
            ModelLoaded(options.model_path, 2048, "fake", "CPU", "test CPU", 0, 0.01))

    def generate(self, request: GenerateRequest) -> None:
        self.requests.append(request)
        tokens = [(t, True) for t in self.thinking_tokens] + [(t, False) for t in self.reply_tokens]
        self._stream = _Stream(request, tokens, time.monotonic())
        if self.trimmed_messages:
            self._events.append(ContextTrimmed(request.request_id, self.trimmed_messages))

    def cancel(self, request_id: int) -> None:
        self.cancels.append(request_id)
        stream = self._stream
        if stream is not None and stream.request.request_id == request_id:
            self._finish(stream, StopReason.CANCELLED)

    def unload(self) -> None:
        self._stream = None

    def poll_events(self, timeout: float) -> list[EngineEvent]:
        deadline = time.monotonic() + timeout
        while not self._events and self._stream is None and time.monotonic() < deadline:
            if self._wake.wait(max(0.0, deadline - time.monotonic())):
                self._wake.clear()
                break
        stream = self._stream
        if stream is not None:
            now = time.monotonic()
            if now < stream.next_at:
                time.sleep(min(stream.next_at - now, max(0.0, deadline - now)))
            if time.monotonic() >= stream.next_at:
                self._step(stream)
        events, self._events = self._events, []
        return events

    def _step(self, stream: _Stream) -> None:
        if self.crash_after_tokens is not None and stream.sent >= self.crash_after_tokens:
            self._stream = None
            self.crash_after_tokens = None
            self._events.append(EngineCrashed("The engine process crashed (SIGSEGV).",
                                              stream.request.request_id))
            return
        if stream.sent >= len(stream.tokens):
            self._finish(stream, StopReason.END)
            return
        text, thinking = stream.tokens[stream.sent]
        self._events.append(TokenChunk(stream.request.request_id, text, thinking=thinking))
        stream.sent += 1
        stream.next_at += self.token_interval

    def _finish(self, stream: _Stream, reason: StopReason) -> None:
        self._stream = None
        stats = ReplyStats(prompt_tokens=10, prompt_eval_tokens=10, completion_tokens=stream.sent,
                           time_to_first_token=0.01, tokens_per_second=100.0, stop_reason=reason)
        self._events.append(ReplyFinished(stream.request.request_id, stats))

    def wakeup(self) -> None:
        self._wake.set()

    def shutdown(self) -> None:
        self.shut_down = True
