"""RemoteEngine's streamed replies against the fault server."""

from __future__ import annotations

import time

import pytest

from desktop_app.core.engine.api import (
    NO_MODEL_LOADED,
    ChatMessage,
    GenerationFailed,
    LoadFailed,
    LoadOptions,
    ModelLoaded,
    ReplyFinished,
    Role,
    SamplingParams,
    StopReason,
    TokenChunk,
)
from desktop_app.core.remote.engine import RemoteEngine
from tests.core.remote.conftest import FAST, config_for, load, reply, request, wait_for
from tests.core.remote.fault_server import OK_WORDS, FaultServer


def test_load_reports_the_model_and_context(remote: RemoteEngine,
                                            fault_server: FaultServer) -> None:
    loaded = load(remote)
    assert isinstance(loaded, ModelLoaded)
    assert loaded.model_path == "ok"
    assert loaded.n_ctx == 8192
    assert loaded.backend == "Remote"
    assert loaded.device == f"Test server · 127.0.0.1:{fault_server.server_address[1]}"


def test_load_of_a_model_the_server_lacks(remote: RemoteEngine) -> None:
    failed = load(remote, "missing")
    assert isinstance(failed, LoadFailed)
    assert "does not offer the model “missing”" in str(failed.message)
    assert "ok" in str(failed.message)


def test_generate_without_a_model(remote: RemoteEngine) -> None:
    _, _, final = reply(remote, request())
    assert isinstance(final, GenerationFailed)
    assert final.message == NO_MODEL_LOADED


def use_model(engine: RemoteEngine, model: str) -> None:
    """Send replies to ``model`` (the fault server's scripted behaviour) without a load."""
    engine._model = model


def test_streamed_reply_with_usage(remote: RemoteEngine, fault_server: FaultServer) -> None:
    load(remote)
    fault_server.chunk_delay = 0.01
    answer, thinking, final = reply(remote, request(system_prompt="Be brief.", params=(
        SamplingParams(temperature=0.2, top_p=0.9, top_k=30, min_p=0.1, repeat_penalty=1.2,
                       max_tokens=50, seed=7, stop=("END",)))))
    assert answer == "".join(OK_WORDS)
    assert thinking == ""
    assert isinstance(final, ReplyFinished)
    stats = final.stats
    assert stats.stop_reason == StopReason.END
    assert (stats.prompt_tokens, stats.prompt_eval_tokens, stats.completion_tokens) == (11, 7, 5)
    assert stats.seed == 7
    assert 0 < stats.time_to_first_token < 5
    assert stats.tokens_per_second > 0
    body = fault_server.requests[-1]
    assert body["messages"] == [{"role": "system", "content": "Be brief."},
                                {"role": "user", "content": "Hi"}]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["seed"],
            body["stop"]) == (0.2, 0.9, 50, 7, ["END"])
    # A local server kind gets llama.cpp's extra sampling fields.
    assert (body["top_k"], body["min_p"], body["repeat_penalty"]) == (30, 0.1, 1.2)


def test_cloud_presets_get_only_standard_fields(fault_server: FaultServer) -> None:
    engine = RemoteEngine(config_for(fault_server.base_url, preset="deepseek"), "k",
                          timeouts=FAST)
    try:
        use_model(engine, "ok")
        _, _, final = reply(engine, request())
        assert isinstance(final, ReplyFinished)
        body = fault_server.requests[-1]
        assert not {"top_k", "min_p", "repeat_penalty", "repetition_penalty", "seed"} & set(body)
        assert final.stats.seed == 0
    finally:
        engine.shutdown()


def test_vllm_gets_its_field_names_and_continues_the_reply(fault_server: FaultServer) -> None:
    engine = RemoteEngine(config_for(fault_server.base_url, preset="vllm"), None, timeouts=FAST)
    try:
        use_model(engine, "ok")
        messages = (ChatMessage(Role.USER, "Count"), ChatMessage(Role.ASSISTANT, "1, 2,"))
        reply(engine, request(messages=messages, continue_reply=True))
        body = fault_server.requests[-1]
        assert body["repetition_penalty"] == 1.1
        assert "repeat_penalty" not in body
        assert body["messages"][-1] == {"role": "assistant", "content": "1, 2,"}
        assert body["continue_final_message"] is True
        assert body["add_generation_prompt"] is False
        assert isinstance(body["seed"], int)  # a random seed, reported in the stats
    finally:
        engine.shutdown()


def test_length_stop(remote: RemoteEngine) -> None:
    use_model(remote, "length")
    _, _, final = reply(remote, request())
    assert isinstance(final, ReplyFinished)
    assert final.stats.stop_reason == StopReason.LENGTH


