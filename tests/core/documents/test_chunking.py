"""Chunking: sizes in units, breaks at sentence ends (。 too), never inside a character."""

from __future__ import annotations

import itertools

import pytest

from desktop_app.core.documents.chunking import (
    MAX_UNITS,
    WIDE_COST,
    chunk_sections,
    costs,
    split,
)
from desktop_app.core.documents.parsers import Section

ZH_SENTENCES = ["长城是中国古代的军事防御工程。", "它东起山海关，西至嘉峪关！", "全长两万多公里；",
                "今天它是世界文化遗产，每年吸引大量游客？"]


def _chinese(n: int) -> str:
    return "".join(ZH_SENTENCES[i % len(ZH_SENTENCES)] for i in range(n))


def _units(text: str) -> int:
    return int(costs(text)[-1])


def test_cjk_costs_more_than_latin() -> None:
    assert _units("abc") == 3
    assert _units("长城") == 2 * WIDE_COST
    assert _units("Ｆ") == WIDE_COST  # full-width
    assert _units("한국") == 2 * WIDE_COST


def test_chinese_chunks_end_at_sentence_marks_and_fit() -> None:
    text = _chinese(200)
    spans = list(split(text))
    assert len(spans) > 5
    for start, end in spans:
        chunk = text[start:end]
        assert _units(chunk) <= MAX_UNITS
        assert chunk[-1] in "。！？；", chunk[-10:]
        assert chunk[0] != "，"
    assert spans[-1][1] == len(text)
    # about 400 characters each: 1,200 units at 3 a character
    assert 300 <= spans[0][1] - spans[0][0] <= MAX_UNITS // WIDE_COST


def test_chunks_cover_the_text_with_overlap() -> None:
    text = _chinese(100)
    spans = list(split(text))
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start < end  # overlap: nothing between two chunks is lost
    assert spans[0][0] == 0


def test_english_prefers_paragraphs_then_sentences() -> None:
    paragraph = "This is a sentence about retrieval. " * 12
    text = "\n\n".join([paragraph.strip()] * 6)
    spans = list(split(text))
    for start, end in spans[:-1]:
        assert text[start:end].endswith("."), text[end - 20:end + 5]
        assert 600 <= end - start <= MAX_UNITS


def test_no_cut_between_a_surrogate_pair_or_before_a_combining_mark() -> None:
    # Lone surrogates (as surrogatepass decoding gives) and combining accents, no breaks at all.
    text = ("字" * 37 + "\ud83d\ude00" + "e\u0301" * 5) * 200
    spans = list(split(text, max_units=300, overlap_units=40))
    assert len(spans) > 10
    for start, end in spans:
        chunk = text[start:end]
        assert not "\udc00" <= chunk[0] <= "\udfff"
        assert not "\ud800" <= chunk[-1] <= "\udbff"
        assert chunk[0] != "\u0301"
        assert end == len(text) or text[end] != "\u0301"


def test_chunk_sections_keep_location_offsets_and_sequence() -> None:
    first = Section("Line one.\n" * 300, page=1, line=1)
    second = Section(_chinese(10), page=2, heading="第二页")
    chunks = list(chunk_sections([first, second]))
    assert [c.seq for c in chunks] == list(range(len(chunks)))
    assert {c.page for c in chunks} == {1, 2}
    text = first.text + second.text
    for chunk in chunks:
        assert text[chunk.start:chunk.end] == chunk.text
    page_one = [c for c in chunks if c.page == 1]
    assert page_one[1].line == 1 + first.text.count("\n", 0, page_one[1].start)
    assert chunks[-1].heading == "第二页"


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="max_units"):
        list(split("x", max_units=100, overlap_units=60))


def test_whitespace_only_gives_no_chunks() -> None:
    assert list(split(" \n\n \t ")) == []
