"""The worker thread: batching, the first chunk at once, cancel, crash reports, clean shutdown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import GenerateRequest, LoadOptions, StopReason
from desktop_app.ui.common import engine_worker
from desktop_app.ui.common.engine_worker import EngineThread, EngineWorker
from tests.ui.fake_engine import FakeEngine


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def worker_thread(engine: FakeEngine) -> Iterator[EngineThread]:
    thread = EngineThread(EngineWorker(engine))
    thread.start()
    yield thread
    thread.shutdown()
    assert engine.shut_down


def _request(request_id: int = 1) -> GenerateRequest:
    return GenerateRequest(request_id=request_id, conversation_id=1, messages=())


def test_tokens_arrive_batched_and_complete(qtbot: QtBot, engine: FakeEngine,
                                            worker_thread: EngineThread) -> None:
    engine.reply_tokens = [f"t{i} " for i in range(60)]
    engine.token_interval = 0.004  # 250 tokens/s: several tokens per 50 ms batch
    batches: list[str] = []
    worker = worker_thread.worker
    worker.chunks_received.connect(lambda rid, text, _thinking: batches.append(text))
    with qtbot.waitSignal(worker.reply_finished, timeout=5000) as finished:
        worker.generate(_request())
    assert "".join(batches) == "".join(engine.reply_tokens)
    assert 1 < len(batches) < len(engine.reply_tokens) / 2
    assert finished.args[1].stop_reason == StopReason.END


def test_cancel_drops_late_chunks(qtbot: QtBot, engine: FakeEngine,
                                  worker_thread: EngineThread) -> None:
    engine.token_interval = 0.01
    worker = worker_thread.worker
    received: list[tuple[str, int]] = []
    worker.chunks_received.connect(lambda rid, text, _t: received.append(("chunk", rid)))
    worker.reply_finished.connect(lambda rid, stats: received.append(("finished", rid)))
    with qtbot.waitSignal(worker.chunks_received, timeout=5000):
        worker.generate(_request(7))
    with qtbot.waitSignal(worker.reply_finished, timeout=5000) as finished:
        worker.cancel(7)
    assert finished.args[1].stop_reason == StopReason.CANCELLED
    assert engine.cancels == [7]
    qtbot.wait(100)
    assert received[-1] == ("finished", 7)
    assert received.count(("finished", 7)) == 1


def test_crash_is_reported_with_request_id(qtbot: QtBot, engine: FakeEngine,
                                           worker_thread: EngineThread) -> None:
    engine.crash_after_tokens = 3
    worker = worker_thread.worker
    with qtbot.waitSignal(worker.engine_crashed, timeout=5000) as crashed:
        worker.generate(_request(3))
    message, request_id = crashed.args
    assert "SIGSEGV" in message
    assert request_id == 3


def test_load_reports_model_loaded(qtbot: QtBot, worker_thread: EngineThread) -> None:
    with qtbot.waitSignal(worker_thread.worker.model_loaded, timeout=5000) as loaded:
        worker_thread.worker.load(LoadOptions(model_path="/models/x.gguf"))
    assert loaded.args[0].model_path == "/models/x.gguf"


def test_a_failing_step_is_reported_and_the_loop_goes_on(qtbot: QtBot, engine: FakeEngine,
                                                         worker_thread: EngineThread) -> None:
    worker = worker_thread.worker
    real_poll = engine.poll_events
    calls = {"n": 0}

    def poll_once_broken(timeout: float) -> list[object]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("a bug in one step")
        return real_poll(timeout)  # type: ignore[return-value]

    # Listen first: the running loop may call the broken poll as soon as it is in place.
    with qtbot.waitSignal(worker.engine_crashed, timeout=5000) as crashed:
        engine.poll_events = poll_once_broken  # type: ignore[method-assign,assignment]
        engine.wakeup()  # ends the poll in progress; the next one is the broken one
    assert "error" in crashed.args[0]
    with qtbot.waitSignal(worker.reply_finished, timeout=5000):
        worker.generate(_request(11))


class _Clock:
    """The worker's clock, moved by hand so batching is tested by counting, not timing."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def stepped(engine: FakeEngine,
            monkeypatch: pytest.MonkeyPatch) -> tuple[EngineWorker, _Clock, list[str]]:
    """A worker driven one step at a time from the test, with its clock held still."""
    clock = _Clock()
    monkeypatch.setattr(engine_worker, "time", clock)
    engine.token_interval = 0.0  # one token per poll, at once
    worker = EngineWorker(engine)
    batches: list[str] = []
    worker.chunks_received.connect(lambda rid, text, thinking: batches.append(thinking + text))
    return worker, clock, batches


def test_the_first_chunk_goes_out_in_the_step_that_received_it(
        engine: FakeEngine, stepped: tuple[EngineWorker, _Clock, list[str]]) -> None:
    worker, clock, batches = stepped
    worker.generate(_request(5))
    worker._step()
    assert batches == ["word0 "]
    assert not worker._pending
    # Later tokens wait for the batch timer: the clock has not moved, so nothing goes out.
    for _ in range(4):
        worker._step()
    assert batches == ["word0 "]
    assert "".join(worker._pending[5].text) == "word1 word2 word3 word4 "
    clock.now += engine_worker.FLUSH_INTERVAL + 0.001
    worker._step()
    assert batches == ["word0 ", "word1 word2 word3 word4 word5 "]
    assert not worker._pending


def test_text_after_a_pause_goes_out_at_once(
        engine: FakeEngine, stepped: tuple[EngineWorker, _Clock, list[str]]) -> None:
    """A slow model is never held back: the limit is one signal per interval, not a delay."""
    worker, clock, batches = stepped
    worker.generate(_request(6))
    worker._step()
    assert batches == ["word0 "]
    clock.now += 0.2  # a slow model: the next token comes long after the last signal
    worker._step()
    assert batches == ["word0 ", "word1 "]
    worker._step()  # but the one right after it waits for the interval
    assert batches == ["word0 ", "word1 "]
    clock.now += engine_worker.FLUSH_INTERVAL
    worker._step()
    assert batches == ["word0 ", "word1 ", "word2 word3 "]


def test_every_reply_gets_its_first_chunk_at_once(
        engine: FakeEngine, stepped: tuple[EngineWorker, _Clock, list[str]]) -> None:
    worker, _clock, batches = stepped
    engine.reply_tokens = ["a ", "b ", "c "]
    worker.generate(_request(1))
    while not engine.requests or engine._stream is not None:
        worker._step()
    worker._step()  # the ReplyFinished event: flushes what was left of reply 1
    assert batches == ["a ", "b c "]
    engine.thinking_tokens = ["hmm "]
    worker.generate(_request(2))
    worker._step()
    # The second reply's first chunk (reasoning, here) is not held back either.
    assert batches == ["a ", "b c ", "hmm "]
