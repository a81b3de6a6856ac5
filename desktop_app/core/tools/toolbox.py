"""The tools a chat can offer, and running one call safely.

A :class:`Tool` is anything with a :class:`ToolSpec` and a ``run``: the
built-in tools (``core.tools.builtin``) and each tool of an MCP server
(``core.tools.mcp_client``). A :class:`ToolBox` holds the ones switched on for
a chat and runs calls for the agent: it checks the arguments against the
tool's schema first (a small model's call is often wrong, and the model can
fix it when told why), turns every failure into an error result the model
reads instead of an exception, and cuts output to :data:`MAX_RESULT_CHARS`
with a note saying so, so one huge answer cannot fill the context.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from desktop_app.core.engine.api import ToolCall, ToolSpec
from desktop_app.core.tools.formats import parameters_of
from desktop_app.core.user_text import UserFacingError

log = logging.getLogger(__name__)

MAX_RESULT_CHARS = 16_000
"""Characters of one result the model gets (about 4,000 tokens); the rest is cut with a note."""

DEFAULT_TIMEOUT = 60.0
"""Seconds one call may take before it is given up (MCP servers; built-ins bound themselves)."""

BUILTIN_SOURCE = "Hearth"
"""``Tool.source`` of the built-in tools (an MCP tool's source is its server's name)."""


class ToolError(UserFacingError):
    """A tool could not do what was asked; the message goes to the model (and the card)."""


@dataclass(frozen=True)
class ToolResult:
    """What a call gave back: text for the model, and whether it failed or was cut."""

    text: str
    is_error: bool = False
    truncated: bool = False
    seconds: float = 0.0


class Tool(Protocol):
    """A callable tool. ``run`` may block (up to ``timeout``) and is called off the GUI thread."""

    @property
    def spec(self) -> ToolSpec: ...

    @property
    def source(self) -> str: ...

    def run(self, arguments: dict[str, Any], timeout: float) -> ToolResult: ...


def truncate(text: str, limit: int = MAX_RESULT_CHARS) -> tuple[str, bool]:
    """``text`` cut to ``limit`` characters with a note for the model, and whether it was cut."""
    if len(text) <= limit:
        return text, False
    return (text[:limit] + f"\n[Output truncated: the first {limit:,} of {len(text):,} "
                           "characters are shown.]"), True


class ToolBox:
    """The tools of one chat, by the name the model calls them. Thread-safe to run from."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        self._lock = threading.Lock()
        for tool in tools:
            self.add(tool)

    def add(self, tool: Tool) -> None:
        """Add ``tool``; a name already taken is an error (MCP names are prefixed to avoid it)."""
        with self._lock:
            if tool.spec.name in self._tools:
                raise ValueError(f"two tools are named {tool.spec.name!r}")
            self._tools[tool.spec.name] = tool

    def get(self, name: str) -> Tool | None:
        with self._lock:
            return self._tools.get(name)

    @property
    def specs(self) -> tuple[ToolSpec, ...]:
        with self._lock:
            return tuple(t.spec for t in self._tools.values())

    def run(self, call: ToolCall, timeout: float = DEFAULT_TIMEOUT) -> ToolResult:
        """Run ``call``; any failure is an error result for the model, never an exception."""
        started = time.monotonic()
        result = self._run(call, timeout)
        text, cut = truncate(result.text)
        return ToolResult(text, result.is_error, result.truncated or cut,
                          time.monotonic() - started)

    def _run(self, call: ToolCall, timeout: float) -> ToolResult:
        if call.error:
            return ToolResult(f"Your tool call could not be read: {call.error}. Write it again "
                              "as valid JSON with a name and an arguments object.", True)
        tool = self.get(call.name)
        if tool is None:
            names = ", ".join(sorted(self._tools)) or "none"
            return ToolResult(f"There is no tool named {call.name!r}. Available tools: {names}.",
                              True)
        try:
            arguments = json.loads(call.arguments)
        except ValueError:
            arguments = None
        if not isinstance(arguments, dict):
            return ToolResult("The arguments must be a JSON object.", True)
        problem = _schema_problem(tool.spec, arguments)
        if problem:
            return ToolResult(f"Invalid arguments for {call.name}: {problem}", True)
        try:
            return tool.run(arguments, timeout)
        except ToolError as exc:
            return ToolResult(str(exc), True)
        except Exception as exc:  # a bug in a tool costs that call, not the chat
            log.exception("tool %s failed", call.name)
            return ToolResult(f"The tool failed: {type(exc).__name__}: {exc}", True)


def _schema_problem(spec: ToolSpec, arguments: dict[str, Any]) -> str:
    """Why ``arguments`` do not fit the tool's schema, or "" (an unusable schema is not checked)."""
    # jsonschema (~50 ms) loads at the first tool call, not with the chat window.
    import jsonschema
    from jsonschema.exceptions import SchemaError, ValidationError

    schema = parameters_of(spec)
    try:
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
        error = jsonschema.exceptions.best_match(validator_class(schema).iter_errors(arguments))
    except SchemaError:
        log.warning("tool %s has an invalid argument schema; arguments not checked", spec.name)
        return ""
    if error is None:
        return ""
    assert isinstance(error, ValidationError)
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where}: {error.message}" if where else error.message
