"""Fixtures for the remote-backend tests: the fault-injecting server and event helpers."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from desktop_app.core.engine.api import (
    ChatMessage,
    Engine,
    EngineEvent,
    GenerateRequest,
    GenerationFailed,
    LoadFailed,
    LoadOptions,
    ModelLoaded,
    ReplyFinished,
    Role,
    SamplingParams,
    TokenChunk,
)
from desktop_app.core.remote.client import Timeouts
from desktop_app.core.remote.engine import RemoteEngine
from desktop_app.core.remote.servers import ServerConfig
from tests.core.remote.fault_server import FaultServer

FAST = Timeouts(connect=2.0, read=0.5, write=2.0)


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


def config_for(url: str, preset: str = "llama-cpp", **extra: str) -> ServerConfig:
    return ServerConfig(id="srv-test", name="Test server", base_url=url, preset=preset,
                        **extra).validate()


@pytest.fixture
def remote(fault_server: FaultServer) -> Iterator[RemoteEngine]:
    engine = RemoteEngine(config_for(fault_server.base_url), None, timeouts=FAST)
    yield engine
    engine.shutdown()


def request(request_id: int = 1, text: str = "Hi", *, prompt: str | None = None,
            system_prompt: str = "", params: SamplingParams | None = None,
            messages: tuple[ChatMessage, ...] | None = None,
            continue_reply: bool = False) -> GenerateRequest:
    if messages is None:
        messages = () if prompt is not None else (ChatMessage(Role.USER, text),)
    return GenerateRequest(request_id=request_id, conversation_id=1, messages=messages,
                           params=params or SamplingParams(), system_prompt=system_prompt,
                           continue_reply=continue_reply, prompt=prompt)


def wait_for(engine: Engine, done: type | tuple[type, ...], timeout: float = 10.0,
             request_id: int | None = None) -> list[EngineEvent]:
    """Events until one of type ``done`` (for ``request_id`` when given) has arrived."""
    events: list[EngineEvent] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = engine.poll_events(0.2)
        events += batch
        for event in batch:
            if isinstance(event, done) and (
                    request_id is None or getattr(event, "request_id", None) == request_id):
                return events
    raise AssertionError(f"no {done} within {timeout} s; got {events}")


def load(engine: Engine, model: str = "ok", server_id: str = "srv-test") -> EngineEvent:
    engine.load(LoadOptions(model_path=model, server_id=server_id))
    events = wait_for(engine, (ModelLoaded, LoadFailed))
    return events[-1]


def reply(engine: Engine, req: GenerateRequest,
          timeout: float = 10.0) -> tuple[str, str, EngineEvent]:
    """(answer, thinking, final event) of one reply."""
    engine.generate(req)
    events = wait_for(engine, (ReplyFinished, GenerationFailed), timeout, req.request_id)
    chunks = [e for e in events if isinstance(e, TokenChunk) and e.request_id == req.request_id]
    answer = "".join(c.text for c in chunks if not c.thinking)
    thinking = "".join(c.text for c in chunks if c.thinking)
    return answer, thinking, events[-1]
