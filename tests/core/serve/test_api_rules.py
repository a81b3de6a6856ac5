"""The API server's rules, checked with raw HTTP against a scripted engine (no model needed)."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from desktop_app.core.engine.api import EngineCrashed, EngineEvent, TokenChunk
from desktop_app.core.serve.app import EMBEDDING_MODEL
from desktop_app.core.serve.config import ApiServerSettings
from desktop_app.core.serve.security import RequestRecord
from desktop_app.core.serve.server import ApiServer, ServeError
from tests.core.serve.serve_stack import KEY, Stack, serve_stack
from tests.ui.fake_engine import FakeEngine

MODEL_PATH = "/models/fake-model.Q4_K_M.gguf"
MODEL = "fake-model.Q4_K_M"
AUTH = {"Authorization": f"Bearer {KEY}"}
SECRET_WORDS = "zebra-umbrella-7731"


def _chat(**extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": SECRET_WORDS}],
            "max_tokens": 16, **extra}


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine(reply_tokens=[f"w{i} " for i in range(6)], token_interval=0.001)


@pytest.fixture
def stack(engine: FakeEngine) -> Iterator[Stack]:
    settings = ApiServerSettings(port=0, allowed_hosts=("hearth.lan",), max_body_bytes=2048,
                                 max_tokens_limit=64)
    with serve_stack(engine, MODEL_PATH, settings) as stack:
        yield stack


@pytest.fixture
def http(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.base, timeout=10) as client:
        yield client


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) >= {"message", "type", "code"}
    return error


def test_answers_with_the_key(http: httpx.Client, engine: FakeEngine) -> None:
    models = http.get("/v1/models", headers=AUTH).json()
    assert [m["id"] for m in models["data"]] == [MODEL, EMBEDDING_MODEL]
    body = http.post("/v1/chat/completions", headers=AUTH, json=_chat()).json()
    assert body["choices"][0]["message"]["content"] == "w0 w1 w2 w3 w4 w5 "
    assert body["usage"]["completion_tokens"] == 6
    assert engine.requests[-1].params.max_tokens == 16


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": KEY}, {"Authorization": f"Basic {KEY}"}])
def test_a_missing_or_wrong_key_is_refused(http: httpx.Client, engine: FakeEngine,
                                           headers: dict[str, str]) -> None:
    for path in ("/v1/models", "/v1/chat/completions"):
        response = http.request("GET" if path.endswith("models") else "POST", path,
                                headers=headers, json=_chat())
        assert _error(response, 401)["code"] == "invalid_api_key"
    assert engine.requests == []


def test_a_foreign_host_header_is_refused(http: httpx.Client, stack: Stack) -> None:
    port = stack.host.rsplit(":", 1)[1]
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}", ""):
        response = http.get("/v1/models", headers={**AUTH, "Host": host})
        assert _error(response, 421)["code"] == "misdirected_request"
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "hearth.lan", f"HEARTH.lan:{port}"):
        assert http.get("/v1/models", headers={**AUTH, "Host": host}).status_code == 200


def test_a_body_over_the_limit_is_refused_declared_or_chunked(http: httpx.Client,
                                                               engine: FakeEngine) -> None:
    big = json.dumps(_chat(padding="x" * 4000)).encode()
    response = http.post("/v1/chat/completions", headers=AUTH, content=big)
    assert _error(response, 413)["code"] == "request_too_large"

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 500):
            yield big[start:start + 500]

    response = http.post("/v1/chat/completions", headers=AUTH, content=chunks())
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert _error(response, 413)["code"] == "request_too_large"
    assert engine.requests == []


@pytest.mark.parametrize(("body", "needle"), [
    (_chat(temperature=9), "Temperature"),
    (_chat(max_tokens=65), "at most 64"),
    (_chat(n=2), "'n'"),
    (_chat(seed=-1), "Seed"),
    (_chat(stop=["ok", ""]), "'stop'"),
    (_chat(top_p="high"), "'top_p'"),
    ({"model": MODEL, "messages": []}, "'messages'"),
    ({"model": MODEL, "messages": [{"role": "tool", "content": "x"}]}, "role"),
    ({"model": MODEL, "messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
     "text content"),
    ([1, 2], "JSON object"),
])
def test_bad_parameters_get_400(http: httpx.Client, engine: FakeEngine, body: object,
                                needle: str) -> None:
    error = _error(http.post("/v1/chat/completions", headers=AUTH, json=body), 400)
    assert needle in error["message"]
    assert error["type"] == "invalid_request_error"
    assert engine.requests == []


def test_invalid_json_and_bad_completion_prompts_get_400(http: httpx.Client) -> None:
    response = http.post("/v1/chat/completions", headers={**AUTH, "content-type":
                         "application/json"}, content=b"{not json")
    assert "not valid JSON" in _error(response, 400)["message"]
    for prompt in ([1, 2, 3], None, ["a", "b"]):
        response = http.post("/v1/completions", headers=AUTH,
                             json={"model": MODEL, "prompt": prompt})
        assert "'prompt'" in _error(response, 400)["message"]


def test_an_unknown_model_gets_404(http: httpx.Client, engine: FakeEngine) -> None:
    response = http.post("/v1/chat/completions", headers=AUTH, json=_chat(model="gpt-4o"))
    assert _error(response, 404)["code"] == "model_not_found"
    assert engine.requests == []


def test_openai_penalty_and_limits_map_onto_hearths_parameters(http: httpx.Client,
                                                               engine: FakeEngine) -> None:
    http.post("/v1/chat/completions", headers=AUTH,
              json={"messages": [{"role": "system", "content": "Be brief."},
                                 {"role": "user", "content": "hi"}],
                    "frequency_penalty": 0.5, "stop": "END", "seed": 3, "temperature": 0})
    params = engine.requests[-1].params
    assert params.repeat_penalty == 1.25
    assert params.max_tokens == 64  # unset: the server's limit
    assert params.stop == ("END",)
    assert params.seed == 3
    assert params.temperature == 0
    assert engine.requests[-1].system_prompt == "Be brief."
    http.post("/v1/completions", headers=AUTH,
              json={"model": MODEL, "prompt": "Once upon", "repeat_penalty": 1.3,
                    "frequency_penalty": 1.0, "top_k": 5, "min_p": 0.1})
    raw = engine.requests[-1]
    assert raw.prompt == "Once upon"
    assert raw.messages == ()
    assert raw.params.repeat_penalty == 1.3
    assert raw.params.top_k == 5


def test_cors_is_off_by_default(http: httpx.Client) -> None:
    origin = {"Origin": "http://localhost:3000"}
    response = http.get("/v1/models", headers={**AUTH, **origin})
    assert response.status_code == 200
    assert not any(h.startswith("access-control-") for h in response.headers)
    preflight = http.options("/v1/models", headers={
        **origin, "Access-Control-Request-Method": "GET"})
    assert not any(h.startswith("access-control-") for h in preflight.headers)


def test_cors_allows_exactly_the_listed_origins(engine: FakeEngine) -> None:
    settings = ApiServerSettings(port=0, cors_origins=("http://localhost:3000",))
    with serve_stack(engine, MODEL_PATH, settings) as stack, \
            httpx.Client(base_url=stack.base, timeout=10) as http:
        preflight = http.options("/v1/chat/completions", headers={
            "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
        ok = http.get("/v1/models", headers={**AUTH, "Origin": "http://localhost:3000"})
        assert ok.headers["access-control-allow-origin"] == "http://localhost:3000"
        other = http.get("/v1/models", headers={**AUTH, "Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        # CORS does not replace the key.
        assert http.get("/v1/models", headers={"Origin": "http://localhost:3000"}
                        ).status_code == 401


def test_a_client_leaving_mid_stream_cancels_the_engine_request(engine: FakeEngine) -> None:
    engine.reply_tokens = [f"w{i} " for i in range(400)]
    engine.token_interval = 0.02
    with serve_stack(engine, MODEL_PATH) as stack, \
            httpx.Client(base_url=stack.base, timeout=10) as http:
        with http.stream("POST", "/v1/chat/completions", headers=AUTH,
                         json=_chat(stream=True)) as response:
            lines = response.iter_lines()
            assert next(lines).startswith("data: ")
        deadline = time.monotonic() + 5
        while not engine.cancels and time.monotonic() < deadline:
            time.sleep(0.02)
        assert engine.cancels == [engine.requests[0].request_id]
        # The engine is free again for the next request.
        engine.reply_tokens = ["ok"]
        body = http.post("/v1/chat/completions", headers=AUTH, json=_chat()).json()
        assert body["choices"][0]["message"]["content"] == "ok"


def test_a_client_leaving_a_non_streaming_request_cancels_it_too(engine: FakeEngine) -> None:
    engine.reply_tokens = [f"w{i} " for i in range(400)]
    engine.token_interval = 0.02
    with serve_stack(engine, MODEL_PATH) as stack:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{stack.base}/v1/chat/completions", headers=AUTH, json=_chat(),
                       timeout=0.5)
        deadline = time.monotonic() + 5
        while not engine.cancels and time.monotonic() < deadline:
            time.sleep(0.02)
        assert engine.cancels == [engine.requests[0].request_id]


def test_requests_are_logged_and_counted_without_content_or_key(
        stack: Stack, http: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    records: list[RequestRecord] = []
    stack.server.on_request = records.append
    caplog.set_level(logging.DEBUG)
    http.post("/v1/chat/completions", headers=AUTH, json=_chat())
    http.post("/v1/chat/completions", headers={"Authorization": "Bearer nope"}, json=_chat())
    with http.stream("POST", "/v1/chat/completions", headers=AUTH,
                     json=_chat(stream=True)) as response:
        streamed = "".join(response.iter_lines())
    assert "w5" in streamed
    deadline = time.monotonic() + 5
    while len(records) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [r.status for r in records] == [200, 401, 200]
    assert records[0].completion_tokens == 6
    assert records[0].prompt_tokens == 10
    assert records[2].completion_tokens == 6
    assert all(r.method == "POST" and r.path == "/v1/chat/completions" for r in records)
    assert records[0].client.startswith("127.0.0.1:")
    assert stack.server.request_count == 3
    assert stack.server.active_requests == 0
    text = caplog.text
    assert "/v1/chat/completions" in text
    assert SECRET_WORDS not in text
    assert "w5" not in text
    assert KEY not in text
    assert "nope" not in text


def test_port_in_use_and_bad_addresses_are_refused_in_words(engine: FakeEngine) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ApiServer(engine, ApiServerSettings(port=port), KEY)
        with pytest.raises(ServeError, match=f"Port {port} is already in use"):
            server.start()
    assert engine.shut_down  # the server owned its engine (client), started or not
    for host in ("203.0.113.7", "no-such-host.invalid"):
        with pytest.raises(ServeError, match="not an address of this computer"):
            ApiServer(engine, ApiServerSettings(host=host, port=0), KEY).start()


def test_address_shows_the_real_port_and_stop_ends_it(engine: FakeEngine) -> None:
    with serve_stack(engine, MODEL_PATH) as stack:
        server = stack.server
        assert server.running
        port = int(server.address.removesuffix("/v1").rsplit(":", 1)[1])
        assert port > 0
        assert server.address == f"http://127.0.0.1:{port}/v1"
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/v1/models", headers=AUTH, timeout=2)


def test_concurrent_api_requests_all_complete(stack: Stack, engine: FakeEngine) -> None:
    results: list[int] = []

    def call() -> None:
        response = httpx.post(f"{stack.base}/v1/chat/completions", headers=AUTH, json=_chat(),
                              timeout=20)
        results.append(response.status_code)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == [200] * 6
    assert len(engine.requests) == 6


def test_an_engine_crash_ends_the_stream_with_an_error_and_a_request_with_500(
        stack: Stack, http: httpx.Client, engine: FakeEngine) -> None:
    engine.crash_after_tokens = 2
    with http.stream("POST", "/v1/chat/completions", headers=AUTH,
                     json=_chat(stream=True)) as response:
        events = [line.removeprefix("data: ") for line in response.iter_lines() if line]
    assert response.status_code == 200
    assert "w1" in "".join(events)
    assert json.loads(events[-1])["error"]["code"] == "engine_crashed"
    assert "[DONE]" not in events
    engine.crash_after_tokens = 0
    assert _error(http.post("/v1/chat/completions", headers=AUTH, json=_chat()),
                  500)["code"] == "engine_crashed"


def test_a_crash_that_arrives_with_the_first_tokens_still_streams_them_then_the_error(
        stack: Stack, http: httpx.Client, engine: FakeEngine,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's events may come in one batch: text and crash together are a 200."""
    engine.crash_after_tokens = 2
    poll = engine.poll_events
    held: list[EngineEvent] = []

    def poll_until_the_crash(timeout: float) -> list[EngineEvent]:
        events = poll(timeout)
        held.extend(event for event in events if isinstance(event, TokenChunk))
        others = [event for event in events if not isinstance(event, TokenChunk)]
        if any(isinstance(event, EngineCrashed) for event in others):
            others[:0] = held  # the tokens first, then the crash, in one batch
            held.clear()
        return others

    monkeypatch.setattr(engine, "poll_events", poll_until_the_crash)
    with http.stream("POST", "/v1/chat/completions", headers=AUTH,
                     json=_chat(stream=True)) as response:
        events = [line.removeprefix("data: ") for line in response.iter_lines() if line]
    assert response.status_code == 200
    assert "w0 w1" in "".join(json.loads(e)["choices"][0]["delta"].get("content", "")
                              for e in events[:-1])
    assert json.loads(events[-1])["error"]["code"] == "engine_crashed"


