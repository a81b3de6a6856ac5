"""Finding tool calls in a reply while it streams.

:class:`CallParser` is fed the reply's text chunk by chunk (after the
``<think>`` split) and gives back the text to show and the calls found. It
holds back only what might still become a call marker (``"<tool_"`` at the
end of a chunk); everything else is shown at once, so a prose answer streams
as before. What it accepts (see :mod:`.formats` for who writes what):

* fenced calls, ``<tool_call>{…}</tool_call>`` and ````` ```tool_call … ``` `````,
  any number of them, with prose around;
* calls that run to the end of the reply, ``<|python_tag|>{…}`` and
  ``[TOOL_CALLS][…]`` / ``[TOOL_CALLS]name[ARGS]{…}``;
* Llama 3's bare form, a reply that is nothing but ``{"name": …, "parameters": …}``:
  a reply that starts with ``{`` is held to its end and shown as text if it
  turns out not to be a call;
* several objects in one block (a JSON list, or objects one after another).

A call it cannot read (malformed JSON, no name, an unterminated block that
does not parse) becomes a :class:`ToolCall` with ``error`` set, never an
exception: the agent tells the model what went wrong. Every format's markers
are recognised whatever the template, because small models mix them up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from desktop_app.core.engine.api import ToolCall
from desktop_app.core.tools.formats import FALLBACK_CLOSE, FALLBACK_OPEN, ToolFormat, new_call_id

MAX_CALL_CHARS = 200_000
"""A call body longer than this is not read (a model looping inside a call)."""


@dataclass(frozen=True)
class _Marker:
    open: str
    close: str | None  # None: the call runs to the end of the reply


_MARKERS = (
    _Marker("<tool_call>", "</tool_call>"),
    _Marker(FALLBACK_OPEN, FALLBACK_CLOSE),
    _Marker("<|python_tag|>", None),
    _Marker("[TOOL_CALLS]", None),
)
_NAME_RE = re.compile(r'"name"\s*:\s*"([^"\\]{1,128})"')
_MISTRAL_ARGS = "[ARGS]"


@dataclass(frozen=True)
class Parsed:
    """What one feed gives: text to show now, and calls completed so far."""

    text: str = ""
    calls: tuple[ToolCall, ...] = ()


class CallParser:
    """Incremental tool-call parser for one reply. ``new_id`` makes call ids (tests pin it)."""

    def __init__(self, tool_format: ToolFormat = ToolFormat.FALLBACK, *,
                 new_id: Callable[[], str] = new_call_id) -> None:
        self._format = tool_format
        self._new_id = new_id
        self._buffer = ""
        self._inside: _Marker | None = None
        self._started = False      # any non-space text has been seen
        self._bare_json = False    # the reply began with "{": maybe Llama's bare call
        self._overflow = False

    def feed(self, text: str) -> Parsed:
        """Add streamed text; return what can be shown and any calls now complete."""
        self._buffer += text
        return self._scan(final=False)

    def finish(self) -> Parsed:
        """The reply ended: flush held-back text and settle any open call."""
        return self._scan(final=True)

    # ---- the scanner -----------------------------------------------------------

    def _scan(self, *, final: bool) -> Parsed:
        shown: list[str] = []
        calls: list[ToolCall] = []
        while True:
            if self._bare_json:
                if not final:
                    self._guard_size(calls)
                    break
                body, self._buffer, self._bare_json = self._buffer, "", False
                found = self._parse_body(body, bare=True)
                if found is None:
                    shown.append(body)  # it was prose that starts with a brace
                else:
                    calls += found
                break
            if self._inside is not None:
                marker = self._inside
                end = self._buffer.find(marker.close) if marker.close else -1
                if end >= 0:
                    assert marker.close is not None
                    body = self._buffer[:end]
                    self._buffer = self._buffer[end + len(marker.close):]
                    self._inside = None
                    calls += self._parse_body(body) or [self._failed(body, "no call in block")]
                    continue
                if final:
                    body, self._buffer, self._inside = self._buffer, "", None
                    if not self._overflow and (body.strip() or marker.close is not None):
                        calls += self._parse_body(body) or [
                            self._failed(body, "the call block was not closed")]
                    break
                self._guard_size(calls)
                break
            if not self._started:
                stripped = self._buffer.lstrip()
                if not stripped:
                    if final:
                        shown.append(self._buffer)
                        self._buffer = ""
                    break
                self._started = True
                if stripped.startswith("{") and self._format == ToolFormat.LLAMA3:
                    self._bare_json = True
                    continue
            at, found_marker = self._next_marker()
            if found_marker is not None:
                shown.append(self._buffer[:at])
                self._buffer = self._buffer[at + len(found_marker.open):]
                self._inside = found_marker
                continue
            keep = 0 if final else _partial_marker_suffix(self._buffer)
            shown.append(self._buffer[:len(self._buffer) - keep])
            self._buffer = self._buffer[len(self._buffer) - keep:]
            break
        return Parsed("".join(shown), tuple(calls))

    def _next_marker(self) -> tuple[int, _Marker | None]:
        best: tuple[int, _Marker | None] = (-1, None)
        for marker in _MARKERS:
            at = self._buffer.find(marker.open)
            if at >= 0 and (best[1] is None or at < best[0]):
                best = (at, marker)
        return best

    def _guard_size(self, calls: list[ToolCall]) -> None:
        """A call body past :data:`MAX_CALL_CHARS` is dropped as failed; the rest is ignored."""
        if len(self._buffer) > MAX_CALL_CHARS and not self._overflow:
            self._overflow = True
            calls.append(self._failed(self._buffer[:200], "the call was too long"))
        if self._overflow:
            self._buffer = ""

    # ---- reading a call body -------------------------------------------------------

    def _parse_body(self, body: str, *, bare: bool = False) -> list[ToolCall] | None:
        """The calls in ``body``; None when it holds no call (bare JSON: it was prose)."""
        if self._overflow:
            return []
        text = body.strip()
        if text.startswith("```"):  # ```json fences inside a <tool_call> block
            text = text.strip("`").removeprefix("json").strip()
        if not text:
            return None
        if not text.startswith(("{", "[")) and _MISTRAL_ARGS in text:
            return self._parse_mistral_v11(text)
        values, error = _json_values(text)
        calls = [self._call_of(value) for value in values]
        if (bare and (error or not calls or any(c.error for c in calls))
                and not _NAME_RE.search(text)):
            return None  # prose that happens to start with "{"
        if error:
            calls.append(self._failed(text, error))
        return calls or None

    def _parse_mistral_v11(self, text: str) -> list[ToolCall]:
        """``name[ARGS]{…}`` (Mistral's v11 tokenizer), possibly several, split by [TOOL_CALLS]."""
        calls: list[ToolCall] = []
        for part in text.split("[TOOL_CALLS]"):
            if not part.strip():
                continue
            name, sep, arguments = part.partition(_MISTRAL_ARGS)
            if not sep or not name.strip():
                calls.append(self._failed(part, "no tool name"))
                continue
            values, error = _json_values(arguments.strip())
            if error or len(values) != 1 or not isinstance(values[0], dict):
                calls.append(self._failed(part, error or "the arguments are not one object",
                                          name=name.strip()))
                continue
            calls.append(ToolCall(self._new_id(), name.strip(),
                                  json.dumps(values[0], ensure_ascii=False), raw=part))
        return calls

    def _call_of(self, value: Any) -> ToolCall:
        raw = json.dumps(value, ensure_ascii=False)
        if not isinstance(value, dict):
            return self._failed(raw, "a call must be a JSON object")
        function = value.get("function")
        if isinstance(function, dict):  # {"type": "function", "function": {...}}
            value = function
        name = value.get("name")
        if not isinstance(name, str) or not name.strip():
            return self._failed(raw, "the call has no tool name")
        arguments = value.get("arguments", value.get("parameters", {}))
        if isinstance(arguments, str):  # some models write the arguments as a JSON string
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except ValueError:
                return self._failed(raw, "the arguments are not valid JSON", name=name)
        if not isinstance(arguments, dict):
            return self._failed(raw, "the arguments must be a JSON object", name=name)
        return ToolCall(self._new_id(), name.strip(), json.dumps(arguments, ensure_ascii=False),
                        raw=raw)

    def _failed(self, raw: str, error: str, *, name: str = "") -> ToolCall:
        if not name:
            match = _NAME_RE.search(raw)
            name = match.group(1) if match else ""
        return ToolCall(self._new_id(), name, "{}", error=error, raw=raw[:2000])


def _json_values(text: str) -> tuple[list[Any], str]:
    """The JSON values in ``text`` one after another (a list is spread), and an error if any.

    Separators models put between objects (whitespace, ``;``, ``,``) are skipped.
    """
    decoder = json.JSONDecoder()
    values: list[Any] = []
    at = 0
    while True:
        while at < len(text) and text[at] in " \t\r\n;,":
            at += 1
        if at >= len(text):
            return values, ""
        try:
            value, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            return values, f"malformed JSON ({exc.msg} at character {exc.pos})"
        if isinstance(value, list):
            values += value
        else:
            values.append(value)


def _partial_marker_suffix(text: str) -> int:
    """Length of the longest end of ``text`` that begins some marker."""
    longest = 0
    for marker in _MARKERS:
        for length in range(min(len(marker.open) - 1, len(text)), longest, -1):
            if text.endswith(marker.open[:length]):
                longest = length
                break
    return longest


def parse_reply(text: str, tool_format: ToolFormat = ToolFormat.FALLBACK, *,
                new_id: Callable[[], str] = new_call_id) -> Parsed:
    """A whole reply at once (tests, and replies that did not stream)."""
    parser = CallParser(tool_format, new_id=new_id)
    first = parser.feed(text)
    last = parser.finish()
    return Parsed(first.text + last.text, first.calls + last.calls)
