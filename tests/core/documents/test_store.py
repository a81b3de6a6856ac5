"""The documents store and vector files: crash safety, deletion, embedder changes, int8."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from desktop_app.core.documents.chunking import Chunk
from desktop_app.core.documents.embedders import EmbedderCache, normalised
from desktop_app.core.documents.retrieval import Retriever
from desktop_app.core.documents.store import DocumentsError, DocumentStore, keyword_expression
from desktop_app.core.documents.vector_index import (
    VectorFile,
    VectorFileDamaged,
    encode_rows,
)
from desktop_app.core.paths import AppPaths
from tests.core.documents.samples import FakeEmbedder


@pytest.fixture
def store(app_paths: AppPaths) -> Iterator[DocumentStore]:
    opened = DocumentStore.open(app_paths.data_dir)
    yield opened
    opened.close()


def _chunks(texts: list[str]) -> list[Chunk]:
    return [Chunk(i, t, i * 10, i * 10 + len(t)) for i, t in enumerate(texts)]


def _fill(store: DocumentStore, embedder: FakeEmbedder, texts: list[str],
          name: str = "notes") -> tuple[int, int]:
    collection = store.collection_named(name) or store.create_collection(
        name, embedder.name, embedder.dims)
    document = store.add_document(collection.id, Path(f"/nowhere/{name}-{len(texts)}.txt"))
    assert store.begin_document(document.id, "hash", 1) == 0
    collection, vectors = store.open_vectors_for_append(collection)
    store.add_chunks(document.id, _chunks(texts), embedder.embed(texts), vectors)
    vectors.close()
    store.finish_document(document.id, [])
    return collection.id, document.id


def test_int8_rows_keep_cosines_close_to_float32() -> None:
    rng = np.random.default_rng(1)
    vectors = normalised(rng.standard_normal((200, 512)))
    query = vectors[:1]
    exact = (vectors @ query.T)[:, 0]
    rows = np.frombuffer(encode_rows(vectors, "int8"), dtype=np.uint8).reshape(200, -1)
    values = rows[:, :512].copy().view(np.int8).astype(np.float32)
    inverse = rows[:, 512:].copy().view("<f4")[:, 0]
    approx = (values @ query[0]) * inverse
    assert np.max(np.abs(approx - exact)) < 0.01
    assert np.argmax(approx) == 0


def test_a_batch_written_but_not_committed_is_cut_off_on_open(tmp_path: Path) -> None:
    path = tmp_path / "vectors-1.bin"
    vectors = VectorFile.open_for_append(path, 16, "int8", 0)
    batch = normalised(np.eye(16, dtype=np.float32)[:4])
    assert vectors.append(batch) == 0
    assert vectors.append(batch) == 4  # "crash" before the second batch's commit
    vectors.close()
    reopened = VectorFile.open_for_append(path, 16, "int8", committed_rows=4)
    assert reopened.file_rows() == 4
    reopened.close()
    with pytest.raises(VectorFileDamaged, match="holds 4 rows, 9 recorded"):
        VectorFile.open_for_append(path, 16, "int8", committed_rows=9)
    with pytest.raises(VectorFileDamaged, match="16-dim"):
        VectorFile.open_for_search(path, 8, "int8")
    path.write_bytes(b"not a vector file at all" * 10)
    with pytest.raises(VectorFileDamaged, match="not a Hearth vector file"):
        VectorFile.open_for_append(path, 16, "int8", 0)


def test_search_only_sees_committed_rows_and_skips_removed_documents(
        store: DocumentStore) -> None:
    embedder = FakeEmbedder()
    cache = EmbedderCache(factory=lambda name, threads: embedder)
    collection_id, first_doc = _fill(store, embedder, ["alpha", "beta"])
    _fill(store, embedder, ["gamma"])
    collection = store.collection(collection_id)
    retriever = Retriever(store, cache)
    found = dict(retriever.vector_search(collection, "beta", 3))
    assert len(found) == 3
    # An uncommitted batch appended behind the store's back is invisible.
    extra = VectorFile.open_for_append(store.vector_path(collection), 16, "int8", 3)
    extra.append(embedder.embed(["delta"]))
    extra.close()
    assert len(retriever.vector_search(store.collection(collection_id), "delta", 10)) == 3
    store.remove_document(first_doc)
    hits = retriever.search([store.collection(collection_id)], "beta", 10)
    assert [h.chunk.text for h in hits] == ["gamma"]
    assert store.keyword_search(collection_id, "alpha", 5) == []
    retriever.close()


def test_a_shortened_vector_file_reindexes_the_collection(store: DocumentStore) -> None:
    embedder = FakeEmbedder()
    collection_id, document_id = _fill(store, embedder, ["one", "two", "three"])
    collection = store.collection(collection_id)
    path = store.vector_path(collection)
    with open(path, "r+b") as stream:
        stream.truncate(path.stat().st_size - 10)
    collection, vectors = store.open_vectors_for_append(collection)
    vectors.close()
    assert collection.vector_rows == 0
    assert not path.exists()  # the damaged generation is gone
    assert store.document(document_id).state == "queued"
    assert store.chunk_total(collection_id) == 0


def test_deleting_a_collection_deletes_its_files_and_rows(
        store: DocumentStore, app_paths: AppPaths) -> None:
    embedder = FakeEmbedder()
    keep_id, _ = _fill(store, embedder, ["kept"], name="keep")
    gone_id, _ = _fill(store, embedder, ["gone text"], name="gone")
    folder = store.collection_dir(gone_id)
    assert any(folder.iterdir())
    store.delete_collection(gone_id)
    assert not folder.exists()
    assert store.collection_dir(keep_id).exists()
    assert [c.name for c in store.collections()] == ["keep"]
    assert store.keyword_search(gone_id, "gone", 5) == []
    rows = store.database.query("SELECT count(*) FROM chunk_search WHERE chunk_search MATCH "
                                "'\"gone\"'")
    assert rows[0][0] == 0
    # A folder left by a crash between the commit and the delete goes on the next open.
    stray = store.root / "collections" / "999"
    stray.mkdir()
    (stray / "vectors-1.bin").write_bytes(b"x")
    DocumentStore.open(app_paths.data_dir).close()
    assert not stray.exists()


def test_changing_the_embedder_requeues_and_refuses_old_vectors(store: DocumentStore) -> None:
    old = FakeEmbedder("fake-a", 16)
    collection_id, document_id = _fill(store, old, ["some text"])
    first = store.collection(collection_id)
    new = FakeEmbedder("fake-b", 8)
    changed = store.set_embedder(collection_id, new.name, new.dims)
    assert (changed.embedder, changed.dims, changed.vector_rows) == ("fake-b", 8, 0)
    assert changed.generation == first.generation + 1
    assert not store.vector_path(first).exists()
    assert store.document(document_id).state == "queued"
    # A query embedder of other dimensions is refused, not compared.
    wrong = EmbedderCache(factory=lambda name, threads: old)
    retriever = Retriever(store, wrong)
    with pytest.raises(DocumentsError, match="indexed with another embedder"):
        retriever.vector_search(changed, "some", 3)


def test_keyword_search_finds_chinese_words_and_english_prefixes(store: DocumentStore) -> None:
    embedder = FakeEmbedder()
    collection_id, _ = _fill(store, embedder, ["长城全长两万多公里。", "大熊猫吃竹子。",
                                               "Penguins walk on ice."])
    top = store.keyword_search(collection_id, "长城有多长？", 3)
    chunks = store.chunks([i for i, _ in top])
    assert chunks[top[0][0]].text.startswith("长城")
    top = store.keyword_search(collection_id, "penguin", 3)
    assert store.chunks([top[0][0]])[top[0][0]].text.startswith("Penguins")
    assert keyword_expression("a an") is None
    assert keyword_expression('"); DROP TABLE chunks; --') == '"DROP"* OR "TABLE"* OR "chunks"*'


def test_a_commit_that_fails_after_the_append_takes_the_rows_off_again(
        store: DocumentStore) -> None:
    embedder = FakeEmbedder()
    collection_id, _ = _fill(store, embedder, ["first"])
    collection = store.collection(collection_id)
    document = store.add_document(collection_id, Path("/nowhere/late.txt"))
    store.begin_document(document.id, "h", 1)
    collection, vectors = store.open_vectors_for_append(collection)
    real_append = vectors.append

    def append_then_vanish(matrix: np.ndarray) -> int:
        first = real_append(matrix)
        store.database.execute("DELETE FROM documents WHERE id = ?", (document.id,))
        return first

    vectors.append = append_then_vanish  # type: ignore[method-assign]
    with pytest.raises(KeyError):
        store.add_chunks(document.id, _chunks(["x", "y"]), embedder.embed(["x", "y"]), vectors)
    assert vectors.file_rows() == store.collection(collection_id).vector_rows == 1
    vectors.close()


def test_compaction_drops_dead_rows_and_keeps_every_chunk_findable(
        store: DocumentStore) -> None:
    embedder = FakeEmbedder()
    cache = EmbedderCache(factory=lambda name, threads: embedder)
    collection_id, first = _fill(store, embedder, ["one", "two", "three"])
    _fill(store, embedder, ["four", "five"])
    store.remove_document(first)
    before = store.collection(collection_id)
    assert store.dead_rows(before) == 3
    after = store.compact(collection_id)
    assert (after.vector_rows, after.generation) == (2, before.generation + 1)
    assert store.dead_rows(after) == 0
    assert not store.vector_path(before).exists()
    assert store.open_vectors_for_search(after).file_rows() == 2
    retriever = Retriever(store, cache)
    for text in ("four", "five"):  # a text's own vector is its nearest neighbour
        best = retriever.search([after], text, 1)
        assert best[0].chunk.text == text
        assert best[0].score == pytest.approx(1.0, abs=0.01)
    retriever.close()
    # Appending goes on after the compacted rows.
    _fill(store, embedder, ["six"])
    assert store.collection(collection_id).vector_rows == 3


def test_opening_removes_older_generations_but_not_a_compaction_in_progress(
        store: DocumentStore, app_paths: AppPaths) -> None:
    collection_id, _ = _fill(store, FakeEmbedder(), ["text"])
    collection = store.set_embedder(collection_id, "fake", 16)  # generation 2
    folder = store.collection_dir(collection_id)
    older, newer = folder / "vectors-1.bin", folder / "vectors-3.bin"
    older.write_bytes(b"left by a crash")
    newer.write_bytes(b"being written by a compaction")
    DocumentStore.open(app_paths.data_dir).close()
    assert not older.exists()
    assert newer.exists()
    store.set_embedder(collection.id, "fake", 16)  # its next generation replaces the leftover
    assert not newer.exists()
