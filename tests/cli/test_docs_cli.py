"""``hearth docs``: add with progress, list, search, rm, Ctrl-C and resume, the lock."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from desktop_app.cli import docs_cmd
from desktop_app.cli.main import main
from desktop_app.core.documents.embedders import EmbedderCache, Vectors
from desktop_app.core.documents.ingest import IngestRunner
from desktop_app.core.documents.store import DocumentStore
from desktop_app.core.keychain import MemoryKeyStore
from desktop_app.core.models.starter_model import starter_path
from desktop_app.core.paths import AppPaths
from desktop_app.core.remote.servers import ServerConfig
from desktop_app.core.settings import Settings, SettingsStore
from desktop_app.core.storage.instance_lock import DataFolderLock
from tests.core.documents.samples import make_docx, make_pdf, shared_use
from tests.core.remote.fault_server import FaultServer


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def shared_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the CLI's embedder cache hand out the session's loaded encoder (no reload)."""
    def cache(**options: Any) -> EmbedderCache:
        made = EmbedderCache(**options)
        made.add(shared_use())
        return made
    monkeypatch.setattr(docs_cmd, "EmbedderCache", cache)


@pytest.fixture(autouse=True)
def _shared_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    shared_embedder(monkeypatch)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    (folder / "wall.md").write_text("# 长城\n\n明长城全长约八千八百五十公里。\n", encoding="utf-8")
    make_pdf(folder / "sub" / "tower.pdf", ["The Eiffel Tower is about 330 metres tall.", None])
    make_docx(folder / "report.docx")
    return folder


@pytest.fixture
def window(app_paths: AppPaths) -> Iterator[DataFolderLock]:
    lock = DataFolderLock(app_paths.data_dir, "the Hearth window")
    lock.acquire()
    yield lock
    lock.release()


def test_add_list_search_rm(app_paths: AppPaths, corpus: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "docs", "add", "notes", str(corpus))
    assert code == 0, err
    assert out == "notes: 3 document(s) ready, 0 failed\n"
    assert "ready   tower.pdf (1 chunks); page 2 has no text (a scan?)" in err

    code, out, _ = _run(capsys, "docs", "list")
    assert code == 0
    assert out.startswith("notes")
    assert "3 documents" in out
    assert "3 ready" in out

    code, out, _ = _run(capsys, "docs", "list", "notes", "--json")
    listed = json.loads(out)
    assert {d["name"]: d["state"] for d in listed["documents"]} == {
        "wall.md": "ready", "tower.pdf": "ready", "report.docx": "ready"}
    assert listed["documents"][1]["notices"] == ["page 2 has no text (a scan?)"]

    code, out, _ = _run(capsys, "docs", "search", "notes", "How long is the Great Wall?",
                        "-k", "2", "--json")
    hits = json.loads(out)
    assert code == 0
    assert hits[0]["document"] == "wall.md"
    assert hits[0]["heading"] == "长城"
    assert len(hits) == 2

    code, out, _ = _run(capsys, "docs", "search", "notes", "埃菲尔铁塔有多高", "-k", "1")
    assert out.startswith("1. ")
    assert "tower.pdf, page 1" in out

    code, out, _ = _run(capsys, "docs", "rm", "notes", "wall.md", "--json")
    assert code == 0
    assert json.loads(out)["removed_document"]["name"] == "wall.md"
    folder = DocumentStore.open(app_paths.data_dir)
    collection_dir = folder.collection_dir(1)
    folder.close()
    assert collection_dir.exists()
    code, out, _ = _run(capsys, "docs", "rm", "notes", "-y")
    assert out == "Deleted the collection notes and its index.\n"
    assert not collection_dir.exists()
    code, out, _ = _run(capsys, "docs", "list")
    assert out.startswith("No collections yet.")


