"""Importing Claude Desktop / Cursor ``mcpServers`` JSON."""

from __future__ import annotations

import pytest

from desktop_app.core.tools.mcp_config import (
    McpConfigError,
    McpServerConfig,
    parse_mcp_servers,
    servers_to_json,
)

CLAUDE_DESKTOP = """{
  "mcpServers": {
    "filesystem": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"]
    },
    "github": {
      "command": "docker",
      "args": ["run", "-i", "--rm", "-e", "GITHUB_PERSONAL_ACCESS_TOKEN",
               "ghcr.io/github/github-mcp-server"],
      "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_example"}
    }
  }
}"""

CURSOR = """{
  "mcpServers": {
    "remote-docs": {"url": "https://mcp.example.org/mcp", "headers": {"Authorization": "Bearer x"}},
    "typed": {"type": "streamable-http", "url": "http://127.0.0.1:8000/mcp"},
    "off": {"command": "uvx", "args": ["mcp-server-time"], "disabled": true}
  }
}"""


def test_claude_desktop_config() -> None:
    servers = parse_mcp_servers(CLAUDE_DESKTOP)
    assert servers == [
        McpServerConfig("filesystem", command="npx", args=(
            "-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop")),
        McpServerConfig("github", command="docker", args=(
            "run", "-i", "--rm", "-e", "GITHUB_PERSONAL_ACCESS_TOKEN",
            "ghcr.io/github/github-mcp-server"),
            env={"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_example"}),
    ]
    assert all(s.is_stdio and not s.enabled for s in servers)  # imported servers start off


def test_cursor_config_with_urls() -> None:
    remote, typed, off = parse_mcp_servers(CURSOR)
    assert (remote.url, remote.headers, remote.is_stdio) == (
        "https://mcp.example.org/mcp", {"Authorization": "Bearer x"}, False)
    assert typed.url == "http://127.0.0.1:8000/mcp"
    assert off.command == "uvx"


def test_round_trip_keeps_enabled_state() -> None:
    servers = parse_mcp_servers(CURSOR, start_disabled=False)
    assert [s.enabled for s in servers] == [True, True, False]
    assert parse_mcp_servers(servers_to_json(servers), start_disabled=False) == servers


def test_bare_server_object_is_accepted() -> None:
    [server] = parse_mcp_servers('{"time": {"command": "uvx", "args": ["mcp-server-time"]}}')
    assert server.name == "time"
    assert server.slug == "time"
    assert McpServerConfig("My Server!", command="x").slug == "My_Server"


@pytest.mark.parametrize(("text", "why"), [
    ("not json", "not valid JSON"),
    ("[]", "no “mcpServers”"),
    ('{"mcpServers": []}', "no “mcpServers”"),
    ('{"mcpServers": {"a": "npx"}}', "not an object"),
    ('{"mcpServers": {"a": {}}}', "neither a command nor a URL"),
    ('{"mcpServers": {"a": {"command": "x", "url": "http://h"}}}', "both"),
    ('{"mcpServers": {"a": {"url": "file:///etc/passwd"}}}', "http or https"),
    ('{"mcpServers": {"a": {"command": "x", "args": "-y"}}}', "list of text"),
    ('{"mcpServers": {"a": {"command": "x", "env": {"K": ["v"]}}}}', "map names to text"),
    ('{"mcpServers": {"a": {"type": "sse", "url": "http://h/sse"}}}', "old SSE transport"),
])
def test_bad_configs_are_refused_in_words(text: str, why: str) -> None:
    with pytest.raises(McpConfigError, match=why):
        parse_mcp_servers(text)
