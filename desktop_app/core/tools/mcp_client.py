"""One MCP server, reached through the official SDK, behind a synchronous thread-safe facade.

The SDK is async (anyio); Hearth's GUI and agent are not. Each
:class:`McpServer` runs the SDK in its own thread with its own event loop
(anyio's blocking portal) and offers plain calls that any thread may make:
:meth:`~McpServer.start`, :meth:`~McpServer.wait_ready`, :attr:`~McpServer.state`,
:meth:`~McpServer.list_tools`, :meth:`~McpServer.call_tool` (or
:meth:`~McpServer.submit_call`, whose future Stop can cancel),
:meth:`~McpServer.stderr_tail` and :meth:`~McpServer.stop`. One thread per
server keeps a hung server from stalling another.

Life of a server:

* it starts only when asked (:meth:`start` is called for enabled servers by
  whoever owns them), as a separate process for stdio servers. The SDK puts
  it in its own process group and on shutdown closes its stdin, waits, then
  kills the group. On Linux it is also started under ``setpriv --pdeathsig
  KILL`` when that is available, so it dies with Hearth even when Hearth is
  killed; elsewhere (and always) a server sees its stdin close when Hearth
  dies, which ends every SDK-based server.
* its state goes STOPPED → STARTING → READY, or FAILED with a message and the
  last lines it wrote to stderr (kept in memory, :data:`STDERR_LINES` lines).
  A server that dies later is noticed by a ping every ``ping_interval``
  seconds (skipped while a call runs, which may legitimately block the
  server) or by the next call failing, and becomes FAILED.
* a call has a time limit (a hung server costs one call, not the chat) and
  its text is cut to :data:`~desktop_app.core.tools.toolbox.MAX_RESULT_CHARS`
  with a note for the model.

``on_change`` is called (from the server's thread) after every state change,
for the settings page to refresh; a GUI forwards it with a queued signal.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import json
import logging
import os
import shutil
import sys
import threading
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from desktop_app.core.engine.api import ToolSpec
from desktop_app.core.tools.mcp_config import McpServerConfig
from desktop_app.core.tools.toolbox import ToolResult, truncate
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserText, user_text

# anyio (with asyncio, ~20 ms) loads when the first MCP server starts: the window imports
# this module at start for its types.
if TYPE_CHECKING:
    import anyio
    from anyio.from_thread import BlockingPortal

log = logging.getLogger(__name__)

STDERR_LINES = 40
STDERR_LINE_CHARS = 500
START_SECONDS = 30.0
PING_SECONDS = 5.0
STOP_SECONDS = 8.0


class ServerState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class McpToolInfo:
    """A tool as the server lists it: its own name, description and argument schema (JSON)."""

    name: str
    description: str
    parameters: str

    def spec(self, name: str | None = None) -> ToolSpec:
        return ToolSpec(name or self.name, self.description, self.parameters)


def _launch_command(config: McpServerConfig) -> tuple[str, list[str]]:
    """The program and arguments to run: under ``setpriv --pdeathsig KILL`` where possible.

    A program that is not there is reported as such here: behind ``setpriv``
    it would only show as a closed connection.
    """
    search_path = config.env.get("PATH", os.environ.get("PATH", os.defpath))
    if shutil.which(config.command, path=search_path) is None:
        raise FileNotFoundError(2, "not found", config.command)
    if sys.platform.startswith("linux"):
        setpriv = shutil.which("setpriv")
        if setpriv:
            return setpriv, ["--pdeathsig", "KILL", "--", config.command, *config.args]
    return config.command, list(config.args)


class _StderrTail:
    """The last lines a server wrote to stderr, read from a pipe by a small thread."""

    def __init__(self, lines: int = STDERR_LINES) -> None:
        self._lines: collections.deque[str] = collections.deque(maxlen=lines)
        self._lock = threading.Lock()
        read_fd, write_fd = os.pipe()
        self.writer = os.fdopen(write_fd, "w", encoding="utf-8")
        self._reader = threading.Thread(target=self._read, args=(read_fd,), daemon=True,
                                        name="hearth-mcp-stderr")
        self._reader.start()

    def _read(self, fd: int) -> None:
        with open(fd, "rb") as stream:
            for raw in stream:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")[:STDERR_LINE_CHARS]
                with self._lock:
                    self._lines.append(line)

    def close_writer(self) -> None:
        """Drop our copy of the write end (the child has its own), so EOF comes when it exits."""
        with contextlib.suppress(OSError):
            self.writer.close()

    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def join(self, timeout: float) -> None:
        self._reader.join(timeout)


class McpServer:
    """One configured server (see the module docstring). Every public method is thread-safe."""

    def __init__(self, config: McpServerConfig, *,
                 on_change: Callable[[McpServer], None] = lambda _server: None,
                 start_seconds: float = START_SECONDS, ping_seconds: float = PING_SECONDS,
                 cwd: str | None = None) -> None:
        self.config = config
        self._on_change = on_change
        self._start_seconds = start_seconds
        self._ping_seconds = ping_seconds
        self._cwd = cwd
        self._lock = threading.Lock()
        self._state = ServerState.STOPPED
        self._error: UserText | None = None
        self._tools: tuple[McpToolInfo, ...] = ()
        self._ready = threading.Event()
        self._portal: BlockingPortal | None = None
        self._portal_cm: Any = None
        self._main: concurrent.futures.Future[None] | None = None
        self._session: Any = None
        self._stop_event: anyio.Event | None = None
        self._scope: anyio.CancelScope | None = None
        self._stderr: _StderrTail | None = None
        self._calls_running = 0
        self._generation = 0  # bumped by every start; a previous run's late news is ignored

    # ---- state ---------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def state(self) -> ServerState:
        with self._lock:
            return self._state

    @property
    def error(self) -> UserText | None:
        """Why the server failed (FAILED only)."""
        with self._lock:
            return self._error

    def stderr_tail(self) -> list[str]:
        stderr = self._stderr
        return stderr.lines() if stderr is not None else []

    def _set_state(self, state: ServerState, error: UserText | None = None, *,
                   generation: int | None = None) -> None:
        with self._lock:
            if generation is not None and generation != self._generation:
                return  # an earlier run ending after a restart
            if self._state == state and error is None:
                return
            if self._state == ServerState.FAILED and state == ServerState.STOPPED:
                return  # a failure stays visible after the teardown that follows it
            self._state, self._error = state, error
        if state != ServerState.STARTING:
            self._ready.set()
        try:
            self._on_change(self)
        except Exception:  # the listener's bug must not kill the server's thread
            log.exception("MCP state listener failed")

    # ---- start and stop -----------------------------------------------------------------

    def start(self) -> None:
        """Start connecting in the background (no-op unless STOPPED or FAILED)."""
        with self._lock:
            if self._state in (ServerState.STARTING, ServerState.READY):
                return
        self._teardown()  # a failed run may still hold its thread and process
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._state, self._error, self._tools = ServerState.STARTING, None, ()
            self._ready.clear()
        self._on_change(self)
        from anyio.from_thread import start_blocking_portal

        self._portal_cm = start_blocking_portal(backend="asyncio")
        self._portal = self._portal_cm.__enter__()
        self._main = self._portal.start_task_soon(self._serve, generation)

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the server is READY (True) or has failed or stopped (False)."""
        self._ready.wait(timeout)
        return self.state == ServerState.READY

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Disconnect and stop the server's process; returns when it is gone (or ``timeout``)."""
        self._teardown(timeout)
        self._set_state(ServerState.STOPPED)

    def _teardown(self, timeout: float = STOP_SECONDS) -> None:
        portal, main = self._portal, self._main
        if portal is not None and main is not None and not main.done():
            with contextlib.suppress(RuntimeError):
                portal.call(self._request_stop)
            with contextlib.suppress(Exception):
                main.result(timeout)
            if not main.done():
                main.cancel()
        self._main = None
        self._shutdown_portal()

    def _shutdown_portal(self) -> None:
        portal_cm, self._portal_cm, self._portal = self._portal_cm, None, None
        if portal_cm is not None:
            with contextlib.suppress(Exception):
                portal_cm.__exit__(None, None, None)

    async def _request_stop(self) -> None:
        """Stop a READY server gracefully; abandon one still starting (it may never answer)."""
        if self._session is None and self._scope is not None:
            self._scope.cancel()
        elif self._stop_event is not None:
            self._stop_event.set()

    # ---- the server's own thread -------------------------------------------------------

    async def _serve(self, generation: int) -> None:
        import anyio

        self._stop_event = stop = anyio.Event()
        self._scope = scope = anyio.CancelScope()
        try:
            with scope:
                await self._connect(stop, generation)
        except Exception as exc:
            log.info("MCP server %s failed: %r", self.name, exc)
            if isinstance(_root(exc), TimeoutError):
                self._fail(user_text("mcp.start_timeout", QT_TRANSLATE_NOOP(
                    "core", "The server did not start within {seconds} seconds."),
                    seconds=f"{self._start_seconds:g}"), generation)
            else:
                self._fail(_describe(exc), generation)
        finally:
            with self._lock:
                self._session = None
            if self._stderr is not None:
                self._stderr.close_writer()
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self._stderr.join, 1.0)
            self._set_state(ServerState.STOPPED, generation=generation)

    async def _connect(self, stop: anyio.Event, generation: int) -> None:
        """Start the server, list its tools, then hold the connection until ``stop``."""
        import anyio
        from mcp import ClientSession

        async with AsyncExitStack() as stack:
            read, write = await stack.enter_async_context(self._transport())
            session = await stack.enter_async_context(ClientSession(read, write))
            with anyio.fail_after(self._start_seconds):
                await session.initialize()
                listed = await session.list_tools()
            tools = tuple(McpToolInfo(t.name, t.description or "",
                                      json.dumps(t.input_schema, ensure_ascii=False))
                          for t in listed.tools)
            with self._lock:
                self._tools = tools
                self._session = session
            self._set_state(ServerState.READY, generation=generation)
            await self._watch(session, stop, generation)

    def _transport(self) -> contextlib.AbstractAsyncContextManager[Any]:
        config = self.config
        if config.is_stdio:
            from mcp import StdioServerParameters, stdio_client

            command, args = _launch_command(config)
            self._stderr = _StderrTail()
            params = StdioServerParameters(command=command, args=args, env=dict(config.env),
                                           cwd=self._cwd)
            return _closing_stderr_after_spawn(stdio_client(params, errlog=self._stderr.writer),
                                               self._stderr)
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        client = create_mcp_http_client(headers=dict(config.headers) or None)
        return _http_with_client(streamable_http_client(config.url, http_client=client), client)

    async def _watch(self, session: Any, stop: anyio.Event, generation: int) -> None:
        """Wait for stop; meanwhile ping the idle server to notice it dying."""
        import anyio

        while not stop.is_set():
            with anyio.move_on_after(self._ping_seconds):
                await stop.wait()
            if stop.is_set() or self._calls_running:
                continue
            try:
                with anyio.fail_after(max(self._ping_seconds, 2.0)):
                    await session.send_ping()
            except Exception as exc:
                log.info("MCP server %s stopped answering: %r", self.name, exc)
                self._fail(user_text("mcp.gone", QT_TRANSLATE_NOOP(
                    "core", "The server stopped answering ({reason})."),
                    reason=type(exc).__name__), generation)
                return

    def _fail(self, reason: UserText, generation: int) -> None:
        self._set_state(ServerState.FAILED, reason, generation=generation)

    # ---- tools ------------------------------------------------------------------------------

    def list_tools(self) -> tuple[McpToolInfo, ...]:
        """The tools the server listed when it started (empty unless READY)."""
        with self._lock:
            return self._tools if self._state == ServerState.READY else ()

    def submit_call(self, name: str, arguments: dict[str, Any],
                    timeout: float) -> concurrent.futures.Future[ToolResult]:
        """Start a call; the future gives its result (cancel it to abandon the call)."""
        portal = self._portal
        if portal is None or self.state != ServerState.READY:
            done: concurrent.futures.Future[ToolResult] = concurrent.futures.Future()
            done.set_result(ToolResult(self._not_ready(), is_error=True))
            return done
        return portal.start_task_soon(self._call, name, arguments, timeout)

    def call_tool(self, name: str, arguments: dict[str, Any], timeout: float) -> ToolResult:
        """Run one call and wait for it; failures come back as error results."""
        future = self.submit_call(name, arguments, timeout)
        try:
            return future.result(timeout + 5.0)
        except concurrent.futures.CancelledError:
            return ToolResult("The call was cancelled.", is_error=True)
        except concurrent.futures.TimeoutError:
            future.cancel()
            return ToolResult(_timed_out(self.name, timeout), is_error=True)

    def _not_ready(self) -> str:
        return f"The MCP server {self.name!r} is not running ({self.state})."

    async def _call(self, name: str, arguments: dict[str, Any], timeout: float) -> ToolResult:
        import anyio

        with self._lock:
            session, generation = self._session, self._generation
        if session is None:
            return ToolResult(self._not_ready(), is_error=True)
        self._calls_running += 1
        try:
            with anyio.fail_after(timeout):
                result = await session.call_tool(name, arguments)
        except TimeoutError:
            return ToolResult(_timed_out(self.name, timeout), is_error=True)
        except Exception as exc:
            log.info("MCP call %s.%s failed: %r", self.name, name, exc)
            message = _describe(exc)
            if not _is_tool_error(exc):
                self._fail(message, generation)  # the connection is gone, not just this call
                if self._stop_event is not None:
                    self._stop_event.set()  # and the run ends, reaping the process
            return ToolResult(f"MCP server {self.name!r}: {message}", is_error=True)
        finally:
            self._calls_running -= 1
        text, cut = truncate(_result_text(result))
        return ToolResult(text, is_error=bool(getattr(result, "is_error", False)), truncated=cut)


