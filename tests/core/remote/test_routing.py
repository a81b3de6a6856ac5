"""RoutingEngine: local and remote engines behind one Engine, with a fake local engine."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from desktop_app.core.engine.api import (
    EngineEvent,
    GenerationFailed,
    LoadFailed,
    LoadOptions,
    ModelLoaded,
    ReplyFinished,
    StopReason,
    TokenChunk,
)
from desktop_app.core.engine.routing import RoutingEngine
from desktop_app.core.remote.engine import RemoteEngine
from desktop_app.core.remote.servers import ServerConfig, ServerConfigError
from desktop_app.core.user_text import user_text
from tests.core.remote.conftest import FAST, config_for, request
from tests.core.remote.fault_server import OK_WORDS, FaultServer
from tests.ui.fake_engine import FakeEngine


class CountingFake(FakeEngine):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.unloads = 0
        self.loads: list[LoadOptions] = []

    def load(self, options: LoadOptions) -> None:
        self.loads.append(options)
        super().load(options)

    def unload(self) -> None:
        self.unloads += 1
        super().unload()


class Servers:
    """What the app's resolver does: settings and keys, and errors for unusable servers."""

    def __init__(self) -> None:
        self.configs: dict[str, ServerConfig] = {}
        self.keys: dict[str, str | None] = {}

    def resolve(self, server_id: str) -> tuple[ServerConfig, str | None]:
        if server_id not in self.configs:
            raise ServerConfigError(user_text("server.removed", "The server was removed."))
        return self.configs[server_id], self.keys.get(server_id)


@pytest.fixture
def servers(fault_server: FaultServer) -> Servers:
    servers = Servers()
    servers.configs["srv-test"] = config_for(fault_server.base_url)
    return servers


@pytest.fixture
def local() -> CountingFake:
    return CountingFake(token_interval=0.01, reply_tokens=[f"local{i} " for i in range(20)])


@pytest.fixture
def router(local: CountingFake, servers: Servers) -> Iterator[RoutingEngine]:
    engine = RoutingEngine(local, servers.resolve, timeouts=FAST)
    yield engine
    engine.shutdown()


def collect(engine: RoutingEngine, until: object, timeout: float = 10.0) -> list[EngineEvent]:
    events: list[EngineEvent] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events += engine.poll_events(0.2)
        if until(events):  # type: ignore[operator]
            return events
    raise AssertionError(f"timed out; got {events}")


def finished(*ids: int) -> object:
    return lambda events: {e.request_id for e in events
                           if isinstance(e, ReplyFinished | GenerationFailed)} >= set(ids)


def test_local_stays_loaded_and_events_from_both_arrive(
        router: RoutingEngine, local: CountingFake, fault_server: FaultServer) -> None:
    fault_server.chunk_delay = 0.02
    router.load(LoadOptions(model_path="/models/local.gguf"))
    router.generate(request(1))                    # a local reply, streaming...
    router.load(LoadOptions(model_path="ok", server_id="srv-test"))
    events = collect(router, lambda ev: any(isinstance(e, ModelLoaded) and e.model_path == "ok"
                                            for e in ev))
    router.generate(request(2))                    # ...while a remote one streams too
    events += collect(router, finished(1, 2))
    assert local.unloads == 0
    assert [o.model_path for o in local.loads] == ["/models/local.gguf"]
    texts = {1: "", 2: ""}
    for event in events:
        if isinstance(event, TokenChunk):
            texts[event.request_id] += event.text
    assert texts[1] == "".join(f"local{i} " for i in range(20))
    assert texts[2] == "".join(OK_WORDS)
    assert [r.request_id for r in local.requests] == [1]
    assert router.active is router.remote("srv-test")
    # Back to the local model: no reload needed, the next reply goes there.
    router.load(LoadOptions(model_path="/models/local.gguf"))
    router.generate(request(3))
    collect(router, finished(3))
    assert [r.request_id for r in local.requests] == [1, 3]


