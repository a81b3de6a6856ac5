"""The tool-description token budget: keep, trim, or leave out, in order."""

from __future__ import annotations

import json

from desktop_app.core.engine.api import ToolSpec
from desktop_app.core.tools.budget import (
    estimate_tokens,
    fit_budget,
    tool_tokens,
    trimmed,
)
from desktop_app.core.tools.formats import tool_line

VERBOSE = ToolSpec(
    "search_files",
    "Recursively search for files and directories matching a pattern. Searches through all "
    "subdirectories from the starting path. The search is case-insensitive and matches "
    "partial names. Returns full paths to all matching items. Great for finding files when "
    "you don't know their exact location. Only searches within allowed directories.",
    json.dumps({"type": "object", "title": "SearchArgs", "properties": {
        "path": {"type": "string", "title": "Path", "description": "Where to start searching."},
        "pattern": {"type": "string", "title": "Pattern",
                    "description": "A glob-like pattern to match names against."},
        "excludePatterns": {"type": "array", "items": {"type": "string"}, "default": [],
                            "description": "Patterns to skip."}},
        "required": ["path", "pattern"]}))
SMALL = ToolSpec("now", "The time.")


def test_trimming_keeps_names_types_and_required() -> None:
    small = trimmed(VERBOSE)
    assert small.description == "Recursively search for files and directories matching a pattern."
    schema = json.loads(small.parameters)
    assert schema == {"type": "object", "properties": {
        "path": {"type": "string"}, "pattern": {"type": "string"},
        "excludePatterns": {"type": "array", "items": {"type": "string"}}},
        "required": ["path", "pattern"]}
    assert tool_tokens(small) < tool_tokens(VERBOSE) / 2


def test_budget_keeps_trims_and_leaves_out_in_order() -> None:
    full = tool_tokens(VERBOSE)
    cut = tool_tokens(trimmed(VERBOSE))
    small = tool_tokens(SMALL)
    everything = fit_budget([VERBOSE, SMALL], full + small)
    assert (everything.trimmed, everything.left_out, everything.tokens) == ((), (), full + small)
    squeezed = fit_budget([VERBOSE, SMALL], cut + small)
    assert squeezed.trimmed == ("search_files",)
    assert squeezed.tokens == cut + small
    assert squeezed.full_tokens == full + small
    tiny = fit_budget([VERBOSE, SMALL], small)
    assert tiny.left_out == ("search_files",)
    assert [s.name for s in tiny.specs] == ["now"]
    assert fit_budget([VERBOSE, SMALL], 0).specs == ()


def test_budget_uses_the_given_tokenizer() -> None:
    words = fit_budget([VERBOSE], 10_000, count_tokens=lambda text: len(text.split()))
    assert words.tokens == len(tool_line(VERBOSE).split())
    assert words.tokens != tool_tokens(VERBOSE)


def test_estimate_is_rough_but_sane() -> None:
    assert estimate_tokens("") == 0
    assert 20 <= estimate_tokens("The quick brown fox jumps over the lazy dog. " * 3) <= 45
    assert estimate_tokens("你好世界") >= 3


def test_more_tools_beat_longer_descriptions() -> None:
    """When all trimmed tools fit, none is left out; the first ones get their whole text back."""
    other = ToolSpec(VERBOSE.name + "_2", VERBOSE.description, VERBOSE.parameters)
    full, cut = tool_tokens(VERBOSE), tool_tokens(trimmed(VERBOSE))
    choice = fit_budget([VERBOSE, other, SMALL], full + cut + tool_tokens(SMALL))
    assert choice.left_out == ()
    assert choice.trimmed == ("search_files_2",)
    assert [s.description == VERBOSE.description for s in choice.specs] == [True, False, False]
