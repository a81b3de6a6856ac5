"""The current date and time, which a model cannot know from its weights."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desktop_app.core.engine.api import ToolSpec
from desktop_app.core.tools.toolbox import BUILTIN_SOURCE, ToolError, ToolResult

SPEC = ToolSpec(
    name="get_current_time",
    description="The current date, time and weekday, here or in a given time zone.",
    parameters='{"type": "object", "properties": {"timezone": {"type": "string", '
               '"description": "IANA time zone such as Europe/Paris; omit for local time"}}}')


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class Clock:
    """The ``get_current_time`` tool; ``now`` is injectable so tests can pin the instant."""

    spec = SPEC
    source = BUILTIN_SOURCE

    def __init__(self, now: Callable[[], datetime.datetime] = _now) -> None:
        self._now = now

    def run(self, arguments: dict[str, Any], timeout: float) -> ToolResult:
        name = str(arguments.get("timezone") or "").strip()
        instant = self._now()
        if name:
            try:
                moment = instant.astimezone(ZoneInfo(name))
            except (ZoneInfoNotFoundError, ValueError):
                raise ToolError(f"Unknown time zone {name[:64]!r}; use an IANA name such as "
                                "Europe/Paris.") from None
        else:
            moment = instant.astimezone()  # the computer's own zone
            name = moment.tzname() or "local"
        return ToolResult(f"{moment.strftime('%A, %Y-%m-%d %H:%M:%S')} ({name}, UTC"
                          f"{moment.strftime('%z')[:3]}:{moment.strftime('%z')[3:]})")