@contextlib.asynccontextmanager
async def _closing_stderr_after_spawn(transport: Any, stderr: _StderrTail) -> Any:
    """Enter the stdio transport (which spawns the server), then drop our stderr write end."""
    async with transport as streams:
        stderr.close_writer()
        yield streams


@contextlib.asynccontextmanager
async def _http_with_client(transport: Any, client: Any) -> Any:
    async with client, transport as streams:
        yield streams


def _timed_out(server: str, timeout: float) -> str:
    return f"The MCP server {server!r} did not answer within {timeout:g} seconds."


def _is_tool_error(exc: Exception) -> bool:
    """An error answer to one request (the connection still works), as opposed to a lost one."""
    from mcp import MCPError

    code = getattr(getattr(exc, "error", None), "code", None)
    return isinstance(exc, MCPError) and isinstance(code, int) and code != -32000 and code > -32099


def _root(exc: BaseException) -> BaseException:
    """The first real exception inside exception groups (anyio's task groups wrap them)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _describe(exc: BaseException) -> UserText:
    """A failure in words, from the cause inside any exception group."""
    exc = _root(exc)
    detail = str(exc).strip() or type(exc).__name__
    if isinstance(exc, FileNotFoundError):
        detail = f"the program {exc.filename or ''} was not found".replace("  ", " ")
    return user_text("mcp.failed", QT_TRANSLATE_NOOP("core", "The server failed: {detail}"),
                     detail=detail[:500])


def _result_text(result: Any) -> str:
    """A CallToolResult's content as text for the model (non-text parts described)."""
    parts: list[str] = []
    for item in getattr(result, "content", None) or ():
        kind = getattr(item, "type", "")
        if kind == "text":
            parts.append(str(item.text))
        elif kind in ("image", "audio"):
            parts.append(f"[{kind}: {getattr(item, 'mime_type', '')}, not shown]")
        elif kind == "resource":
            resource = item.resource
            text = getattr(resource, "text", None)
            parts.append(str(text) if text is not None else f"[resource: {resource.uri}]")
        elif kind == "resource_link":
            parts.append(f"[resource: {getattr(item, 'uri', '')}]")
    structured = getattr(result, "structured_content", None)
    if not parts and structured is not None:
        parts.append(json.dumps(structured, ensure_ascii=False))
    return "\n".join(parts)