def test_a_failing_file_is_reported_and_sets_the_exit_code(
        app_paths: AppPaths, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Fine text.", encoding="utf-8")
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 nonsense")
    code, out, err = _run(capsys, "docs", "add", "c", str(good), str(bad), "--json")
    assert code == 1
    states = {d["name"]: (d["state"], d["reason"]) for d in json.loads(out)["documents"]}
    assert states["good.txt"] == ("ready", None)
    assert states["bad.pdf"][0] == "failed"
    assert "bad.pdf is not a valid PDF file" in states["bad.pdf"][1]
    assert "failed  bad.pdf: bad.pdf is not a valid PDF file" in err


class _GatedEncoder:
    """The shared encoder, but each call waits until the run is cancelled (Ctrl-C landed)."""

    def __init__(self, cancelled: threading.Event) -> None:
        self._inner = shared_use()
        self._cancelled = cancelled
        self.name, self.dims = self._inner.name, self._inner.dims

    def embed(self, texts: Sequence[str]) -> Vectors:
        assert self._cancelled.wait(30)
        return self._inner.embed(texts)


def test_ctrl_c_cancels_and_the_next_add_resumes(
        app_paths: AppPaths, corpus: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    cancelled = threading.Event()
    real_wait, real_cancel = IngestRunner.wait, IngestRunner.cancel

    def interrupted(self: IngestRunner, timeout: float | None = None) -> bool:
        if timeout is not None:  # the command's polling wait: the user presses Ctrl-C
            raise KeyboardInterrupt
        return real_wait(self, timeout)

    def cancel(self: IngestRunner) -> None:
        real_cancel(self)
        cancelled.set()

    def gated_cache(**options: Any) -> EmbedderCache:
        made = EmbedderCache(**options)
        made.add(_GatedEncoder(cancelled))
        return made

    monkeypatch.setattr(IngestRunner, "wait", interrupted)
    monkeypatch.setattr(IngestRunner, "cancel", cancel)
    monkeypatch.setattr(docs_cmd, "EmbedderCache", gated_cache)
    code, _, err = _run(capsys, "docs", "add", "notes", str(corpus))
    assert code == 130
    assert err.endswith("hearth: indexing stopped; run 'hearth docs add notes' to resume.\n")
    code, out, _ = _run(capsys, "docs", "list", "notes", "--json")
    states = [d["state"] for d in json.loads(out)["documents"]]
    assert len(states) == 3  # every file was recorded before indexing began,
    assert set(states) <= {"queued", "parsing", "embedding"}  # and none was finished

    # Not monkeypatch.undo(): that would also drop the test's HEARTH_HOME.
    monkeypatch.setattr(IngestRunner, "wait", real_wait)
    monkeypatch.setattr(IngestRunner, "cancel", real_cancel)
    shared_embedder(monkeypatch)
    code, out, _ = _run(capsys, "docs", "add", "notes")  # no paths: just resume
    assert code == 0
    assert out == "notes: 3 document(s) ready, 0 failed\n"
    code, out, _ = _run(capsys, "docs", "list", "notes", "--json")
    assert [d["state"] for d in json.loads(out)["documents"]] == ["ready"] * 3


def test_writes_refuse_while_the_window_is_open_and_reads_go_on(
        app_paths: AppPaths, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = _run(capsys, "docs", "add", "notes", str(corpus / "wall.md"))
    assert code == 0
    lock = DataFolderLock(app_paths.data_dir, "the Hearth window")
    lock.acquire()
    try:
        for argv in (("docs", "add", "notes", str(corpus)), ("docs", "rm", "notes", "-y")):
            code, out, err = _run(capsys, *argv)
            assert code == 1
            assert out == ""
            assert "is in use by the Hearth window" in err
            assert len(err.splitlines()) == 1
        code, out, _ = _run(capsys, "docs", "search", "notes", "长城", "--json")
        assert code == 0
        assert json.loads(out)[0]["document"] == "wall.md"
        code, out, _ = _run(capsys, "docs", "list")
        assert "1 documents" in out
    finally:
        lock.release()


def test_user_errors_are_one_line(app_paths: AppPaths, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "docs", "add", "c", str(tmp_path / "nope.pdf"))
    assert code == 1
    assert err == f"hearth: no such file or folder: {tmp_path / 'nope.pdf'}\n"
    code, _, err = _run(capsys, "docs", "search", "nothing", "question")
    assert (code, err) == (1, "hearth: no collection called 'nothing'; see 'hearth docs list'\n")
    _run(capsys, "docs", "add", "c")
    code, _, err = _run(capsys, "docs", "rm", "c", "ghost.txt", "-y")
    assert code == 1
    assert err.startswith("hearth: no document 'ghost.txt' in c")
    code, _, err = _run(capsys, "docs", "search", "c", "q", "-k", "0")
    assert (code, err) == (1, "hearth: -k must be at least 1\n")


@pytest.mark.skipif(not starter_path().is_file(), reason="the starter model is not in resources/")
def test_another_embedder_reindexes_and_a_bad_one_changes_nothing(
        app_paths: AppPaths, corpus: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = _run(capsys, "docs", "add", "notes", str(corpus / "wall.md"))
    assert code == 0
    code, _, err = _run(capsys, "docs", "add", "notes", "--embedder", str(tmp_path / "no.gguf"))
    assert code == 1
    assert err == f"hearth: The embedding model {tmp_path / 'no.gguf'} is missing\n"
    code, out, _ = _run(capsys, "docs", "list", "notes", "--json")
    assert json.loads(out)["embedder"] == "use-multilingual-v3"
    code, out, err = _run(capsys, "docs", "add", "notes", "--embedder", str(starter_path()))
    assert code == 0
    assert err.startswith(f"hearth: re-indexing notes with gguf:{starter_path()}\n")
    code, out, _ = _run(capsys, "docs", "list", "notes", "--json")
    listed = json.loads(out)
    assert listed["embedder"] == f"gguf:{starter_path()}"
    assert [(d["state"], d["chunks"]) for d in listed["documents"]] == [("ready", 1)]


def test_a_collection_on_a_servers_embedder_indexes_and_searches_through_it(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        app_paths: AppPaths, tmp_path: Path) -> None:
    monkeypatch.setattr(docs_cmd, "KeyringKeyStore", MemoryKeyStore)  # no keyring in tests
    notes = tmp_path / "notes.txt"
    notes.write_text("Cats purr in the sun.\n\nVAT returns are due in April.", "utf-8")
    with FaultServer() as server:
        settings = Settings(servers=[ServerConfig("srv-e", "Embed box", server.base_url)])
        SettingsStore(app_paths.settings_path).save(settings)
        store = DocumentStore.open(app_paths.data_dir)
        store.create_collection("remote", "openai:srv-e#emb", 16)
        store.close()
        assert _run(capsys, "docs", "add", "remote", str(notes))[0] == 0
        code, out, _ = _run(capsys, "docs", "search", "remote", "purring cats", "--json")
        assert code == 0
        assert json.loads(out)[0]["document"] == "notes.txt"
        assert {r["model"] for r in server.requests} == {"emb"}
        settings.offline = True
        SettingsStore(app_paths.settings_path).save(settings)
        code, _, err = _run(capsys, "docs", "search", "remote", "cats")
        assert code == 1
        assert "offline mode" in err
