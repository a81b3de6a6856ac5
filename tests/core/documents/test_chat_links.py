"""The chat's links into the documents database: attached collections and saved sources."""

from __future__ import annotations

from pathlib import Path

from desktop_app.core.documents import chat_links
from desktop_app.core.documents.chat_links import Source
from desktop_app.core.documents.embedders import USE_DIMS, USE_NAME
from desktop_app.core.documents.retrieval import Hit, pack_context
from desktop_app.core.documents.store import DocumentStore, StoredChunk
from desktop_app.core.paths import AppPaths


def _hit(chunk_id: int, text: str, score: float) -> Hit:
    chunk = StoredChunk(chunk_id, 1, "notes.md", "/x/notes.md", 1, chunk_id, text, 0,
                        len(text), None, "Intro", None)
    return Hit(chunk, score, score)


def test_attachments_follow_their_collections(app_paths: AppPaths) -> None:
    store = DocumentStore.open(app_paths.data_dir)
    first = store.create_collection("First", "fake", 4)
    second = store.create_collection("Second", "fake", 4)
    chat_links.set_attached_collections(store, 7, [second.id, first.id, 999])
    assert chat_links.attached_collections(store, 7) == [second.id, first.id]
    assert chat_links.attached_collections(store, 8) == []
    store.delete_collection(second.id)
    assert chat_links.attached_collections(store, 7) == [first.id]
    chat_links.set_attached_collections(store, 7, [])
    assert chat_links.attached_collections(store, 7) == []
    store.close()


def test_sources_keep_their_order_numbers_and_left_out_chunks(app_paths: AppPaths) -> None:
    hits = [_hit(1, "short one", 0.9), _hit(2, "a much longer passage " * 40, 0.8),
            _hit(3, "short two", 0.7)]
    packed = pack_context(hits, 60, lambda text: len(text.split()), instruction="Use them.")
    sources = chat_links.sources_of(hits, packed)
    assert [(s.rank, s.number, s.chunk_id) for s in sources] == [(1, 1, 1), (2, None, 2),
                                                                 (3, 2, 3)]
    assert sources[0].location == "Intro"
    store = DocumentStore.open(app_paths.data_dir)
    chat_links.save_sources(store, 42, sources)
    chat_links.save_sources(store, 43, sources[:1])
    chat_links.save_sources(store, 43, sources[2:])  # a second attempt replaces the first
    loaded = chat_links.load_sources(store, [42, 43, 44])
    assert loaded == {42: sources, 43: (sources[2],)}
    assert isinstance(loaded[42][1], Source)
    assert loaded[42][1].number is None
    store.close()


def test_a_chats_files_live_in_a_hidden_collection_that_goes_with_its_last_file(
        app_paths: AppPaths, tmp_path: Path) -> None:
    store = DocumentStore.open(app_paths.data_dir)
    mine = store.create_collection("Mine", "fake", 4)
    files = chat_links.new_files_collection(store)
    assert files.hidden
    assert (files.embedder, files.dims) == (USE_NAME, USE_DIMS)
    assert [c.name for c in store.collections()] == ["Mine"]  # the window and CLI list
    assert {c.id for c in store.collections(include_hidden=True)} == {mine.id, files.id}
    assert chat_links.files_collection(store, [mine.id]) is None
    assert chat_links.files_collection(store, [mine.id, files.id]) == files
    first = store.add_document(files.id, tmp_path / "a.txt")
    second = store.add_document(files.id, tmp_path / "b.txt")
    store.collection_dir(files.id).mkdir(parents=True)
    chat_links.set_attached_collections(store, 5, [mine.id, files.id])
    assert chat_links.remove_chat_file(store, first.id) is False
    assert chat_links.remove_chat_file(store, second.id) is True  # the last one
    assert chat_links.remove_chat_file(store, second.id) is False  # gone already
    assert chat_links.attached_collections(store, 5) == [mine.id]
    assert not store.collection_dir(files.id).exists()
    store.close()


def test_reopening_keeps_the_hidden_collections_folder(app_paths: AppPaths) -> None:
    store = DocumentStore.open(app_paths.data_dir)
    files = chat_links.new_files_collection(store)
    folder = store.collection_dir(files.id)
    folder.mkdir(parents=True)
    store.close()
    DocumentStore.open(app_paths.data_dir).close()  # removes only deleted collections' folders
    assert folder.is_dir()
