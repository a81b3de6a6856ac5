"""Cutting sections into chunks of about 300 tokens, at sentence ends, in any script.

Size is counted in *units*, not characters, because a Chinese character
carries about three times the text of a Latin letter. Measured with the
USE tokenizer (sentencepiece, the bundled embedder's): English prose is
4.2 characters a token, Chinese 1.3; the chat models' tokenizers (Qwen,
Llama 3) are close to that. So a CJK (or Hangul, or full-width) character
costs :data:`WIDE_COST` units and anything else one, and a chunk holds up to
:data:`MAX_UNITS`: about 1,200 Latin characters or 400 Chinese ones, both
about 290-300 tokens. That is long enough for a passage to make sense alone
and to give the embedder context, short enough that a question's answer is
not averaged away (USE averages over tokens) and several fit in a prompt.

A chunk ends at the best break before its size limit, in this order: a
blank line (paragraph), a sentence end (``。！？；`` or ``.!?`` before a space),
a line end, a space; a run of CJK text with none of these is cut between
characters, which is a word boundary often enough. No cut ever lands inside a
character: before a combining mark, a zero-width joiner or variation
selector, or between a surrogate pair (texts decoded with ``surrogatepass``
can hold them). Chunks overlap by about :data:`OVERLAP_UNITS`, starting at a
sentence start, so a fact on a boundary is whole in one of them.

Chunks never cross sections, so each has exactly one page or heading to
cite; ``start``/``end`` are offsets in the document's text (its sections
concatenated), which the citation panel uses to highlight.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop_app.core.documents.parsers import Section

# numpy (~0.1 s) is imported by the functions that use it, not with the module: the window
# imports this module at start and needs no vectors before its first paint.
if TYPE_CHECKING:
    import numpy as np

WIDE_COST = 3
"""Units a CJK / Hangul / full-width character costs (a Latin character costs 1)."""
MAX_UNITS = 1200
"""A chunk's size limit in units (about 300 tokens; see the module docstring)."""
OVERLAP_UNITS = 150
"""About how much of a chunk's end the next chunk starts with."""

_WIDE_RANGES = ((0x1100, 0x11FF), (0x2E80, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF),
                (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFF60), (0xFFE0, 0xFFE6),
                (0x20000, 0x3FFFF))
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_SENTENCE = re.compile(r"[。！？；!?]+[\"'”’」』）)]*\s*|\.+[\"'”’)]*(?:\s+|$)")
_LINE = re.compile(r"\n\s*")
_SPACE = re.compile(r"\s+")
_BREAKS = (_PARAGRAPH, _SENTENCE, _LINE, _SPACE)
_JOINERS = frozenset("\u200c\u200d\ufe0e\ufe0f")


@dataclass(frozen=True)
class Chunk:
    """A piece of a document to embed and cite.

    ``seq`` numbers a document's chunks from 0 (they are always cut the same
    way, so an interrupted document resumes at a seq). ``start``/``end`` are
    offsets into the document's text; the location fields are the section's,
    with ``line`` moved to the chunk's own first line.
    """

    seq: int
    text: str
    start: int
    end: int
    page: int | None = None
    heading: str = ""
    line: int | None = None


def costs(text: str) -> np.ndarray:
    """Prefix sums of unit costs: ``result[i]`` is the cost of ``text[:i]`` (length n + 1)."""
    import numpy as np

    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    wide = np.zeros(len(points), dtype=bool)
    for low, high in _WIDE_RANGES:
        wide |= (points >= low) & (points <= high)
    prefix = np.zeros(len(points) + 1, dtype=np.int64)
    np.cumsum(np.where(wide, WIDE_COST, 1), out=prefix[1:])
    return prefix


def chunk_sections(sections: Iterable[Section], *, max_units: int = MAX_UNITS,
                   overlap_units: int = OVERLAP_UNITS) -> Iterator[Chunk]:
    """The chunks of a document's sections, in order (see the module docstring)."""
    seq = 0
    offset = 0
    for section in sections:
        line = section.line
        line_pos = 0
        for start, end in split(section.text, max_units=max_units, overlap_units=overlap_units):
            if line is not None:
                line += section.text.count("\n", line_pos, start)
                line_pos = start
            yield Chunk(seq, section.text[start:end], offset + start, offset + end,
                        section.page, section.heading, line)
            seq += 1
        offset += len(section.text)


def split(text: str, *, max_units: int = MAX_UNITS,
          overlap_units: int = OVERLAP_UNITS) -> Iterator[tuple[int, int]]:
    """``(start, end)`` offsets of the chunks of one text, whitespace trimmed, none empty."""
    import numpy as np

    if max_units < 8 or not 0 <= overlap_units < max_units // 2:
        raise ValueError("max_units must be at least 8 and overlap under half of it")
    prefix = costs(text)
    n = len(text)
    start = _skip_space(text, 0, n)
    while start < n:
        if prefix[n] - prefix[start] <= max_units:
            cut = n
        else:
            hard = int(np.searchsorted(prefix, prefix[start] + max_units, side="right")) - 1
            soft = int(np.searchsorted(prefix, prefix[start] + max_units // 2))
            cut = _best_break(text, max(soft, start + 1), max(hard, start + 1))
        end = cut
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            yield start, end
        if cut >= n:
            return
        back = int(np.searchsorted(prefix, prefix[cut] - overlap_units))
        following = _next_start(text, max(back, start + 1), cut)
        start = _skip_space(text, following, n)


def _best_break(text: str, low: int, high: int) -> int:
    """The end (exclusive) of the best break in ``text[low:high]``; ``high`` if none."""
    for pattern in _BREAKS:
        last = None
        for match in pattern.finditer(text, low, high):
            last = match
        if last is not None and last.end() > low:
            return last.end()
    return _safe_cut(text, high, low)


def _next_start(text: str, low: int, high: int) -> int:
    """Where the overlap begins: the first sentence (else word) start in ``text[low:high]``."""
    for pattern in (_SENTENCE, _SPACE):
        found = pattern.search(text, low, high)
        if found is not None and found.end() < high:
            return found.end()
    while low < high and _continues(text[low]):  # forward: never before the last start
        low += 1
    return low


def _safe_cut(text: str, pos: int, floor: int) -> int:
    """``pos`` moved back (not below ``floor``; else forward) until it is not inside a character."""
    cut = pos
    while cut > floor and cut < len(text) and _continues(text[cut]):
        cut -= 1
    if cut < len(text) and _continues(text[cut]):
        cut = pos
        while cut < len(text) and _continues(text[cut]):
            cut += 1
    return cut


def _continues(char: str) -> bool:
    """Whether ``char`` belongs to the character before it (cutting before it breaks it)."""
    return (unicodedata.combining(char) != 0 or char in _JOINERS
            or "\udc00" <= char <= "\udfff" or unicodedata.category(char) == "Mn")


def _skip_space(text: str, pos: int, n: int) -> int:
    while pos < n and text[pos].isspace():
        pos += 1
    return pos
