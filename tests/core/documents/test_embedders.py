"""Embedders: the bundled encoder, a GGUF model through llama.cpp, names that rebuild them."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from desktop_app.core.documents.embedders import (
    USE_DIMS,
    USE_NAME,
    Embedder,
    EmbedderCache,
    EmbedderError,
    LlamaEmbedder,
    UniversalSentenceEncoder,
    embedder_for,
    normalised,
)
from desktop_app.core.models.starter_model import starter_path
from tests.core.documents.samples import shared_use


def test_the_bundled_encoder_gives_unit_vectors_across_languages() -> None:
    encoder = shared_use()
    assert isinstance(encoder, Embedder)
    vectors = encoder.embed(["The cat sleeps.", "猫在睡觉。", "Interest rates rose."])
    assert vectors.shape == (3, USE_DIMS)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    same, other = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert same > other + 0.2  # a translation is closer than another topic
    assert encoder.embed([]).shape == (0, USE_DIMS)


def test_the_encoder_loads_lazily() -> None:
    encoder = UniversalSentenceEncoder(threads=1)
    assert encoder._model is None  # building it costs nothing; the GUI builds it at start
    assert (encoder.name, encoder.dims) == (USE_NAME, USE_DIMS)


def test_names_rebuild_embedders(tmp_path: Path) -> None:
    assert isinstance(embedder_for(USE_NAME), UniversalSentenceEncoder)
    gguf = embedder_for(f"gguf:{tmp_path / 'm.gguf'}")
    assert isinstance(gguf, LlamaEmbedder)
    assert gguf.name == f"gguf:{tmp_path / 'm.gguf'}"
    with pytest.raises(EmbedderError, match="does not know the embedder openai:x"):
        embedder_for("openai:x")
    with pytest.raises(EmbedderError, match="is missing"):
        gguf.embed(["text"])


def test_the_cache_builds_each_name_once() -> None:
    built: list[str] = []

    def factory(name: str, threads: int) -> Embedder:
        built.append(name)
        return UniversalSentenceEncoder(threads=threads)

    cache = EmbedderCache(factory=factory)
    assert cache.get(USE_NAME) is cache.get(USE_NAME)
    assert built == [USE_NAME]


def test_normalised_leaves_zero_rows_alone() -> None:
    result = normalised([[3.0, 4.0], [0.0, 0.0]])
    assert np.allclose(result, [[0.6, 0.8], [0.0, 0.0]])


@pytest.mark.skipif(not starter_path().is_file(), reason="the starter model is not in resources/")
def test_a_gguf_model_embeds_through_llama_cpp() -> None:
    # The starter chat model is no embedding model, but llama.cpp embeds with any GGUF;
    # that is enough to check the plumbing (pooling, normalising, dims).
    embedder = LlamaEmbedder(starter_path(), threads=1)
    assert embedder.dims == 576
    vectors = embedder.embed(["The cat sat on the mat.", "A cat is sitting on a mat.",
                              "Quarterly revenue grew by twelve percent."])
    assert vectors.shape == (3, 576)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_a_query_is_not_held_up_by_a_batch_on_another_thread() -> None:
    encoder = shared_use()
    expected = encoder.embed(["a question"])
    batch = ["A long passage about many things. " * 40] * 64
    results: list[np.ndarray] = []
    spans: list[float] = []

    def run_batch() -> None:
        started = time.perf_counter()
        results.append(encoder.embed(batch))
        spans.append(time.perf_counter() - started)

    worker = threading.Thread(target=run_batch)
    worker.start()
    time.sleep(0.05)
    started = time.perf_counter()
    query = encoder.embed(["a question"])
    took = time.perf_counter() - started
    worker.join()
    assert np.allclose(query, expected, atol=1e-6)  # concurrent calls give the same vectors
    assert np.allclose(results[0][0], encoder.embed(batch[:1])[0], atol=1e-6)
    assert took < spans[0] / 3, (took, spans[0])  # not queued behind the batch
