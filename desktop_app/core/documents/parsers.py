"""Turning a document file into sections of text that know where they came from.

Every parser yields :class:`Section` s (text plus a page, heading or line to
cite) and, for problems that lose part of a file but not all of it, notices
(:class:`~desktop_app.core.user_text.UserText`: "page 4 has no text (a
scan?)"). A file that cannot be read at all raises :class:`ParseError` (or
:class:`~.text_files.UnreadableDocument`) with the reason the user sees; the
ingestion runner fails that one document and goes on.

Bounds and trust:

* Files are untrusted. Names are only shown, never used to build paths;
  contents are never executed or rendered (see :mod:`.html_text` for HTML).
* Text-like formats stream (:mod:`.text_files`), so a 2 GB text file is
  read a block at a time. PDF (pypdf) and DOCX (python-docx) parse page by
  page or paragraph by paragraph, but the libraries hold their file's object
  tables (PDF) or XML tree (DOCX) in memory; that is the cost of using
  maintained parsers instead of our own.
* pypdf is lenient (``strict=False``): many real PDFs are slightly broken and
  still readable. A page whose text cannot be extracted becomes a notice and
  the other pages are kept.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from desktop_app.core.documents.html_text import HtmlText
from desktop_app.core.documents.text_files import (
    UnreadableDocument,
    iter_text,
    open_regular_file,
)
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserFacingError, UserText, user_text

log = logging.getLogger(__name__)

Format = Literal["pdf", "docx", "markdown", "html", "text", "code"]

SUFFIXES: dict[str, Format] = {
    ".pdf": "pdf", ".docx": "docx",
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown", ".mkd": "markdown",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".txt": "text", ".text": "text", ".log": "text", ".rst": "text", ".csv": "text",
    ".tsv": "text", ".org": "text", ".tex": "text",
    **dict.fromkeys(
        (".py", ".pyi", ".js", ".mjs", ".ts", ".tsx", ".jsx", ".c", ".h", ".cc", ".cpp",
         ".cxx", ".hpp", ".hh", ".cs", ".java", ".kt", ".kts", ".scala", ".go", ".rs", ".rb",
         ".php", ".swift", ".m", ".mm", ".lua", ".pl", ".pm", ".r", ".jl", ".sh", ".bash",
         ".zsh", ".fish", ".ps1", ".bat", ".sql", ".css", ".scss", ".less", ".vue", ".svelte",
         ".json", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".xml", ".proto",
         ".gradle", ".cmake", ".dart", ".ex", ".exs", ".erl", ".hs", ".ml", ".clj", ".zig",
         ".nim", ".v", ".vhd", ".asm", ".s", ".f90", ".ipynb"),
        "code"),
}
"""The file types Hearth indexes, by lower-case suffix: one home for the list."""

_TEXT_SECTION_CHARS = 100_000
"""Plain text and code are cut into sections about this long (at a line end)."""
_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
_MD_FENCE = re.compile(r"^ {0,3}(```|~~~)")


class ParseError(UserFacingError):
    """A document that cannot be read; its message is the reason shown beside it."""


@dataclass(frozen=True)
class Section:
    """A piece of a document's text and where it is, for citations.

    ``page`` is 1-based (PDF); ``heading`` the nearest heading above
    (Markdown, HTML, DOCX); ``line`` the 1-based line the text starts on
    (text, code, Markdown). ``progress`` is how much of the file had been
    read when this section was finished (0 to 1), for the ETA.
    """

    text: str
    page: int | None = None
    heading: str = ""
    line: int | None = None
    progress: float = 0.0


Parsed = Section | UserText
"""What a parser yields: text with its place, or a notice about a part it lost."""


def format_of(path: Path) -> Format | None:
    """The format Hearth reads ``path`` as, by its suffix; None if not supported."""
    return SUFFIXES.get(path.suffix.lower())


def parse(path: Path) -> Iterator[Parsed]:
    """Sections and notices of the document at ``path`` (see the module docstring)."""
    kind = format_of(path)
    if kind is None:
        raise ParseError(user_text(
            "documents.unsupported",
            QT_TRANSLATE_NOOP("core", "{name}: Hearth does not read files of this type"),
            name=path.name))
    with open_regular_file(path) as stream:
        size = _size(stream)
        if kind == "pdf":
            yield from _parse_pdf(stream, path.name)
        elif kind == "docx":
            yield from _parse_docx(stream, path.name)
        elif kind == "html":
            yield from _parse_html(iter_text(stream, path.name, size=size))
        elif kind == "markdown":
            yield from _parse_markdown(iter_text(stream, path.name, size=size))
        else:
            yield from _parse_lines(iter_text(stream, path.name, size=size))


def _size(stream: object) -> int:
    fileno = getattr(stream, "fileno", None)
    return os.fstat(fileno()).st_size if callable(fileno) else 0


# ---- PDF --------------------------------------------------------------------------------


def _parse_pdf(stream: object, name: str) -> Iterator[Parsed]:
    import pypdf
    from pypdf.errors import PyPdfError

    try:
        reader = pypdf.PdfReader(stream, strict=False)  # type: ignore[arg-type]
        if reader.is_encrypted and not reader.decrypt(""):
            raise ParseError(user_text(
                "documents.encrypted",
                QT_TRANSLATE_NOOP("core", "{name} is protected by a password. Save a copy "
                                          "without the password and add that"),
                name=name))
        count = len(reader.pages)
    except ParseError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError,
            RecursionError) as exc:
        raise _invalid(name, "PDF", exc) from exc
    for number in range(1, count + 1):
        try:
            text = reader.pages[number - 1].extract_text()
        except Exception as exc:  # a hostile page must not stop the others
            log.info("%s: page %d: %s", name, number, exc)
            yield user_text("documents.page_unreadable", QT_TRANSLATE_NOOP(
                "core", "page {page} could not be read"), page=number)
            continue
        if not text.strip():
            yield user_text("documents.page_no_text", QT_TRANSLATE_NOOP(
                "core", "page {page} has no text (a scan?)"), page=number)
            continue
        yield Section(text, page=number, progress=number / count)


def _invalid(name: str, kind: str, exc: BaseException) -> ParseError:
    return ParseError(user_text(
        "documents.invalid", QT_TRANSLATE_NOOP("core", "{name} is not a valid {kind} file "
                                                       "({detail})"),
        name=name, kind=kind, detail=str(exc)[:200] or type(exc).__name__))


# ---- DOCX -------------------------------------------------------------------------------


def _parse_docx(stream: object, name: str) -> Iterator[Parsed]:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(stream)  # type: ignore[arg-type]
        blocks = list(document.iter_inner_content())
    except Exception as exc:  # zipfile's, lxml's and python-docx's own errors, among others
        raise _invalid(name, "Word (.docx)", exc) from exc
    heading = ""
    lines: list[str] = []
    for index, block in enumerate(blocks, 1):
        if isinstance(block, Table):
            lines.extend(_table_rows(block))
            continue
        style = block.style.name if block.style is not None else ""
        text = block.text
        if style and (style.startswith("Heading") or style == "Title") and text.strip():
            if any(line.strip() for line in lines):
                yield Section("\n".join(lines), heading=heading, progress=index / len(blocks))
            heading, lines = " ".join(text.split()), []
        lines.append(text)
    if any(line.strip() for line in lines):
        yield Section("\n".join(lines), heading=heading, progress=1.0)


def _table_rows(table: object) -> Iterator[str]:
    """Each row as ``cell | cell``; a merged cell repeats in python-docx, so it is shown once."""
    for row in getattr(table, "rows", ()):
        cells: list[str] = []
        last = None
        for cell in row.cells:
            if cell._tc is last:  # the same merged cell again
                continue
            last = cell._tc
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            yield " | ".join(cells)


# ---- HTML, Markdown, text ---------------------------------------------------------------


def _parse_html(blocks: Iterator[tuple[str, float]]) -> Iterator[Parsed]:
    parser = HtmlText()
    progress = 0.0
    for text, progress in blocks:
        parser.feed(text)
        for heading, body in parser.take():
            yield Section(_tidy(body), heading=heading, progress=progress)
    for heading, body in parser.take(final=True):
        yield Section(_tidy(body), heading=heading, progress=max(progress, 1.0))


def _tidy(text: str) -> str:
    """Collapse the blank runs HTML layout leaves (indentation, empty blocks)."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _lines(blocks: Iterator[tuple[str, float]]) -> Iterator[tuple[str, float]]:
    """Whole lines (with their ends) from decoded blocks; the last may lack an end."""
    pending = ""
    for text, progress in blocks:
        pending += text
        lines = pending.splitlines(keepends=True)
        pending = lines.pop() if lines and not lines[-1].endswith(("\n", "\r")) else ""
        if len(pending) > _TEXT_SECTION_CHARS:  # one endless line: pass it on in pieces
            lines.append(pending)
            pending = ""
        for line in lines:
            yield line, progress
    if pending:
        yield pending, 1.0


