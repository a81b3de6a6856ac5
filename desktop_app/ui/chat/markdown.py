"""Replies as Markdown, rendered to the HTML subset Qt's rich text draws, without trusting them.

Model output is untrusted, so the parser is markdown-it-py (CommonMark, plus
GFM tables, strikethrough and task lists) with raw HTML off: a ``<img>`` or
``<script>`` in a reply is shown as text. On top of that:

- Images are never images: ``![alt](url)`` becomes "[alt]". Nothing in a
  reply can make Qt load a file or a URL.
- Links keep an ``href`` only for ``http``/``https``; any other scheme
  (``file:``, ``javascript:``, custom ones) is plain text. The view still
  asks before opening even those.
- Citation numbers ``[1]`` become ``hearth-source:1`` anchors, only in a
  renderer made with ``cite=True`` (replies written from documents); the
  view shows the source itself, nothing is loaded.
- Code fences are highlighted by Pygments with inline colours (Qt's CSS
  subset has no external stylesheet classes for them), wrapped in a small
  table with the language and a "Copy" anchor (``hearth-copy:<n>``) that the
  view turns into a clipboard action. An unfinished fence (mid-stream)
  renders as a code block up to the end, which is what the user expects to
  see while it streams.

:func:`render` is pure Python; results are cached per source text, so a
long reply that streams re-renders only the paragraph that changed
(:func:`split_blocks` cuts a reply into stable top-level blocks).
"""

from __future__ import annotations

import functools
import html
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from desktop_app.ui.chat.citations import link_citations

COPY_SCHEME = "hearth-copy"
"""Anchors ``hearth-copy:<n>`` copy the n-th code block of the message."""

SAFE_LINK = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)
_MAX_HIGHLIGHT = 200_000
"""Longer code blocks are shown plain: highlighting is linear but not free on 2 cores."""
_CACHE_SIZE = 512
_TASK_BOX = re.compile(r'<input class="task-list-item-checkbox"( checked="checked")? '
                       r'disabled="disabled" type="checkbox"> ?')
"""Qt's rich text has no form controls: task-list boxes become ☐ and ☑."""


@dataclass(frozen=True)
class Rendered:
    """One rendered piece of Markdown: its HTML and the text of each code block in it.

    ``pieces`` is the HTML of each top-level block, in order (only from
    :meth:`MarkdownRenderer.render_blocks`): a streaming view replaces just
    the pieces that changed.
    """

    html: str
    code_blocks: tuple[str, ...]
    pieces: tuple[str, ...] = ()


@dataclass(frozen=True)
class Palette:
    """The few colours the rendered HTML needs, from the current light or dark look."""

    code_background: str = "#f4f4f6"
    code_header: str = "#6b6b76"
    link: str = "#2563eb"
    border: str = "#d6d6dc"
    pygments_style: str = "friendly"


LIGHT = Palette()
DARK = Palette(code_background="#1e1f24", code_header="#9a9aa5", link="#7aa2f7",
               border="#3a3b44", pygments_style="monokai")


