"""The built-in tools: calculator, clock, shared folders, document search."""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

import pytest

from desktop_app.core.documents.retrieval import Hit
from desktop_app.core.documents.store import StoredChunk
from desktop_app.core.engine.api import ToolCall
from desktop_app.core.tools.builtin.calculator import Calculator, evaluate
from desktop_app.core.tools.builtin.catalog import BuiltinSettings, builtin_tools
from desktop_app.core.tools.builtin.clock import Clock
from desktop_app.core.tools.builtin.document_search import DocumentSearch
from desktop_app.core.tools.builtin.folders import (
    MAX_READ_BYTES,
    FolderAccess,
    ListFolder,
    ReadTextFile,
)
from desktop_app.core.tools.toolbox import MAX_RESULT_CHARS, ToolBox, ToolError


def call(name: str, **arguments: object) -> ToolCall:
    return ToolCall("c1", name, json.dumps(arguments))


# ---- calculator ---------------------------------------------------------------------


@pytest.mark.parametrize(("expression", "value"), [
    ("2+2", 4), ("17 * 23", 391), ("(1 + 2) * 3 / 4", 2.25), ("2**10", 1024), ("2^10", 1024),
    ("-3 % 5", 2), ("7 // 2", 3), ("sqrt(16) + abs(-2)", 6.0), ("round(pi, 2)", 3.14),
    ("max(1, 5, 3)", 5), ("10**100", 10**100),
])
def test_calculator_computes(expression: str, value: float) -> None:
    assert evaluate(expression) == value


@pytest.mark.parametrize(("expression", "why"), [
    ("__import__('os').system('true')", "not allowed"),
    ("(1).__class__", "not allowed"),
    ("open('/etc/passwd')", "not allowed"),
    ("[1, 2]", "not allowed"),
    ("'a' * 3", "not allowed"),
    ("True + 1", "Only numbers"),
    ("9**9**9", "too large"),
    ("2**5000", "too large"),
    ("(10**99)**50", "too large"),
    ("1/0", "Division by zero"),
    ("1" * 101, "digits"),
    ("1+" * 300 + "1", "longer than"),
    ("+".join(["1"] * 200), "too complex"),
    ("sqrt(-1)", "Math error"),
    ("(-8) ** 0.5", "not a real number"),
    ("x = 1", "not an arithmetic expression"),
    ("1e308 * 10", ""),
])
def test_calculator_refuses(expression: str, why: str) -> None:
    if expression == "1e308 * 10":  # a float overflow is inf, not a crash
        assert evaluate(expression) == float("inf")
        return
    with pytest.raises(ToolError, match=why):
        evaluate(expression)


def test_calculator_through_the_toolbox() -> None:
    box = ToolBox([Calculator()])
    result = box.run(call("calculator", expression="6*7"))
    assert (result.text, result.is_error) == ("6*7 = 42", False)
    failed = box.run(call("calculator", expression="import os"))
    assert failed.is_error
    missing = box.run(call("calculator"))
    assert failed.is_error
    assert "'expression' is a required property" in missing.text


# ---- clock --------------------------------------------------------------------------------


def test_clock_in_a_named_zone() -> None:
    instant = datetime.datetime(2026, 3, 29, 0, 30, tzinfo=datetime.UTC)
    clock = Clock(now=lambda: instant)
    assert clock.run({"timezone": "Europe/Paris"}, 1).text == \
        "Sunday, 2026-03-29 01:30:00 (Europe/Paris, UTC+01:00)"
    assert clock.run({"timezone": "Asia/Kolkata"}, 1).text == \
        "Sunday, 2026-03-29 06:00:00 (Asia/Kolkata, UTC+05:30)"
    with pytest.raises(ToolError, match="Unknown time zone"):
        clock.run({"timezone": "Mars/Olympus"}, 1)
    with pytest.raises(ToolError, match="Unknown time zone"):
        clock.run({"timezone": "../../etc/passwd"}, 1)


def test_clock_local_time_is_aware() -> None:
    text = Clock().run({}, 1).text
    assert "UTC" in text
    assert str(datetime.date.today().year) in text


