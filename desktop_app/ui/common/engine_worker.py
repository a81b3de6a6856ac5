"""The worker thread between the GUI and the engine process.

The GUI never waits on the engine: it queues commands here, and this worker's
loop, running in its own ``QThread``, forwards them to the :class:`Engine`, polls its
events and turns them into Qt signals. Signals cross to the GUI thread as
queued connections; the worker never touches a widget or an item model.

Tokens are batched: a reply's text goes out as one ``chunks_received`` at most
once per :data:`FLUSH_INTERVAL` (50 ms), so the GUI lays out and paints at
most 20 times a second however fast the model is. Text that arrives when the
reply's last signal is at least that old goes out in the step that received
it, so batching adds no delay to a slow model, and the local engine process
already sends merged text at most every 50 ms (100 ms when llama.cpp's threads
take every CPU: ``core.engine.runner.token_batch_seconds``):
at speed, each message from the engine becomes one signal and this thread
wakes once per signal, not once per token.

The first chunk of each reply has no earlier signal, so it always goes out
at once: the reply appears as soon as the engine produces it, and time to
first token in the window stays that of the engine (issue 8).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QThread, Signal

from desktop_app.core.engine.api import (
    ContextTrimmed,
    Engine,
    EngineCrashed,
    EngineEvent,
    GenerateRequest,
    GenerationFailed,
    LoadFailed,
    LoadOptions,
    ModelLoaded,
    ReplyFinished,
    TokenChunk,
    ToolCallRequested,
)

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 0.05
IDLE_POLL = 0.5
MAX_FAILURES_IN_A_ROW = 5


@dataclass
class _Pending:
    text: list[str] = field(default_factory=list)
    thinking: list[str] = field(default_factory=list)


class EngineWorker(QObject):
    """Owns the engine from a background thread; the GUI talks to it by method calls and signals.

    Signals:
        model_loaded(ModelLoaded): a model is ready.
        load_failed(LoadFailed): a model could not be loaded.
        chunks_received(int, str, str): request id, answer text, thinking text (one batch).
        context_trimmed(int, int): request id, number of older messages left out.
        tool_calls_requested(int, object): request id and its ``tuple[ToolCall, ...]``;
            sent after the reply's last chunk and before its ``reply_finished``.
        reply_finished(int, ReplyStats): request id and its statistics.
        generation_failed(int, object): request id and a message (UserText or str; translate it).
        engine_restarting(): the engine stopped answering and was replaced by a new process,
            which is already loading the last model again; ``engine_crashed`` follows.
        engine_crashed(object, object): message (UserText or str), and the running request
            id or None.
    """

    model_loaded = Signal(object)
    load_failed = Signal(object)
    chunks_received = Signal(int, str, str)
    context_trimmed = Signal(int, int)
    tool_calls_requested = Signal(int, object)
    reply_finished = Signal(int, object)
    generation_failed = Signal(int, object)
    engine_crashed = Signal(object, object)
    engine_restarting = Signal()

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine
        self._commands: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._stop = threading.Event()
        # Only touched by the worker thread.
        self._pending: dict[int, _Pending] = {}
        self._cancelled: set[int] = set()
        self._last_sent: dict[int, float] = {}  # request id: when its last chunk went out

    # ---- called from the GUI thread ---------------------------------------

    def load(self, options: LoadOptions) -> None:
        self._submit(lambda: self._engine.load(options))

    def unload(self) -> None:
        self._submit(self._engine.unload)

    def generate(self, request: GenerateRequest) -> None:
        self._submit(lambda: self._engine.generate(request))

    def cancel(self, request_id: int) -> None:
        def do_cancel() -> None:
            # Drop whatever the engine already sent for this request: the user
            # pressed Stop, so nothing more may appear in the chat.
            self._cancelled.add(request_id)
            self._pending.pop(request_id, None)
            self._last_sent.pop(request_id, None)
            self._engine.cancel(request_id)

        self._submit(do_cancel)

    def stop(self) -> None:
        """Ask the loop to end; :meth:`run` returns within one poll."""
        self._stop.set()
        self._engine.wakeup()

    def _submit(self, command: Callable[[], None]) -> None:
        self._commands.put(command)
        self._engine.wakeup()

    # ---- the worker thread -------------------------------------------------

    def run(self) -> None:
        """The loop: forward commands, poll events, flush batches. Runs until :meth:`stop`.

        A bug in one step is reported and the loop goes on, so a later message
        still reaches the engine; only repeated failures in a row end it.
        """
        failures = 0
        try:
            while not self._stop.is_set():
                try:
                    self._step()
                    failures = 0
                except Exception:  # reported to the user; the traceback goes to the log
                    failures += 1
                    log.exception("engine worker step failed (%d in a row)", failures)
                    self._pending.clear()
                    self._last_sent.clear()
                    self.engine_crashed.emit(
                        "Hearth's engine worker hit an error; see the log for details.", None)
                    if failures >= MAX_FAILURES_IN_A_ROW:
                        return
                    time.sleep(0.1 * failures)
        finally:
            self._engine.shutdown()

    def _step(self) -> None:
        self._run_commands()
        events = self._engine.poll_events(self._poll_timeout())
        for event in events:
            self._handle(event)
        self._flush_due()

    def _run_commands(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            command()

    def _poll_timeout(self) -> float:
        if not self._pending:
            return IDLE_POLL
        due = min(self._due(rid) for rid in self._pending)
        return max(0.0, due - time.monotonic())

    def _due(self, request_id: int) -> float:
        """When a request's held text may go out: at once for its first chunk."""
        return self._last_sent.get(request_id, float("-inf")) + FLUSH_INTERVAL

    def _handle(self, event: EngineEvent) -> None:
        match event:
            case TokenChunk(request_id=rid):
                if rid in self._cancelled:
                    return
                pending = self._pending.setdefault(rid, _Pending())
                (pending.thinking if event.thinking else pending.text).append(event.text)
            case ReplyFinished(request_id=rid, stats=stats):
                self._flush_request(rid)
                self._end_request(rid)
                self.reply_finished.emit(rid, stats)
            case GenerationFailed(request_id=rid, message=message):
                self._flush_request(rid)
                self._end_request(rid)
                self.generation_failed.emit(rid, message)
            case EngineCrashed(message=message, request_id=rid):
                if rid is not None:
                    # The text that arrived before the crash still reaches the chat,
                    # which keeps it and marks the reply interrupted.
                    self._flush_request(rid)
                    self._end_request(rid)
                if event.restarting:
                    self.engine_restarting.emit()
                self.engine_crashed.emit(message, rid)
            case ToolCallRequested(request_id=rid, calls=calls):
                # The text before the calls goes out first, so the order is kept.
                self._flush_request(rid)
                if rid not in self._cancelled:
                    self.tool_calls_requested.emit(rid, calls)
            case ContextTrimmed(request_id=rid, dropped_messages=dropped):
                self.context_trimmed.emit(rid, dropped)
            case ModelLoaded():
                self.model_loaded.emit(event)
            case LoadFailed():
                self.load_failed.emit(event)

    def _flush_due(self) -> None:
        now = time.monotonic()
        due = [rid for rid in self._pending if now >= self._due(rid)]
        for rid in due:
            self._flush_request(rid)

    def _end_request(self, request_id: int) -> None:
        self._cancelled.discard(request_id)
        self._last_sent.pop(request_id, None)

    def _flush_request(self, request_id: int) -> None:
        pending = self._pending.pop(request_id, None)
        if pending is not None and request_id not in self._cancelled:
            self._last_sent[request_id] = time.monotonic()
            self.chunks_received.emit(request_id, "".join(pending.text), "".join(pending.thinking))


class EngineThread(QThread):
    """Runs :meth:`EngineWorker.run` in its own thread and shuts it down cleanly.

    The worker object itself stays in the GUI thread on purpose: its signals
    are then emitted from the worker thread *into* the GUI thread's event loop,
    so every receiver (bound slots, lambdas, pytest-qt's signal blockers) runs
    in the GUI thread. Had the worker been moved into this thread, receivers
    without their own thread affinity would run here and could touch widgets.
    """

    def __init__(self, worker: EngineWorker) -> None:
        super().__init__()
        self.worker = worker
        self.setObjectName("hearth-engine-worker")

    def run(self) -> None:
        self.worker.run()

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        if not self.isRunning():
            return
        self.worker.stop()
        if not self.wait(timeout_ms):
            log.error("engine worker did not stop within %d ms", timeout_ms)
