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