def test_stream_without_done_line_still_ends(remote: RemoteEngine) -> None:
    use_model(remote, "nodone")
    answer, _, final = reply(remote, request())
    assert answer == "Hi"
    assert isinstance(final, ReplyFinished)
    assert final.stats.completion_tokens == 1  # counted, as usage was missing


def test_think_tags_inside_content(remote: RemoteEngine) -> None:
    use_model(remote, "think")
    answer, thinking, final = reply(remote, request())
    assert thinking == "Let me think."
    assert answer == "The answer is 4."
    assert isinstance(final, ReplyFinished)


def test_reasoning_content_is_thinking(remote: RemoteEngine) -> None:
    use_model(remote, "reasoning")
    answer, thinking, _ = reply(remote, request())
    assert thinking == "First, add them."
    assert answer == "It is 4."


def test_raw_prompt_uses_completions(remote: RemoteEngine, fault_server: FaultServer) -> None:
    use_model(remote, "ok")
    answer, _, final = reply(remote, request(prompt="Once upon a time"))
    assert answer == "".join(OK_WORDS)
    assert isinstance(final, ReplyFinished)
    body = fault_server.requests[-1]
    assert body["prompt"] == "Once upon a time"
    assert "messages" not in body


@pytest.mark.parametrize(("model", "words"), [
    ("e404", ["does not know the model “e404”", "404"]),
    ("e429", ["rate limiting", "7 seconds"]),
    ("e500", ["internal error (500)", "CUDA out of memory"]),
    ("html500", ["internal error (502)"]),
    ("notsse", ["could not read"]),
])
def test_http_errors_in_words(remote: RemoteEngine, model: str, words: list[str]) -> None:
    use_model(remote, model)
    answer, _, final = reply(remote, request())
    assert answer == ""
    assert isinstance(final, GenerationFailed)
    message = str(final.message)
    for word in words:
        assert word in message
    assert "\x1b" not in message
    assert len(message) < 500


def test_server_error_message_is_plain_and_short(remote: RemoteEngine) -> None:
    use_model(remote, "e500")
    _, _, final = reply(remote, request())
    message = str(final.message)  # type: ignore[attr-defined]
    assert "<b>bold</b>" in message  # shown as plain text, never as markup, by the GUI
    assert "xxxxx…" in message


def test_rate_limit_carries_retry_after(fault_server: FaultServer) -> None:
    from desktop_app.core.remote.client import RemoteClient
    from desktop_app.core.remote.stream import ReplyStream

    events: list[object] = []
    client = RemoteClient(config_for(fault_server.base_url), None, FAST)
    ReplyStream(client, "e429", request(), events.append).run()
    client.close()
    assert isinstance(events[-1], GenerationFailed)
    assert "7 seconds" in str(events[-1].message)


@pytest.mark.parametrize(("model", "kept", "words"), [
    ("drop", "Kept text", ["connection to Test server was lost", "text received so far is kept"]),
    ("badjson", "Partial", ["could not read", "text received so far is kept"]),
    ("streamerror", "Before", ["reported an error: Model overloaded, try later",
                               "text received so far is kept"]),
    ("stall", "Wait", ["stopped answering (no data for 1 seconds)",
                       "text received so far is kept"]),
])
def test_failures_mid_reply_keep_the_text(remote: RemoteEngine, model: str, kept: str,
                                          words: list[str]) -> None:
    use_model(remote, model)
    answer, _, final = reply(remote, request())
    assert answer == kept
    assert isinstance(final, GenerationFailed)
    for word in words:
        assert word in str(final.message)


def test_cancel_closes_the_connection(remote: RemoteEngine, fault_server: FaultServer) -> None:
    use_model(remote, "slow")
    remote.generate(request(5))
    events = wait_for(remote, TokenChunk)
    started = time.monotonic()
    remote.cancel(5)
    events = wait_for(remote, ReplyFinished, request_id=5)
    # The "slow" reply streams for 20 s; only a closed connection ends it this soon.
    assert time.monotonic() - started < 5
    assert events[-1].stats.stop_reason == StopReason.CANCELLED  # type: ignore[attr-defined]
    assert fault_server.disconnected.wait(5), "the server never saw the client leave"
    time.sleep(0.2)
    assert remote.poll_events(0.1) == []  # no more tokens after the cancel
    assert not remote.busy


def test_cancel_while_waiting_for_the_first_byte(remote: RemoteEngine,
                                                 fault_server: FaultServer) -> None:
    """Stop during the prefill: the connection is closed before any reply arrives."""
    fault_server.chunk_delay = 0.0
    use_model(remote, "stall")
    remote.generate(request(6))
    wait_for(remote, TokenChunk)
    remote.cancel(6)
    events = wait_for(remote, ReplyFinished, request_id=6)
    assert events[-1].stats.stop_reason == StopReason.CANCELLED  # type: ignore[attr-defined]
    deadline = time.monotonic() + 5
    while remote.busy and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not remote.busy


