"""The remote backend against a real server: llama-cpp-python's own, on the starter model."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.engine.api import (
    ChatMessage,
    LoadOptions,
    ModelLoaded,
    ReplyFinished,
    Role,
    SamplingParams,
    StopReason,
    TokenChunk,
)
from desktop_app.core.engine.routing import RoutingEngine
from desktop_app.core.models.starter_model import starter_path
from desktop_app.core.remote.client import RemoteClient
from desktop_app.core.remote.servers import ServerConfig
from tests.core.remote.conftest import reply, request, wait_for
from tests.core.remote.llama_server import LlamaServer
from tests.ui.fake_engine import FakeEngine

pytestmark = pytest.mark.slow

GREEDY = SamplingParams(temperature=0.0, seed=42, max_tokens=24)


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LlamaServer, str]]:
    model = starter_path()
    assert model.is_file(), f"the starter model is missing: {model} (run scripts/setup.sh)"
    server = LlamaServer(model, tmp_path_factory.mktemp("llama-server") / "server.log")
    try:
        model_id = server.wait_ready()
        yield server, model_id
    finally:
        server.stop()


@pytest.fixture
def router(llama_server: tuple[LlamaServer, str]) -> Iterator[RoutingEngine]:
    server, _ = llama_server
    config = ServerConfig(id="srv-llama", name="llama.cpp here", base_url=server.base_url,
                          preset="llama-cpp").validate()
    engine = RoutingEngine(FakeEngine(), lambda server_id: (config, None))
    yield engine
    engine.shutdown()


def load(router: RoutingEngine, model_id: str) -> ModelLoaded:
    router.load(LoadOptions(model_path=model_id, server_id="srv-llama"))
    loaded = wait_for(router, ModelLoaded, 30)[-1]
    assert isinstance(loaded, ModelLoaded)
    return loaded


def test_discovery(llama_server: tuple[LlamaServer, str]) -> None:
    server, model_id = llama_server
    client = RemoteClient(ServerConfig(id="s", name="here", base_url=server.base_url), None)
    probe = client.probe()
    client.close()
    assert [m.id for m in probe.models] == [model_id]
    assert Path(model_id).name == starter_path().name
    assert probe.latency_seconds > 0


def test_streamed_reply_is_reproducible_with_stats(router: RoutingEngine,
                                                   llama_server: tuple[LlamaServer, str]) -> None:
    loaded = load(router, llama_server[1])
    assert loaded.backend == "Remote"
    assert loaded.device.startswith("llama.cpp here · 127.0.0.1:")
    question = "What is the capital of France?"
    first, _, final = reply(router, request(1, question, params=GREEDY), 60)
    again, _, _ = reply(router, request(2, question, params=GREEDY), 60)
    assert first
    assert first == again
    assert isinstance(final, ReplyFinished)
    stats = final.stats
    assert stats.stop_reason == StopReason.LENGTH  # 24 tokens is shorter than the answer
    assert stats.completion_tokens == 24  # no usage in this server's stream: counted chunks
    assert stats.seed == 42
    assert stats.time_to_first_token > 0
    assert stats.tokens_per_second > 1


def test_system_prompt_is_honoured(router: RoutingEngine,
                                   llama_server: tuple[LlamaServer, str]) -> None:
    load(router, llama_server[1])
    question = "What is your name?"
    params = replace_tokens(GREEDY, 40)
    plain, _, _ = reply(router, request(3, question, params=params), 60)
    pirate, _, _ = reply(router, request(
        4, question, params=params,
        system_prompt="You are a pirate named Captain Hook. Always talk like a pirate."), 60)
    markers = ("aye", "arr", "captain", "hook", "matey", "ahoy", "sail", "pirate")
    assert any(m in pirate.lower() for m in markers), pirate
    assert not any(m in plain.lower() for m in markers), plain


def replace_tokens(params: SamplingParams, max_tokens: int) -> SamplingParams:
    from dataclasses import replace

    return replace(params, max_tokens=max_tokens)


def test_raw_prompt_through_completions(router: RoutingEngine,
                                        llama_server: tuple[LlamaServer, str]) -> None:
    load(router, llama_server[1])
    text, _, final = reply(router, request(5, prompt="The capital of France is",
                                           params=replace_tokens(GREEDY, 8)), 60)
    assert "Paris" in text
    assert isinstance(final, ReplyFinished)


def test_cancel_mid_reply(router: RoutingEngine, llama_server: tuple[LlamaServer, str]) -> None:
    server, model_id = llama_server
    load(router, model_id)
    story = (ChatMessage(Role.USER, "Write a very long story about a lighthouse keeper."),)
    router.generate(request(6, messages=story, params=replace_tokens(GREEDY, 1500)))
    events = wait_for(router, TokenChunk, 60)
    router.cancel(6)
    events = wait_for(router, ReplyFinished, 30, request_id=6)
    final = events[-1]
    assert isinstance(final, ReplyFinished)
    assert final.stats.stop_reason == StopReason.CANCELLED
    assert final.stats.completion_tokens < 1500
    time.sleep(0.5)
    assert not [e for e in router.poll_events(0.1) if isinstance(e, TokenChunk)]
    # The server saw the client leave and stopped, so the next reply starts at once.
    deadline = time.monotonic() + 10
    while "disconnected" not in server.log_text().lower() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "disconnected" in server.log_text().lower()
    text, _, after = reply(router, request(7, "Say hi.", params=replace_tokens(GREEDY, 8)), 30)
    assert text
    assert isinstance(after, ReplyFinished)
