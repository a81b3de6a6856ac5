"""The worker thread: batching, cancel, crash reports, clean shutdown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import GenerateRequest, LoadOptions, StopReason
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
