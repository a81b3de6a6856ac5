"""RemoteClient against the fault server: discovery, hostile model lists, errors in words."""

from __future__ import annotations

import json
import logging
import socket

import pytest

from desktop_app.core.remote.client import (
    MAX_MODELS,
    RemoteClient,
    RemoteError,
    Timeouts,
    clean_text,
    parse_models,
    retry_after_seconds,
)
from tests.core.remote.conftest import FAST, config_for
from tests.core.remote.fault_server import FaultServer


def test_models_with_vllm_context_length(fault_server: FaultServer) -> None:
    fault_server.models = {"object": "list", "data": [
        {"id": "Qwen/Qwen3-8B", "max_model_len": 32768},
        {"id": "llama", "meta": {"n_ctx_train": 4096}},
        {"id": "other", "context_length": 8000},
        {"id": "plain"}]}
    client = RemoteClient(config_for(fault_server.base_url), None, FAST)
    probe = client.probe()
    client.close()
    assert [(m.id, m.context_length) for m in probe.models] == [
        ("Qwen/Qwen3-8B", 32768), ("llama", 4096), ("other", 8000), ("plain", None)]
    assert probe.latency_seconds > 0


def test_hostile_model_ids_are_bounded_and_cleaned(fault_server: FaultServer) -> None:
    fault_server.models = {"data": [
        {"id": "x" * 100_000},                        # huge: not a model name
        {"id": "evil\x00name"}, {"id": "bell\x07"},   # control characters
        {"id": "rtl\u202egnp.exe"},                   # a bidi override
        {"id": "<img src=x onerror=alert(1)>"},       # HTML is kept as plain text
        {"id": 42}, {"id": None}, "not an object", {"id": ""},
        {"id": "good", "max_model_len": -5},          # a nonsense context length
        {"id": "big", "max_model_len": 10**12},
        {"id": "good"},                               # a duplicate
        {"id": "ok", "max_model_len": True}]}
    client = RemoteClient(config_for(fault_server.base_url), None, FAST)
    models = client.list_models()
    client.close()
    assert [(m.id, m.context_length) for m in models] == [
        ("<img src=x onerror=alert(1)>", None), ("good", None), ("big", None), ("ok", None)]


def test_model_count_is_capped() -> None:
    data = {"data": [{"id": f"m{i}"} for i in range(MAX_MODELS * 3)]}
    assert len(parse_models(data)) == MAX_MODELS


def test_huge_models_reply_is_cut_and_reported(fault_server: FaultServer) -> None:
    fault_server.models = b'{"data": [' + b'{"id": "m"},' * 2_000_000 + b'{"id": "n"}]}'
    client = RemoteClient(config_for(fault_server.base_url), None, FAST)
    with pytest.raises(RemoteError, match="could not read"):
        client.list_models()
    client.close()


@pytest.mark.parametrize("payload", [b"<html>hi</html>", b'{"data": 5}', b"[1, 2]"])
def test_malformed_models_reply(fault_server: FaultServer, payload: bytes) -> None:
    fault_server.models = payload
    client = RemoteClient(config_for(fault_server.base_url), None, FAST)
    with pytest.raises(RemoteError) as info:
        client.list_models()
    client.close()
    assert "could not read" in str(info.value)
    assert "OpenAI-compatible" in str(info.value)


def test_wrong_or_missing_key(fault_server: FaultServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fault_server.api_key = "right-key"
    secret = "sk-wrong-SECRET-123"
    for key in (secret, None):
        client = RemoteClient(config_for(fault_server.base_url), key, FAST)
        with pytest.raises(RemoteError) as info:
            client.list_models()
        client.close()
        assert info.value.status == 401
        assert "API key is wrong or missing" in str(info.value)
        assert secret not in str(info.value)
        assert secret not in repr(info.value.text)
    assert secret not in caplog.text
    assert secret not in repr(client)
    assert fault_server.headers_seen[0]["Authorization"] == f"Bearer {secret}"
    assert "Authorization" not in fault_server.headers_seen[1]
    client = RemoteClient(config_for(fault_server.base_url), "right-key", FAST)
    assert [m.id for m in client.list_models()] == ["ok"]
    client.close()


def test_wrong_url_is_404_in_words(fault_server: FaultServer) -> None:
    client = RemoteClient(config_for(fault_server.base_url + "/wrong"), None, FAST)
    with pytest.raises(RemoteError) as info:
        client.list_models()
    client.close()
    assert info.value.status == 404
    assert "404" in str(info.value)
    assert "/v1" in str(info.value)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused() -> None:
    client = RemoteClient(config_for(f"http://127.0.0.1:{free_port()}/v1"), None, FAST)
    with pytest.raises(RemoteError) as info:
        client.list_models()
    client.close()
    assert "connection was refused" in str(info.value)
    assert "127.0.0.1" in str(info.value)


def test_unknown_host(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_host(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)  # no DNS query leaves the machine
    client = RemoteClient(config_for("http://no-such-host.invalid/v1"), None, FAST)
    with pytest.raises(RemoteError) as info:
        client.list_models()
    client.close()
    assert "could not be found" in str(info.value)


def test_read_timeout_on_models() -> None:
    """A server that accepts the connection and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = RemoteClient(config_for(f"http://127.0.0.1:{port}/v1"), None,
                              Timeouts(connect=2, read=0.3, write=2))
        with pytest.raises(RemoteError) as info:
            client.list_models()
        client.close()
    assert "stopped answering" in str(info.value)


def test_clean_text() -> None:
    assert clean_text("a\x00b\x1b[31mc\nd\u202e") == "ab[31mc d"
    assert len(clean_text("x" * 10_000)) == 300
    assert clean_text({"nested": 1}) == json.dumps({"nested": 1})


def test_retry_after() -> None:
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert retry_after_seconds("1e9") == 86_400
