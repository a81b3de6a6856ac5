"""The in-app OpenAI-compatible API server: started, stopped and watched for the GUI.

The server itself (``desktop_app.core.serve.server.ApiServer``) runs its own
threads and shares the local engine with the GUI's chats through the engine
broker; this controller only decides when it runs (the settings say so),
keeps its key in the keyring, and turns what it reports into Qt signals. The
server calls ``on_request`` from its own threads, so that callback only emits
a signal: the count is read again on the GUI thread, where every widget
showing it lives.

Starting binds a socket and reads the keyring, both quick, so it happens on
the GUI thread; a failure (port taken, keyring locked) becomes the "failed"
state with the reason in words, never an exception in the window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from desktop_app.core.keychain import KeyStore
from desktop_app.core.serve.config import ApiServerSettings
from desktop_app.core.user_text import UserFacingError
from desktop_app.ui.common.user_text import translated

log = logging.getLogger(__name__)


class RunningServer(Protocol):
    """What the controller uses of ``ApiServer`` (a fake in tests)."""

    on_request: Callable[..., Any] | None

    def start(self) -> None: ...

    def stop(self) -> None: ...

    @property
    def address(self) -> Any: ...

    @property
    def request_count(self) -> int: ...


ServerFactory = Callable[[ApiServerSettings, str], RunningServer]
"""Builds a (not yet started) server for these settings and this API key."""

KeyFunction = Callable[[KeyStore], str]
"""``ensure_api_key`` or ``regenerate_api_key``: the key, stored in the keyring."""


class ApiServerState(StrEnum):
    STOPPED = "stopped"
    RUNNING = "running"
    FAILED = "failed"


def format_address(address: Any) -> str:
    """``http://host:port`` for an address given as a URL or as a (host, port) pair."""
    if isinstance(address, tuple) and len(address) >= 2:
        host = f"[{address[0]}]" if ":" in str(address[0]) else str(address[0])
        return f"http://{host}:{address[1]}"
    return str(address)


class ApiServerController(QObject):
    """Runs the API server while the settings enable it.

    Signals:
        state_changed(ApiServerState): the server started, stopped or failed
            (:attr:`address` and :attr:`error` say more).
        request_count_changed(int): requests served since the server started.

    Attributes:
        state: the current :class:`ApiServerState`.
        address: ``http://host:port`` while running, else "".
        error: why it failed, in the user's language ("" unless failed).
    """

    state_changed = Signal(object)
    request_count_changed = Signal(int)
    _request_seen = Signal()  # emitted from the server's threads; handled on the GUI thread

    def __init__(self, make_server: ServerFactory, keys: KeyStore, ensure_key: KeyFunction,
                 regenerate_key: KeyFunction, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._make_server = make_server
        self._keys = keys
        self._ensure_key = ensure_key
        self._regenerate_key = regenerate_key
        self._server: RunningServer | None = None
        self._settings = ApiServerSettings()
        self.state = ApiServerState.STOPPED
        self.address = ""
        self.error = ""
        self.request_count = 0
        self._request_seen.connect(self._on_request_seen)

    @property
    def settings(self) -> ApiServerSettings:
        return self._settings

    def apply(self, settings: ApiServerSettings) -> None:
        """Start, stop or restart the server so that it runs as ``settings`` say."""
        if settings == self._settings and (self._server is not None) == settings.enabled:
            return
        self._settings = settings
        self.stop()
        if settings.enabled:
            self._start()

    def api_key(self) -> str:
        """The server's key (made and stored on first use). Raises ``KeychainError``."""
        return self._ensure_key(self._keys)

    def regenerate(self) -> str:
        """A new key; a running server is restarted with it, so the old key stops working."""
        key = self._regenerate_key(self._keys)
        if self._server is not None:
            self.stop()
            self._start()
        return key

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.on_request = None
            try:
                server.stop()
            except Exception:  # stopping must never keep the window from closing
                log.exception("the API server did not stop cleanly")
        if self.state != ApiServerState.STOPPED or self.error:
            self.address = self.error = ""
            self._set_state(ApiServerState.STOPPED)

    def _start(self) -> None:
        try:
            server = self._make_server(self._settings, self.api_key())  # it checks them
            server.on_request = lambda *_args: self._request_seen.emit()
            server.start()
        except (UserFacingError, OSError, ValueError) as exc:
            log.warning("the API server did not start: %s", exc)
            self.error = translated(exc)
            self._set_state(ApiServerState.FAILED)
            return
        self._server = server
        self.address = format_address(server.address)
        self.request_count = 0
        log.info("API server running at %s", self.address)
        self._set_state(ApiServerState.RUNNING)
        self.request_count_changed.emit(0)

    def _on_request_seen(self) -> None:
        if self._server is not None:
            self.request_count = self._server.request_count
            self.request_count_changed.emit(self.request_count)

    def _set_state(self, state: ApiServerState) -> None:
        self.state = state
        self.state_changed.emit(state)
