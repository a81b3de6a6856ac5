"""A real MCP server for the tests, built with the SDK's MCPServer (FastMCP in SDK 1.x).

Run as ``python mcp_test_server.py MODE [PORT]``. Modes: ``normal`` (tools that
work), ``crash_at_start`` (writes to stderr and exits before the handshake),
``http`` (the same tools over streamable HTTP on 127.0.0.1:PORT), ``stubborn``
(does not exit when its stdin closes), ``slow_start`` (never answers the handshake). Every mode
writes its PID to ``$HEARTH_TEST_PIDFILE`` so a test can check the process is
gone afterwards. The ``crash`` tool exits the process mid-call, ``hang`` never
answers, ``huge`` returns half a megabyte, ``exit_soon`` answers and then exits.
"""

from __future__ import annotations

import os
import sys
import time

from mcp.server.mcpserver import MCPServer

app = MCPServer("hearth-test")


@app.tool()
def add(a: int, b: int) -> int:
    """Add two whole numbers."""
    return a + b


@app.tool()
def echo(text: str) -> str:
    """Return the text unchanged."""
    return text


@app.tool()
def crash() -> str:
    """Exit the server process in the middle of the call."""
    print("about to crash: simulated failure", file=sys.stderr, flush=True)
    os._exit(3)


@app.tool()
def exit_soon() -> str:
    """Answer, then exit a moment later (a server dying while idle)."""
    import threading

    def leave() -> None:
        time.sleep(0.2)
        print("exiting while idle", file=sys.stderr, flush=True)
        os._exit(4)

    threading.Thread(target=leave, daemon=True).start()
    return "bye"


@app.tool()
async def hang() -> str:
    """Never answer."""
    import anyio

    await anyio.sleep(3600)
    return "unreachable"


@app.tool()
def huge() -> str:
    """Return half a megabyte of text (the SDK refuses a single HTTP event over 1 MB)."""
    return "0123456789" * 50_000


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "normal"
    pidfile = os.environ.get("HEARTH_TEST_PIDFILE")
    if pidfile:
        with open(pidfile, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\n")
    print(f"test server starting in mode {mode}", file=sys.stderr, flush=True)
    if mode == "crash_at_start":
        print("fatal: cannot open database (simulated)", file=sys.stderr, flush=True)
        sys.exit(2)
    if mode == "slow_start":
        time.sleep(3600)
    if mode == "http":
        app.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        app.run()
    if mode == "stubborn":  # stuck after its stdin closed: only a signal ends it
        print("stdin closed, lingering", file=sys.stderr, flush=True)
        time.sleep(3600)


if __name__ == "__main__":
    main()
