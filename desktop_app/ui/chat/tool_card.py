"""What a tool call's card under a reply shows, as plain data the chat model and the store keep.

Kept apart from the runner so the chat model, the delegate and the history
can hold cards without the machinery that makes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from desktop_app.core.engine.api import ToolCall


class CardStatus(StrEnum):
    WAITING = "waiting"    # for the user's approval, or for the calls before it
    RUNNING = "running"
    DONE = "done"
    DENIED = "denied"
    FAILED = "failed"


@dataclass(frozen=True)
class ToolCard:
    """One call as its card under the reply shows it; plain data, stored with the reply."""

    call_id: str
    name: str
    source: str
    arguments: str       # pretty JSON, or what the model wrote when it was not JSON
    status: CardStatus
    result: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {"id": self.call_id, "name": self.name, "source": self.source,
                "arguments": self.arguments, "status": str(self.status),
                "result": self.result, "seconds": self.seconds}

    @classmethod
    def from_json(cls, data: object) -> ToolCard | None:
        """The card stored as ``data``, or None when it is not one (a damaged row)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(str(data["id"]), str(data["name"]), str(data["source"]),
                       str(data["arguments"]), CardStatus(data["status"]),
                       str(data.get("result", "")), float(data.get("seconds", 0.0)))
        except (KeyError, ValueError, TypeError):
            return None


def pretty_arguments(call: ToolCall) -> str:
    """The call's arguments indented for reading; as written when they are not JSON."""
    if call.error:
        return call.raw or call.arguments
    try:
        return json.dumps(json.loads(call.arguments), indent=2, ensure_ascii=False)
    except ValueError:
        return call.arguments


def cards_to_json(cards: tuple[ToolCard, ...]) -> str:
    """The cards as the history stores them with their reply ("" when there are none)."""
    return json.dumps([c.to_json() for c in cards], ensure_ascii=False) if cards else ""


def cards_from_json(text: str) -> tuple[ToolCard, ...]:
    """The stored cards; a damaged entry is left out rather than failing the chat."""
    if not text:
        return ()
    try:
        data = json.loads(text)
    except ValueError:
        return ()
    if not isinstance(data, list):
        return ()
    return tuple(card for card in map(ToolCard.from_json, data) if card is not None)
