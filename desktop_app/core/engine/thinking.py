"""Separating a reasoning model's ``<think>…</think>`` text from its answer while it streams.

Tags can arrive split across chunks (``"<thi"`` then ``"nk>"``), so the
splitter holds back a possible partial tag until the next chunk decides it.
The answer never contains the tags; the thinking text is kept apart so the
chat can show it collapsed and the next prompt can leave it out.
"""

from __future__ import annotations

OPEN = "<think>"
CLOSE = "</think>"


class ThinkingSplitter:
    """Feed streamed text; get back (answer, thinking) pieces ready to show."""

    def __init__(self) -> None:
        self._in_thinking = False
        self._held = ""

    def feed(self, text: str) -> tuple[str, str]:
        """Split ``text`` (appended to anything held back) into answer and thinking."""
        buffer = self._held + text
        self._held = ""
        answer: list[str] = []
        thinking: list[str] = []
        while buffer:
            tag = CLOSE if self._in_thinking else OPEN
            at = buffer.find(tag)
            if at >= 0:
                (thinking if self._in_thinking else answer).append(buffer[:at])
                buffer = buffer[at + len(tag):]
                self._in_thinking = not self._in_thinking
                continue
            keep = _partial_suffix(buffer, tag)
            (thinking if self._in_thinking else answer).append(buffer[:len(buffer) - keep])
            self._held = buffer[len(buffer) - keep:]
            break
        return "".join(answer), "".join(thinking)

    def flush(self) -> tuple[str, str]:
        """The end of the reply: whatever was held back was not a tag after all."""
        held, self._held = self._held, ""
        return ("", held) if self._in_thinking else (held, "")


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that is the start of ``tag``."""
    for length in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:length]):
            return length
    return 0


def strip_thinking(text: str) -> str:
    """``text`` without any ``<think>…</think>`` blocks (for history fed back to the model)."""
    splitter = ThinkingSplitter()
    answer, _ = splitter.feed(text)
    tail, _ = splitter.flush()
    return answer + tail
