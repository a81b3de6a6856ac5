"""``hearth export`` and ``hearth import``: round trip, formats, the data folder lock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.cli.main import main
from desktop_app.core.engine.api import Role, SamplingParams
from desktop_app.core.paths import AppPaths
from desktop_app.core.storage.chat_store import ChatStore
from desktop_app.core.storage.instance_lock import DataFolderLock

CHATGPT_SAMPLE = Path(__file__).parents[1] / "core" / "storage" / "data" / \
    "chatgpt_conversations.json"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def history(app_paths: AppPaths) -> list[int]:
    """Two conversations in the data folder's history; the second has two replies."""
    app_paths.ensure()
    store = ChatStore.open(app_paths.database_path)
    try:
        ids = []
        for title in ("Bread", "长城"):
            conversation = store.create_conversation(model_id="m", system_prompt="",
                                                     params=SamplingParams())
            question = store.add_message(conversation.id, Role.USER, f"About {title}?")
            store.add_message(conversation.id, Role.ASSISTANT, f"{title} answer")
            ids.append(conversation.id)
        store.add_message(ids[1], Role.ASSISTANT, "another answer", parent_id=question.id)
        return ids
    finally:
        store.close()


@pytest.fixture
def window(app_paths: AppPaths) -> Iterator[DataFolderLock]:
    lock = DataFolderLock(app_paths.data_dir, "the Hearth window")
    lock.acquire()
    yield lock
    lock.release()


def test_export_markdown_to_stdout(history: list[int],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "export", str(history[1]))
    assert code == 0
    assert out.startswith("# About 长城?")
    assert "another answer" in out
    assert "长城 answer" not in out  # the branch not shown


def test_export_all_as_json_then_import_round_trips(history: list[int], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str],
                                                    app_paths: AppPaths) -> None:
    target = tmp_path / "all.json"
    code, _, err = _run(capsys, "export", "--all", "-o", str(target))
    assert code == 0, err
    document = json.loads(target.read_text(encoding="utf-8"))
    assert [c["title"] for c in document["conversations"]] == ["About Bread?", "About 长城?"]
    assert len(document["conversations"][1]["messages"]) == 3  # both branches

    code, out, err = _run(capsys, "import", str(target), "--json")
    assert code == 0, err
    new_ids = json.loads(out)["imported"]
    assert len(new_ids) == 2
    store = ChatStore.open(app_paths.database_path)
    try:
        assert store.message_count(new_ids[1]) == 3
        assert [m.content for m in store.messages(new_ids[1])] == [
            "About 长城?", "another answer"]
    finally:
        store.close()


def test_import_a_chatgpt_export(history: list[int], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "import", str(CHATGPT_SAMPLE))
    assert code == 0, err
    assert out.strip() == "imported 4 conversation(s)"
    code, out, _ = _run(capsys, "export", "--list")
    assert "长城旅游建议" in out


def test_a_bad_file_is_one_line_and_imports_nothing(history: list[int], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": "world"}', encoding="utf-8")
    code, _, err = _run(capsys, "import", str(bad))
    assert code == 1
    assert err.startswith("hearth: ")
    assert "neither a Hearth export nor a ChatGPT export" in err
    _, listing, _ = _run(capsys, "export", "--list")
    assert len(listing.splitlines()) == 2


def test_export_needs_ids_and_knows_them(history: list[int],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "export")[0] == 2
    code, _, err = _run(capsys, "export", "999")
    assert code == 1
    assert "no conversation with id 999" in err


def test_import_refuses_while_the_window_is_open_but_export_reads(
        history: list[int], window: DataFolderLock, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "import", str(CHATGPT_SAMPLE))
    assert code == 1
    assert "the Hearth window" in err
    code, out, _ = _run(capsys, "export", "--all", "--format", "json")
    assert code == 0
    assert len(json.loads(out)["conversations"]) == 2  # nothing was imported
