"""The :class:`Engine` for a remote OpenAI-compatible server.

:class:`RemoteEngine` speaks the same interface as the local llama.cpp engine,
so the GUI's worker drives it the same way. Nothing blocks the caller: a load
checks ``/models`` in a background thread, and each reply streams in its own
thread (a server serves many replies at once, so requests may overlap).
Events go into one thread-safe queue; after each, ``notify()`` is called so
a router waiting on another engine's :meth:`poll_events` wakes at once (see
``desktop_app.core.engine.routing``).

A reply asked for while the load is still being checked waits for it (as
the local engine queues it behind the load), then starts or fails with the
load's message.

``cancel`` shuts the reply's socket (the server sees the client leave and
stops generating) and reports the reply as cancelled at once, without
waiting for the stream's thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from desktop_app.core.engine.api import (
    NO_MODEL_LOADED,
    EngineEvent,
    GenerateRequest,
    GenerationFailed,
    LoadFailed,
    LoadOptions,
    ModelLoaded,
    ReplyFinished,
    ReplyStats,
    StopReason,
)
from desktop_app.core.remote.client import RemoteClient, RemoteError, Timeouts, clean_text
from desktop_app.core.remote.servers import ServerConfig
from desktop_app.core.remote.stream import ReplyStream
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, user_text

log = logging.getLogger(__name__)

SHUTDOWN_JOIN = 2.0
"""Seconds :meth:`RemoteEngine.shutdown` waits for its threads after closing their sockets."""


class RemoteEngine:
    """One remote server as an :class:`~desktop_app.core.engine.api.Engine`."""

    def __init__(self, config: ServerConfig, api_key: str | None,
                 notify: Callable[[], None] | None = None,
                 timeouts: Timeouts | None = None) -> None:
        self.config = config
        self.client = RemoteClient(config, api_key, timeouts)
        self._notify = notify
        self._cond = threading.Condition()
        self._events: list[EngineEvent] = []
        self._woken = False
        self._lock = threading.Lock()
        self._model: str | None = None
        self._load_generation = 0
        self._streams: dict[int, ReplyStream] = {}
        self._loading = False
        self._waiting: list[GenerateRequest] = []  # sent while the load was being checked
        self._threads: set[threading.Thread] = set()
        self._closed = False

    def __repr__(self) -> str:
        return f"RemoteEngine({self.config.name!r})"

    @property
    def model(self) -> str | None:
        """The model replies go to, once loaded."""
        return self._model

    @property
    def busy(self) -> bool:
        """Replies are streaming."""
        with self._lock:
            return bool(self._streams)

    # ---- events ------------------------------------------------------------------------

    def _put(self, event: EngineEvent) -> None:
        with self._cond:
            self._events.append(event)
            self._cond.notify_all()
        if self._notify is not None:
            try:
                self._notify()
            except Exception:  # a closed router must not break a stream
                log.debug("remote engine notify failed", exc_info=True)

    def poll_events(self, timeout: float) -> list[EngineEvent]:
        with self._cond:
            if not self._events and not self._woken and timeout > 0:
                self._cond.wait_for(lambda: bool(self._events) or self._woken, timeout)
            self._woken = False
            events, self._events = self._events, []
        return events

    def wakeup(self) -> None:
        with self._cond:
            self._woken = True
            self._cond.notify_all()

    # ---- threads -----------------------------------------------------------------------

    def _start(self, name: str, target: Callable[[], None]) -> None:
        def run() -> None:
            try:
                target()
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=run, name=name, daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()

    # ---- the Engine interface ----------------------------------------------------------

    def load(self, options: LoadOptions) -> None:
        """Check in the background that the server offers ``options.model_path``."""
        with self._lock:
            self._load_generation += 1
            generation = self._load_generation
            self._model = None
            self._loading = True
        self._start("hearth-remote-load", lambda: self._load(options, generation))

    def _load(self, options: LoadOptions, generation: int) -> None:
        name = options.model_path
        started = time.perf_counter()
        try:
            models = self.client.list_models()
        except RemoteError as exc:
            self._load_failed(generation, LoadFailed(name, exc.text))
            return
        except Exception:  # a bug must still answer the load
            log.exception("remote load failed")
            self._load_failed(generation, LoadFailed(name, user_text(
                "remote.load_internal", QT_TRANSLATE_NOOP(
                    "core", "Checking the models of {server} failed; see the log for details."),
                server=self.config.name)))
            return
        info = next((m for m in models if m.id == name), None)
        if info is None:
            offered = ", ".join(m.id for m in models[:5]) + (", …" if len(models) > 5 else "")
            self._load_failed(generation, LoadFailed(name, user_text(
                "remote.unknown_model", QT_TRANSLATE_NOOP(
                    "core", "{server} does not offer the model “{model}”. It offers: {models}."),
                server=self.config.name, model=clean_text(name, 120),
                models=clean_text(offered, 400) or "none")))
            return
        with self._lock:
            if generation != self._load_generation or self._closed:
                return  # another load (or unload) came after this one
            self._model = info.id
            self._loading = False
            waiting, self._waiting = self._waiting, []
        self._put(ModelLoaded(
            model_path=name, n_ctx=info.context_length or 0, chat_format="server's template",
            backend="Remote", device=f"{self.config.name} · {self.client.host}",
            n_gpu_layers=0, load_seconds=time.perf_counter() - started))
        for request in waiting:
            self._stream(request, info.id)

    def _load_failed(self, generation: int, event: LoadFailed) -> None:
        with self._lock:
            current = generation == self._load_generation
            if current:
                self._loading = False
                waiting, self._waiting = self._waiting, []
            else:
                waiting = []
        self._put(event)
        for request in waiting:
            self._put(GenerationFailed(request.request_id, event.message))

    def generate(self, request: GenerateRequest) -> None:
        """Stream a reply; one sent while the load is being checked starts after it."""
        with self._lock:
            model = self._model
            if model is None and self._loading and not self._closed:
                self._waiting.append(request)
                return
        if model is None or self._closed:
            self._put(GenerationFailed(request.request_id, NO_MODEL_LOADED))
            return
        self._stream(request, model)

    def _stream(self, request: GenerateRequest, model: str) -> None:
        stream = ReplyStream(self.client, model, request, self._put)
        with self._lock:
            self._streams[request.request_id] = stream

        def run() -> None:
            try:
                stream.run()
            finally:
                with self._lock:
                    if self._streams.get(request.request_id) is stream:
                        del self._streams[request.request_id]

        self._start(f"hearth-remote-{request.request_id}", run)

    def cancel(self, request_id: int) -> None:
        with self._lock:
            stream = self._streams.get(request_id)
            waiting = next((r for r in self._waiting if r.request_id == request_id), None)
            if waiting is not None:
                self._waiting.remove(waiting)
        if stream is not None:
            stream.cancel()
        elif waiting is not None:
            self._put(ReplyFinished(request_id, ReplyStats(stop_reason=StopReason.CANCELLED)))

    def _cancel_all(self) -> None:
        with self._lock:
            streams = list(self._streams.values())
        for stream in streams:
            stream.cancel()

    def unload(self) -> None:
        """Forget the model; replies still streaming are cancelled."""
        with self._lock:
            self._load_generation += 1
            self._model = None
            self._loading = False
            waiting, self._waiting = self._waiting, []
        for request in waiting:
            self._put(GenerationFailed(request.request_id, NO_MODEL_LOADED))
        self._cancel_all()

    def shutdown(self) -> None:
        """Close every connection; replies still streaming end as failed. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._load_generation += 1
            self._model = None
            self._loading = False
            streams = list(self._streams.values())
            waiting, self._waiting = self._waiting, []
        message = user_text("remote.closed", QT_TRANSLATE_NOOP(
            "core", "The connection to {server} was closed."), server=self.config.name)
        for request in waiting:
            self._put(GenerationFailed(request.request_id, message))
        for stream in streams:
            stream.abort(message)
        self.client.close()
        deadline = time.monotonic() + SHUTDOWN_JOIN
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