class McpTool:
    """One tool of a server, as a :class:`~desktop_app.core.tools.toolbox.Tool`.

    ``name`` is what the model calls it: the server's own name for it unless
    another tool already has that name, in which case the server's slug is
    prefixed (:func:`server_tools`).
    """

    def __init__(self, server: McpServer, info: McpToolInfo, name: str) -> None:
        self._server = server
        self._info = info
        self.spec = info.spec(name)
        self.source = server.name

    def run(self, arguments: dict[str, Any], timeout: float) -> ToolResult:
        return self._server.call_tool(self._info.name, arguments, timeout)

    def submit(self, arguments: dict[str, Any],
               timeout: float) -> concurrent.futures.Future[ToolResult]:
        """Start the call; cancelling the future abandons it (the GUI's Stop)."""
        return self._server.submit_call(self._info.name, arguments, timeout)


def server_tools(server: McpServer, taken: set[str],
                 enabled: Callable[[str], bool] = lambda _name: True) -> list[McpTool]:
    """The READY server's tools that ``enabled`` lets through, named apart from ``taken``.

    ``taken`` is updated with the names given, so servers can be added in turn.
    """
    tools: list[McpTool] = []
    for info in server.list_tools():
        if not enabled(info.name):
            continue
        name = info.name if info.name not in taken else f"{server.config.slug}__{info.name}"
        n = 2
        while name in taken:
            name, n = f"{server.config.slug}__{info.name}_{n}", n + 1
        taken.add(name)
        tools.append(McpTool(server, info, name))
    return tools
