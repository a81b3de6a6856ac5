"""The models each enabled remote server serves, asked in the background and cached.

The model picker lists these beside the local models. Each server is asked
once (``GET /v1/models``) when it is added, enabled or changed, and again when
the user refreshes; the answers stay cached meanwhile, so opening the picker
never waits on the network. A server that cannot be reached becomes one
failed entry carrying the reason. In offline mode no server is contacted at
all: every entry says so instead.

A remote model's id in the picker and in ``Settings.last_model_id`` is
:func:`remote_key`: ``remote:<server id>/<model name>``. Local ids are library
ids, which never start with ``remote:``, so the two cannot be confused.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from PySide6.QtCore import QObject, Signal

from desktop_app.core.remote.servers import ServerConfig
from desktop_app.ui.common.background import BackgroundJobs
from desktop_app.ui.common.remote_access import RemoteAccess
from desktop_app.ui.common.user_text import translated

log = logging.getLogger(__name__)

REMOTE_PREFIX = "remote:"


@dataclass(frozen=True)
class RemoteModelRef:
    """A model on a remote server: which server (by id) and the model's name there."""

    server_id: str
    model: str

    @property
    def key(self) -> str:
        return remote_key(self.server_id, self.model)


def remote_key(server_id: str, model: str) -> str:
    """The picker's and the settings' id of ``model`` on the server ``server_id``."""
    return f"{REMOTE_PREFIX}{server_id}/{model}"


def parse_remote_key(key: str) -> RemoteModelRef | None:
    """The server and model a :func:`remote_key` names; None for a local model's id.

    Server ids never contain ``/`` (``ServerConfig.new_id``), model names may
    (``Qwen/Qwen2.5-7B-Instruct``), so the first ``/`` splits them.
    """
    if not key.startswith(REMOTE_PREFIX):
        return None
    server_id, slash, model = key[len(REMOTE_PREFIX):].partition("/")
    if not server_id or not slash or not model:
        return None
    return RemoteModelRef(server_id, model)


class ServerState(StrEnum):
    LOADING = "loading"    # the server is being asked
    READY = "ready"        # ``models`` is its answer
    FAILED = "failed"      # ``error`` says why, in words
    OFFLINE = "offline"    # offline mode: not contacted


@dataclass(frozen=True)
class ServerModels:
    """What the picker shows for one enabled server. ``models`` are the server's own names."""

    server: ServerConfig
    state: ServerState
    models: tuple[str, ...] = field(default=())
    error: str = ""


class RemoteModelCatalog(QObject):
    """Enabled servers and their models, kept up to date off the GUI thread.

    Signals:
        changed(): an entry changed (a server was added, answered or failed).
    """

    changed = Signal()

    def __init__(self, access: RemoteAccess, jobs: BackgroundJobs,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._access = access
        self._jobs = jobs
        self._entries: dict[str, ServerModels] = {}
        self._order: list[str] = []
        self._all: dict[str, ServerConfig] = {}
        self._offline = False
        # Each request's number: an answer for an older request (the server changed
        # since, or was refreshed again) is dropped.
        self._asked: dict[str, int] = {}
        self._requests = 0

    # ---- reading ----------------------------------------------------------------

    def entries(self) -> list[ServerModels]:
        """The enabled servers in the user's order."""
        return [self._entries[server_id] for server_id in self._order]

    def server(self, server_id: str) -> ServerConfig | None:
        """Any configured server by id, enabled or not."""
        return self._all.get(server_id)

    @property
    def offline(self) -> bool:
        return self._offline

    # ---- changing ---------------------------------------------------------------

    def update(self, servers: Sequence[ServerConfig], offline: bool) -> None:
        """Follow the settings: ask new or changed servers, forget removed or disabled ones."""
        self._all = {server.id: server for server in servers}
        self._offline = offline
        enabled = [server for server in servers if server.enabled]
        self._order = [server.id for server in enabled]
        old = self._entries
        self._entries = {}
        for server in enabled:
            known = old.get(server.id)
            if offline:
                self._entries[server.id] = ServerModels(server, ServerState.OFFLINE)
            elif known is not None and known.server == server \
                    and known.state in (ServerState.READY, ServerState.LOADING):
                self._entries[server.id] = known
            else:
                self._ask(server)
        for server_id in set(self._asked) - set(self._entries):
            del self._asked[server_id]
        self.changed.emit()

    def refresh(self, server_ids: set[str] | None = None) -> None:
        """Ask every enabled server (or those of ``server_ids``) again; nothing in offline mode."""
        if self._offline:
            return
        for server_id in self._order:
            if server_ids is None or server_id in server_ids:
                self._ask(self._entries[server_id].server)
        self.changed.emit()

    def _ask(self, server: ServerConfig) -> None:
        self._requests += 1
        request = self._asked[server.id] = self._requests
        previous = self._entries.get(server.id)
        models = previous.models if previous is not None and previous.server == server else ()
        self._entries[server.id] = ServerModels(server, ServerState.LOADING, models)
        access = self._access
        self._jobs.run(lambda: access.list_models(server),
                       lambda models: self._on_answer(server, request, models),
                       lambda exc: self._on_failure(server, request, exc))

    def _current(self, server: ServerConfig, request: int) -> bool:
        return self._asked.get(server.id) == request and server.id in self._entries

    def _on_answer(self, server: ServerConfig, request: int, models: tuple[str, ...]) -> None:
        if self._current(server, request):
            self._entries[server.id] = ServerModels(server, ServerState.READY, models)
            self.changed.emit()

    def _on_failure(self, server: ServerConfig, request: int, exc: BaseException) -> None:
        if not self._current(server, request):
            return
        log.info("listing the models of server %s failed: %s", server.id, type(exc).__name__)
        self._entries[server.id] = ServerModels(server, ServerState.FAILED,
                                                error=translated(exc))
        self.changed.emit()
