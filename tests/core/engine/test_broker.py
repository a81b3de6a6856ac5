"""EngineBroker: one scripted engine shared by clients in their own threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from desktop_app.core.engine.api import (
    ChatMessage,
    EngineCrashed,
    EngineEvent,
    GenerateRequest,
    LoadFailed,
    LoadOptions,
    ModelLoaded,
    ReplyFinished,
    Role,
    StopReason,
    TokenChunk,
)
from desktop_app.core.engine.broker import EngineBroker
from tests.ui.fake_engine import FakeEngine


class ScriptedEngine(FakeEngine):
    """FakeEngine that also delivers events a test injects from its own thread."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._lock = threading.Lock()
        self._injected: list[EngineEvent] = []

    def inject(self, event: EngineEvent) -> None:
        with self._lock:
            self._injected.append(event)
        self.wakeup()

    def poll_events(self, timeout: float) -> list[EngineEvent]:
        with self._lock:
            if self._injected:
                events, self._injected = self._injected, []
                return events
        return super().poll_events(timeout)


def _request(rid: int, conversation: int = 1) -> GenerateRequest:
    return GenerateRequest(request_id=rid, conversation_id=conversation,
                           messages=(ChatMessage(Role.USER, "hi"),))


def _collect(client: object, done: Callable[[list[EngineEvent]], bool],
             timeout: float = 10.0) -> list[EngineEvent]:
    events: list[EngineEvent] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events += client.poll_events(0.2)  # type: ignore[attr-defined]
        if done(events):
            return events
    raise AssertionError(f"timed out; got {events!r}")


def _finished(*rids: int) -> Callable[[list[EngineEvent]], bool]:
    return lambda events: {e.request_id for e in events
                           if isinstance(e, ReplyFinished)} >= set(rids)


@pytest.fixture
def engine() -> ScriptedEngine:
    return ScriptedEngine(reply_tokens=[f"t{i} " for i in range(5)], token_interval=0.002)


@pytest.fixture
def broker(engine: ScriptedEngine) -> Iterator[EngineBroker]:
    broker = EngineBroker(engine)
    yield broker
    broker.shutdown()
    assert engine.shut_down


def test_clients_with_the_same_request_ids_each_get_their_own_events(
        broker: EngineBroker, engine: ScriptedEngine) -> None:
    gui, api = broker.client("gui"), broker.client("api")
    gui.generate(_request(1))
    api.generate(_request(1))
    for client in (gui, api):
        events = _collect(client, _finished(1))
        assert all(getattr(e, "request_id", 1) == 1 for e in events)
        text = "".join(e.text for e in events if isinstance(e, TokenChunk))
        assert text == "t0 t1 t2 t3 t4 "
    # The engine saw distinct ids, and the two conversations kept apart.
    assert len({r.request_id for r in engine.requests}) == 2
    assert len({r.conversation_id for r in engine.requests}) == 2


def test_replies_go_round_robin_so_a_flood_cannot_starve_another_client(
        broker: EngineBroker, engine: ScriptedEngine) -> None:
    api, gui = broker.client("api"), broker.client("gui")
    for rid in (1, 2, 3, 4):
        api.generate(_request(rid))
    gui.generate(_request(1))
    _collect(api, _finished(1, 2, 3, 4))
    _collect(gui, _finished(1))
    order = [("api", r) if r.conversation_id == engine.requests[0].conversation_id
             else ("gui", r) for r in engine.requests]
    owners = [who for who, _r in order]
    # The GUI's reply went second, or at worst third (if the API's second was
    # already queued at the engine when the GUI's arrived); never behind the whole flood.
    assert owners.index("gui") <= 2, owners
    assert owners.count("api") == 4


def test_cancelling_a_queued_reply_drops_it_before_the_engine_sees_it(
        broker: EngineBroker, engine: ScriptedEngine) -> None:
    engine.token_interval = 0.05  # the first reply runs a while
    api = broker.client("api")
    api.generate(_request(1))
    api.generate(_request(2))
    api.cancel(2)
    events = _collect(api, _finished(1, 2))
    ends = {e.request_id: e.stats.stop_reason for e in events if isinstance(e, ReplyFinished)}
    assert ends == {1: StopReason.END, 2: StopReason.CANCELLED}
    assert len(engine.requests) == 1
    assert not any(isinstance(e, TokenChunk) and e.request_id == 2 for e in events)


