"""How the local OpenAI-compatible API server runs: address, limits, allowed hosts and origins.

Secure by default: off, bound to the loopback address, a key required (it is
stored in the keyring, not here), CORS off.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_PORT = 8765
LOOPBACK = "127.0.0.1"
API_KEY_NAME = "api-server"
"""The keyring name of the server's API key (:mod:`desktop_app.core.keychain`)."""


@dataclass(frozen=True)
class ApiServerSettings:
    """``allowed_hosts``: extra Host header values accepted besides the loopback names and
    the bind address; ``cors_origins``: browser origins allowed to call the API (none: CORS off).
    """

    enabled: bool = False
    host: str = LOOPBACK
    port: int = DEFAULT_PORT
    allowed_hosts: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 4 * 1024 * 1024
    max_tokens_limit: int = 4096

    @property
    def loopback_only(self) -> bool:
        """True when only this computer can reach the server (no warning needed)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def validate(self) -> ApiServerSettings:
        """Return self, or raise ``ValueError`` naming the bad setting."""
        if not 1 <= self.port <= 65535:
            raise ValueError(f"The port must be from 1 to 65535, got {self.port}.")
        if not self.host:
            raise ValueError("The address to listen on must not be empty.")
        if self.max_body_bytes < 1024:
            raise ValueError(f"The request size limit must be at least 1024 bytes, "
                             f"got {self.max_body_bytes}.")
        if self.max_tokens_limit < 1:
            raise ValueError(f"The max_tokens limit must be at least 1, "
                             f"got {self.max_tokens_limit}.")
        return self


def api_server_to_json(settings: ApiServerSettings) -> dict[str, Any]:
    return {"enabled": settings.enabled, "host": settings.host, "port": settings.port,
            "allowed_hosts": list(settings.allowed_hosts),
            "cors_origins": list(settings.cors_origins),
            "max_body_bytes": settings.max_body_bytes,
            "max_tokens_limit": settings.max_tokens_limit}


def api_server_from_json(data: object) -> ApiServerSettings:
    """Raise ``ValueError`` for anything but an entry as Hearth writes it."""
    if not isinstance(data, Mapping):
        raise ValueError(f"expected an object, got {data!r}")
    default = ApiServerSettings()

    def typed(key: str, kind: type, fallback: object) -> Any:
        value = data.get(key, fallback)
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            raise ValueError(f"“{key}” has the wrong type: {value!r}")
        return value

    def texts(key: str) -> tuple[str, ...]:
        value = typed(key, list, [])
        if not all(isinstance(v, str) for v in value):
            raise ValueError(f"“{key}” must be a list of text")
        return tuple(value)

    return ApiServerSettings(
        enabled=typed("enabled", bool, default.enabled), host=typed("host", str, default.host),
        port=typed("port", int, default.port), allowed_hosts=texts("allowed_hosts"),
        cors_origins=texts("cors_origins"),
        max_body_bytes=typed("max_body_bytes", int, default.max_body_bytes),
        max_tokens_limit=typed("max_tokens_limit", int, default.max_tokens_limit),
    ).validate()
