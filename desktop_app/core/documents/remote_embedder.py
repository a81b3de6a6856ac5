"""Embeddings from a server the user added: OpenAI's ``/v1/embeddings``.

A collection records such an embedder as ``openai:<server id>#<model>``
(:func:`remote_embedder_name`). The *server id*, not its address: the user
may change a server's URL, key or proxy in Settings and the collection still
finds it. The id is turned into a :class:`ServerConfig` and an API key by a
``resolve`` callable passed in (in the window and the CLI,
:func:`desktop_app.core.remote.resolver.settings_resolver`), so this module
reads no settings of its own; the resolver refuses in words in offline mode,
for a removed server or one turned off. It is asked at every :meth:`embed`,
so a change in Settings (offline mode turned on, a new key) applies to the
next batch, and the HTTP client is rebuilt only when the answer changed.

HTTP goes through :class:`~desktop_app.core.remote.client.RemoteClient`, the
same client as remote chats: TLS always verified (plus the server's CA file),
the server's proxy, timeouts, and every failure as a :class:`RemoteError`
in words (wrong key, unknown model, rate limit, …).

Replies are untrusted: the vector count must match the inputs, every vector
must be a list of finite numbers of one length, the same length as before
(vectors of different lengths cannot share an index), and rows come back in
``index`` order. Inputs go in batches of :data:`BATCH_INPUTS`, the limit
servers such as OpenAI's accept comfortably.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from desktop_app.core.documents.embedders import EmbedderError, normalised
from desktop_app.core.remote.client import RemoteClient, Timeouts, malformed
from desktop_app.core.remote.servers import ServerConfig
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, user_text

# numpy (~0.1 s) is imported by the functions that use it: the window imports this module
# at start for the embedder names.
if TYPE_CHECKING:
    from desktop_app.core.documents.embedders import Vectors

REMOTE_PREFIX = "openai:"
BATCH_INPUTS = 64
"""Texts per request."""
MAX_REPLY_BYTES = 256 * 1024 * 1024
"""At most this much of an embeddings reply is read (64 vectors of 4096 floats is ~6 MB)."""
MAX_DIMS = 65_536
"""A longer vector is not an embedding."""
TIMEOUTS = Timeouts(connect=10.0, read=300.0, write=60.0)
"""A server loading its embedding model may take a while before the first answer."""

Resolve = Callable[[str], tuple[ServerConfig, str | None]]
"""``resolve(server_id) -> (config, API key)``; raises a UserFacingError when unusable."""
ClientFactory = Callable[[ServerConfig, str | None, Timeouts], RemoteClient]


def remote_embedder_name(server_id: str, model: str) -> str:
    """The name a collection records for ``model`` on the server ``server_id``."""
    return f"{REMOTE_PREFIX}{server_id}#{model}"


def parse_remote_embedder_name(name: str) -> tuple[str, str] | None:
    """``(server id, model)`` of a :func:`remote_embedder_name`; None for another name.

    Server ids never contain ``#`` (``ServerConfig.new_id``); model names may,
    so the first ``#`` splits them.
    """
    if not name.startswith(REMOTE_PREFIX):
        return None
    server_id, mark, model = name[len(REMOTE_PREFIX):].partition("#")
    if not server_id or not mark or not model:
        return None
    return server_id, model


def _client(config: ServerConfig, key: str | None, timeouts: Timeouts) -> RemoteClient:
    return RemoteClient(config, key, timeouts)


class OpenAIEmbedder:
    """An embedding model on an OpenAI-compatible server (see the module docstring).

    Thread-safe: the indexing worker and the documents thread may both call
    :meth:`embed`; each call borrows its own connection from the client.
    """

    def __init__(self, server_id: str, model: str, resolve: Resolve, *,
                 batch: int = BATCH_INPUTS, timeouts: Timeouts = TIMEOUTS,
                 make_client: ClientFactory = _client) -> None:
        self._server_id = server_id
        self._model = model
        self._resolve = resolve
        self._batch = max(1, batch)
        self._timeouts = timeouts
        self._make_client = make_client
        self._lock = threading.Lock()
        self._client: RemoteClient | None = None
        self._client_for: tuple[ServerConfig, str | None] | None = None
        self._dims: int | None = None

    def __repr__(self) -> str:  # never the key
        return f"OpenAIEmbedder({self.name!r})"

    @property
    def name(self) -> str:
        return remote_embedder_name(self._server_id, self._model)

    @property
    def dims(self) -> int:
        """The vectors' length; asks the server once (one short text) when not known yet."""
        if self._dims is None:
            self.embed(["dimensions"])
        assert self._dims is not None
        return self._dims

    def embed(self, texts: Sequence[str]) -> Vectors:
        import numpy as np

        if not texts:
            return np.zeros((0, self._dims or 0), dtype=np.float32)
        client = self._current_client()
        rows = [self._embed_batch(client, list(texts[begin:begin + self._batch]))
                for begin in range(0, len(texts), self._batch)]
        return normalised(np.concatenate(rows))

    def close(self) -> None:
        with self._lock:
            client, self._client, self._client_for = self._client, None, None
        if client is not None:
            client.close()

    def _current_client(self) -> RemoteClient:
        config, key = self._resolve(self._server_id)  # refuses offline, removed, turned off
        with self._lock:
            if self._client is None or self._client_for != (config, key):
                old = self._client
                self._client = self._make_client(config, key, self._timeouts)
                self._client_for = (config, key)
                if old is not None:
                    old.close()
            return self._client

    def _embed_batch(self, client: RemoteClient, texts: list[str]) -> Vectors:
        data = client.request_json(
            "POST", "embeddings", MAX_REPLY_BYTES, model=self._model,
            body={"model": self._model, "input": texts, "encoding_format": "float"})
        matrix = _vectors(data, len(texts))
        if matrix is None:
            raise malformed(client.config, "no embeddings")
        with self._lock:
            if self._dims is None:
                self._dims = matrix.shape[1]
            dims = self._dims
        if matrix.shape[1] != dims:
            raise EmbedderError(user_text(
                "documents.remote_dims_changed", QT_TRANSLATE_NOOP(
                    "core", "{server} sent vectors of {dims} dimensions for {model}, where it "
                            "sent {expected} before; vectors of different lengths cannot be "
                            "searched together"),
                server=client.config.name, model=self._model, dims=int(matrix.shape[1]),
                expected=dims))
        return matrix


def _vectors(data: object, count: int) -> Vectors | None:
    """The reply's vectors in input order, or None if it is not ``count`` of one length."""
    import numpy as np

    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list) or len(entries) != count:
        return None
    ordered: list[Any] = [None] * count
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            return None
        index = entry.get("index", position)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count \
                or ordered[index] is not None:
            return None
        vector = entry.get("embedding")
        if not isinstance(vector, list) or not 0 < len(vector) <= MAX_DIMS or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in vector):
            return None
        ordered[index] = vector
    if len({len(v) for v in ordered}) != 1:
        return None  # one reply, several lengths: not one model's vectors
    return np.asarray(ordered, dtype=np.float32)