# ---- shared folders ---------------------------------------------------------------------


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    root = tmp_path / "Notes"
    (root / "sub").mkdir(parents=True)
    (root / "todo.md").write_text("- buy milk\n- 写代码\n", encoding="utf-8")
    (root / "sub" / "deep.txt").write_text("deep", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("TOP SECRET", encoding="utf-8")
    return root


def test_list_and_read(shared: Path) -> None:
    access = FolderAccess([shared])
    listing = ListFolder(access).run({"path": "Notes"}, 1).text
    assert listing.splitlines() == ["Notes/ (2 entries)", "sub/", "todo.md (23 bytes)"]
    assert ListFolder(access).run({}, 1).text == "Shared folders:\nNotes/"
    assert ReadTextFile(access).run({"path": "Notes/todo.md"}, 1).text == \
        "- buy milk\n- 写代码\n"
    assert ReadTextFile(access).run({"path": str(shared / "sub" / "deep.txt")}, 1).text == "deep"


@pytest.mark.parametrize("path", [
    "Notes/../secret.txt", "Notes/sub/../../secret.txt", "../secret.txt", "secret.txt",
    "/etc/passwd", "Other/todo.md", "Notes/\0x",
])
def test_paths_outside_the_grant_are_refused(shared: Path, path: str) -> None:
    access = FolderAccess([shared])
    with pytest.raises(ToolError):
        ReadTextFile(access).run({"path": path}, 1)


def test_symlinks_escaping_the_grant_are_refused(shared: Path) -> None:
    (shared / "link.txt").symlink_to(shared.parent / "secret.txt")
    (shared / "linkdir").symlink_to(shared.parent)
    (shared / "inside.txt").symlink_to(shared / "todo.md")
    access = FolderAccess([shared])
    for path in ("Notes/link.txt", "Notes/linkdir/secret.txt"):
        with pytest.raises(ToolError, match="not inside a shared folder"):
            ReadTextFile(access).run({"path": path}, 1)
    with pytest.raises(ToolError, match="not inside a shared folder"):
        ListFolder(access).run({"path": "Notes/linkdir"}, 1)
    # A link that stays inside the grant is fine.
    assert "buy milk" in ReadTextFile(access).run({"path": "Notes/inside.txt"}, 1).text
    assert "link.txt (link)" in ListFolder(access).run({"path": "Notes"}, 1).text


def test_fifos_and_devices_are_refused_without_blocking(shared: Path) -> None:
    os.mkfifo(shared / "pipe")
    access = FolderAccess([shared])
    with pytest.raises(ToolError, match="not a regular file"):
        ReadTextFile(access).run({"path": "Notes/pipe"}, 1)
    assert "pipe (special file)" in ListFolder(access).run({"path": "Notes"}, 1).text
    devices = FolderAccess([Path("/dev")])
    with pytest.raises(ToolError, match="not a regular file"):
        ReadTextFile(devices).run({"path": "dev/zero"}, 1)


def test_binary_and_large_files(shared: Path) -> None:
    (shared / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    (shared / "latin1.txt").write_bytes("café".encode("latin-1"))
    big = "€" * (MAX_READ_BYTES // 3 + 100)  # 3 bytes each: the cut falls inside a character
    (shared / "big.txt").write_text(big, encoding="utf-8")
    access = FolderAccess([shared])
    reader = ReadTextFile(access)
    with pytest.raises(ToolError, match="not a text file"):
        reader.run({"path": "Notes/image.png"}, 1)
    with pytest.raises(ToolError, match="not a UTF-8"):
        reader.run({"path": "Notes/latin1.txt"}, 1)
    first = reader.run({"path": "Notes/big.txt"}, 1)
    assert first.truncated
    assert f"read again with offset {MAX_READ_BYTES}" in first.text
    rest = reader.run({"path": "Notes/big.txt", "offset": MAX_READ_BYTES}, 1)
    assert not rest.truncated
    assert set(rest.text) == {"€"}
    # Through the toolbox the model gets at most MAX_RESULT_CHARS, with a note.
    boxed = ToolBox([reader]).run(call("read_text_file", path="Notes/big.txt"))
    assert len(boxed.text) < MAX_RESULT_CHARS + 200
    assert "Output truncated" in boxed.text


def test_two_grants_with_the_same_name(tmp_path: Path) -> None:
    a, b = tmp_path / "a" / "Docs", tmp_path / "b" / "Docs"
    a.mkdir(parents=True)
    b.mkdir(parents=True)
    (b / "x.txt").write_text("from b", encoding="utf-8")
    access = FolderAccess([a, b])
    assert [g.name for g in access.grants] == ["Docs", "Docs-2"]
    assert ReadTextFile(access).run({"path": "Docs-2/x.txt"}, 1).text == "from b"


# ---- documents, the catalog --------------------------------------------------------------


def _hit(n: int, text: str, page: int | None) -> Hit:
    chunk = StoredChunk(id=n, document_id=1, document_name="Annual\nreport.pdf",
                        document_path="/x", collection_id=1, seq=n, text=text, start=0,
                        end=len(text), page=page, heading="", line=None)
    return Hit(chunk, 0.9)


def test_document_search_formats_hits_as_sources() -> None:
    asked: list[tuple[str, int]] = []

    def search(query: str, k: int) -> list[Hit]:
        asked.append((query, k))
        return [_hit(1, "Revenue rose 12%.", 3), _hit(2, "Costs fell.", None)][:k]

    tool = DocumentSearch(search)
    result = tool.run({"query": "revenue", "count": 50}, 1)
    assert asked == [("revenue", 10)]
    assert result.text == "[1] Annual report.pdf, page 3\nRevenue rose 12%.\n\n" \
                          "[2] Annual report.pdf\nCosts fell."
    assert DocumentSearch(lambda q, k: []).run({"query": "x"}, 1).text == "No passages match 'x'."


def test_catalog_switches() -> None:
    names = [t.spec.name for t in builtin_tools(BuiltinSettings(), is_offline=lambda: False)]
    assert names == ["calculator", "get_current_time"]  # web fetch is off by default
    everything = BuiltinSettings(folders=("/tmp",), web_fetch=True)
    names = [t.spec.name for t in builtin_tools(everything, is_offline=lambda: False,
                                                search=lambda q, k: [])]
    assert names == ["calculator", "get_current_time", "list_folder", "read_text_file",
                     "search_documents", "fetch_web_page"]
    offline = [t.spec.name for t in builtin_tools(everything, is_offline=lambda: True)]
    assert "fetch_web_page" not in offline
    none = BuiltinSettings(calculator=False, clock=False)
    assert builtin_tools(none, is_offline=lambda: False) == []
