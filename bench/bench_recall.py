"""Does document retrieval find the right passage, in English and Chinese, and how fast?

Uses the real pipeline (files → parsers → chunking → the bundled USE embedder
→ the SQLite store and vector file → :class:`Retriever`) on the bilingual test
set in ``bench/data/recall_set.json``: 36 passages (18 English, 18 Chinese,
in topic pairs so each answer has a hard negative) and 28 questions (English
and Chinese, 13 of them across languages). Reports:

* recall@1 and @3 for vector, keyword and fused rankings (RRF with the
  keyword list weighted 1 and 0.5), overall and per question kind;
* the same vector recall with vectors stored as float32, float16 and int8;
* indexing throughput (chunks of ~300 tokens through the whole pipeline, and
  the embedder alone), query latency (embedding included), memory;
* exact search over ``--million`` random vectors per storage kind: latency,
  file size and working memory beyond the memory map.

Usage: ``PYTHONPATH=. .venv/bin/python bench/bench_recall.py [--million 1000000]
[--threads 2]``; prints Markdown tables for the README.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop_app.core.documents.embedders import (
    USE_DIMS,
    USE_NAME,
    EmbedderCache,
    UniversalSentenceEncoder,
    normalised,
)
from desktop_app.core.documents.ingest import IngestRunner
from desktop_app.core.documents.retrieval import Retriever, fuse
from desktop_app.core.documents.store import Collection, DocumentStore
from desktop_app.core.documents.vector_index import StorageKind, VectorFile

DATA = Path(__file__).parent / "data" / "recall_set.json"
KINDS: tuple[StorageKind, ...] = ("float32", "float16", "int8")
KINDS_OF_QUERY = ("en-en", "zh-zh", "en-zh", "zh-en")


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _index(data_dir: Path, cache: EmbedderCache, name: str, kind: StorageKind,
           files: list[Path]) -> float:
    """Index ``files`` into a new collection; returns the seconds it took."""
    store = DocumentStore.open(data_dir)
    collection = store.create_collection(name, USE_NAME, USE_DIMS, kind)
    store.close()
    runner = IngestRunner(data_dir, cache)
    started = time.perf_counter()
    runner.add(collection.id, files)
    runner.wait()
    return time.perf_counter() - started


def _rank_of(answer_chunk: int, ranked: list[int]) -> int | None:
    return ranked.index(answer_chunk) + 1 if answer_chunk in ranked else None


def recall(store: DocumentStore, cache: EmbedderCache, collection: Collection,
           queries: list[dict[str, str]], chunk_of: dict[str, int]) -> dict[str, dict[str, float]]:
    """Recall@1/@3 per method, overall and per query kind."""
    retriever = Retriever(store, cache)
    methods: dict[str, Callable[[str], list[int]]] = {}

    def vector(q: str) -> list[int]:
        return [i for i, _ in retriever.vector_search(collection, q, 50)]

    def keyword(q: str) -> list[int]:
        return [i for i, _ in store.keyword_search(collection.id, q, 50)]

    methods["vector"] = vector
    methods["keyword"] = keyword
    for weight in (1.0, 0.5):
        def fused(q: str, weight: float = weight) -> list[int]:
            return [i for i, _ in fuse(dict(retriever.vector_search(collection, q, 50)),
                                       dict(store.keyword_search(collection.id, q, 50)),
                                       keyword_weight=weight)]
        methods[f"hybrid (RRF, keyword ×{weight:g})"] = fused
    results: dict[str, dict[str, float]] = {}
    for method, rank in methods.items():
        row: dict[str, float] = {}
        for scope in ("all", *KINDS_OF_QUERY):
            chosen = [q for q in queries if scope in ("all", q["kind"])]
            ranks = [_rank_of(chunk_of[q["answer"]], rank(q["q"])) for q in chosen]
            row[f"{scope} R@1"] = sum(r == 1 for r in ranks) / len(ranks)
            row[f"{scope} R@3"] = sum(r is not None and r <= 3 for r in ranks) / len(ranks)
        results[method] = row
    retriever.close()
    return results


def _synthetic_chunks(passages: dict[str, str], count: int) -> list[str]:
    """~300-token chunks: passages of one language glued to ~1,150 Latin / ~390 CJK chars."""
    rng = random.Random(7)
    english = [t for k, t in passages.items() if k.startswith("e")]
    chinese = [t for k, t in passages.items() if k.startswith("z")]
    chunks = []
    for i in range(count):
        pool, limit = (english, 1150) if i % 2 == 0 else (chinese, 390)
        text = ""
        while len(text) < limit:
            text += rng.choice(pool) + ("\n\n" if pool is english else "")
        chunks.append(text[:limit])
    return chunks


def million(n: int, kinds: tuple[StorageKind, ...], folder: Path) -> list[tuple[str, ...]]:
    rows = []
    rng = np.random.default_rng(0)
    queries = normalised(rng.standard_normal((5, USE_DIMS)).astype(np.float32))
    for kind in kinds:
        path = folder / f"million-{kind}.bin"
        writer = VectorFile.open_for_append(path, USE_DIMS, kind, 0)
        started = time.perf_counter()
        block_rng = np.random.default_rng(1)
        for begin in range(0, n, 50_000):
            size = min(50_000, n - begin)
            writer.append(normalised(block_rng.standard_normal((size, USE_DIMS),
                                                               dtype=np.float32)))
        write_s = time.perf_counter() - started
        writer.close()
        reader = VectorFile.open_for_search(path, USE_DIMS, kind)
        live = np.ones(n, dtype=bool)
        reader.search(queries[:1], n, 10, live)  # map the file, warm the page cache
        times = []
        tracemalloc.start()
        for q in queries:
            started = time.perf_counter()
            reader.search(q[None, :], n, 10, live)
            times.append(time.perf_counter() - started)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        reader.close()
        rows.append((kind, f"{n:,}", f"{path.stat().st_size / 2**20:,.0f} MB",
                     f"{statistics.median(times) * 1000:,.0f} ms",
                     f"{peak / 2**20:,.0f} MB", f"{write_s:.1f} s"))
        path.unlink()
    return rows


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--million", type=int, default=1_000_000,
                        help="random vectors for the scale test (0: skip it)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads (default 2)")
    parser.add_argument("--chunks", type=int, default=200, help="chunks for throughput")
    args = parser.parse_args()
    data = json.loads(DATA.read_text(encoding="utf-8"))
    passages: dict[str, str] = data["passages"]
    queries: list[dict[str, str]] = data["queries"]

    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(args.threads, "blas"):
        root = Path(tmp)
        docs = root / "docs"
        docs.mkdir()
        files = []
        for key, text in passages.items():
            files.append(docs / f"{key}.txt")
            files[-1].write_text(text, encoding="utf-8")
        rss_start = _rss_mb()
        encoder = UniversalSentenceEncoder(threads=args.threads)
        started = time.perf_counter()
        encoder.embed(["load"])
        load_s = time.perf_counter() - started
        rss_model = _rss_mb()
        cache = EmbedderCache()
        cache.add(encoder)
        data_dir = root / "data"
        for kind in KINDS:
            _index(data_dir, cache, f"test-{kind}", kind, files)
        store = DocumentStore.open(data_dir)

        recall_rows = []
        kind_rows = []
        for kind in KINDS:
            collection = store.collection_named(f"test-{kind}")
            assert collection is not None
            chunk_of = {Path(d.path).stem: int(store.database.query(
                "SELECT id FROM chunks WHERE document_id = ?", (d.id,))[0][0])
                for d in store.documents(collection.id)}
            results = recall(store, cache, collection, queries, chunk_of)
            if kind == "int8":
                for method, row in results.items():
                    recall_rows.append((method, *(f"{row[s + ' R@1']:.2f} / {row[s + ' R@3']:.2f}"
                                                  for s in ("all", *KINDS_OF_QUERY))))
            vector = results["vector"]
            kind_rows.append((kind, f"{vector['all R@1']:.2f}", f"{vector['all R@3']:.2f}"))

        # Throughput: ~300-token chunks, embedder alone and the whole pipeline.
        chunks = _synthetic_chunks(passages, args.chunks)
        started = time.perf_counter()
        encoder.embed(chunks)
        embed_rate = len(chunks) / (time.perf_counter() - started)
        bulk = root / "bulk"
        bulk.mkdir()
        for i in range(0, len(chunks), 20):
            (bulk / f"doc{i}.md").write_text(
                "\n\n".join(f"# Part {j}\n\n{c}" for j, c in enumerate(chunks[i:i + 20])),
                encoding="utf-8")
        seconds = _index(data_dir, cache, "bulk", "int8", [bulk])
        bulk_collection = store.collection_named("bulk")
        assert bulk_collection is not None
        indexed = store.chunk_total(bulk_collection.id)
        pipeline_rate = indexed / seconds

        # Query latency on the test collection, embedding the question included.
        collection = store.collection_named("test-int8")
        assert collection is not None
        retriever = Retriever(store, cache)
        latency = {}
        for mode in ("vector", "keyword", "hybrid"):
            times = []
            for _ in range(3):
                for q in queries:
                    started = time.perf_counter()
                    retriever.search([collection], q["q"], 5, mode)  # type: ignore[arg-type]
                    times.append(time.perf_counter() - started)
            latency[mode] = statistics.median(times) * 1000
        retriever.close()
        rss_end = _rss_mb()
        store.close()
        scale_rows = million(args.million, KINDS, root) if args.million > 0 else []

    counts = ", ".join(f"{sum(q['kind'] == k for q in queries)} {k}" for k in KINDS_OF_QUERY)
    print(f"Bilingual recall test: {len(passages)} passages, {len(queries)} questions "
          f"({counts}), int8 vectors; recall@1 / recall@3\n")
    print(_table(("ranking", "all", *KINDS_OF_QUERY), recall_rows))
    print("\nVector recall by storage type\n")
    print(_table(("vectors", "R@1", "R@3"), kind_rows))
    print(f"\nIndexing ({args.threads} BLAS threads, ~300-token chunks, half English, "
          "half Chinese)\n")
    print(_table(("measure", "value"), [
        ("embedder alone", f"{embed_rate:.0f} chunks/s"),
        ("whole pipeline (parse, chunk, embed, store)", f"{pipeline_rate:.0f} chunks/s "
                                                        f"({indexed} chunks)"),
        ("embedder load (first use)", f"{load_s:.1f} s"),
        ("query latency, vector (embedding included)", f"{latency['vector']:.1f} ms"),
        ("query latency, keyword", f"{latency['keyword']:.1f} ms"),
        ("query latency, hybrid", f"{latency['hybrid']:.1f} ms"),
        ("process memory: before model / model loaded / after all", f"{rss_start:.0f} / "
                                                                   f"{rss_model:.0f} / "
                                                                   f"{rss_end:.0f} MB"),
    ]))
    if scale_rows:
        print("\nExact search over random vectors (512 dims, top 10)\n")
        print(_table(("vectors", "count", "file", "query", "working memory", "write"),
                     scale_rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