def test_cancelling_a_running_reply_reaches_the_engine(broker: EngineBroker,
                                                       engine: ScriptedEngine) -> None:
    engine.token_interval = 0.05
    gui = broker.client("gui")
    gui.generate(_request(7))
    _collect(gui, lambda events: any(isinstance(e, TokenChunk) for e in events))
    gui.cancel(7)
    events = _collect(gui, _finished(7))
    assert events[-1].stats.stop_reason == StopReason.CANCELLED  # type: ignore[union-attr]
    assert engine.cancels == [engine.requests[0].request_id]


def test_a_crash_without_a_request_reaches_every_client_and_one_with_only_its_owner(
        broker: EngineBroker, engine: ScriptedEngine) -> None:
    gui, api = broker.client("gui"), broker.client("api")
    engine.crash_after_tokens = 2
    api.generate(_request(5))
    events = _collect(api, lambda evs: any(isinstance(e, EngineCrashed) for e in evs))
    crash = next(e for e in events if isinstance(e, EngineCrashed))
    assert crash.request_id == 5
    assert gui.poll_events(0.05) == []
    engine.inject(EngineCrashed("engine died"))
    for client in (gui, api):
        got = _collect(client, lambda evs: any(isinstance(e, EngineCrashed) for e in evs))
        assert [e.request_id for e in got if isinstance(e, EngineCrashed)] == [None]
    # The engine is usable again for the next reply.
    gui.generate(_request(1))
    _collect(gui, _finished(1))


def test_a_client_that_may_not_load_is_refused_and_learns_of_the_owners_loads(
        broker: EngineBroker) -> None:
    gui, api = broker.client("gui"), broker.client("api", can_load=False)
    api.load(LoadOptions(model_path="/models/other.gguf"))
    refused = _collect(api, lambda evs: bool(evs))
    assert isinstance(refused[0], LoadFailed)
    assert refused[0].model_path == "/models/other.gguf"
    assert gui.poll_events(0.05) == []  # the refusal is the asker's alone
    gui.load(LoadOptions(model_path="/models/chosen.gguf"))
    for client in (gui, api):
        loaded = _collect(client, lambda evs: any(isinstance(e, ModelLoaded) for e in evs))
        assert [e.model_path for e in loaded if isinstance(e, ModelLoaded)] == [
            "/models/chosen.gguf"]
    late = broker.client("late", can_load=False)
    replay = _collect(late, lambda evs: bool(evs))
    assert isinstance(replay[0], ModelLoaded)
    assert replay[0].model_path == "/models/chosen.gguf"


def test_wakeup_wakes_only_that_client(broker: EngineBroker) -> None:
    gui, api = broker.client("gui"), broker.client("api")
    threading.Timer(0.05, gui.wakeup).start()
    started = time.monotonic()
    assert gui.poll_events(5.0) == []
    assert time.monotonic() - started < 2.0
    started = time.monotonic()
    assert api.poll_events(0.2) == []
    assert time.monotonic() - started >= 0.19


def test_a_client_leaving_stops_its_reply_and_the_others_go_on(
        broker: EngineBroker, engine: ScriptedEngine) -> None:
    engine.token_interval = 0.05
    gui, api = broker.client("gui"), broker.client("api")
    api.generate(_request(1))
    _collect(api, lambda events: any(isinstance(e, TokenChunk) for e in events))
    gui.generate(_request(1))
    api.shutdown()
    api.shutdown()  # harmless twice
    _collect(gui, _finished(1), timeout=10)
    assert engine.cancels == [engine.requests[0].request_id]


def test_tokens_pass_through_without_added_delay(engine: ScriptedEngine) -> None:
    """Each token reaches the client as soon as the engine emits it (no polling sleeps)."""
    engine.reply_tokens = [f"t{i} " for i in range(50)]
    engine.token_interval = 0.004
    started = time.monotonic()
    engine.generate(_request(1))
    _collect(engine, _finished(1))
    direct = time.monotonic() - started
    broker = EngineBroker(engine)
    try:
        client = broker.client("gui")
        started = time.monotonic()
        client.generate(_request(1))
        _collect(client, _finished(1))
        brokered = time.monotonic() - started
    finally:
        broker.shutdown()
    assert brokered < direct * 1.3 + 0.05, (direct, brokered)
