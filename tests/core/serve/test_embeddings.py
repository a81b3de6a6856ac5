"""``/v1/embeddings``: the official client, the limits in raw HTTP, and the event loop kept free."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import openai
import pytest

from desktop_app.core.documents.embedders import Vectors, normalised
from desktop_app.core.serve.app import EMBEDDING_MODEL, MAX_EMBEDDING_JOBS
from desktop_app.core.serve.config import ApiServerSettings
from desktop_app.core.serve.openai_format import MAX_EMBEDDING_CHARS, MAX_EMBEDDING_INPUTS
from desktop_app.core.serve.server import ApiServer
from tests.core.documents.samples import shared_use
from tests.core.serve.serve_stack import KEY
from tests.ui.fake_engine import FakeEngine

AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def server() -> Iterator[ApiServer]:
    """One server for the module, no chat model loaded: embeddings need none."""
    server = ApiServer(FakeEngine(), ApiServerSettings(port=0, max_body_bytes=8 * 1024 * 1024),
                       KEY, embedder=shared_use())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(server: ApiServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.address, api_key=KEY, max_retries=0,
                       timeout=60) as client:
        yield client


@pytest.fixture
def http(server: ApiServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.address.removesuffix("/v1"), timeout=60) as client:
        yield client


def test_the_openai_client_embeds_across_languages(client: openai.OpenAI) -> None:
    texts = ["The Great Wall of China is very long.", "中国的长城非常长。",
             "Interest rates rose in the third quarter."]
    result = client.embeddings.create(model=EMBEDDING_MODEL, input=texts)  # base64 by default
    assert result.model == EMBEDDING_MODEL
    assert [item.index for item in result.data] == [0, 1, 2]
    vectors = np.asarray([item.embedding for item in result.data])
    assert vectors.shape == (3, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    same, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert same > 0.6, same
    assert unrelated < 0.3, unrelated
    assert np.allclose(vectors, shared_use().embed(texts), atol=1e-5)
    assert result.usage.prompt_tokens == shared_use().count_tokens(texts) > len(texts) * 2
    one = client.embeddings.create(model=EMBEDDING_MODEL, input="中国的长城非常长。",
                                   encoding_format="float")
    assert np.allclose(one.data[0].embedding, vectors[1], atol=1e-5)
    assert EMBEDDING_MODEL in [m.id for m in client.models.list()]


def test_wrong_requests_are_refused_in_words(http: httpx.Client) -> None:
    def post(body: object) -> tuple[int, str]:
        response = http.post("/v1/embeddings", headers=AUTH, json=body)
        return response.status_code, response.json()["error"]["message"]

    assert post({"model": EMBEDDING_MODEL, "input": [1, 2, 3]}) == (
        400, "'input' must hold strings; token arrays are not supported.")
    assert post({"input": []})[0] == 400
    assert post({"input": "x", "encoding_format": "int8"})[0] == 400
    assert post({"input": "x", "dimensions": 256})[1].startswith("This model's vectors have 512")
    status, message = post({"model": "gpt-4o", "input": "x"})
    assert status == 404
    assert EMBEDDING_MODEL in message
    status, message = post({"input": ["a"] * (MAX_EMBEDDING_INPUTS + 1)})
    assert status == 400
    assert f"at most {MAX_EMBEDDING_INPUTS} per request" in message
    status, message = post({"input": ["x" * (MAX_EMBEDDING_CHARS // 2 + 1)] * 2})
    assert status == 413
    assert f"at most {MAX_EMBEDDING_CHARS}" in message
    assert http.post("/v1/embeddings", json={"input": "x"}).status_code == 401
    assert http.post("/v1/embeddings", headers={**AUTH, "Host": "evil.example"},
                     json={"input": "x"}).status_code == 421


class _Gate:
    """An embedder that waits for the test to let it go, and counts how many wait."""

    name = "gate"
    dims = 4

    def __init__(self) -> None:
        self.release = threading.Event()
        self.waiting = 0
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            self.waiting += 1
        self.release.wait(20)
        return normalised(np.ones((len(texts), 4)))


def test_embedding_runs_off_the_event_loop_and_is_bounded() -> None:
    gate = _Gate()
    server = ApiServer(FakeEngine(), ApiServerSettings(port=0), KEY, embedder=gate)
    server.start()
    base = server.address.removesuffix("/v1")
    try:
        with httpx.Client(base_url=base, timeout=30) as http, \
                ThreadPoolExecutor(MAX_EMBEDDING_JOBS) as pool:
            busy = [pool.submit(http.post, "/v1/embeddings", headers=AUTH,
                                json={"input": ["a", "b"]})
                    for _ in range(MAX_EMBEDDING_JOBS)]
            deadline = time.monotonic() + 10
            while gate.waiting < MAX_EMBEDDING_JOBS and time.monotonic() < deadline:
                time.sleep(0.01)
            assert gate.waiting == MAX_EMBEDDING_JOBS
            started = time.monotonic()
            assert http.get("/v1/models", headers=AUTH).status_code == 200  # loop is free
            assert time.monotonic() - started < 2
            extra = http.post("/v1/embeddings", headers=AUTH, json={"input": "c"})
            assert extra.status_code == 503
            gate.release.set()
            answers = [future.result().json() for future in busy]
        assert all(len(a["data"]) == 2 and a["usage"]["prompt_tokens"] == 2 for a in answers)
    finally:
        gate.release.set()
        server.stop()
