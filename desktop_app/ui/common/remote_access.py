"""What the GUI needs to reach remote servers: the keyring and a client per server.

Built once in the composition root and handed to the Servers tab (test
connection) and the model picker (model discovery). Every call that may block
(the keyring can wait on a D-Bus unlock prompt, a server on the network) runs
in :class:`~desktop_app.ui.common.background.BackgroundJobs`, never on the GUI
thread; :meth:`RemoteAccess.client_for` is meant to be called from there.

The client is described by protocols rather than the core class so that tests
can hand in a fake that answers at once, without a server.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from desktop_app.core.keychain import KeyStore
from desktop_app.core.remote.servers import ServerConfig
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserFacingError, user_text


class ModelInfo(Protocol):
    """One model a server serves (``RemoteModelInfo`` in core)."""

    @property
    def id(self) -> str: ...


class ProbeOutcome(Protocol):
    """What a connection test found (``ProbeResult`` in core)."""

    @property
    def models(self) -> Sequence[ModelInfo]: ...

    @property
    def latency_seconds(self) -> float: ...


class ServerClient(Protocol):
    """The two questions the GUI asks a server (``RemoteClient`` in core); both may block."""

    def list_models(self) -> Sequence[ModelInfo]: ...

    def probe(self) -> ProbeOutcome: ...

    def close(self) -> None: ...


ClientFactory = Callable[[ServerConfig, "str | None"], ServerClient]
"""Builds a client for a server and its API key (None: the server needs none)."""


@dataclass(frozen=True)
class RemoteAccess:
    """The keyring and the client factory, passed together to whatever contacts servers."""

    keys: KeyStore
    make_client: ClientFactory

    def client_for(self, server: ServerConfig, key: str | None = None) -> ServerClient:
        """A client for ``server`` with ``key``, or with the key in the keyring (blocks)."""
        if key is None:
            key = self.keys.get(server.id)
        return self.make_client(server, key or None)

    def list_models(self, server: ServerConfig) -> tuple[str, ...]:
        """The names of the models ``server`` serves (blocks; raises ``UserFacingError``)."""
        client = self.client_for(server)
        try:
            return tuple(info.id for info in client.list_models())
        finally:
            client.close()

    def probe(self, server: ServerConfig, key: str | None = None) -> ProbeOutcome:
        """A connection test of ``server`` (blocks; raises ``UserFacingError``)."""
        client = self.client_for(server, key)
        try:
            return client.probe()
        finally:
            client.close()

    def resolve(self, server_id: str, servers: Sequence[ServerConfig],
                offline: bool) -> tuple[ServerConfig, str | None]:
        """For the routing engine, on its thread: the server to send a model's work to and
        its key, or a :class:`UserFacingError` saying why it may not be used.

        Checked at every load, so a server removed or offline mode turned on
        since the model was chosen is never contacted.
        """
        server = next((s for s in servers if s.id == server_id), None)
        if server is None or not server.enabled:
            raise UserFacingError(user_text("remote.server_gone", QT_TRANSLATE_NOOP(
                "core", "This server is no longer in Settings › Servers, or is turned off.")))
        if offline:
            raise UserFacingError(user_text("remote.offline", QT_TRANSLATE_NOOP(
                "core", "Offline mode is on: Hearth does not connect to {server}."),
                server=server.name))
        return server, self.keys.get(server.id) or None
