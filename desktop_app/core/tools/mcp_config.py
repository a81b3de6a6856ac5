"""MCP server settings, and importing the ``mcpServers`` JSON of Claude Desktop and Cursor.

Both apps keep their servers in one JSON object::

    {"mcpServers": {
        "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem",
                                                  "/home/me/notes"], "env": {"DEBUG": "1"}},
        "remote": {"url": "https://example.org/mcp", "headers": {"Authorization": "Bearer …"}}}}

A server with a ``command`` runs as a child process spoken to over stdio; one
with a ``url`` is a streamable-HTTP server. Cursor's ``"type": "http"`` /
``"streamable-http"`` and a ``"disabled": true`` flag are understood too; an
old-style SSE-only server (``"type": "sse"``) is refused with a sentence, as
the SDK's SSE transport is deprecated. Imported servers start disabled: a
pasted file must not start programs before the user has looked at them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserFacingError, user_text

MAX_CONFIG_CHARS = 1_000_000


class McpConfigError(UserFacingError):
    """The ``mcpServers`` JSON could not be read; the message says where."""


@dataclass(frozen=True)
class McpServerConfig:
    """One MCP server as the user set it up. Exactly one of ``command`` and ``url`` is set."""

    name: str
    command: str = ""
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict, hash=False)
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict, hash=False)
    enabled: bool = False

    @property
    def is_stdio(self) -> bool:
        return bool(self.command)

    @property
    def slug(self) -> str:
        """The name reduced to what tool names may hold (prefix for colliding tool names)."""
        return re.sub(r"[^A-Za-z0-9_-]+", "_", self.name).strip("_")[:32] or "server"


def _bad(name: str, reason: str) -> McpConfigError:
    return McpConfigError(user_text("mcp.config_bad_server", QT_TRANSLATE_NOOP(
        "core", "The MCP server “{name}” cannot be imported: {reason}"),
        name=name, reason=reason))


def _strings(value: Any, name: str, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str | int | float) for k, v in value.items()):
        raise _bad(name, f"“{what}” must map names to text")
    return {k: str(v) for k, v in value.items()}


def server_from_json(name: str, entry: Any) -> McpServerConfig:
    """One entry of ``mcpServers``; raises :class:`McpConfigError` naming what is wrong."""
    if not isinstance(entry, dict):
        raise _bad(name, "it is not an object")
    kind = str(entry.get("type", entry.get("transport", ""))).lower()
    if kind == "sse":
        raise _bad(name, "it uses the old SSE transport; Hearth speaks stdio and streamable HTTP")
    command, url = entry.get("command"), entry.get("url", entry.get("serverUrl"))
    if command and url:
        raise _bad(name, "it has both a command and a URL")
    enabled = not bool(entry.get("disabled", False))
    if command:
        if not isinstance(command, str):
            raise _bad(name, "“command” must be text")
        args = entry.get("args", [])
        if not isinstance(args, list) or not all(isinstance(a, str | int | float) for a in args):
            raise _bad(name, "“args” must be a list of text")
        return McpServerConfig(name=name, command=command, args=tuple(str(a) for a in args),
                               env=_strings(entry.get("env"), name, "env"), enabled=enabled)
    if url:
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise _bad(name, "“url” must be an http or https address")
        return McpServerConfig(name=name, url=url,
                               headers=_strings(entry.get("headers"), name, "headers"),
                               enabled=enabled)
    raise _bad(name, "it has neither a command nor a URL")


def parse_mcp_servers(text: str, *, start_disabled: bool = True) -> list[McpServerConfig]:
    """The servers of a Claude Desktop / Cursor configuration.

    ``start_disabled``: an import, whose servers stay off until the user switches
    them on (Hearth's own saved list passes False). A bare ``{"name": {...}}``
    object (the inside of ``mcpServers``) is accepted too.
    """
    if len(text) > MAX_CONFIG_CHARS:
        raise McpConfigError("The configuration is larger than 1 MB.")
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise McpConfigError(user_text("mcp.config_not_json", QT_TRANSLATE_NOOP(
            "core", "This is not valid JSON: {error}"), error=str(exc))) from None
    if not isinstance(data, dict):
        raise McpConfigError(user_text("mcp.config_no_servers", QT_TRANSLATE_NOOP(
            "core", "The configuration has no “mcpServers” object.")))
    servers = data.get("mcpServers", data.get("servers", data))
    if not isinstance(servers, dict):
        raise McpConfigError(user_text("mcp.config_no_servers", QT_TRANSLATE_NOOP(
            "core", "The configuration has no “mcpServers” object.")))
    configs = [server_from_json(str(name), entry) for name, entry in servers.items()]
    return [replace(c, enabled=False) for c in configs] if start_disabled else configs


def servers_to_json(servers: list[McpServerConfig]) -> str:
    """The servers as an ``mcpServers`` document (export, and Hearth's own settings file)."""
    out: dict[str, Any] = {}
    for s in servers:
        entry: dict[str, Any] = {"command": s.command, "args": list(s.args)} if s.is_stdio \
            else {"url": s.url}
        if s.env:
            entry["env"] = dict(s.env)
        if s.headers:
            entry["headers"] = dict(s.headers)
        if not s.enabled:
            entry["disabled"] = True
        out[s.name] = entry
    return json.dumps({"mcpServers": out}, indent=2, ensure_ascii=False)
