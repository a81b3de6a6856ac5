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
        for event in self._engine.poll_events(PUMP_POLL):
            self._route(event)

    def _route(self, event: EngineEvent) -> None:
        match event:
            case TokenChunk(request_id=rid) | ContextTrimmed(request_id=rid):
                sink = self._sinks.get(rid)
                if sink is not None:
                    sink(event)
            case ReplyFinished(request_id=rid) | GenerationFailed(request_id=rid):
                sink = self._sinks.pop(rid, None)
                if sink is not None:
                    sink(event)
            case EngineCrashed(request_id=rid):
                sink = self._sinks.pop(rid, None) if rid is not None else None
                if sink is not None:
                    sink(event)
                if not event.restarting:
                    # A dead engine that is not restarting has dropped everything it held.
                    for other, sink in list(self._sinks.items()):
                        del self._sinks[other]
                        sink(EngineCrashed(event.message, other))
            case ModelLoaded():
                self.loaded = event
            case LoadFailed():
                self.loaded = None
