"""The Markdown renderer: GFM features, highlighting, and nothing that can load or run anything."""

from __future__ import annotations

import pytest

from desktop_app.ui.chat.markdown import (
    COPY_SCHEME,
    DARK,
    BlockSplitter,
    MarkdownRenderer,
    split_blocks,
)


@pytest.fixture
def md() -> MarkdownRenderer:
    return MarkdownRenderer()


def test_common_markdown_features(md: MarkdownRenderer) -> None:
    out = md.render("# Head\n\n**b** *i* ~~s~~ `code`\n\n> quote\n\n1. one\n2. two\n\n"
                    "| a | b |\n|---|---|\n| 1 | 2 |\n\n- [ ] todo\n- [x] done\n").html
    for piece in ("<h1>Head</h1>", "<strong>b</strong>", "<em>i</em>", "<s>s</s>",
                  "<code>code</code>", "<blockquote", "<ol>", "<td>1</td>", "☐ todo",
                  "☑ done"):
        assert piece in out, piece
    assert "<input" not in out


def test_single_newlines_are_line_breaks(md: MarkdownRenderer) -> None:
    assert "one<br />\ntwo" in md.render("one\ntwo").html


def test_code_is_highlighted_labelled_and_copyable(md: MarkdownRenderer) -> None:
    out = md.render("```python\ndef f():\n    return 1\n```\n")
    assert out.code_blocks == ("def f():\n    return 1",)
    assert '<span style="color:' in out.html  # Pygments' inline colours
    assert ">python<" in out.html
    assert f'href="{COPY_SCHEME}:0"' in out.html
    assert "white-space:pre-wrap" in out.html  # long lines wrap instead of running off


def test_unknown_languages_and_unfinished_fences_render_as_plain_code(
        md: MarkdownRenderer) -> None:
    out = md.render("Here:\n```nosuchlang\nx < y && z\n")  # still streaming: no closing fence
    assert out.code_blocks == ("x < y && z",)
    assert "x &lt; y &amp;&amp; z" in out.html


@pytest.mark.parametrize("hostile", [
    "![x](file:///dev/zero)", "![p](file:///etc/passwd)", "![r](qrc:/icons/hearth.svg)",
    "![rel](x.png)", "![unc](//server/share/x.png)", "![web](http://127.0.0.1:9/x.png)",
    '<img src="file:///etc/passwd">', "<script>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
])
def test_nothing_in_a_reply_becomes_an_image_or_raw_html(md: MarkdownRenderer,
                                                        hostile: str) -> None:
    out = md.render(hostile).html
    assert "<img" not in out
    assert "<script" not in out
    assert "javascript:" not in out.split("&lt;")[0] or "<a " not in out


@pytest.mark.parametrize(("link", "kept"), [
    ("[site](https://example.com/a?b=1)", True), ("[site](http://example.com)", True),
    ("[f](file:///etc/passwd)", False), ("[j](javascript:alert(1))", False),
    ("[c](hearth-copy:0)", False), ("[m](mailto:a@b.c)", False), ("[x](ftp://h/x)", False),
])
def test_only_http_links_stay_links(md: MarkdownRenderer, link: str, kept: bool) -> None:
    out = md.render(link).html
    assert ("<a " in out) is kept


def test_block_rendering_matches_whole_rendering_and_numbers_copy_anchors(
        md: MarkdownRenderer) -> None:
    text = ("Intro paragraph.\n\n```sh\nls\n```\n\nMiddle.\n\n- a\n\n- b\n\n"
            "```python\nprint(1)\n```\n\nEnd.")
    whole, blocks = md.render(text), md.render_blocks(text)
    assert blocks.code_blocks == whole.code_blocks == ("ls", "print(1)")
    assert f'href="{COPY_SCHEME}:1"' in blocks.html
    assert blocks.html.replace("\n", "") == whole.html.replace("\n", "")


def test_split_blocks_keeps_fences_and_lists_whole() -> None:
    text = "p1\n\n```\na\n\nb\n```\n\n- x\n\n- y\n\np2"
    assert split_blocks(text) == ["p1", "```\na\n\nb\n```", "- x\n\n- y", "p2"]


GROWING = ("Intro with *words*.\n\n```python\ndef f():\n\n    return 1\n```\n\n"
           "- one\n\n- two\n  still two\n\n1. first\n2) second\n\n> quoted\n> more\n\n"
           "~~~\nraw ``` inside\n~~~~\n\n    indented code\n\nText  \n\n\n| a | b |\n|---|---|\n"
           "| 1 | 2 |\n\n```\nnever closed\n\nstill code")


@pytest.mark.parametrize("seed", range(5))
def test_the_block_splitter_reads_a_growing_text_as_split_blocks_reads_it_whole(
        seed: int) -> None:
    """Cut anywhere (mid-line, mid-fence, mid-list marker), the incremental split agrees."""
    import random

    chunks = random.Random(seed)
    splitter = BlockSplitter()
    end = 0
    while end < len(GROWING):
        end = min(len(GROWING), end + chunks.randint(1, 9))
        assert splitter.split(GROWING[:end]) == split_blocks(GROWING[:end]), GROWING[:end]


def test_the_block_splitter_starts_over_for_a_text_that_does_not_continue_the_last() -> None:
    splitter = BlockSplitter()
    splitter.split("```\ncode\n\nmore")
    assert splitter.split("Another reply.\n\nNew") == ["Another reply.", "New"]
    assert splitter.split("Another") == ["Another"]


def test_a_growing_reply_reparses_only_its_last_block(md: MarkdownRenderer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    text = "".join(f"Paragraph {i} with some words.\n\n" for i in range(200))
    md.render_blocks(text)
    parsed: list[str] = []
    original = md._md.render

    def counting(src: str, env: object = None) -> str:
        parsed.append(src)
        return original(src, env)  # type: ignore[arg-type]

    monkeypatch.setattr(md._md, "render", counting)
    md.render_blocks(text + "Paragraph 200 is stre")
    assert parsed == ["Paragraph 200 is stre"]


def test_dark_palette_uses_a_dark_code_style() -> None:
    out = MarkdownRenderer(DARK).render("```python\nx = 1\n```").html
    assert DARK.code_background in out