class _Renderer(RendererHTML):
    """markdown-it's HTML renderer with Hearth's rules for code, images, links and tables."""

    def __init__(self, parser: Any = None) -> None:
        super().__init__(parser)
        self.palette = LIGHT
        self.copy_label = "Copy"
        self.cite = False  # [n] becomes a hearth-source: anchor (see .citations)

    def text(self, tokens: Sequence[Token], idx: int, options: OptionsDict,
             env: EnvType) -> str:
        escaped = escapeHtml(tokens[idx].content)
        if self.cite and not any(env.get("link_stack", ())):  # never an anchor in a link
            return link_citations(escaped, self.palette.link)
        return escaped

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict,
              env: EnvType) -> str:
        token = tokens[idx]
        language = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
        return self._code(token.content, language, env)

    def code_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict,
                   env: EnvType) -> str:
        return self._code(tokens[idx].content, "", env)

    def _code(self, code: str, language: str, env: EnvType) -> str:
        blocks: list[str] = env.setdefault("code_blocks", [])
        index = len(blocks)
        blocks.append(code.removesuffix("\n"))
        body = _highlight(code.removesuffix("\n"), language, self.palette.pygments_style)
        p = self.palette
        label = html.escape(language) if language else "&nbsp;"
        # Without a Copy label (plain-text copies), the code alone, without its header.
        header = (f'<tr><td><span style="color:{p.code_header};font-size:small">{label}</span>'
                  f'</td><td align="right"><a href="{COPY_SCHEME}:{index}" '
                  f'style="color:{p.code_header};font-size:small">'
                  f'{html.escape(self.copy_label)}</a></td></tr>') if self.copy_label else ""
        return (f'<table width="100%" cellspacing="0" cellpadding="6" '
                f'bgcolor="{p.code_background}" style="margin-top:4px;margin-bottom:4px">'
                f'{header}'
                f'<tr><td colspan="2"><pre style="white-space:pre-wrap;margin:0">{body}</pre>'
                "</td></tr></table>\n")

    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict,
              env: EnvType) -> str:
        # Never an <img>: Qt would try to load its source. The alt text stays readable.
        alt = self.renderInlineAsText(tokens[idx].children or [], options, env)
        return f"[{html.escape(alt)}]" if alt else "[image]"

    def link_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict,
                  env: EnvType) -> str:
        href = str(tokens[idx].attrGet("href") or "")
        safe = bool(SAFE_LINK.match(href))
        env.setdefault("link_stack", []).append(safe)
        if not safe:
            return ""
        return (f'<a href="{html.escape(href, quote=True)}" '
                f'style="color:{self.palette.link}">')

    def link_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict,
                   env: EnvType) -> str:
        stack: list[bool] = env.get("link_stack", [])
        return "</a>" if stack and stack.pop() else ""

    def table_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict,
                   env: EnvType) -> str:
        return (f'<table border="1" cellspacing="0" cellpadding="5" '
                f'style="border-color:{self.palette.border};border-style:solid;'
                f'border-collapse:collapse;margin-top:4px;margin-bottom:4px">\n')

    def blockquote_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict,
                        env: EnvType) -> str:
        # Qt draws no border beside a block: a quote is told apart by its indent and colour.
        return f'<blockquote style="color:{self.palette.code_header}">\n'


def _highlight(code: str, language: str, style: str) -> str:
    if language and len(code) <= _MAX_HIGHLIGHT:
        try:
            lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False)
        except ClassNotFound:
            lexer = None
        if lexer is not None:
            formatter = HtmlFormatter(nowrap=True, noclasses=True, style=style)
            return str(highlight(code, lexer, formatter)).removesuffix("\n")
    return html.escape(code)


WARM_LANGUAGES = ("python", "javascript", "typescript", "bash", "json", "c", "cpp", "rust",
                  "go", "java", "html", "css", "sql", "yaml")


def warm_up() -> None:
    """Load the Pygments lexers and styles replies use most, ahead of time.

    The first code block in a language imports its lexer (about 60 ms for
    Python), a visible stall in the middle of a streaming reply. Pure Python,
    so the app runs this on a background thread at start.
    """
    for style in (LIGHT.pygments_style, DARK.pygments_style):
        for language in WARM_LANGUAGES:
            _highlight("x = 1", language, style)


def _parser(palette: Palette, copy_label: str, cite: bool = False) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False},
                    renderer_cls=_Renderer)
    md.enable(["table", "strikethrough"])
    md.use(tasklists_plugin)
    md.renderer.palette = palette  # type: ignore[attr-defined]
    md.renderer.copy_label = copy_label  # type: ignore[attr-defined]
    md.renderer.cite = cite  # type: ignore[attr-defined]
    return md


