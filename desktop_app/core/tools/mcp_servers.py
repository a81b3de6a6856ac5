"""All of the user's MCP servers: started when enabled, stopped when not, all stopped at exit.

One :class:`McpServerSet` lives in the composition root. The settings page
hands it the configured list (:meth:`~McpServerSet.apply`), which starts the
enabled servers, stops the disabled and removed ones and restarts one whose
command or URL changed; the chat asks it for the tools of the servers that
are READY (:meth:`~McpServerSet.tools`); quitting Hearth calls
:meth:`~McpServerSet.stop_all`. Servers start in the background; the page
follows them through ``on_change`` (called from the servers' threads).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from desktop_app.core.tools.mcp_client import McpServer, McpTool, ServerState, server_tools
from desktop_app.core.tools.mcp_config import McpServerConfig


class McpServerSet:
    """The configured servers by name (see the module docstring). Thread-safe."""

    def __init__(self, *, on_change: Callable[[McpServer], None] = lambda _server: None,
                 make_server: Callable[[McpServerConfig], McpServer] | None = None) -> None:
        self._on_change = on_change
        self._make = make_server or (lambda config: McpServer(config, on_change=on_change))
        self._servers: dict[str, McpServer] = {}
        self._lock = threading.Lock()

    @property
    def servers(self) -> list[McpServer]:
        with self._lock:
            return list(self._servers.values())

    def get(self, name: str) -> McpServer | None:
        with self._lock:
            return self._servers.get(name)

    def apply(self, configs: Sequence[McpServerConfig]) -> None:
        """Make the running servers match ``configs``; only enabled servers run."""
        wanted = {c.name: c for c in configs}
        to_stop: list[McpServer] = []
        to_start: list[McpServer] = []
        with self._lock:
            for name, running in list(self._servers.items()):
                new = wanted.get(name)
                changed = new is None or replace(new, enabled=True) != replace(
                    running.config, enabled=True)
                if changed or (new is not None and not new.enabled):
                    to_stop.append(running)
                if changed:
                    del self._servers[name]
            for name, config in wanted.items():
                found = self._servers.get(name)
                server = found if found is not None else self._make(config)
                server.config = config  # the same setup; only "enabled" may differ
                self._servers[name] = server
                if config.enabled and server.state in (ServerState.STOPPED, ServerState.FAILED) \
                        and server not in to_stop:
                    to_start.append(server)
        for server in to_stop:
            server.stop()
        for server in to_start:
            server.start()

    def tools(self, taken: Iterable[str] = (),
              enabled: Callable[[str, str], bool] = lambda _server, _tool: True,
              ) -> list[McpTool]:
        """The tools of the READY servers that ``enabled(server, tool)`` lets through.

        Names already ``taken`` (the built-in tools') are avoided by prefixing.
        """
        names = set(taken)
        tools: list[McpTool] = []
        for server in self.servers:
            if server.state == ServerState.READY:
                tools += server_tools(server, names, _for_server(enabled, server.name))
        return tools

    def stop_all(self) -> None:
        """Stop every server (Hearth is quitting); returns when their processes are gone."""
        with self._lock:
            servers = list(self._servers.values())
        threads = [threading.Thread(target=s.stop, name="hearth-mcp-stop") for s in servers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def _for_server(enabled: Callable[[str, str], bool], server: str) -> Callable[[str], bool]:
    return lambda tool: enabled(server, tool)
