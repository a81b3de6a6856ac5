"""The ``/v1/embeddings`` embedder, against the fault-injecting test server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from desktop_app.core.documents.embedders import (
    Embedder,
    EmbedderCache,
    EmbedderError,
    embedder_for,
)
from desktop_app.core.documents.ingest import IngestRunner
from desktop_app.core.documents.remote_embedder import (
    OpenAIEmbedder,
    parse_remote_embedder_name,
    remote_embedder_name,
)
from desktop_app.core.documents.retrieval import preview_retrieval
from desktop_app.core.documents.store import DocumentStore
from desktop_app.core.keychain import MemoryKeyStore
from desktop_app.core.remote.client import RemoteError
from desktop_app.core.remote.resolver import ServerUnavailable, settings_resolver
from desktop_app.core.remote.servers import ServerConfig
from desktop_app.core.settings import Settings
from tests.core.remote.fault_server import FaultServer, letter_vector

SERVER_ID = "srv-emb"


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as fault:
        yield fault


@pytest.fixture
def settings(server: FaultServer) -> Settings:
    return Settings(servers=[ServerConfig(SERVER_ID, "Embed box", server.base_url)])


@pytest.fixture
def keys() -> MemoryKeyStore:
    return MemoryKeyStore()


@pytest.fixture
def embedder(settings: Settings, keys: MemoryKeyStore) -> Iterator[MakeEmbedder]:
    """Makes embedders on the test server; each one's connections are closed afterwards."""
    made: list[OpenAIEmbedder] = []

    def make(model: str = "emb", batch: int = 64) -> OpenAIEmbedder:
        made.append(OpenAIEmbedder(SERVER_ID, model, settings_resolver(lambda: settings, keys),
                                   batch=batch))
        return made[-1]

    yield make
    for remote in made:
        remote.close()

MakeEmbedder = Callable[..., OpenAIEmbedder]


def test_names_carry_the_server_id_and_the_model() -> None:
    name = remote_embedder_name("srv-1", "org/bge#m3")
    assert name == "openai:srv-1#org/bge#m3"
    assert parse_remote_embedder_name(name) == ("srv-1", "org/bge#m3")
    for other in ("use-multilingual-v3", "openai:srv-1", "openai:#m", "openai:srv#"):
        assert parse_remote_embedder_name(other) is None


def test_vectors_come_in_batches_normalised_in_input_order(
        server: FaultServer, keys: MemoryKeyStore, embedder: MakeEmbedder) -> None:
    keys.set(SERVER_ID, "sk-secret")
    server.api_key = "sk-secret"
    texts = [f"text number {i} about {'cats' if i % 2 else 'stars'}" for i in range(5)]
    remote = embedder("emb-shuffled", batch=2)
    vectors = remote.embed(texts)
    assert vectors.shape == (5, 16)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    expected = np.asarray([letter_vector(t, 16) for t in texts])
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(vectors, expected, atol=1e-5)  # "index" put reversed rows back
    batches = [r["input"] for r in server.requests]
    assert batches == [texts[0:2], texts[2:4], texts[4:5]]
    assert all(r["model"] == "emb-shuffled" and r["encoding_format"] == "float"
               for r in server.requests)
    assert remote.dims == 16  # known from the replies: no extra request
    assert len(server.requests) == 3
    assert isinstance(remote, Embedder)
    assert "sk-secret" not in repr(remote)


def test_dims_are_asked_once_and_must_stay_the_same(
        server: FaultServer, embedder: MakeEmbedder) -> None:
    remote = embedder("emb-grow")
    first = remote.dims  # one probe request
    assert len(server.requests) == 1
    with pytest.raises(EmbedderError, match=f"{first + 1} dimensions for emb-grow, where it "
                                            f"sent {first} before"):
        remote.embed(["again"])


@pytest.mark.parametrize("model", ["emb-ragged", "emb-short", "emb-nan"])
def test_a_malformed_reply_is_refused_in_words(model: str, embedder: MakeEmbedder) -> None:
    with pytest.raises(RemoteError, match="sent a reply Hearth could not read"):
        embedder(model).embed(["one", "two"])


def test_server_errors_are_in_words(server: FaultServer, settings: Settings,
                                   keys: MemoryKeyStore, embedder: MakeEmbedder) -> None:
    with pytest.raises(RemoteError, match="does not know the model “e404”"):
        embedder("e404").embed(["x"])
    with pytest.raises(RemoteError, match="try again in 7 seconds"):
        embedder("e429").embed(["x"])
    server.api_key = "right"
    keys.set(SERVER_ID, "wrong")
    with pytest.raises(RemoteError, match="the API key is wrong"):
        embedder().embed(["x"])


def test_offline_mode_and_a_removed_server_refuse_before_any_request(
        server: FaultServer, settings: Settings, embedder: MakeEmbedder) -> None:
    remote = embedder()
    remote.embed(["works while online"])
    settings.offline = True
    with pytest.raises(ServerUnavailable, match=r"offline mode.*Embed box"):
        remote.embed(["no"])
    settings.offline = False
    settings.servers = []
    with pytest.raises(ServerUnavailable, match="was removed"):
        remote.embed(["no"])
    assert len(server.requests) == 1


def test_a_changed_address_is_followed_by_the_server_id(
        settings: Settings, keys: MemoryKeyStore, embedder: MakeEmbedder) -> None:
    remote = embedder()
    remote.embed(["first server"])
    with FaultServer() as moved:
        settings.servers = [ServerConfig(SERVER_ID, "Embed box", moved.base_url)]
        remote.embed(["moved server"])
        assert [r["input"] for r in moved.requests] == [["moved server"]]


def test_embedder_for_builds_it_only_with_a_resolver(settings: Settings,
                                                     keys: MemoryKeyStore) -> None:
    name = remote_embedder_name(SERVER_ID, "emb")
    with pytest.raises(EmbedderError, match="remote server"):
        embedder_for(name)
    built = embedder_for(name, resolve=settings_resolver(lambda: settings, keys))
    assert isinstance(built, OpenAIEmbedder)
    assert built.name == name


def test_a_collection_indexes_and_answers_through_the_server(
        tmp_path: Path, settings: Settings, keys: MemoryKeyStore) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "cats.txt").write_text("Cats purr and sleep in the sun all day.", "utf-8")
    (folder / "tax.txt").write_text("Quarterly VAT returns are due in April.", "utf-8")
    resolve = settings_resolver(lambda: settings, keys)
    cache = EmbedderCache(factory=lambda name, threads: embedder_for(
        name, threads=threads, resolve=resolve))
    name = remote_embedder_name(SERVER_ID, "emb")
    data = tmp_path / "data"
    store = DocumentStore.open(data)
    collection = store.create_collection("Remote", name, cache.get(name).dims)
    runner = IngestRunner(data, cache)
    runner.add(collection.id, [folder])
    assert runner.wait(30)
    assert {d.state for d in store.documents(collection.id)} == {"ready"}
    hits = preview_retrieval(store, cache, store.collection(collection.id),
                             "do cats purr in the sun?", 1)
    assert hits[0].chunk.document_name == "cats.txt"
    settings.offline = True  # indexing now fails per document, saying why
    store.reindex_document(store.documents(collection.id)[0].id)
    runner.resume()
    assert runner.wait(30)
    failed = [d for d in store.documents(collection.id) if d.state == "failed"]
    assert len(failed) == 1
    assert "offline mode" in str(failed[0].reason)
    store.close()
    cache.close()