def test_without_a_loaded_model_requests_get_503_and_only_embeddings_are_listed(
        engine: FakeEngine) -> None:
    from desktop_app.core.engine.broker import EngineBroker

    broker = EngineBroker(engine)
    server = ApiServer(broker.client("api", can_load=False), ApiServerSettings(port=0), KEY)
    server.start()
    try:
        base = server.address.removesuffix("/v1")
        with httpx.Client(base_url=base, timeout=10) as http:
            listed = http.get("/v1/models", headers=AUTH).json()["data"]
            assert [m["id"] for m in listed] == [EMBEDDING_MODEL]  # it needs no chat model
            response = http.post("/v1/chat/completions", headers=AUTH, json=_chat())
            assert _error(response, 503)["code"] == "model_not_loaded"
    finally:
        server.stop()
        broker.shutdown()


def test_a_stream_sends_the_first_token_alone_then_a_few_tokens_per_event(
        engine: FakeEngine) -> None:
    # 60 tokens 2 ms apart: one event each would be 60; batches of 25 ms make about 5-10.
    engine.reply_tokens = [f"w{i} " for i in range(60)]
    engine.token_interval = 0.002
    with serve_stack(engine, MODEL_PATH) as stack, \
            httpx.Client(base_url=stack.base, timeout=10) as http, \
            http.stream("POST", "/v1/chat/completions", headers=AUTH,
                        json=_chat(stream=True, max_tokens=64)) as response:
        events = [json.loads(line[6:]) for line in response.iter_lines()
                  if line.startswith("data: {")]
    texts = [e["choices"][0]["delta"].get("content") for e in events if e["choices"]]
    texts = [t for t in texts if t]
    assert "".join(texts) == "".join(engine.reply_tokens)
    assert texts[0] == "w0 "  # the first token is not held back
    assert len(texts) <= 20, texts
