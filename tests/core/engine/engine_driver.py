"""Drive an :class:`Engine` synchronously in tests: send, then collect events until a condition."""

from __future__ import annotations

import time
from collections.abc import Callable

from desktop_app.core.engine.api import (
    ChatMessage,
    Engine,
    EngineEvent,
    GenerateRequest,
    ReplyFinished,
    Role,
    SamplingParams,
    TokenChunk,
)


def collect(engine: Engine, done: Callable[[EngineEvent], bool],
            timeout: float = 120.0) -> list[EngineEvent]:
    """Events until one satisfies ``done`` (included); fails the test on timeout."""
    deadline = time.monotonic() + timeout
    events: list[EngineEvent] = []
    while time.monotonic() < deadline:
        for event in engine.poll_events(0.2):
            events.append(event)
            if done(event):
                return events
    raise AssertionError(f"timed out after {timeout} s; events so far: {events!r}")


def text_of(events: list[EngineEvent], request_id: int) -> str:
    return "".join(e.text for e in events
                   if isinstance(e, TokenChunk) and e.request_id == request_id and not e.thinking)


def finished(request_id: int) -> Callable[[EngineEvent], bool]:
    return lambda e: isinstance(e, ReplyFinished) and e.request_id == request_id


def request(request_id: int, *turns: str, conversation_id: int = 1, max_tokens: int = 24,
            seed: int | None = 1234, system: str = "", **params: object) -> GenerateRequest:
    messages = tuple(ChatMessage(Role.USER if i % 2 == 0 else Role.ASSISTANT, t)
                     for i, t in enumerate(turns))
    return GenerateRequest(request_id=request_id, conversation_id=conversation_id,
                           messages=messages,
                           params=SamplingParams(max_tokens=max_tokens, seed=seed,
                                                 **params),  # type: ignore[arg-type]
                           system_prompt=system)
