"""settings_resolver: servers from the settings, keys from the key store, refusals in words."""

from __future__ import annotations

from dataclasses import replace

import pytest

from desktop_app.core.keychain import MemoryKeyStore
from desktop_app.core.remote.resolver import ServerUnavailable, settings_resolver
from desktop_app.core.remote.servers import ServerConfig
from desktop_app.core.settings import Settings


def test_resolver() -> None:
    server = ServerConfig(id="srv-1", name="Lab vLLM", base_url="http://10.1.2.3:8000/v1",
                          preset="vllm")
    settings = Settings(servers=[server])
    keys = MemoryKeyStore()
    keys.set("srv-1", "sk-secret")
    resolve = settings_resolver(lambda: settings, keys)
    assert resolve("srv-1") == (server, "sk-secret")
    with pytest.raises(ServerUnavailable, match="removed"):
        resolve("srv-gone")
    settings.servers = [replace(server, enabled=False)]
    with pytest.raises(ServerUnavailable, match="“Lab vLLM” is turned off"):
        resolve("srv-1")
    settings.servers = [server]
    settings.offline = True
    with pytest.raises(ServerUnavailable, match="offline mode"):
        resolve("srv-1")
