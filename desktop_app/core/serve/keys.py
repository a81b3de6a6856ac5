"""The API server's key: made once, kept in the keyring (or a private file), shown on request.

The key is random (``secrets.token_urlsafe(32)``, 256 bits) with a ``hearth-``
prefix, so a key found in a script or a log says where it belongs. A machine
without a keyring (a headless home server) can keep it in a file instead
(``hearth serve --key-file``): :class:`FileKeyStore` writes it with mode 0600
and refuses a file others can read.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
from pathlib import Path

from desktop_app.core.keychain import KeychainError, KeyStore
from desktop_app.core.serve.config import API_KEY_NAME
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, user_text

KEY_PREFIX = "hearth-"
MAX_KEY_FILE_BYTES = 4096


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def ensure_api_key(keys: KeyStore) -> str:
    """The server's key, made and stored under ``API_KEY_NAME`` the first time."""
    key = keys.get(API_KEY_NAME)
    if key:
        return key
    return regenerate_api_key(keys)


def regenerate_api_key(keys: KeyStore) -> str:
    """A new key replaces the old one (clients using the old one get 401 from now on)."""
    key = new_api_key()
    keys.set(API_KEY_NAME, key)
    return key


class FileKeyStore:
    """The API key in one file only its owner may read (for machines without a keyring).

    Only :data:`API_KEY_NAME` is kept; the file holds the key alone, on one line.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self, name: str) -> str | None:
        self._only_api_key(name)
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._error(exc.strerror or str(exc)) from exc
        if sys.platform != "win32" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeychainError(user_text("keyfile.open", QT_TRANSLATE_NOOP(
                "core", "The key file {path} can be read by other users. Make it private "
                "(chmod 600 {path}) or delete it to make a new key."), path=str(self.path)))
        if info.st_size > MAX_KEY_FILE_BYTES:
            raise self._error("it is too large to be a key file")
        try:
            key = self.path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise self._error(str(exc)) from exc
        return key or None

    def set(self, name: str, secret: str) -> None:
        self._only_api_key(name)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_name(self.path.name + ".partial")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(secret + "\n")
            os.chmod(partial, 0o600)  # in case it existed with other rights
            os.replace(partial, self.path)
        except OSError as exc:
            raise self._error(exc.strerror or str(exc)) from exc

    def delete(self, name: str) -> None:
        self._only_api_key(name)
        self.path.unlink(missing_ok=True)

    @staticmethod
    def _only_api_key(name: str) -> None:
        if name != API_KEY_NAME:
            raise KeyError(f"a key file holds only the API server's key, not {name!r}")

    def _error(self, reason: str) -> KeychainError:
        return KeychainError(user_text("keyfile.unusable", QT_TRANSLATE_NOOP(
            "core", "The key file {path} cannot be used: {reason}"),
            path=str(self.path), reason=reason))
