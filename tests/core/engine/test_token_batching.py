"""The engine child sends a reply's text in small batches: the first text at once, the
rest at most once per batch interval, and nothing held back past the reply's end.

:class:`_Outbox` is driven with a fake clock; the runner with a fake session (no
model), through a real pipe, so what the parent would read is what is checked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from typing import Any

import pytest

from desktop_app.core.engine import runner as runner_module
from desktop_app.core.engine.api import (
    ChatMessage,
    EngineEvent,
    GenerateRequest,
    LoadOptions,
    ModelLoaded,
    ReplyFinished,
    ReplyStats,
    Role,
    StopReason,
    TokenChunk,
    ToolCall,
    ToolCallRequested,
)
from desktop_app.core.engine.protocol import Cancel, Heartbeat, Phase, Shutdown
from desktop_app.core.engine.runner import (
    BUSY_TOKEN_BATCH_SECONDS,
    TOKEN_BATCH_SECONDS,
    Runner,
    _Outbox,
    merge_chunks,
    token_batch_seconds,
)


class FakeConn:
    def __init__(self) -> None:
        self.sent: list[object] = []

    def send(self, message: object) -> None:
        self.sent.append(message)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def conn() -> FakeConn:
    return FakeConn()


@pytest.fixture
def outbox(conn: FakeConn, clock: Clock) -> _Outbox:
    return _Outbox(conn, batch_seconds=0.025, clock=clock)  # type: ignore[arg-type]


def texts(sent: list[object]) -> list[str]:
    return [m.text for m in sent if isinstance(m, TokenChunk)]


def test_first_text_goes_at_once_then_one_message_per_interval(
        outbox: _Outbox, conn: FakeConn, clock: Clock) -> None:
    outbox.send(TokenChunk(1, "Once"))
    assert texts(conn.sent) == ["Once"]
    for word in (" upon", " a", " time"):
        clock.now += 0.005
        outbox.send(TokenChunk(1, word))
    assert texts(conn.sent) == ["Once"]  # within 25 ms of the last message: held
    clock.now += 0.015  # 30 ms after the first message
    outbox.send(TokenChunk(1, ","))
    assert texts(conn.sent) == ["Once", " upon a time,"]


def test_a_token_after_a_pause_goes_at_once(outbox: _Outbox, conn: FakeConn,
                                            clock: Clock) -> None:
    """A model slower than one token per interval is not delayed at all."""
    for word in ("Slow", " and", " steady"):
        outbox.send(TokenChunk(1, word))
        clock.now += 0.2
    assert texts(conn.sent) == ["Slow", " and", " steady"]


def test_tick_sends_held_text_once_due_even_without_new_text(
        outbox: _Outbox, conn: FakeConn, clock: Clock) -> None:
    outbox.send(TokenChunk(1, "Let me check"))
    clock.now += 0.01
    outbox.send(TokenChunk(1, " the weather."))
    outbox.tick()
    assert texts(conn.sent) == ["Let me check"]  # not due yet
    clock.now += 0.02
    outbox.tick()  # the model is writing a tool call: tokens, but no text
    assert texts(conn.sent) == ["Let me check", " the weather."]
    outbox.tick()
    assert len(conn.sent) == 2


def test_other_events_send_the_held_text_first(outbox: _Outbox, conn: FakeConn,
                                               clock: Clock) -> None:
    outbox.send(TokenChunk(1, "Hi"))
    outbox.send(TokenChunk(1, " there"))
    calls = ToolCallRequested(1, (ToolCall("c1", "clock"),))
    outbox.send(calls)
    finished = ReplyFinished(1, ReplyStats())
    outbox.send(finished)
    assert conn.sent == [TokenChunk(1, "Hi"), TokenChunk(1, " there"), calls, finished]


def test_heartbeats_never_carry_text(outbox: _Outbox, conn: FakeConn) -> None:
    """The heartbeat thread sends no text: what is held belongs to the main thread."""
    outbox.send(TokenChunk(1, "a"))
    outbox.send(TokenChunk(1, "b"))
    outbox.set_phase(Phase.GENERATING)
    outbox.beat()
    assert conn.sent == [TokenChunk(1, "a"), Heartbeat(Phase.GENERATING),
                         Heartbeat(Phase.GENERATING)]


def test_end_flushes_and_the_next_reply_starts_at_once(outbox: _Outbox, conn: FakeConn,
                                                       clock: Clock) -> None:
    outbox.send(TokenChunk(1, "a"))
    outbox.send(TokenChunk(1, "b"))
    outbox.end(1)
    assert texts(conn.sent) == ["a", "b"]
    outbox.send(TokenChunk(2, "c"))  # within the interval, but a new reply's first text
    assert texts(conn.sent) == ["a", "b", "c"]


def test_merge_keeps_answer_and_thinking_apart_and_in_order() -> None:
    chunks = [TokenChunk(1, "hm", thinking=True), TokenChunk(1, "m", thinking=True),
              TokenChunk(1, "Yes"), TokenChunk(1, "."), TokenChunk(1, "(", thinking=True)]
    assert merge_chunks(chunks) == [TokenChunk(1, "hmm", thinking=True), TokenChunk(1, "Yes."),
                                    TokenChunk(1, "(", thinking=True)]
    assert merge_chunks([]) == []


# ---- the runner, with a fake session, through a real pipe --------------------------------


class FakeSession:
    """Emits one word per "token" and checks for a cancel after each, like ``Session``."""

    words = ("one", " two", " three", " four", " five", " six")
    gate: threading.Event | None = None
    """When set by a test: the first token waits for it before checking for a cancel."""

    def __init__(self, _model: object, *_draft: object) -> None:
        pass

    def generate(self, request: GenerateRequest, emit: Callable[[EngineEvent], None],
                 cancelled: Callable[[], bool], phase: Callable[[Phase], None]) -> None:
        phase(Phase.GENERATING)
        reason, sampled = StopReason.END, 0
        for word in self.words:
            emit(TokenChunk(request.request_id, word))
            sampled += 1
            if sampled == 1 and self.gate is not None:
                assert self.gate.wait(10)
            if cancelled():
                reason = StopReason.CANCELLED
                break
        emit(ReplyFinished(request.request_id,
                           ReplyStats(completion_tokens=sampled, stop_reason=reason)))

    def close(self) -> None:
        pass


class FakeModel:
    llama = None
    event = ModelLoaded("fake.gguf", 512, "fake", "CPU", "cpu", 0, 0.0)


@pytest.fixture
def parent(monkeypatch: pytest.MonkeyPatch) -> Iterator[Connection]:
    """The parent's end of a pipe to a runner that batches for an hour: after a reply's
    first text, everything is held until something sends it."""
    monkeypatch.setattr(runner_module, "Session", FakeSession)
    monkeypatch.setattr(FakeSession, "gate", None)
    monkeypatch.setattr(runner_module, "load_model", lambda _options: FakeModel())
    parent_end, child_end = Pipe(duplex=True)
    thread = threading.Thread(target=Runner(child_end, batch_seconds=3600).loop, daemon=True)
    thread.start()
    parent_end.send(LoadOptions(model_path="fake.gguf"))
    assert _events(parent_end, ModelLoaded)[-1] == FakeModel.event
    yield parent_end
    parent_end.send(Shutdown())
    thread.join(10)
    assert not thread.is_alive()


def _events(conn: Connection, until: type) -> list[Any]:
    events: list[Any] = []
    while conn.poll(10):
        message = conn.recv()
        if isinstance(message, Heartbeat):
            continue
        events.append(message)
        if isinstance(message, until):
            return events
    raise AssertionError(f"no {until.__name__}; got {events!r}")


def _request(request_id: int) -> GenerateRequest:
    return GenerateRequest(request_id, 1, (ChatMessage(Role.USER, "Count."),))


def test_runner_sends_the_first_word_alone_and_the_rest_before_the_end(
        parent: Connection) -> None:
    parent.send(_request(1))
    events = _events(parent, ReplyFinished)
    assert events[0] == TokenChunk(1, "one")
    assert events[1:] == [TokenChunk(1, " two three four five six"), events[-1]]
    assert events[-1].stats.stop_reason == StopReason.END


def test_a_cancel_still_stops_the_runner_after_one_token_and_nothing_is_held(
        parent: Connection) -> None:
    gate = FakeSession.gate = threading.Event()
    parent.send(_request(2))
    parent.send(Cancel(2))
    gate.set()  # the cancel is in the pipe before the first token's check
    events = _events(parent, ReplyFinished)
    assert events[:-1] == [TokenChunk(2, "one")]
    assert events[-1].stats == ReplyStats(completion_tokens=1,
                                          stop_reason=StopReason.CANCELLED)
    # The next reply's first word goes at once again, the rest before its end.
    FakeSession.gate = None
    parent.send(_request(3))
    assert _events(parent, ReplyFinished)[:2] == [TokenChunk(3, "one"),
                                                   TokenChunk(3, " two three four five six")]


@pytest.mark.parametrize(("threads", "cpus", "expected"), [
    (2, 2, BUSY_TOKEN_BATCH_SECONDS),  # llama.cpp on every CPU: each repaint is taken from it
    (3, 2, BUSY_TOKEN_BATCH_SECONDS),
    (1, 2, TOKEN_BATCH_SECONDS),
    (4, 8, TOKEN_BATCH_SECONDS),  # a CPU to spare: the smoother pace
])
def test_the_batch_interval_is_longer_only_when_llama_cpp_takes_every_cpu(
        threads: int, cpus: int, expected: float) -> None:
    assert token_batch_seconds(threads, cpus) == expected
    assert BUSY_TOKEN_BATCH_SECONDS > TOKEN_BATCH_SECONDS


@pytest.mark.parametrize(("n_threads", "expected"), [
    (2, BUSY_TOKEN_BATCH_SECONDS), (1, TOKEN_BATCH_SECONDS), (None, BUSY_TOKEN_BATCH_SECONDS)])
def test_the_runner_sets_the_interval_for_each_model_it_loads(
        monkeypatch: pytest.MonkeyPatch, clock: Clock, n_threads: int | None,
        expected: float) -> None:
    monkeypatch.setattr(runner_module, "Session", FakeSession)
    monkeypatch.setattr(runner_module, "load_model", lambda _options: FakeModel())
    monkeypatch.setattr(runner_module.hardware, "logical_cpus", lambda: 2)
    monkeypatch.setattr(runner_module.hardware, "physical_cores", lambda: 2)
    conn = FakeConn()
    runner = Runner(conn)  # type: ignore[arg-type]
    runner._load(LoadOptions(model_path="fake.gguf", n_threads=n_threads))
    assert FakeModel.event in conn.sent
    outbox = runner._out
    outbox._clock = clock
    # The first text goes at once; the next only once the interval has passed.
    outbox.send(TokenChunk(1, "one"))
    outbox.send(TokenChunk(1, " two"))
    clock.now += expected - 0.001
    outbox.tick()
    assert texts(conn.sent) == ["one"]
    clock.now += 0.002
    outbox.tick()
    assert texts(conn.sent) == ["one", " two"]


def test_a_fixed_interval_is_kept_whatever_model_loads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "Session", FakeSession)
    monkeypatch.setattr(runner_module, "load_model", lambda _options: FakeModel())
    runner = Runner(FakeConn(), batch_seconds=3600)  # type: ignore[arg-type]
    runner._load(LoadOptions(model_path="fake.gguf", n_threads=64))
    assert runner._out.batch_seconds == 3600
