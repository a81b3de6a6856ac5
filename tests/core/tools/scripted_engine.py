"""A FakeEngine whose replies are scripted one per request, with tool calls.

Each script entry is the text tokens of one reply and the calls it makes;
the calls arrive as one ToolCallRequested right before ReplyFinished, as
the real engines send them. Requests beyond the script get the last entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from desktop_app.core.engine.api import GenerateRequest, StopReason, ToolCall, ToolCallRequested
from tests.ui.fake_engine import FakeEngine, _Stream


@dataclass(frozen=True)
class Reply:
    tokens: tuple[str, ...] = ()
    calls: tuple[ToolCall, ...] = ()


@dataclass
class ScriptedEngine(FakeEngine):
    script: list[Reply] = field(default_factory=list)
    token_interval: float = 0.0

    def generate(self, request: GenerateRequest) -> None:
        entry = self.script[min(len(self.requests), len(self.script) - 1)]
        self.reply_tokens = list(entry.tokens)
        self._calls = entry.calls
        super().generate(request)

    def _finish(self, stream: _Stream, reason: StopReason) -> None:
        if reason == StopReason.END and self._calls:
            self._events.append(ToolCallRequested(stream.request.request_id, self._calls))
        super()._finish(stream, reason)
