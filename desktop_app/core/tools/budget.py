"""How many tokens tool descriptions cost, and fitting them into a budget.

Every offered tool's name, description and argument schema goes into the
prompt of every turn. A typical MCP server's dozen tools, written for cloud
models, cost a few thousand tokens: a large part of a small model's context,
and more text than it can follow. So the user sets a budget (Settings ›
Tools), and :func:`fit_budget` decides what the model receives. More tools
beat longer descriptions (a tool left out cannot be used at all):

1. if every tool fits whole, every tool goes whole;
2. otherwise every tool is *trimmed* first: the description cut to its first
   sentence and the per-argument descriptions, titles, defaults and examples
   dropped from the schema (names, types and required arguments stay, so
   calls remain valid); then, in the order given (the user's preference),
   tools get their whole text back while the budget allows;
3. if even the trimmed tools do not all fit, the first ones that fit are
   kept trimmed and the rest are left out.

Tokens are counted on the text the model actually sees for a tool (its JSON
as the fallback convention lists it) with ``count_tokens``, the loaded
model's tokenizer; :func:`estimate_tokens` is the stand-in when no model is
loaded (it overestimates English a little, which errs on the safe side).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from desktop_app.core.engine.api import ToolSpec
from desktop_app.core.tools.formats import parameters_of, tool_line

CountTokens = Callable[[str], int]

_DROPPED_KEYS = frozenset({"description", "title", "examples", "example", "$comment",
                           "default", "$schema"})


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate: about 3.5 characters per token, more for non-ASCII text."""
    ascii_chars = sum(1 for ch in text if ord(ch) < 128)
    return math.ceil(ascii_chars / 3.5 + (len(text) - ascii_chars) * 0.8)


def tool_tokens(spec: ToolSpec, count_tokens: CountTokens = estimate_tokens) -> int:
    """The tokens one tool costs in the prompt."""
    return count_tokens(tool_line(spec))


def trimmed(spec: ToolSpec) -> ToolSpec:
    """``spec`` with a one-sentence description and a schema of names and types only."""
    first = re.split(r"(?<=[.!?])\s|\n", spec.description.strip(), maxsplit=1)[0]
    schema = _strip(parameters_of(spec))
    return ToolSpec(spec.name, first[:200], json.dumps(schema, ensure_ascii=False))


def _strip(value: Any, *, in_properties: bool = False) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v, in_properties=k == "properties") for k, v in value.items()
                if in_properties or k not in _DROPPED_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


@dataclass(frozen=True)
class BudgetChoice:
    """What :func:`fit_budget` decided: the specs to send and what it cost."""

    specs: tuple[ToolSpec, ...]       # to offer, some trimmed, in the order given
    trimmed: tuple[str, ...]          # names of the tools sent trimmed
    left_out: tuple[str, ...]         # names of the tools that did not fit
    tokens: int                       # the cost of ``specs``
    full_tokens: int                  # what all tools would have cost untrimmed


def fit_budget(specs: Sequence[ToolSpec], budget: int,
               count_tokens: CountTokens = estimate_tokens) -> BudgetChoice:
    """Choose what of ``specs`` fits ``budget`` tokens (see the module docstring)."""
    whole = [tool_tokens(spec, count_tokens) for spec in specs]
    small_specs = [trimmed(spec) for spec in specs]
    small = [tool_tokens(spec, count_tokens) for spec in small_specs]
    full = sum(whole)
    if full <= budget:
        return BudgetChoice(tuple(specs), (), (), full, full)
    chosen: list[ToolSpec | None] = [None] * len(specs)
    used = 0
    for i, cost in enumerate(small):
        if used + cost <= budget:
            chosen[i] = small_specs[i]
            used += cost
    if all(c is not None for c in chosen):
        for i, spec in enumerate(specs):  # give tools their whole text back, in order
            extra = whole[i] - small[i]
            if used + extra <= budget:
                chosen[i] = spec
                used += extra
    kept = tuple(c for c in chosen if c is not None)
    cut = tuple(spec.name for spec, c in zip(specs, chosen, strict=True)
                if c is not None and c is not spec)
    left = tuple(spec.name for spec, c in zip(specs, chosen, strict=True) if c is None)
    return BudgetChoice(kept, cut, left, used, full)