def _parse_lines(blocks: Iterator[tuple[str, float]]) -> Iterator[Parsed]:
    """Plain text and code: sections of about :data:`_TEXT_SECTION_CHARS`, cut at line ends."""
    buffer: list[str] = []
    size = 0
    first_line = line_no = 1
    progress = 0.0
    for line, progress in _lines(blocks):
        buffer.append(line)
        size += len(line)
        line_no += 1
        if size >= _TEXT_SECTION_CHARS:
            yield Section("".join(buffer), line=first_line, progress=progress)
            buffer, size, first_line = [], 0, line_no
    if buffer and "".join(buffer).strip():
        yield Section("".join(buffer), line=first_line, progress=max(progress, 1.0))


def _parse_markdown(blocks: Iterator[tuple[str, float]]) -> Iterator[Parsed]:
    """Markdown: a section per heading (ATX ``#`` headings outside code fences)."""
    buffer: list[str] = []
    size = 0
    heading = ""
    fence: str | None = None
    first_line = line_no = 1
    progress = 0.0
    for line, progress in _lines(blocks):
        stripped = line.rstrip("\r\n")
        fence_match = _MD_FENCE.match(stripped)
        if fence_match:
            fence = None if fence == fence_match.group(1) else (fence or fence_match.group(1))
        found = _MD_HEADING.match(stripped) if fence is None else None
        if found or size >= _TEXT_SECTION_CHARS:
            if "".join(buffer).strip():
                yield Section("".join(buffer), heading=heading, line=first_line,
                              progress=progress)
            buffer, size, first_line = [], 0, line_no
            if found:
                heading = found.group(2).strip()
        buffer.append(line)
        size += len(line)
        line_no += 1
    if "".join(buffer).strip():
        yield Section("".join(buffer), heading=heading, line=first_line,
                      progress=max(progress, 1.0))


__all__ = ["Format", "ParseError", "Parsed", "Section", "UnreadableDocument", "format_of",
           "parse"]
