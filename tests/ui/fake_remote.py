"""Stand-ins for remote servers and the API server: answers at once, no network.

``FakeServers`` is a client factory (:data:`ClientFactory`): each server's
answer is set by name, and every client built is recorded with the key it
got, so tests can check which key a connection test used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from desktop_app.core.remote.servers import ServerConfig
from desktop_app.core.serve.config import ApiServerSettings
from desktop_app.core.user_text import UserFacingError, user_text


@dataclass(frozen=True)
class FakeModel:
    id: str
    context_length: int | None = None


@dataclass(frozen=True)
class FakeProbe:
    models: tuple[FakeModel, ...]
    latency_seconds: float


def refused(reason: str = "Connection refused") -> UserFacingError:
    """A failure as core reports it: a translatable message with the cause as argument."""
    return UserFacingError(user_text("remote.fake", "Could not connect: {reason}", reason=reason))


@dataclass
class FakeServers:
    """``models[server name]``: the models it serves; ``errors[server name]``: how it fails."""

    models: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, Exception] = field(default_factory=dict)
    latency: float = 0.042
    built: list[tuple[ServerConfig, str | None]] = field(default_factory=list)
    closed: int = 0  # clients closed after use

    def __call__(self, server: ServerConfig, key: str | None) -> FakeClient:
        self.built.append((server, key))
        return FakeClient(self, server)


@dataclass
class FakeClient:
    servers: FakeServers
    server: ServerConfig

    def list_models(self) -> tuple[FakeModel, ...]:
        error = self.servers.errors.get(self.server.name)
        if error is not None:
            raise error
        return tuple(FakeModel(m) for m in self.servers.models.get(self.server.name, []))

    def probe(self) -> FakeProbe:
        return FakeProbe(self.list_models(), self.servers.latency)

    def close(self) -> None:
        self.servers.closed += 1


@dataclass
class FakeApiServer:
    """An API server that "listens" without a socket; :meth:`serve_one` plays a request."""

    settings: ApiServerSettings
    api_key: str
    fail_with: Exception | None = None
    on_request: Callable[..., Any] | None = None
    running: bool = False
    request_count: int = 0

    @property
    def address(self) -> tuple[str, int]:
        return (self.settings.host, self.settings.port)

    def start(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.running = True

    def stop(self) -> None:
        self.running = False

    def serve_one(self) -> None:
        """A request handled on another thread, as the real server's threads do."""
        def handle() -> None:
            self.request_count += 1
            if self.on_request is not None:
                self.on_request()

        thread = threading.Thread(target=handle)
        thread.start()
        thread.join()
