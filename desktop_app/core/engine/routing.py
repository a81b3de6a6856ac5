"""One :class:`Engine` in front of the local engine and the remote servers.

The GUI drives a single engine. :class:`RoutingEngine` sends a load with
``LoadOptions.server_id`` to a :class:`RemoteEngine` for that server and any
other load to the local engine, and remembers which engine each reply went
to, so ``cancel`` reaches it. Switching to a remote model leaves the local
model loaded: switching back is instant, and the local API server may be
serving it meanwhile.

Events from every engine come out of one :meth:`RoutingEngine.poll_events`
without added latency: the remote engines are created with
``notify=local.wakeup``, so the blocking ``local.poll_events(timeout)`` returns
as soon as a remote event is queued, and the remote queues are drained before
and after it.

``resolve(server_id)`` gives the server's settings and API key; it raises
:class:`UserFacingError` when the server cannot be used (removed, disabled,
offline mode, keyring locked), which becomes a :class:`LoadFailed`. A server
whose settings or key changed gets a fresh engine (the cache is keyed by the
settings and a hash of the key).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from desktop_app.core.engine.api import (
    Engine,
    EngineCrashed,
    EngineEvent,
    GenerateRequest,
    GenerationFailed,
    LoadFailed,
    LoadOptions,
    ReplyFinished,
)
from desktop_app.core.remote.servers import ServerConfig
from desktop_app.core.user_text import UserFacingError

if TYPE_CHECKING:  # httpx comes with them: imported when a server's model is first used
    from desktop_app.core.remote.client import Timeouts
    from desktop_app.core.remote.engine import RemoteEngine

log = logging.getLogger(__name__)

Resolver = Callable[[str], tuple[ServerConfig, str | None]]

_Fingerprint = tuple[ServerConfig, str]


def _fingerprint(config: ServerConfig, api_key: str | None) -> _Fingerprint:
    digest = hashlib.sha256((api_key or "").encode("utf-8")).hexdigest()
    return config, digest


class RoutingEngine:
    """The local engine plus one :class:`RemoteEngine` per server in use."""

    def __init__(self, local: Engine, resolve: Resolver,
                 timeouts: Timeouts | None = None) -> None:
        self.local = local
        self._resolve = resolve
        self._timeouts = timeouts
        self._remotes: dict[str, tuple[_Fingerprint, RemoteEngine]] = {}
        self._active: Engine = local
        self._owner: dict[int, Engine] = {}
        self._pending: list[EngineEvent] = []

    @property
    def active(self) -> Engine:
        """The engine new replies go to (the last one asked to load a model)."""
        return self._active

    def remote(self, server_id: str) -> RemoteEngine | None:
        entry = self._remotes.get(server_id)
        return entry[1] if entry is not None else None

    def _remote_for(self, server_id: str) -> RemoteEngine:
        config, api_key = self._resolve(server_id)
        fingerprint = _fingerprint(config, api_key)
        entry = self._remotes.get(server_id)
        if entry is not None:
            if entry[0] == fingerprint:
                return entry[1]
            self._retire(entry[1])
        from desktop_app.core.remote.engine import RemoteEngine

        engine = RemoteEngine(config, api_key, notify=self.local.wakeup, timeouts=self._timeouts)
        self._remotes[server_id] = (fingerprint, engine)
        return engine

    def _retire(self, engine: RemoteEngine) -> None:
        """A server's old engine: its replies end, and their last events still come out."""
        engine.shutdown()
        self._pending += engine.poll_events(0)
        if self._active is engine:
            self._active = self.local

    # ---- the Engine interface ----------------------------------------------------------

    def load(self, options: LoadOptions) -> None:
        if not options.server_id:
            self._active = self.local
            self.local.load(options)
            return
        try:
            engine = self._remote_for(options.server_id)
        except UserFacingError as exc:
            self._pending.append(LoadFailed(options.model_path, exc.text))
            return
        self._active = engine
        engine.load(options)

    def generate(self, request: GenerateRequest) -> None:
        engine = self._active
        self._owner[request.request_id] = engine
        engine.generate(request)

    def cancel(self, request_id: int) -> None:
        engine = self._owner.get(request_id)
        if engine is not None:
            engine.cancel(request_id)
        else:
            self._active.cancel(request_id)

    def unload(self) -> None:
        """Unload the active model (the local one stays loaded while a remote one is active)."""
        self._active.unload()

    def _drain_remotes(self) -> list[EngineEvent]:
        events: list[EngineEvent] = []
        for _, engine in list(self._remotes.values()):
            events += engine.poll_events(0)
        return events

    def poll_events(self, timeout: float) -> list[EngineEvent]:
        events, self._pending = self._pending, []
        events += self._drain_remotes()
        events += self.local.poll_events(0.0 if events else timeout)
        events += self._drain_remotes()
        for event in events:
            match event:
                case ReplyFinished(request_id=rid) | GenerationFailed(request_id=rid):
                    self._owner.pop(rid, None)
                case EngineCrashed(request_id=rid) if rid is not None:
                    self._owner.pop(rid, None)
        return events

    def wakeup(self) -> None:
        self.local.wakeup()

    def shutdown(self) -> None:
        for _, engine in list(self._remotes.values()):
            try:
                engine.shutdown()
            except Exception:  # the local engine must still be shut down
                log.exception("closing a remote engine failed")
        self._remotes.clear()
        self.local.shutdown()
