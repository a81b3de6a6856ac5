"""Retrieval with the real bundled embedder: English, Chinese, across languages; packing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.documents.embedders import USE_DIMS, USE_NAME, EmbedderCache
from desktop_app.core.documents.ingest import IngestRunner
from desktop_app.core.documents.retrieval import (
    INSTRUCTION,
    Hit,
    Retriever,
    fuse,
    pack_context,
    passage_around,
    preview_retrieval,
)
from desktop_app.core.documents.store import Collection, DocumentStore, StoredChunk
from desktop_app.core.paths import AppPaths
from tests.core.documents.samples import FakeEmbedder, make_pdf, shared_use

CORPUS = {
    "tower.md": "# Eiffel Tower\n\nThe Eiffel Tower in Paris is about 330 metres tall.\n\n"
                "# Statue\n\nThe Statue of Liberty was dedicated in 1886 in New York.\n",
    "rivers.txt": "长江全长约六千三百公里，是中国第一长河，最终注入东海。",
    "panda.md": "# 熊猫\n\n大熊猫主要生活在四川的山区，一天能吃掉十到二十公斤竹子。\n",
    "coffee.txt": "Arabica coffee beans contain less caffeine than robusta beans.",
}


@pytest.fixture
def indexed(app_paths: AppPaths, tmp_path: Path) -> Iterator[tuple[DocumentStore, EmbedderCache,
                                                                    Collection]]:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    make_pdf(folder / "bees.pdf", ["Cover page", None,
                                   "A honey bee colony has one queen and thousands of workers."])
    cache = EmbedderCache()
    cache.add(shared_use())
    store = DocumentStore.open(app_paths.data_dir)
    collection = store.create_collection("mixed", USE_NAME, USE_DIMS)
    runner = IngestRunner(app_paths.data_dir, cache)
    runner.add(collection.id, [folder])
    assert runner.wait(120)
    assert {d.state for d in store.documents(collection.id)} == {"ready"}
    yield store, cache, store.collection(collection.id)
    store.close()


@pytest.mark.parametrize(("question", "document", "location"), [
    ("How tall is the Eiffel Tower?", "tower.md", "Eiffel Tower"),
    ("大熊猫一天吃多少竹子？", "panda.md", "熊猫"),
    ("How long is the Yangtze River?", "rivers.txt", None),  # English question, Chinese text
    ("哪种咖啡豆的咖啡因更少？", "coffee.txt", None),  # Chinese question, English text
    ("Who leads a bee colony?", "bees.pdf", "page 3"),
])
def test_the_right_passage_comes_first(indexed: tuple[DocumentStore, EmbedderCache, Collection],
                                       question: str, document: str,
                                       location: str | None) -> None:
    store, cache, collection = indexed
    hits = preview_retrieval(store, cache, collection, question, k=3)
    assert hits[0].chunk.document_name == document, [h.chunk.document_name for h in hits]
    assert hits[0].vector_score is not None
    assert hits[0].vector_score > hits[1].score
    if location == "page 3":
        assert hits[0].chunk.page == 3
    elif location is not None:
        assert hits[0].chunk.heading == location


def test_keyword_and_hybrid_modes(indexed: tuple[DocumentStore, EmbedderCache,
                                                 Collection]) -> None:
    store, cache, collection = indexed
    retriever = Retriever(store, cache)
    keyword = retriever.search([collection], "robusta", 3, "keyword")
    assert [h.chunk.document_name for h in keyword] == ["coffee.txt"]
    assert keyword[0].keyword_score is not None
    assert keyword[0].vector_score is None
    hybrid = retriever.search([collection], "robusta caffeine", 3, "hybrid")
    assert hybrid[0].chunk.document_name == "coffee.txt"
    assert hybrid[0].vector_score is not None
    assert hybrid[0].keyword_score is not None
    retriever.close()


def _hit(number: int, text: str, page: int | None = None, name: str = "doc.pdf") -> Hit:
    chunk = StoredChunk(number, 1, name, f"/x/{name}", 1, number, text, 0, len(text), page,
                        "", None)
    return Hit(chunk, 1.0 / number)


def test_packing_numbers_sources_within_the_budget() -> None:
    hits = [_hit(1, "a" * 50, page=2), _hit(2, "b" * 500), _hit(3, "c" * 40, name="n\nx.md")]
    # count_tokens=len: a token a character keeps the arithmetic visible
    packed = pack_context(hits, budget_tokens=len(INSTRUCTION) + 150, count_tokens=len)
    assert packed.tokens <= len(INSTRUCTION) + 150
    assert [c.number for c in packed.citations] == [1, 2]
    assert [c.hit.chunk.id for c in packed.citations] == [1, 3]  # the long one left out
    assert packed.left_out == (hits[1],)
    assert "[1] doc.pdf, page 2\n" + "a" * 50 in packed.text
    assert "[2] n x.md\n" + "c" * 40 in packed.text  # a name never breaks the line
    assert packed.citations[0].location == "page 2"
    assert packed.text.startswith(INSTRUCTION)


def test_nothing_fits_a_tiny_budget() -> None:
    packed = pack_context([_hit(1, "text")], budget_tokens=5, count_tokens=len, instruction="")
    assert packed.citations == ()
    assert packed.text == ""


def test_fusion_rewards_agreement() -> None:
    fused = fuse({1: 0.9, 2: 0.8, 3: 0.7}, {3: 5.0, 4: 4.0})
    assert fused[0][0] == 3
    assert {i for i, _ in fused} == {1, 2, 3, 4}


def test_empty_question_and_empty_collection(app_paths: AppPaths) -> None:
    store = DocumentStore.open(app_paths.data_dir)
    collection = store.create_collection("empty", USE_NAME, USE_DIMS)
    cache = EmbedderCache()
    cache.add(shared_use())
    assert preview_retrieval(store, cache, collection, "   ") == []
    assert preview_retrieval(store, cache, collection, "anything") == []
    store.close()



def test_a_passage_shows_the_chunk_within_its_neighbours(app_paths: AppPaths,
                                                         tmp_path: Path) -> None:
    text = "".join(f"第{i}句话讲的是第{i}件事情。" for i in range(300))
    doc = tmp_path / "long.txt"
    doc.write_text(text, encoding="utf-8")
    store = DocumentStore.open(app_paths.data_dir)
    collection = store.create_collection("c", "fake", 16)
    runner = IngestRunner(app_paths.data_dir,
                          EmbedderCache(factory=lambda name, threads: FakeEmbedder()))
    runner.add(collection.id, [doc])
    assert runner.wait(30)
    ids = [r[0] for r in store.database.query("SELECT id FROM chunks ORDER BY seq")]
    assert len(ids) >= 4
    chunks = store.chunks(ids)
    middle = chunks[ids[2]]
    passage = passage_around(store, middle, extra_chunks=1)
    assert passage.text[passage.start:passage.end] == middle.text
    assert passage.text == text[chunks[ids[1]].start:chunks[ids[3]].end]  # overlaps joined
    first = passage_around(store, chunks[ids[0]], extra_chunks=1)
    assert first.start == 0
    assert first.text == text[:chunks[ids[1]].end]
    store.close()
