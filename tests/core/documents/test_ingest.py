"""The ingestion runner: a bad file fails alone, cancel keeps work, a restart resumes it."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.documents.embedders import EmbedderCache
from desktop_app.core.documents.ingest import (
    DocumentChanged,
    IngestEvent,
    IngestRunner,
    ProgressChanged,
    RunFinished,
)
from desktop_app.core.documents.store import DocumentStore
from desktop_app.core.paths import AppPaths
from tests.core.documents.samples import FakeEmbedder, make_encrypted_pdf, make_pdf

BATCH = 4


class Recorder:
    """Collects events (from the worker thread) for the test to read after the run."""

    def __init__(self) -> None:
        self.events: list[IngestEvent] = []
        self.lock = threading.Lock()

    def __call__(self, event: IngestEvent) -> None:
        with self.lock:
            self.events.append(event)

    def finished(self) -> RunFinished:
        finals = [e for e in self.events if isinstance(e, RunFinished)]
        assert len(finals) == 1
        assert self.events[-1] is finals[0]
        return finals[0]


@pytest.fixture
def store(app_paths: AppPaths) -> Iterator[DocumentStore]:
    opened = DocumentStore.open(app_paths.data_dir)
    yield opened
    opened.close()


def _runner(app_paths: AppPaths, embedder: FakeEmbedder,
            recorder: Recorder) -> IngestRunner:
    cache = EmbedderCache(factory=lambda name, threads: embedder)
    return IngestRunner(app_paths.data_dir, cache, on_event=recorder, batch_chunks=BATCH)


def _long_text(n_paragraphs: int) -> str:
    return "\n\n".join(f"Paragraph {i} says something about topic number {i}. " * 20
                       for i in range(n_paragraphs))


def test_each_bad_file_fails_alone_with_its_reason(
        app_paths: AppPaths, store: DocumentStore, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text("A good plain text file about kettles.", encoding="utf-8")
    make_pdf(folder / "scan.pdf", [None, None])
    make_encrypted_pdf(folder / "locked.pdf", make_pdf(tmp_path / "src.pdf", ["secret"]))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7 garbage")
    (folder / "ignored.exe").write_bytes(b"MZ")  # not a document type: skipped in a folder
    (folder / ".hidden.txt").write_text("hidden", encoding="utf-8")
    explicit = tmp_path / "tool.bin"
    explicit.write_bytes(b"\x00\x01")
    collection = store.create_collection("mixed", "fake", 16)
    recorder = Recorder()
    runner = _runner(app_paths, FakeEmbedder(), recorder)
    runner.add(collection.id, [folder, explicit, tmp_path / "missing.txt"])
    assert runner.wait(30)
    final = recorder.finished()
    assert final.error is None
    assert not final.cancelled
    states = {d.name: (d.state, str(d.reason or "")) for d in store.documents(collection.id)}
    assert states["good.txt"] == ("ready", "")
    assert states["scan.pdf"] == ("failed", "scan.pdf has no text to index (a scanned "
                                            "document?)")
    assert "protected by a password" in states["locked.pdf"][1]
    assert "not a valid PDF" in states["broken.pdf"][1]
    assert "does not read files of this type" in states["tool.bin"][1]
    assert "cannot be opened" in states["missing.txt"][1]
    assert set(states) == {"good.txt", "scan.pdf", "locked.pdf", "broken.pdf", "tool.bin",
                           "missing.txt"}
    assert final.progress.documents_total == 6
    assert final.progress.documents_done == 6
    assert final.progress.documents_failed == 5


def test_add_returns_at_once_and_events_tell_the_story(
        app_paths: AppPaths, store: DocumentStore, tmp_path: Path) -> None:
    doc = tmp_path / "long.txt"
    doc.write_text(_long_text(12), encoding="utf-8")
    embedder = FakeEmbedder()
    release = threading.Event()
    embedder.hook = lambda call: release.wait(10)
    collection = store.create_collection("c", "fake", 16)
    recorder = Recorder()
    runner = _runner(app_paths, embedder, recorder)
    started = time.monotonic()
    runner.add(collection.id, [doc])
    assert time.monotonic() - started < 0.5  # the embedder is blocked, add() is not
    assert runner.running
    release.set()
    assert runner.wait(30)
    states = [e.document.state for e in recorder.events if isinstance(e, DocumentChanged)]
    assert states == ["queued", "parsing", "embedding", "ready"]
    progress = [e.progress for e in recorder.events if isinstance(e, ProgressChanged)]
    assert progress[-1].documents_done == 1
    assert progress[-1].chunks_done == store.document(1).chunk_count > BATCH
    assert [p.chunks_done for p in progress] == sorted(p.chunks_done for p in progress)


def test_cancel_keeps_committed_batches_and_a_restart_resumes(
        app_paths: AppPaths, store: DocumentStore, tmp_path: Path) -> None:
    doc = tmp_path / "long.txt"
    doc.write_text(_long_text(20), encoding="utf-8")
    collection = store.create_collection("c", "fake", 16)
    first = FakeEmbedder()
    recorder = Recorder()
    runner = _runner(app_paths, first, recorder)
    first.hook = lambda call: runner.cancel() if call == 2 else None
    runner.add(collection.id, [doc])
    assert runner.wait(30)
    assert recorder.finished().cancelled
    half = store.document(1)
    assert half.state == "embedding"
    assert half.chunk_count == 2 * BATCH  # the batch embedding while cancelling is kept too

    # "Restart": a new runner (its own store connection) finds the half-done document.
    second = FakeEmbedder()
    recorder2 = Recorder()
    again = _runner(app_paths, second, recorder2)
    again.resume()
    assert again.wait(30)
    assert not recorder2.finished().cancelled
    done = store.document(1)
    assert done.state == "ready"
    # Only the chunks after the committed ones were embedded again.
    assert len(second.texts) == done.chunk_count - 2 * BATCH
    seqs = [r[0] for r in store.database.query("SELECT seq FROM chunks ORDER BY seq")]
    assert seqs == list(range(done.chunk_count))
    # Together the two runs embedded every chunk once, in order.
    assert first.texts + second.texts == _all_chunk_texts(store)


def _all_chunk_texts(store: DocumentStore) -> list[str]:
    return [r[0] for r in store.database.query("SELECT text FROM chunks ORDER BY seq")]


def test_unchanged_files_are_not_reindexed_and_changed_ones_are(
        app_paths: AppPaths, store: DocumentStore, tmp_path: Path) -> None:
    doc = tmp_path / "note.md"
    doc.write_text("# Title\n\nFirst version of the note.\n", encoding="utf-8")
    collection = store.create_collection("c", "fake", 16)
    embedder = FakeEmbedder()
    runner = _runner(app_paths, embedder, Recorder())
    runner.add(collection.id, [doc])
    assert runner.wait(30)
    calls = embedder.calls
    runner.add(collection.id, [doc])
    assert runner.wait(30)
    assert embedder.calls == calls
    assert store.document(1).state == "ready"
    doc.write_text("# Title\n\nSecond version, rewritten.\n", encoding="utf-8")
    runner.add(collection.id, [doc])
    assert runner.wait(30)
    assert embedder.calls == calls + 1
    assert "Second version" in "".join(_all_chunk_texts(store))
    assert "First version" not in "".join(_all_chunk_texts(store))


def test_reindex_after_an_embedder_change(
        app_paths: AppPaths, store: DocumentStore, tmp_path: Path) -> None:
    doc = tmp_path / "a.txt"
    doc.write_text("Some text to embed twice.", encoding="utf-8")
    collection = store.create_collection("c", "fake-a", 16)
    embedders = {"fake-a": FakeEmbedder("fake-a", 16), "fake-b": FakeEmbedder("fake-b", 8)}
    cache = EmbedderCache(factory=lambda name, threads: embedders[name])
    runner = IngestRunner(app_paths.data_dir, cache)
    runner.add(collection.id, [doc])
    assert runner.wait(30)
    store.set_embedder(collection.id, "fake-b", 8)
    runner.resume()
    assert runner.wait(30)
    assert store.document(1).state == "ready"
    assert embedders["fake-b"].texts == ["Some text to embed twice."]
    refreshed = store.collection(collection.id)
    assert store.vector_path(refreshed).stat().st_size > 0
    assert refreshed.vector_rows == 1
    assert refreshed.dims == 8


def test_removing_documents_and_collections_mid_run_is_safe(
        app_paths: AppPaths, store: DocumentStore, tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.txt").write_text(_long_text(6), encoding="utf-8")
    collection = store.create_collection("c", "fake", 16)
    other = store.create_collection("other", "fake", 16)
    (tmp_path / "x.txt").write_text("Another collection's file.", encoding="utf-8")
    embedder = FakeEmbedder()
    asked: queue.SimpleQueue[int] = queue.SimpleQueue()
    done = threading.Event()

    def hook(call: int) -> None:  # in the worker: let the "GUI" act, then go on
        if call in (2, 5):
            done.clear()
            asked.put(call)
            assert done.wait(10)

    embedder.hook = hook
    recorder = Recorder()
    runner = _runner(app_paths, embedder, recorder)
    runner.add(collection.id, [tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"])
    runner.add(other.id, [tmp_path / "x.txt"])
    # The GUI thread (this one, with its own store) removes things while the worker embeds.
    assert asked.get(timeout=10) == 2
    store.remove_document(1)  # "a.txt", being embedded
    done.set()
    assert asked.get(timeout=10) == 5
    store.delete_collection(other.id)  # its file is queued behind
    done.set()
    assert runner.wait(30)
    final = recorder.finished()
    assert final.error is None
    assert {d.name: d.state for d in store.documents(collection.id)} == {"b.txt": "ready",
                                                                         "c.txt": "ready"}
    assert store.collection_named("other") is None
    # The vector file is exactly as long as SQLite says: more can be added.
    refreshed = store.collection(collection.id)
    vectors = store.open_vectors_for_append(refreshed)[1]
    assert vectors.file_rows() == refreshed.vector_rows
    vectors.close()
    runner.add(collection.id, [tmp_path / "a.txt"])
    assert runner.wait(30)
    assert {d.state for d in store.documents(collection.id)} == {"ready"}


def test_reindexing_a_collection_while_it_is_indexed(
        app_paths: AppPaths, store: DocumentStore, tmp_path: Path) -> None:
    doc = tmp_path / "long.txt"
    doc.write_text(_long_text(12), encoding="utf-8")
    collection = store.create_collection("c", "fake", 16)
    embedder = FakeEmbedder()
    asked: queue.SimpleQueue[int] = queue.SimpleQueue()
    done = threading.Event()

    def hook(call: int) -> None:
        if call == 3:
            asked.put(call)
            assert done.wait(10)

    embedder.hook = hook
    recorder = Recorder()
    runner = _runner(app_paths, embedder, recorder)
    runner.add(collection.id, [doc])
    assert asked.get(timeout=10) == 3
    store.set_embedder(collection.id, "fake", 16)  # "Re-index" pressed mid-document
    done.set()
    assert runner.wait(30)
    assert recorder.finished().error is None
    document = store.document(1)
    assert document.state == "ready"
    refreshed = store.collection(collection.id)
    assert refreshed.generation == 2
    assert refreshed.vector_rows == document.chunk_count == store.chunk_total(collection.id)
    seqs = [r[0] for r in store.database.query("SELECT seq FROM chunks ORDER BY seq")]
    assert seqs == list(range(document.chunk_count))


def test_a_parser_keyerror_fails_the_document_instead_of_looping(
        app_paths: AppPaths, store: DocumentStore, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.core.documents import ingest

    def broken_parse(path: Path) -> Iterator[object]:
        raise KeyError("/Resources")  # as a library may, on a hostile file
        yield  # pragma: no cover

    monkeypatch.setattr(ingest, "parse", broken_parse)
    doc = tmp_path / "odd.txt"
    doc.write_text("text", encoding="utf-8")
    collection = store.create_collection("c", "fake", 16)
    runner = _runner(app_paths, FakeEmbedder(), Recorder())
    runner.add(collection.id, [doc])
    assert runner.wait(10)
    document = store.document(1)
    assert document.state == "failed"
    assert str(document.reason) == "odd.txt could not be read (KeyError: '/Resources')"


def test_a_document_that_keeps_coming_back_fails_after_a_few_attempts(
        app_paths: AppPaths, store: DocumentStore, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    tries: list[int] = []
    monkeypatch.setattr(IngestRunner, "_index",
                        lambda self, store, document, run, files: tries.append(document.id))
    doc = tmp_path / "a.txt"
    doc.write_text("text", encoding="utf-8")
    collection = store.create_collection("c", "fake", 16)
    runner = _runner(app_paths, FakeEmbedder(), Recorder())
    runner.add(collection.id, [doc])
    assert runner.wait(10)
    assert tries == [1] * 5
    assert str(store.document(1).reason) == "a.txt could not be indexed (it kept starting over)"
