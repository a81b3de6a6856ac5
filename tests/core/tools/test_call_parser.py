"""The tool-call parser on recorded raw outputs of each format, whole and split at every point."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from desktop_app.core.engine.api import ToolCall
from desktop_app.core.tools.call_parser import MAX_CALL_CHARS, CallParser, Parsed, parse_reply
from desktop_app.core.tools.formats import ToolFormat

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "recorded" / "raw_outputs.json").read_text(encoding="utf-8"))


def _ids() -> Any:
    counter = itertools.count(1)
    return lambda: f"call{next(counter)}"


def _check(parsed: Parsed, case: dict[str, Any]) -> None:
    assert parsed.text == case["text"]
    assert len(parsed.calls) == len(case["calls"]), parsed.calls
    for call, expected in zip(parsed.calls, case["calls"], strict=True):
        assert call.name == expected["name"]
        if expected.get("error"):
            assert call.error, call
        else:
            assert not call.error, call
            assert json.loads(call.arguments) == expected["arguments"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_recorded_output_whole(case: dict[str, Any]) -> None:
    _check(parse_reply(case["raw"], ToolFormat(case["format"]), new_id=_ids()), case)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_recorded_output_split_at_every_position(case: dict[str, Any]) -> None:
    raw = case["raw"]
    for cut in range(1, len(raw)):
        parser = CallParser(ToolFormat(case["format"]), new_id=_ids())
        first = parser.feed(raw[:cut])
        second = parser.feed(raw[cut:])
        last = parser.finish()
        merged = Parsed(first.text + second.text + last.text,
                        first.calls + second.calls + last.calls)
        _check(merged, case)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_recorded_output_one_character_at_a_time(case: dict[str, Any]) -> None:
    parser = CallParser(ToolFormat(case["format"]), new_id=_ids())
    text: list[str] = []
    calls: list[ToolCall] = []
    for ch in case["raw"]:
        out = parser.feed(ch)
        text.append(out.text)
        calls += out.calls
    out = parser.finish()
    _check(Parsed("".join(text) + out.text, (*calls, *out.calls)), case)


def test_prose_streams_without_delay() -> None:
    """Only a possible marker start is held back; plain words are shown as they come."""
    parser = CallParser(ToolFormat.HERMES)
    assert parser.feed("Hello there, ").text == "Hello there, "
    assert parser.feed("a <tool").text == "a "  # might become <tool_call>
    assert parser.feed("bar> is not a call").text == "<toolbar> is not a call"
    assert parser.finish() == Parsed()


def test_calls_are_reported_as_soon_as_their_block_closes() -> None:
    parser = CallParser(ToolFormat.HERMES, new_id=_ids())
    out = parser.feed('<tool_call>{"name": "a", "arguments": {}}</tool_call> and')
    assert [c.name for c in out.calls] == ["a"]
    assert out.text == " and"


def test_runaway_call_is_cut_off_as_failed() -> None:
    parser = CallParser(ToolFormat.HERMES)
    parser.feed('<tool_call>{"name": "x", "arguments": {"a": "')
    out = parser.feed("y" * (MAX_CALL_CHARS + 10))
    assert len(out.calls) == 1
    assert out.calls[0].error
    assert parser.feed("more" * 100).calls == ()
    assert parser.finish().calls == ()


def test_ids_are_unique_by_default() -> None:
    parsed = parse_reply('<tool_call>{"name": "a", "arguments": {}}</tool_call>'
                         '<tool_call>{"name": "b", "arguments": {}}</tool_call>')
    assert len({c.id for c in parsed.calls}) == 2
    assert all(len(c.id) == 9 and c.id.isalnum() for c in parsed.calls)
