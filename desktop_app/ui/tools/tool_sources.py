"""Where a chat's tools come from: the built-ins switched on and the ready MCP servers' tools.

One place for "the tools switched on", read by the chat (``tools_feature``)
and by Settings › Tools for its token count, and the bridge that brings the
servers' state changes, reported from their own threads, to the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from desktop_app.core.documents.retrieval import Hit
from desktop_app.core.settings import Settings
from desktop_app.core.tools.builtin.catalog import builtin_tools
from desktop_app.core.tools.builtin.document_search import Search
from desktop_app.core.tools.mcp_client import McpServer
from desktop_app.core.tools.mcp_servers import McpServerSet
from desktop_app.core.tools.toolbox import Tool


def tool_key(server: str, tool: str) -> str:
    """How ``ToolSettings.disabled_tools`` names one server's tool."""
    return f"{server}/{tool}"


def all_tools(settings: Settings, servers: McpServerSet, search: Search | None = None,
              ) -> list[Tool]:
    """The tools switched on: built-ins first (the budget keeps the first), then MCP tools.

    ``search`` backs the documents tool; without it (no documents feature, or
    Settings counting tokens) the tool is listed by its description alone.
    """
    tools = builtin_tools(settings.tools.builtin, is_offline=lambda: settings.offline,
                          search=search if search is not None else _no_search)
    disabled = set(settings.tools.disabled_tools)
    tools += servers.tools((t.spec.name for t in tools),
                           lambda server, tool: tool_key(server, tool) not in disabled)
    return tools


def _no_search(_question: str, _k: int) -> list[Hit]:
    """What the documents tool finds where no documents feature is built: nothing."""
    return []


class ServerEvents(QObject):
    """Brings MCP servers' state changes (from their threads) to the GUI thread.

    Signals:
        server_changed(object): the McpServer whose state or tools changed.
    """

    server_changed = Signal(object)

    def notify(self, server: McpServer) -> None:
        self.server_changed.emit(server)  # queued: emitted from a server's thread


@dataclass(frozen=True)
class LiveServers:
    """The running servers and their change events, for Settings › Tools."""

    servers: McpServerSet
    events: ServerEvents