def test_remote_events_wake_a_blocking_poll(router: RoutingEngine,
                                            fault_server: FaultServer) -> None:
    router.load(LoadOptions(model_path="ok", server_id="srv-test"))
    collect(router, lambda ev: any(isinstance(e, ModelLoaded) for e in ev))
    fault_server.chunk_delay = 0.05
    router.generate(request(4))
    waits = []
    done = False
    while not done:
        started = time.monotonic()
        events = router.poll_events(5.0)  # would block 5 s without the wakeup
        waits.append(time.monotonic() - started)
        done = any(isinstance(e, ReplyFinished) for e in events)
    assert max(waits) < 1.0


def test_removed_server_gives_load_failed(router: RoutingEngine, servers: Servers) -> None:
    del servers.configs["srv-test"]
    router.load(LoadOptions(model_path="ok", server_id="srv-test"))
    events = router.poll_events(0.1)
    assert len(events) == 1
    assert isinstance(events[0], LoadFailed)
    assert events[0].model_path == "ok"
    assert "removed" in str(events[0].message)


def test_changed_settings_or_key_get_a_fresh_engine(router: RoutingEngine, servers: Servers,
                                                    fault_server: FaultServer) -> None:
    options = LoadOptions(model_path="ok", server_id="srv-test")
    router.load(options)
    first = router.remote("srv-test")
    router.load(options)
    assert router.remote("srv-test") is first
    servers.keys["srv-test"] = "new-key"
    router.load(options)
    second = router.remote("srv-test")
    assert second is not first
    assert isinstance(second, RemoteEngine)
    servers.configs["srv-test"] = replace(servers.configs["srv-test"], name="Renamed")
    router.load(options)
    third = router.remote("srv-test")
    assert third is not second
    events = collect(router, lambda ev: sum(isinstance(e, ModelLoaded) for e in ev) >= 1)
    loaded = [e for e in events if isinstance(e, ModelLoaded)]
    assert loaded[-1].device.startswith("Renamed · ")
    assert fault_server.headers_seen[-1]["Authorization"] == "Bearer new-key"


def test_cancel_reaches_the_engine_that_owns_the_reply(
        router: RoutingEngine, local: CountingFake, fault_server: FaultServer) -> None:
    router.load(LoadOptions(model_path="ok", server_id="srv-test"))
    collect(router, lambda ev: any(isinstance(e, ModelLoaded) for e in ev))
    router.remote("srv-test")._model = "slow"  # type: ignore[union-attr]
    router.generate(request(7))
    collect(router, lambda ev: any(isinstance(e, TokenChunk) for e in ev))
    router.load(LoadOptions(model_path="/models/local.gguf"))  # the user switches meanwhile
    router.cancel(7)
    events = collect(router, finished(7))
    final = [e for e in events if isinstance(e, ReplyFinished)][-1]
    assert final.stats.stop_reason == StopReason.CANCELLED
    assert local.cancels == []
    assert fault_server.disconnected.wait(5)


def test_unload_and_shutdown(local: CountingFake, servers: Servers) -> None:
    router = RoutingEngine(local, servers.resolve, timeouts=FAST)
    router.load(LoadOptions(model_path="ok", server_id="srv-test"))
    remote = router.remote("srv-test")
    assert remote is not None
    router.unload()  # the remote model is the active one: the local one is not touched
    assert local.unloads == 0
    assert remote.model is None
    router.load(LoadOptions(model_path="/models/local.gguf"))
    router.unload()
    assert local.unloads == 1
    router.shutdown()
    assert local.shut_down
    assert remote.client._closed


def test_offline_mode_gives_load_failed(local: CountingFake, fault_server: FaultServer) -> None:
    from desktop_app.core.keychain import MemoryKeyStore
    from desktop_app.core.remote.resolver import settings_resolver
    from desktop_app.core.settings import Settings

    settings = Settings(servers=[config_for(fault_server.base_url)], offline=True)
    router = RoutingEngine(local, settings_resolver(lambda: settings, MemoryKeyStore()))
    try:
        router.load(LoadOptions(model_path="ok", server_id="srv-test"))
        events = router.poll_events(0.1)
        assert isinstance(events[-1], LoadFailed)
        assert "offline mode" in str(events[-1].message)
        assert fault_server.requests == []
        assert fault_server.headers_seen == []  # not even the model list was asked for
        settings.offline = False
        router.load(LoadOptions(model_path="ok", server_id="srv-test"))
        events = collect(router, lambda ev: any(isinstance(e, ModelLoaded) for e in ev))
    finally:
        router.shutdown()
