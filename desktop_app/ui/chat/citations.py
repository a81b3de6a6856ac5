"""Citations in replies: ``[1]`` as an internal link, and the "Sources" list under a reply.

A reply written from documents cites its sources as ``[1]``, ``[2, 3]``.
The Markdown renderer (with ``cite=True``) turns those numbers into anchors
of the internal scheme :data:`SOURCE_SCHEME` (``hearth-source:2``). They are
never loaded or opened: the chat view intercepts the click and shows the
passage in the side panel. Only bare numbers in brackets in ordinary text
become anchors; code, link texts and anything else stay as they are.

Under a reply with sources, :func:`sources_footer` adds a "Sources (n)"
line (an anchor of :data:`SOURCES_SCHEME` that expands and collapses it)
and, expanded, every retrieved chunk with its score, including those that
did not fit the prompt. Document names and texts are untrusted: everything
is escaped, and the only links are the internal ones made here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QUrl

from desktop_app.core.documents.chat_links import Source

SOURCE_SCHEME = "hearth-source"
"""``hearth-source:<n>`` is citation number n; ``hearth-source:r<k>`` the k-th retrieved chunk."""
SOURCES_SCHEME = "hearth-sources"
"""``hearth-sources:toggle`` expands or collapses a reply's Sources list."""
SNIPPET_CHARS = 140

_CITATION = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
_NUMBER = re.compile(r"\d+")


def link_citations(escaped: str, color: str) -> str:
    """HTML-escaped text with each ``[n]`` / ``[n, m]`` number made an internal anchor."""

    def anchor(number: str, text: str) -> str:
        return (f'<a href="{SOURCE_SCHEME}:{int(number)}" '
                f'style="color:{color};text-decoration:none">{text}</a>')

    def anchors(match: re.Match[str]) -> str:
        if match[1].isdigit():  # the usual [1]: the whole bracket is the target
            return anchor(match[1], f"[{match[1]}]")
        return "[" + _NUMBER.sub(lambda number: anchor(number[0], number[0]), match[1]) + "]"

    return _CITATION.sub(anchors, escaped)


@dataclass(frozen=True)
class SourceKey:
    """What a clicked source link names: a citation ``number`` or a retrieval ``rank``."""

    number: int | None = None
    rank: int | None = None

    def find(self, sources: Sequence[Source]) -> Source | None:
        for source in sources:
            if (self.number is not None and source.number == self.number) or \
                    (self.rank is not None and source.rank == self.rank):
                return source
        return None


def source_key(url: QUrl) -> SourceKey | None:
    """The source a ``hearth-source:`` link names; None for anything else."""
    if url.scheme() != SOURCE_SCHEME:
        return None
    path = url.path()
    if path.isdigit():
        return SourceKey(number=int(path))
    if path.startswith("r") and path[1:].isdigit():
        return SourceKey(rank=int(path[1:]))
    return None


@dataclass(frozen=True)
class FooterLabels:
    """The footer's words, translated by the caller (the delegate's ``tr``)."""

    title: str = "Sources ({n})"
    not_given: str = "not given to the model (no room)"
    score: str = "score {score:.2f}"


def sources_footer(sources: Sequence[Source], expanded: bool, color: str, muted: str,
                   labels: FooterLabels) -> str:
    """The HTML under a reply with sources: the toggle line and, expanded, the list."""
    if not sources:
        return ""
    arrow = "\u25be" if expanded else "\u25b8"
    title = html.escape(labels.title.format(n=len(sources)))
    parts = [f'<p style="margin-top:8px"><a href="{SOURCES_SCHEME}:toggle" '
             f'style="color:{muted};text-decoration:none">{arrow} {title}</a></p>']
    if expanded:
        rows = []
        for source in sources:
            key = f"{source.number}" if source.number is not None else f"r{source.rank}"
            mark = f"[{source.number}]" if source.number is not None else "\u2013"
            where = f", {source.location}" if source.location else ""
            note = "" if source.number is not None else f" · {labels.not_given}"
            snippet = " ".join(source.text.split())
            if len(snippet) > SNIPPET_CHARS:
                snippet = snippet[:SNIPPET_CHARS - 1].rstrip() + "\u2026"
            rows.append(
                f'<li><a href="{SOURCE_SCHEME}:{key}" style="color:{color};'
                f'text-decoration:none">{html.escape(mark)} '
                f"{html.escape(source.document_name + where)}</a> "
                f'<span style="color:{muted}">· '
                f"{html.escape(labels.score.format(score=source.score))}"
                f"{html.escape(note)}<br/>{html.escape(snippet)}</span></li>")
        parts.append('<ul style="margin-top:0px">' + "".join(rows) + "</ul>")
    return "".join(parts)
