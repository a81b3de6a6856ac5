"""The text of an HTML page, with its headings, from the standard library's tokenizer.

Web pages a user saves are hostile input: scripts, ``<img src=file:///…>``,
``<link>`` s to servers that log who opened the page, external entities.
Rendering one (a browser engine, ``QTextDocument``) or parsing it with a
library that resolves DTDs and entities (lxml's HTML parser can be made to
fetch) would act on that. :class:`html.parser.HTMLParser` is a tokenizer
only: it calls our handlers with tags and text and never loads, runs or
resolves anything, so nothing a page names is ever opened. We keep the text,
drop what a browser would not show as text (scripts, styles, templates), and
mark headings and block ends so chunks and citations follow the page's outline.
It is fed incrementally, so a huge page is never one string.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser

_HIDDEN = frozenset({"script", "style", "template", "head", "svg", "math", "iframe", "object",
                     "noembed", "noframes"})
"""Elements whose content is not page text; ``head`` includes ``title``, kept separately."""
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCKS = frozenset({"p", "div", "br", "li", "tr", "td", "th", "section", "article", "pre",
                     "blockquote", "table", "ul", "ol", "dl", "dt", "dd", "hr", "header",
                     "footer", "nav", "aside", "main", "figure", "figcaption", "form",
                     *_HEADINGS})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "track", "wbr"})
_SECTION_CHARS = 200_000
"""A section longer than this is cut (at a block end) so one page is never one huge string."""


class HtmlText(HTMLParser):
    """Feed HTML text; take finished ``(heading, text)`` sections with :meth:`take`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._hidden_depth = 0
        self._in_title = False
        self._in_heading = False
        self._title: list[str] = []
        self._heading: list[str] = []
        self._current_heading = ""
        self._text: list[str] = []
        self._length = 0
        self._done: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _HIDDEN and tag not in _VOID:
            self._hidden_depth += 1
            return
        if self._hidden_depth:
            return
        if tag in _HEADINGS:
            self._flush()
            self._in_heading = True
            self._heading = []
        if tag in _BLOCKS:
            self._add("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS and not self._hidden_depth:
            self._add("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
            if not self._current_heading:
                self._current_heading = " ".join("".join(self._title).split())
        if tag in _HIDDEN:
            self._hidden_depth = max(0, self._hidden_depth - 1)
            return
        if self._hidden_depth:
            return
        if tag in _HEADINGS and self._in_heading:
            self._in_heading = False
            self._current_heading = " ".join("".join(self._heading).split())
        if tag in _BLOCKS:
            self._add("\n")
            if self._length > _SECTION_CHARS:
                self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
        if self._hidden_depth:
            return
        if self._in_heading:
            self._heading.append(data)
        self._add(data)

    def _add(self, text: str) -> None:
        self._text.append(text)
        self._length += len(text)
        if self._length > 4 * _SECTION_CHARS:  # text with no block ends at all
            self._flush()

    def _flush(self) -> None:
        text = "".join(self._text)
        self._text, self._length = [], 0
        if text.strip():
            self._done.append((self._current_heading, text))

    def take(self, *, final: bool = False) -> Iterator[tuple[str, str]]:
        """The sections finished so far (all of them once ``final``), each once."""
        if final:
            self.close()
            self._flush()
        done, self._done = self._done, []
        yield from done
