"""Parsers on real files made here: PDF (text, no text, encrypted, broken), DOCX, HTML, text."""

from __future__ import annotations

import codecs
import os
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest

from desktop_app.core.documents.parsers import ParseError, Section, format_of, parse
from desktop_app.core.documents.text_files import UnreadableDocument, iter_text
from desktop_app.core.user_text import UserText
from tests.core.documents.samples import (
    HOSTILE_HTML,
    make_docx,
    make_encrypted_pdf,
    make_pdf,
)


def _sections(path: Path) -> list[Section]:
    return [item for item in parse(path) if isinstance(item, Section)]


def _notices(path: Path) -> list[str]:
    return [str(item) for item in parse(path) if isinstance(item, UserText)]


def test_pdf_text_keeps_page_numbers_and_names_pages_without_text(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "report.pdf", ["The first page talks about apples.", None,
                                             "Page three is about (pears)."])
    sections = _sections(pdf)
    assert [s.page for s in sections] == [1, 3]
    assert "apples" in sections[0].text
    assert "(pears)" in sections[1].text
    assert sections[-1].progress == 1.0
    assert _notices(pdf) == ["page 2 has no text (a scan?)"]


def test_encrypted_pdf_fails_with_a_message(tmp_path: Path) -> None:
    plain = make_pdf(tmp_path / "plain.pdf", ["Secret numbers 42."])
    locked = make_encrypted_pdf(tmp_path / "locked.pdf", plain)
    with pytest.raises(ParseError, match=r"locked\.pdf is protected by a password"):
        list(parse(locked))


def test_pdf_encrypted_without_a_user_password_is_read(tmp_path: Path) -> None:
    plain = make_pdf(tmp_path / "plain.pdf", ["Owner-only protection."])
    locked = make_encrypted_pdf(tmp_path / "owner.pdf", plain, password="")
    assert "Owner-only" in _sections(locked)[0].text


@pytest.mark.parametrize("content", [b"%PDF-1.4\nnot really", b"", b"\x00" * 100])
def test_malformed_pdf_fails_alone(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(content)
    with pytest.raises(ParseError, match=r"broken\.pdf is not a valid PDF file"):
        list(parse(bad))


def test_docx_paragraphs_headings_and_tables(tmp_path: Path) -> None:
    sections = _sections(make_docx(tmp_path / "report.docx"))
    assert [s.heading for s in sections] == ["Quarterly report", "Staff"]
    assert "twelve percent" in sections[0].text
    assert "City | Engineers" in sections[1].text
    assert "Lyon | 4" in sections[1].text


def test_malformed_docx_fails_alone(tmp_path: Path) -> None:
    bad = tmp_path / "fake.docx"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(ParseError, match=r"fake\.docx is not a valid Word"):
        list(parse(bad))


def test_chinese_markdown_sections_follow_headings(tmp_path: Path) -> None:
    md = tmp_path / "笔记.md"
    md.write_text("# 长城\n\n长城全长两万多公里。\n\n```\n# 不是标题\n```\n\n## 熊猫\n\n"
                  "大熊猫吃竹子。\n", encoding="utf-8")
    sections = _sections(md)
    assert [(s.heading, s.line) for s in sections] == [("长城", 1), ("熊猫", 9)]
    assert "# 不是标题" in sections[0].text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_text_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    text = "长城是中国古代的军事防御工程。\nThe Great Wall is long.\n" * 3
    path = tmp_path / "wall.txt"
    path.write_bytes(text.encode(encoding))
    assert "".join(s.text for s in _sections(path)) == text


def test_gb18030_is_not_mistaken_for_utf8(tmp_path: Path) -> None:
    raw = "中文文本".encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    path = tmp_path / "gbk.txt"
    path.write_bytes(raw)
    assert _sections(path)[0].text == "中文文本"


def test_text_streams_in_blocks_without_breaking_characters(tmp_path: Path) -> None:
    text = "汉字" * 5000  # 3-byte characters: most block ends fall inside one
    path = tmp_path / "big.txt"
    path.write_bytes(text.encode("utf-8"))
    with open(path, "rb") as stream:
        pieces = list(iter_text(stream, "big.txt", size=path.stat().st_size, block_bytes=1000))
    assert len(pieces) > 20
    assert "".join(p for p, _ in pieces) == text
    assert "\ufffd" not in "".join(p for p, _ in pieces)
    assert pieces[-1][1] == 1.0


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(UnreadableDocument, match="binary"):
        list(parse(path))


def test_hostile_html_gives_text_only(tmp_path: Path) -> None:
    page = tmp_path / "trap.html"
    page.write_text(HOSTILE_HTML, encoding="utf-8")
    sections = _sections(page)
    text = "\n".join(s.text for s in sections)
    assert "Visible text & more after image." in text
    assert "Closing words." in text
    for hidden in ("fetch", "INJECTED", "passwd", "shadow", "IFRAME-TEXT", "ALT-TEXT",
                   "background", "tracker"):
        assert hidden not in text
    assert [s.heading for s in sections] == ["Visible heading", "Second part"]


def test_source_code_by_extension(tmp_path: Path) -> None:
    code = tmp_path / "tool.py"
    code.write_text("def main():\n    return 42\n", encoding="utf-8")
    assert format_of(code) == "code"
    assert format_of(tmp_path / "x.PDF") == "pdf"
    assert format_of(tmp_path / "x.exe") is None
    assert _sections(code)[0].line == 1


def test_unsupported_type_fails_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "program.exe"
    path.write_bytes(b"MZ")
    with pytest.raises(ParseError, match=r"program\.exe: Hearth does not read files of this type"):
        list(parse(path))


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            list(parse(fifo))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(5)
    if worker.is_alive():  # unblock it before failing, so the thread ends
        with open(fifo, "wb"):
            pass
        pytest.fail("parsing a FIFO blocked")
    assert len(outcome) == 1
    assert isinstance(outcome[0], UnreadableDocument)
    assert "not a regular file" in str(outcome[0])


def test_bom_detection_helpers() -> None:
    from desktop_app.core.documents.text_files import detect_encoding

    assert detect_encoding(codecs.BOM_UTF8 + b"x", whole_file=True) == "utf-8-sig"
    assert detect_encoding("é".encode("latin-1"), whole_file=True) in ("gb18030", "latin-1")
    assert detect_encoding("长".encode()[:2], whole_file=False) == "utf-8"


def test_a_big_text_file_is_read_in_bounded_memory(tmp_path: Path) -> None:
    line = "Streaming keeps memory flat. 长城全长两万多公里。\n"
    path = tmp_path / "big.log"
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(line * (40_000_000 // len(line.encode())))  # 40 MB
    tracemalloc.start()
    try:
        total = sum(len(s.text) for s in parse(path) if isinstance(s, Section))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == len(path.read_text(encoding="utf-8"))
    # About 12 MB whatever the size (a 1 MB block, its text, its lines), never the file.
    assert peak < 16_000_000, peak
