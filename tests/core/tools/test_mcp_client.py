"""Real MCP servers written with the SDK (tests/core/tools/mcp_test_server.py), over stdio and
streamable HTTP: tools, a crash (mid-call, at start, while idle), a hang, huge output, Stop,
and no server process left behind, even when Hearth itself is killed."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.engine.api import ToolCall
from desktop_app.core.tools.mcp_client import McpServer, ServerState, server_tools
from desktop_app.core.tools.mcp_config import McpServerConfig
from desktop_app.core.tools.toolbox import MAX_RESULT_CHARS, ToolBox

SERVER = Path(__file__).with_name("mcp_test_server.py")
REPO = Path(__file__).resolve().parents[3]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def pidfile(tmp_path: Path) -> Iterator[Path]:
    """Where test servers write their PIDs; afterwards every one of them must be gone."""
    path = tmp_path / "pids"
    yield path
    pids = [int(p) for p in path.read_text().split()] if path.exists() else []
    left = [pid for pid in pids if not _wait_gone(pid, 10)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"MCP server processes left running: {left}"


def stdio_config(pidfile: Path, mode: str = "normal") -> McpServerConfig:
    return McpServerConfig(name="Test server", command=sys.executable, args=(str(SERVER), mode),
                           env={"HEARTH_TEST_PIDFILE": str(pidfile)}, enabled=True)


@pytest.fixture
def server(pidfile: Path) -> Iterator[McpServer]:
    changes: list[ServerState] = []
    server = McpServer(stdio_config(pidfile), on_change=lambda s: changes.append(s.state),
                       ping_seconds=0.2)
    server.changes = changes  # type: ignore[attr-defined]
    server.start()
    assert server.wait_ready(30), (server.error, server.stderr_tail())
    yield server
    server.stop()


def test_stdio_server_lists_and_runs_tools(server: McpServer) -> None:
    tools = {t.name: t for t in server.list_tools()}
    assert set(tools) == {"add", "echo", "crash", "exit_soon", "hang", "huge"}
    assert tools["add"].description == "Add two whole numbers."
    schema = json.loads(tools["add"].parameters)
    assert schema["required"] == ["a", "b"]
    result = server.call_tool("add", {"a": 2, "b": 40}, timeout=10)
    assert (result.text, result.is_error) == ("42", False)
    bad = server.call_tool("add", {"a": "x"}, timeout=10)
    assert bad.is_error
    assert server.state == ServerState.READY  # a tool's error is not the server's failure
    assert server.changes[:2] == [ServerState.STARTING, ServerState.READY]  # type: ignore[attr-defined]
    assert "test server starting in mode normal" in server.stderr_tail()


def test_a_hanging_call_times_out_and_the_server_stays_usable(server: McpServer) -> None:
    started = time.monotonic()
    result = server.call_tool("hang", {}, timeout=0.5)
    assert result.is_error
    assert "did not answer within 0.5 seconds" in result.text
    assert time.monotonic() - started < 3
    assert server.call_tool("echo", {"text": "still here"}, timeout=10).text == "still here"


def test_a_running_call_can_be_cancelled(server: McpServer) -> None:
    future = server.submit_call("hang", {}, timeout=60)
    time.sleep(0.1)
    assert future.cancel() or future.done()
    assert server.call_tool("echo", {"text": "ok"}, timeout=10).text == "ok"


def test_huge_output_is_truncated_with_a_note(server: McpServer) -> None:
    result = server.call_tool("huge", {}, timeout=10)
    assert result.truncated
    assert len(result.text) < MAX_RESULT_CHARS + 200
    assert "Output truncated: the first 16,000 of 500,000 characters" in result.text


def test_a_crash_mid_call_is_reported_with_stderr(server: McpServer) -> None:
    result = server.call_tool("crash", {}, timeout=10)
    assert result.is_error
    assert server.state == ServerState.FAILED
    assert server.error is not None
    assert "about to crash: simulated failure" in server.stderr_tail()
    assert server.call_tool("echo", {"text": "x"}, timeout=1).is_error  # not running
    # It can be started again.
    server.start()
    assert server.wait_ready(30)
    assert server.call_tool("echo", {"text": "back"}, timeout=10).text == "back"


def test_a_server_dying_while_idle_is_noticed(server: McpServer) -> None:
    assert server.call_tool("exit_soon", {}, timeout=10).text == "bye"
    deadline = time.monotonic() + 10
    while server.state != ServerState.FAILED and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.state == ServerState.FAILED
    assert "exiting while idle" in server.stderr_tail()


def test_a_server_failing_at_start(pidfile: Path) -> None:
    server = McpServer(stdio_config(pidfile, "crash_at_start"))
    server.start()
    assert not server.wait_ready(30)
    assert server.state == ServerState.FAILED
    assert "fatal: cannot open database (simulated)" in server.stderr_tail()
    server.stop()
    assert server.state == ServerState.FAILED  # the failure stays visible


def test_a_missing_program(tmp_path: Path) -> None:
    server = McpServer(McpServerConfig("Nope", command=str(tmp_path / "no-such-program")))
    server.start()
    assert not server.wait_ready(30)
    assert server.state == ServerState.FAILED
    assert "no-such-program" in str(server.error)


def test_stop_while_starting_is_prompt(pidfile: Path) -> None:
    server = McpServer(stdio_config(pidfile, "slow_start"), start_seconds=60)
    server.start()
    deadline = time.monotonic() + 10
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 8
    assert server.state == ServerState.STOPPED


def test_start_timeout(pidfile: Path) -> None:
    server = McpServer(stdio_config(pidfile, "slow_start"), start_seconds=0.5)
    server.start()
    assert not server.wait_ready(30)
    assert "did not start within 0.5 seconds" in str(server.error)
    server.stop()


def test_tools_join_the_toolbox_under_unique_names(server: McpServer) -> None:
    taken = {"echo"}  # say a built-in already has this name
    tools = server_tools(server, taken, enabled=lambda name: name in ("add", "echo"))
    assert [t.spec.name for t in tools] == ["add", "Test_server__echo"]
    assert tools[0].source == "Test server"
    box = ToolBox([*tools])
    result = box.run(ToolCall("c", "Test_server__echo", '{"text": "hi"}'))
    assert result.text == "hi"
    invalid = box.run(ToolCall("c", "add", '{"a": 1}'))
    assert invalid.is_error
    assert "'b' is a required property" in invalid.text


# ---- streamable HTTP ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def http_url(pidfile: Path) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(SERVER), "http", str(port)],
        env={**os.environ, "HEARTH_TEST_PIDFILE": str(pidfile)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                assert process.poll() is None, "the HTTP test server exited"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(10)


def test_streamable_http_server(http_url: str) -> None:
    server = McpServer(McpServerConfig("Web", url=http_url, enabled=True), ping_seconds=0.2)
    server.start()
    try:
        assert server.wait_ready(30), server.error
        assert {t.name for t in server.list_tools()} >= {"add", "hang", "huge"}
        assert server.call_tool("add", {"a": 1, "b": 2}, timeout=10).text == "3"
        timed_out = server.call_tool("hang", {}, timeout=0.5)
        assert "did not answer within 0.5 seconds" in timed_out.text
        assert server.call_tool("huge", {}, timeout=10).truncated
    finally:
        server.stop()
    assert server.state == ServerState.STOPPED


def test_unreachable_http_server_fails() -> None:
    server = McpServer(McpServerConfig("Gone", url=f"http://127.0.0.1:{_free_port()}/mcp"),
                       start_seconds=5)
    server.start()
    assert not server.wait_ready(30)
    assert server.state == ServerState.FAILED
    server.stop()


# ---- Hearth killed --------------------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_servers_die_with_a_killed_hearth(pidfile: Path) -> None:
    """SIGKILL the process that owns a READY server: the server process must go too, even one
    that does not exit when its stdin closes."""
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from desktop_app.core.tools.mcp_client import McpServer
        from desktop_app.core.tools.mcp_config import McpServerConfig
        config = McpServerConfig("t", command=sys.executable, args=({str(SERVER)!r}, "stubborn"),
                                 env={{"HEARTH_TEST_PIDFILE": {str(pidfile)!r}}})
        server = McpServer(config)
        server.start()
        print("ready" if server.wait_ready(30) else "failed", flush=True)
        time.sleep(60)
    """)
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        assert owner.stdout.readline().strip() == "ready"
        [pid] = [int(p) for p in pidfile.read_text().split()]
        assert _alive(pid)
        owner.kill()
        owner.wait(10)
        assert _wait_gone(pid, 5), "the MCP server outlived the killed Hearth"
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait(10)
        if owner.stdout is not None:
            owner.stdout.close()


# ---- the set of servers ---------------------------------------------------------------


def test_server_set_starts_only_enabled_servers_and_stops_all(pidfile: Path) -> None:
    from dataclasses import replace

    from desktop_app.core.tools.mcp_servers import McpServerSet

    servers = McpServerSet()
    on = stdio_config(pidfile)
    off = replace(stdio_config(pidfile), name="Off", enabled=False)
    servers.apply([on, off])
    main = servers.get("Test server")
    assert main is not None
    assert main.wait_ready(30), (main.state, main.error, main.stderr_tail())
    assert servers.get("Off") is not None
    assert servers.get("Off").state == ServerState.STOPPED  # type: ignore[union-attr]
    assert len(pidfile.read_text().split()) == 1  # the disabled one never ran
    tools = servers.tools(taken={"add"}, enabled=lambda server, tool: tool in ("add", "echo"))
    assert [t.spec.name for t in tools] == ["Test_server__add", "echo"]
    servers.apply([replace(on, enabled=False), off])
    assert main.state == ServerState.STOPPED
    assert servers.tools() == []
    servers.apply([on])
    assert servers.get("Off") is None
    assert main.wait_ready(30)
    servers.stop_all()
    assert main.state == ServerState.STOPPED
