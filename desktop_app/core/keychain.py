"""Secrets (remote servers' API keys, the local API server's key) in the OS keyring.

Keys never go into the settings file or the logs. ``keyring`` picks the
platform's store: the macOS Keychain, Windows Credential Locker, or the
Secret Service (GNOME Keyring, KWallet) on Linux. A Linux machine without one
(a headless box) gets a clear error instead of a silent plain-text fallback.
Tests use :class:`MemoryKeyStore`.
"""

from __future__ import annotations

import logging
from typing import Protocol

from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserFacingError, user_text

log = logging.getLogger(__name__)

SERVICE = "Hearth"
"""The keyring service name every Hearth secret is stored under."""


class KeychainError(UserFacingError):
    """The keyring is missing or refused; the message says so in words."""


class KeyStore(Protocol):
    """Where secrets live, by name (a server id, or ``"api-server"``)."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, secret: str) -> None: ...

    def delete(self, name: str) -> None:
        """Forget ``name``; no error if it was never stored."""
        ...


class MemoryKeyStore:
    """Secrets in a dict, for tests and for a session that must not touch the keyring."""

    def __init__(self) -> None:
        self._secrets: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self._secrets.get(name)

    def set(self, name: str, secret: str) -> None:
        self._secrets[name] = secret

    def delete(self, name: str) -> None:
        self._secrets.pop(name, None)


class KeyringKeyStore:
    """Secrets in the operating system's keyring, under :data:`SERVICE`."""

    def __init__(self, service: str = SERVICE) -> None:
        self._service = service

    def get(self, name: str) -> str | None:
        import keyring
        import keyring.errors

        try:
            return keyring.get_password(self._service, name)
        except keyring.errors.KeyringError as exc:
            raise _unavailable(exc) from exc

    def set(self, name: str, secret: str) -> None:
        import keyring
        import keyring.errors

        try:
            keyring.set_password(self._service, name, secret)
        except keyring.errors.KeyringError as exc:
            raise _unavailable(exc) from exc

    def delete(self, name: str) -> None:
        import keyring
        import keyring.errors

        try:
            keyring.delete_password(self._service, name)
        except keyring.errors.PasswordDeleteError:
            pass  # it was not there
        except keyring.errors.KeyringError as exc:
            raise _unavailable(exc) from exc


def _unavailable(exc: Exception) -> KeychainError:
    log.warning("keyring unavailable: %s", type(exc).__name__)  # never the secret
    return KeychainError(user_text("keychain.unavailable", QT_TRANSLATE_NOOP(
        "core", "The system keyring is not available ({cause}), so the API key cannot be "
        "stored. Install and unlock a keyring (GNOME Keyring or KWallet on Linux)."),
        cause=type(exc).__name__))