class MarkdownRenderer:
    """Renders Markdown to Qt-safe HTML for one palette, with a small cache by source text.

    ``copy_label`` is the (translated) text of each code block's Copy anchor;
    an empty one leaves out the code blocks' header line (for plain-text copies).
    ``cite`` makes citation numbers ``[1]`` internal links (replies written from
    documents; see :mod:`desktop_app.ui.chat.citations`).

    Attributes:
        parses: sources parsed (cache misses), which tests count.
    """

    def __init__(self, palette: Palette = LIGHT, copy_label: str = "Copy", *,
                 cite: bool = False) -> None:
        self.palette = palette
        self._md = _parser(palette, copy_label, cite)
        self._cache: OrderedDict[str, Rendered] = OrderedDict()
        self._splitter = BlockSplitter()  # the streaming reply's, read as it grows
        self.parses = 0

    def render(self, text: str) -> Rendered:
        cached = self._cache.get(text)
        if cached is not None:
            self._cache.move_to_end(text)
            return cached
        env: dict[str, Any] = {}
        self.parses += 1
        html_text = _TASK_BOX.sub(lambda m: "\u2611 " if m[1] else "\u2610 ",
                                  self._md.render(text, env))
        rendered = Rendered(html_text, tuple(env.get("code_blocks", ())))
        self._cache[text] = rendered
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return rendered

    def render_blocks(self, text: str) -> Rendered:
        """Like :meth:`render`, but block by block, so a growing reply reuses its finished
        blocks from the cache and only the last one is parsed again."""
        parts = [self.render(block) for block in self._splitter.split(text)]
        blocks: list[str] = []
        pieces: list[str] = []
        for part in parts:
            html_text = part.html
            if part.code_blocks:
                # Renumber this block's Copy anchors after the blocks before it.
                html_text = _renumber(html_text, len(blocks))
                blocks.extend(part.code_blocks)
            pieces.append(html_text)
        return Rendered("".join(pieces), tuple(blocks), tuple(pieces))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _renumber(html_text: str, offset: int) -> str:
    """A block's Copy anchors numbered after ``offset`` earlier code blocks (cached: a
    streaming reply asks again for every finished block with code on each batch)."""
    def shifted(match: re.Match[str]) -> str:
        return f'href="{COPY_SCHEME}:{int(match[1]) + offset}"'

    return re.sub(rf'href="{COPY_SCHEME}:(\d+)"', shifted, html_text)


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def split_blocks(text: str) -> list[str]:
    """Cut Markdown into top-level blocks at blank lines outside code fences and lists.

    Each block renders the same alone as inside the whole text, so finished
    blocks can be cached while the last one grows. A list or a block quote is
    kept whole (its items may be separated by blank lines); blank lines
    between blocks are dropped, so a block's text does not change when the
    next one starts.
    """
    state = _SplitState()
    for line in text.split("\n"):
        state.read(line)
    return state.finish()


class BlockSplitter:
    """:func:`split_blocks` for a text that grows, reading only what is new.

    A streaming reply is split again for every batch; reading it whole each
    time made a batch cost more the longer the reply. Appending never changes
    how the lines before the last line break were read, so the reading state
    after them is kept, and only the lines from there on are read (the last
    one, perhaps cut mid-line, on a copy). Any other text is read whole.
    """

    def __init__(self) -> None:
        self._read = ""  # the text up to its last line break, read into ``_state``
        self._state = _SplitState()

    def split(self, text: str) -> list[str]:
        if not text.startswith(self._read):
            self._read, self._state = "", _SplitState()
        cut = text.rfind("\n") + 1
        if cut > len(self._read):
            for line in text[len(self._read):cut - 1].split("\n"):
                self._state.read(line)
            self._read = text[:cut]
        last = self._state.copy()
        last.read(text[cut:])
        return last.finish()


class _SplitState:
    """Where :func:`split_blocks` is in a text: the blocks so far and the open one."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.fence: str | None = None
        self.pending_blank = False
        self.in_list = False

    def copy(self) -> _SplitState:
        other = _SplitState()
        other.blocks, other.current = self.blocks.copy(), self.current.copy()
        other.fence, other.pending_blank, other.in_list = (
            self.fence, self.pending_blank, self.in_list)
        return other

    def _close(self) -> None:
        current = self.current
        while current and not current[-1].strip():
            current.pop()
        if current:
            self.blocks.append("\n".join(current))
        current.clear()

    def read(self, line: str) -> None:
        match = _FENCE.match(line)
        if self.fence is not None:
            self.current.append(line)
            if match and match.group(1)[0] == self.fence[0] \
                    and len(match.group(1)) >= len(self.fence) \
                    and not line.strip()[len(match.group(1)):].strip():
                self.fence = None
            return
        if not line.strip():
            self.pending_blank = True
            self.current.append(line)
            return
        item = _is_list_or_quote(line)
        continues = self.in_list and (item or line[:1] in (" ", "\t"))
        if self.pending_blank and not continues:
            self._close()
        if not self.current:
            self.in_list = item
        elif item:
            self.in_list = True
        self.pending_blank = False
        self.current.append(line)
        if match:
            self.fence = match.group(1)

    def finish(self) -> list[str]:
        """The blocks, the open one included (this state is done with afterwards)."""
        if self.fence is not None:
            self.blocks.append("\n".join(self.current))  # an unfinished fence keeps its blanks
        else:
            self._close()
        return self.blocks


_LIST_OR_QUOTE = re.compile(r"^ {0,3}(?:[-+*]\s|\d{1,9}[.)]\s|>)")


def _is_list_or_quote(line: str) -> bool:
    return bool(_LIST_OR_QUOTE.match(line))
