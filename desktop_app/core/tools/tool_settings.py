"""The user's tool settings (Settings › Tools) and their JSON form in the settings file.

One dataclass, so the settings file, the Tools tab and the chat read the
same facts: which built-ins are on, the MCP servers, which tools never ask
again, the token budget for tool descriptions, and the chats tools are on in.
Tools are off in a chat until the user switches them on there (the "Tools"
button above the chat): a small model offered tools it does not need answers
worse, and nothing should run before the user asked for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from desktop_app.core.tools.builtin.catalog import BuiltinSettings
from desktop_app.core.tools.mcp_config import (
    McpConfigError,
    McpServerConfig,
    parse_mcp_servers,
    servers_to_json,
)

DEFAULT_BUDGET = 1000
"""Tokens of tool descriptions per prompt: room for the built-ins and a small server."""
MIN_BUDGET, MAX_BUDGET = 100, 32_000


@dataclass
class ToolSettings:
    """What Settings › Tools holds. ``disabled_tools`` are "server/tool" names switched off."""

    builtin: BuiltinSettings = field(default_factory=BuiltinSettings)
    mcp_servers: list[McpServerConfig] = field(default_factory=list)
    disabled_tools: list[str] = field(default_factory=list)
    always_allowed: list[str] = field(default_factory=list)
    budget: int = DEFAULT_BUDGET
    chats: list[int] = field(default_factory=list)  # conversations with tools on


def tool_settings_to_json(settings: ToolSettings) -> dict[str, Any]:
    b = settings.builtin
    return {
        "builtin": {"calculator": b.calculator, "clock": b.clock, "folders": list(b.folders),
                    "documents": b.documents, "web_fetch": b.web_fetch},
        "mcp_servers": json.loads(servers_to_json(settings.mcp_servers)),
        "disabled_tools": list(settings.disabled_tools),
        "always_allowed": list(settings.always_allowed),
        "budget": settings.budget,
        "chats": list(settings.chats),
    }


def _strings(value: object, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"“{name}” is not a list of texts")
    return list(value)


def _flag(data: dict[str, Any], name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise ValueError(f"“{name}” is not true or false")
    return value


def tool_settings_from_json(data: object) -> ToolSettings:
    """The settings ``data`` holds; raises ValueError (the caller keeps the defaults)."""
    if not isinstance(data, dict):
        raise ValueError(f"expected an object, got {data!r}")
    raw_builtin = data.get("builtin", {})
    if not isinstance(raw_builtin, dict):
        raise ValueError("“builtin” is not an object")
    defaults = BuiltinSettings()
    builtin = BuiltinSettings(
        calculator=_flag(raw_builtin, "calculator", defaults.calculator),
        clock=_flag(raw_builtin, "clock", defaults.clock),
        folders=tuple(_strings(raw_builtin.get("folders", []), "folders")),
        documents=_flag(raw_builtin, "documents", defaults.documents),
        web_fetch=_flag(raw_builtin, "web_fetch", defaults.web_fetch))
    try:
        servers = parse_mcp_servers(json.dumps(data.get("mcp_servers", {})),
                                    start_disabled=False)
    except McpConfigError as exc:
        raise ValueError(str(exc)) from None
    budget = data.get("budget", DEFAULT_BUDGET)
    if not isinstance(budget, int) or isinstance(budget, bool) \
            or not MIN_BUDGET <= budget <= MAX_BUDGET:
        raise ValueError(f"“budget” is not a number of tokens from {MIN_BUDGET} to {MAX_BUDGET}")
    chats = data.get("chats", [])
    if not isinstance(chats, list) or not all(
            isinstance(c, int) and not isinstance(c, bool) for c in chats):
        raise ValueError("“chats” is not a list of conversation ids")
    return ToolSettings(builtin, servers,
                        _strings(data.get("disabled_tools", []), "disabled_tools"),
                        _strings(data.get("always_allowed", []), "always_allowed"),
                        budget, list(chats))
