"""The usual ``resolve`` for :class:`~desktop_app.core.engine.routing.RoutingEngine`.

It looks a server up in the current settings and its API key up in the key
store, and refuses in words when the server cannot be used: offline mode, a
server that was removed or turned off, or a keyring that is not available.
"""

from __future__ import annotations

from collections.abc import Callable

from desktop_app.core.keychain import KeyStore
from desktop_app.core.remote.servers import ServerConfig
from desktop_app.core.settings import Settings
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserFacingError, user_text


class ServerUnavailable(UserFacingError):
    """A remote server cannot be used now; the message says why."""


def settings_resolver(get_settings: Callable[[], Settings],
                      keys: KeyStore) -> Callable[[str], tuple[ServerConfig, str | None]]:
    """``resolve(server_id) -> (config, api key)`` from the settings of the moment."""

    def resolve(server_id: str) -> tuple[ServerConfig, str | None]:
        settings = get_settings()
        server = next((s for s in settings.servers if s.id == server_id), None)
        if settings.offline:
            raise ServerUnavailable(user_text("remote.offline", QT_TRANSLATE_NOOP(
                "core", "Hearth is in offline mode, so it does not connect to remote servers "
                "such as “{server}”. Turn offline mode off in Settings to use it."),
                server=server.name if server is not None else server_id))
        if server is None:
            raise ServerUnavailable(user_text("remote.removed", QT_TRANSLATE_NOOP(
                "core", "This model's remote server was removed from the settings.")))
        if not server.enabled:
            raise ServerUnavailable(user_text("remote.disabled", QT_TRANSLATE_NOOP(
                "core", "The remote server “{server}” is turned off in Settings."),
                server=server.name))
        return server, keys.get(server_id)  # a KeychainError says what is wrong

    return resolve
