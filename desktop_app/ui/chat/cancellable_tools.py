"""MCP tools whose calls Stop can abandon, for one reply.

``ToolBox.run`` blocks a pool thread on a tool until it answers or times out
(a minute). For an MCP call that is needless: the call is a future on the
server's event loop, and cancelling it ends the call at once. So each reply's
MCP tools are wrapped with a :class:`CallScope`; the runner cancels the scope
on Stop, and the pool thread gets "cancelled" back straight away.
"""

from __future__ import annotations

import concurrent.futures
import threading
from typing import Any

from desktop_app.core.engine.api import ToolSpec
from desktop_app.core.tools.mcp_client import McpTool
from desktop_app.core.tools.toolbox import Tool, ToolBox, ToolResult

CANCELLED = "The call was cancelled."
WAIT_MARGIN = 5.0
"""Seconds past the call's own timeout before giving up waiting (the server enforces it)."""


class CallScope:
    """The MCP calls of one reply in flight; :meth:`cancel` abandons them all. Thread-safe."""

    def __init__(self) -> None:
        self._futures: set[concurrent.futures.Future[ToolResult]] = set()
        self._cancelled = False
        self._lock = threading.Lock()

    def add(self, future: concurrent.futures.Future[ToolResult]) -> None:
        with self._lock:
            if self._cancelled:
                future.cancel()
                return
            self._futures.add(future)
        future.add_done_callback(self._discard)

    def _discard(self, future: concurrent.futures.Future[ToolResult]) -> None:
        with self._lock:
            self._futures.discard(future)

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            futures = list(self._futures)
        for future in futures:
            future.cancel()


class _Cancellable:
    """An MCP tool whose calls join a :class:`CallScope`."""

    def __init__(self, tool: McpTool, scope: CallScope) -> None:
        self._tool = tool
        self._scope = scope

    @property
    def spec(self) -> ToolSpec:
        return self._tool.spec

    @property
    def source(self) -> str:
        return self._tool.source

    def run(self, arguments: dict[str, Any], timeout: float) -> ToolResult:
        future = self._tool.submit(arguments, timeout)
        self._scope.add(future)
        try:
            return future.result(timeout + WAIT_MARGIN)
        except concurrent.futures.CancelledError:
            return ToolResult(CANCELLED, is_error=True)
        except concurrent.futures.TimeoutError:
            future.cancel()
            return ToolResult(f"The tool did not answer within {timeout:.0f} seconds.", True)


def cancellable(toolbox: ToolBox, scope: CallScope) -> ToolBox:
    """``toolbox`` with its MCP tools' calls joining ``scope``; other tools as they are."""
    tools: list[Tool] = []
    for spec in toolbox.specs:
        tool = toolbox.get(spec.name)
        if tool is not None:
            tools.append(_Cancellable(tool, scope) if isinstance(tool, McpTool) else tool)
    return ToolBox(tools)
