"""Searching the user's document collections, as a tool the model calls when it needs to.

Retrieval for a message normally happens before the reply (the documents
feature packs sources into the prompt). As a tool, the model decides when to
search and with what words, which helps in a long chat that only sometimes
needs the documents. The search itself is
:class:`~desktop_app.core.documents.retrieval.Retriever`'s; this module only
formats the hits the way the prompt's sources block does (numbered, document
and place), as data.

The documents store belongs to one thread, so the tool does not hold a
store: it is given ``search``, a callable the composition root binds to the
retriever and the chat's collections and runs on the store's thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

# The sources block's own layout, so a passage looks the same as tool result and as prompt.
from desktop_app.core.documents.retrieval import Hit, source_block
from desktop_app.core.engine.api import ToolSpec
from desktop_app.core.tools.toolbox import BUILTIN_SOURCE, ToolError, ToolResult

DEFAULT_HITS = 5
MAX_HITS = 10

SPEC = ToolSpec(
    name="search_documents",
    description="Search the user's document collections and return the best matching passages "
                "with their document and page.",
    parameters='{"type": "object", "properties": {"query": {"type": "string", "description": '
               '"What to look for, in words"}, "count": {"type": "integer", "minimum": 1, '
               f'"maximum": {MAX_HITS}}}}}, "required": ["query"]}}')

Search = Callable[[str, int], Sequence[Hit]]
"""``(question, k) -> hits``, best first (``Retriever.search`` bound to collections)."""


class DocumentSearch:
    """The ``search_documents`` tool over ``search``."""

    spec = SPEC
    source = BUILTIN_SOURCE

    def __init__(self, search: Search) -> None:
        self._search = search

    def run(self, arguments: dict[str, Any], timeout: float) -> ToolResult:
        query = str(arguments.get("query") or "").strip()
        if not query:
            raise ToolError("Give a query to search for.")
        count = arguments.get("count", DEFAULT_HITS)
        count = min(max(count, 1), MAX_HITS) if isinstance(count, int) else DEFAULT_HITS
        hits = self._search(query, count)
        if not hits:
            return ToolResult(f"No passages match {query[:200]!r}.")
        return ToolResult("\n\n".join(source_block(n, hit) for n, hit in enumerate(hits, 1)))
