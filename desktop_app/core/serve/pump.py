"""The API server's one engine thread: it drives the server's engine client for every request.

An engine is driven from one thread, but HTTP requests arrive on the
server's event loop, many at a time. So requests hand their work to this
pump (thread-safe ``submit``/``cancel``), whose thread is the only caller of
the engine, and it hands each event back through the request's own sink
(which puts it on the request's asyncio queue). It also keeps what the
server must know about the engine: which model is loaded, as the
``ModelLoaded``/``LoadFailed`` events it receives say.

The pump is one client of the :class:`~desktop_app.core.engine.broker.EngineBroker`,
so all API requests together take turns with the window's chat; among
themselves they are served in arrival order.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable

from desktop_app.core.engine.api import (
    ContextTrimmed,
    Engine,
    EngineCrashed,
    EngineEvent,
    GenerateRequest,
    GenerationFailed,
    LoadFailed,
    ModelLoaded,
    ReplyFinished,
    TokenChunk,
)

log = logging.getLogger(__name__)

Sink = Callable[[EngineEvent], None]
PUMP_POLL = 0.5
BATCH_SECONDS = 0.025
"""How long a reply's tokens are collected into one chunk before going to its request.

Each event handed over costs a wake-up of the server's event loop, a JSON
dump and an SSE event that the client parses (the official client builds a
model object per event), on the same cores as the engine: one per token
cost the engine about a tenth of its speed (``bench/bench_serve.py``). As in
the window's worker, a reply's first text goes at once (time to first token
is not delayed) and its end flushes what is pending; in between, a request
gets at most one chunk per 25 ms, well below what a reader notices.
"""


class EnginePump:
    """Owns ``engine`` from its own thread once :meth:`start` is called; :meth:`stop` shuts
    the engine down (for a broker client that means leaving the broker)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._commands: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._ids = itertools.count(1)
        self._ids_lock = threading.Lock()
        self._stopping = threading.Event()
        self._sinks: dict[int, Sink] = {}  # only the pump thread touches it
        self._pending: dict[int, list[TokenChunk]] = {}  # tokens not handed over yet
        self._started: set[int] = set()  # replies whose first text has gone out
        self._due = 0.0  # when the pending tokens must go (monotonic)
        self.loaded: ModelLoaded | None = None
        """The model the engine last reported loaded (written by the pump thread only)."""
        self._thread = threading.Thread(target=self._run, name="hearth-api-engine", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """End the replies in flight and shut the engine down; harmless twice or unstarted."""
        if self._thread.ident is None and not self._stopping.is_set():
            self._stopping.set()  # never started: the engine is ours to shut down still
            self._engine.shutdown()
            return
        if not self._thread.is_alive():
            return
        self._stopping.set()
        self._engine.wakeup()
        self._thread.join(timeout)

    def submit(self, request: GenerateRequest, sink: Sink) -> int:
        """Queue ``request`` (its request id is replaced); return the id its events carry."""
        with self._ids_lock:
            request_id = next(self._ids)
        request = dataclasses.replace(request, request_id=request_id)

        def send() -> None:
            self._sinks[request_id] = sink
            self._engine.generate(request)

        self._commands.put(send)
        self._engine.wakeup()
        return request_id

    def cancel(self, request_id: int) -> None:
        """Stop a request; its sink gets the end (``ReplyFinished`` with ``CANCELLED``)."""
        self._commands.put(lambda: self._engine.cancel(request_id))
        self._engine.wakeup()

    # ---- the pump thread -----------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    self._step()
                except Exception:  # a bug costs the events of one poll, not the server
                    log.exception("API engine pump step failed")
        finally:
            for request_id, sink in list(self._sinks.items()):
                self._engine.cancel(request_id)
                sink(GenerationFailed(request_id, "The server is stopping."))
            self._sinks.clear()
            self._engine.shutdown()

    def _step(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                break
            command()
        timeout = (max(0.0, self._due - time.monotonic()) if self._pending else PUMP_POLL)
        for event in self._engine.poll_events(timeout):
            self._route(event)
        if self._pending and time.monotonic() >= self._due:
            for request_id in list(self._pending):
                self._flush(request_id)

    def _flush(self, request_id: int) -> None:
        """Hand a reply's pending tokens to its request, merged into one chunk per kind."""
        chunks = self._pending.pop(request_id, [])
        sink = self._sinks.get(request_id)
        if sink is None:
            return
        for thinking in (True, False):
            text = "".join(c.text for c in chunks if c.thinking == thinking)
            if text:
                sink(TokenChunk(request_id, text, thinking=thinking))

    def _route(self, event: EngineEvent) -> None:
        match event:
            case TokenChunk(request_id=rid):
                if rid not in self._sinks:
                    return
                if rid not in self._started:
                    self._started.add(rid)
                    self._sinks[rid](event)
                    return
                if not self._pending:
                    self._due = time.monotonic() + BATCH_SECONDS
                self._pending.setdefault(rid, []).append(event)
            case ContextTrimmed(request_id=rid):
                sink = self._sinks.get(rid)
                if sink is not None:
                    sink(event)
            case ReplyFinished(request_id=rid) | GenerationFailed(request_id=rid):
                self._flush(rid)
                self._started.discard(rid)
                sink = self._sinks.pop(rid, None)
                if sink is not None:
                    sink(event)
            case EngineCrashed(request_id=rid):
                if rid is not None:
                    self._flush(rid)
                    self._started.discard(rid)
                sink = self._sinks.pop(rid, None) if rid is not None else None
                if sink is not None:
                    sink(event)
                if not event.restarting:
                    # A dead engine that is not restarting has dropped everything it held.
                    for other, sink in list(self._sinks.items()):
                        self._flush(other)
                        del self._sinks[other]
                        sink(EngineCrashed(event.message, other))
                    self._started.clear()
            case ModelLoaded():
                self.loaded = event
            case LoadFailed():
                self.loaded = None
