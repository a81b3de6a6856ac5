"""Full-text search that finds Chinese words: what is indexed, how queries match, snippets.

FTS5's ``unicode61`` tokenizer takes a run of CJK characters for one token
("我喜欢长城" is one word), so a search for 长城 finds nothing; the
``trigram`` tokenizer never matches a query shorter than three characters,
and most Chinese words people type are two (长城, 熊猫, 个税). So the index
does not hold the text itself but a rewritten form, made here in Python
and stored in a plain ``unicode61`` FTS5 column:

* every CJK run becomes its overlapping character bigrams plus its last
  character alone (万里长城 -> ``万里 里长 长城 城``); so every character of
  the run starts exactly one token;
* everything else stays as it is (``unicode61`` folds case and diacritics),
  with CJK runs spaced off from the Latin letters around them (``SQLite数据库``
  is the word ``SQLite`` and the bigrams of 数据库).

A query is rewritten the same way, term by term (terms are whitespace
separated, all must match): a CJK term of two or more characters becomes the
phrase of its bigrams (万里长 -> ``"万里 里长"``, consecutive tokens in the
index), a single CJK character becomes the prefix query ``"长"*`` (every
occurrence starts a token), and any other term a prefix query, so results
come while the user is still typing a word. Every term is quoted, so
nothing the user types is FTS5 syntax.

The rewrite runs in SQLite itself, through the function
:data:`SQL_FUNCTION` that :func:`register` adds to every connection Hearth
opens; the schema's triggers call it, so no write path can forget the index.
(Another program may still read the history; writing messages needs the
function, so a tool like the ``sqlite3`` shell can't add one by hand.)

Snippets are cut from the original text in Python (FTS5's ``snippet()``
would show the rewritten form) and returned as plain text with the matched
ranges beside it: the UI escapes the text and adds its own highlight.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import unicodedata
from dataclasses import dataclass

SQL_FUNCTION = "hearth_search_text"
"""The SQL function (one TEXT argument) that gives the indexed form of a text."""

# Han (with extension A and compatibility ideographs), kana, CJK punctuation is
# excluded on purpose: it separates words.
_CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK_CHARS}]+")
_CJK_ONLY = re.compile(f"^[{_CJK_CHARS}]+$")
_WORD = re.compile(r"\w+")


def index_text(text: str | None) -> str:
    """The form of ``text`` stored in the FTS5 index (see the module docstring)."""
    if not text:
        return ""
    return _CJK_RUN.sub(lambda m: f" {_cjk_tokens(m.group())} ", text)


def _cjk_tokens(run: str) -> str:
    grams = [run[i:i + 2] for i in range(len(run) - 1)]
    grams.append(run[-1])
    return " ".join(grams)


def register(connection: sqlite3.Connection) -> None:
    """Add :data:`SQL_FUNCTION` to ``connection`` (needed by every connection that writes)."""
    connection.create_function(SQL_FUNCTION, 1, index_text, deterministic=True)


def query_terms(query: str) -> list[str]:
    """The search terms of what the user typed: words and CJK runs, in order, no repeats."""
    terms: list[str] = []
    for chunk in query.split():
        for piece in _CJK_RUN.split(chunk):
            terms.extend(_WORD.findall(piece))
        terms.extend(_CJK_RUN.findall(chunk))
    seen: set[str] = set()
    unique = []
    for term in terms:
        key = term.casefold()
        if key not in seen:
            seen.add(key)
            unique.append(term)
    return unique


def match_expression(query: str) -> str | None:
    """The FTS5 MATCH expression for ``query``; None when it has nothing to search for."""
    parts = []
    for term in query_terms(query):
        if _CJK_ONLY.match(term):
            if len(term) == 1:
                parts.append(f'"{term}"*')
            else:
                parts.append('"' + " ".join(term[i:i + 2] for i in range(len(term) - 1)) + '"')
        else:
            parts.append(f'"{term}"*')  # \w+ holds no quote, so this needs no escaping
    return " AND ".join(parts) if parts else None


@dataclass(frozen=True)
class Snippet:
    """A piece of a text around its first match, as plain (untrusted) text.

    ``highlights`` are ``(start, end)`` offsets into ``text`` of the matched
    terms; ``text`` may start or end with "…" where it was cut.
    """

    text: str
    highlights: tuple[tuple[int, int], ...]


def _fold(text: str) -> str:
    """Case- and accent-insensitive form of ``text`` with the same length, for finding terms."""
    if text.isascii():
        return text.lower()
    return "".join(map(_fold_char, text))


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    base = unicodedata.normalize("NFD", char)[0].casefold()
    return base if len(base) == 1 else char


def snippet(text: str, query: str, *, width: int = 120) -> Snippet:
    """About ``width`` characters of ``text`` around the first match of ``query``'s terms.

    Latin terms match at a word start (as the index does); CJK terms anywhere.
    A text without a visible match (the title matched, say) gives its start.
    Only the first match is searched for in the whole text, the highlights in
    the piece shown, so a long message costs one pass.
    """
    folded = _fold(text)
    patterns = []
    for term in query_terms(query):
        needle = re.escape(_fold(term))
        patterns.append(re.compile(needle if _CJK_ONLY.match(term) else rf"(?<!\w){needle}\w*"))
    firsts = [m.start() for m in (p.search(folded) for p in patterns) if m is not None]
    first = min(firsts, default=0)
    start = max(0, first - width // 3)
    end = min(len(text), start + width)
    if start > 0:  # begin at a word boundary when one is near
        space = text.rfind(" ", start - 15, first)
        if space >= 0:
            start = space + 1
    piece = text[start:end]
    lead = "…" if start > 0 else ""
    tail = "…" if end < len(text) else ""
    shift = len(lead) - start
    spans = sorted((m.start(), m.end()) for p in patterns for m in p.finditer(folded, start, end))
    marks = tuple((s + shift, min(e, end) + shift) for s, e in spans)
    return Snippet(" ".join((lead + piece + tail).split("\n")), _merge(marks))


def _merge(spans: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return tuple(merged)