def test_concurrent_replies(remote: RemoteEngine, fault_server: FaultServer) -> None:
    fault_server.chunk_delay = 0.02
    use_model(remote, "ok")
    for rid in (1, 2, 3):
        remote.generate(request(rid))
    finished: set[int] = set()
    texts: dict[int, str] = {1: "", 2: "", 3: ""}
    deadline = time.monotonic() + 10
    while len(finished) < 3 and time.monotonic() < deadline:
        for event in remote.poll_events(0.2):
            if isinstance(event, TokenChunk):
                texts[event.request_id] += event.text
            elif isinstance(event, ReplyFinished):
                finished.add(event.request_id)
    assert finished == {1, 2, 3}
    assert set(texts.values()) == {"".join(OK_WORDS)}


def test_notify_is_called_for_each_event(fault_server: FaultServer) -> None:
    calls: list[float] = []
    engine = RemoteEngine(config_for(fault_server.base_url), None, notify=lambda: calls.append(1),
                          timeouts=FAST)
    try:
        use_model(engine, "ok")
        reply(engine, request())
        assert len(calls) >= len(OK_WORDS) + 1
    finally:
        engine.shutdown()


def test_shutdown_ends_running_replies(fault_server: FaultServer) -> None:
    engine = RemoteEngine(config_for(fault_server.base_url), None, timeouts=FAST)
    use_model(engine, "slow")
    engine.generate(request(9))
    wait_for(engine, TokenChunk)
    started = time.monotonic()
    engine.shutdown()
    assert time.monotonic() - started < 5  # the "slow" reply would stream for 20 s
    events = engine.poll_events(0)
    assert isinstance(events[-1], GenerationFailed)
    assert "was closed" in str(events[-1].message)


def test_a_reply_sent_during_the_load_waits_for_it(remote: RemoteEngine) -> None:
    remote.load(LoadOptions(model_path="ok", server_id="srv-test"))
    remote.generate(request(11))  # before ModelLoaded, as the local engine allows
    events = wait_for(remote, (ReplyFinished, GenerationFailed), request_id=11)
    assert isinstance(events[0], ModelLoaded)
    assert "".join(e.text for e in events if isinstance(e, TokenChunk)) == "".join(OK_WORDS)
    assert isinstance(events[-1], ReplyFinished)


def test_a_reply_sent_during_a_failing_load_fails_with_its_message(
        remote: RemoteEngine) -> None:
    remote.load(LoadOptions(model_path="missing", server_id="srv-test"))
    remote.generate(request(12))
    remote.generate(request(13))
    remote.cancel(13)
    events = wait_for(remote, GenerationFailed, request_id=12)
    failed = [e for e in events if isinstance(e, LoadFailed)]
    assert len(failed) == 1
    assert events[-1].message == failed[0].message  # type: ignore[union-attr]
    cancelled = [e for e in events if isinstance(e, ReplyFinished)]
    assert [e.request_id for e in cancelled] == [13]
    assert cancelled[0].stats.stop_reason == StopReason.CANCELLED


def test_requests_go_through_the_proxy(fault_server: FaultServer,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's host is only reachable through the proxy (the fault server plays both)."""
    import socket

    real = socket.getaddrinfo

    def only_loopback(host: str, *args: object, **kwargs: object) -> object:
        if host != "127.0.0.1":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", only_loopback)
    proxy = fault_server.base_url.removesuffix("/v1")
    engine = RemoteEngine(config_for("http://models.example.invalid/v1", proxy=proxy), None,
                          timeouts=FAST)
    try:
        assert isinstance(load(engine), ModelLoaded)
        answer, _, final = reply(engine, request())
        assert answer == "".join(OK_WORDS)
        assert isinstance(final, ReplyFinished)
    finally:
        engine.shutdown()
    assert fault_server.proxied == ["http://models.example.invalid/v1/models",
                                    "http://models.example.invalid/v1/chat/completions"]


def test_the_key_never_reaches_the_log(fault_server: FaultServer,
                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    fault_server.api_key = "sk-very-SECRET-key"
    engine = RemoteEngine(config_for(fault_server.base_url), "sk-very-SECRET-key",
                          timeouts=FAST)
    try:
        assert isinstance(load(engine), ModelLoaded)
        _, _, final = reply(engine, request())
        assert isinstance(final, ReplyFinished)
        use_model(engine, "drop")
        _, _, failed = reply(engine, request(2))
        assert isinstance(failed, GenerationFailed)
    finally:
        engine.shutdown()
    assert caplog.records  # httpx and httpcore did log, at DEBUG
    assert "SECRET" not in caplog.text
    assert "SECRET" not in str(failed.message)
