"""Indexing in the background: a Qt-free runner with progress events, cancel and resume.

:class:`IngestRunner` owns one worker thread. :meth:`~IngestRunner.add` only
queues a request and returns; the worker expands folders, records every file
as a *queued* document (so a restart knows about it), then parses, chunks and
embeds one document at a time, in batches of :data:`BATCH_CHUNKS`.

Events (:data:`IngestEvent`) go to the ``on_event`` callback **from the
worker thread**. The GUI's adapter must forward them to its own thread (a
queued signal) and change its models there; the CLI prints them. Progress
events are rate-limited to one per :data:`PROGRESS_INTERVAL` seconds, plus
one at every document change, so a callback never floods a UI.

* **Cancel** (:meth:`~IngestRunner.cancel`) is a :class:`threading.Event`
  polled between batches, not a message: the worker is busy in a loop. The
  document in progress keeps its committed batches and its state, so it is
  *pending* and the next run resumes it at the next chunk.
* **Resume**: every run starts with the pending documents the store has,
  whoever queued them (:meth:`~IngestRunner.resume` starts a run for just that).
* **Failure is per document**: a file that cannot be opened, parsed or
  embedded is marked failed with the reason, and the run goes on. Only
  environment errors of the store itself (a full disk, a damaged database)
  end the run, reported in :class:`RunFinished`.

Folder watching (re-indexing a folder when its files change) is the GUI's
(:mod:`desktop_app.ui.documents.folder_watcher`), walking folders with
:func:`walk_folder`.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.core.documents.chunking import Chunk, chunk_sections
from desktop_app.core.documents.embedders import Embedder, EmbedderCache
from desktop_app.core.documents.parsers import Section, format_of, parse
from desktop_app.core.documents.store import (
    Collection,
    Document,
    DocumentState,
    DocumentStore,
    MissingRecord,
)
from desktop_app.core.documents.text_files import open_regular_file
from desktop_app.core.documents.vector_index import VectorFile, VectorFileDamaged
from desktop_app.core.storage.database import StorageError
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserFacingError, UserText, user_text

log = logging.getLogger(__name__)

BATCH_CHUNKS = 32
"""Chunks embedded and committed together: ~0.5 s of work, the cancel latency."""
PROGRESS_INTERVAL = 0.25
"""Seconds between progress events (document changes are sent at once)."""
_HASH_BLOCK = 1 << 20
_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class IngestProgress:
    """Where a run is. ``documents_total`` counts this run's documents, done or not.

    ``eta_seconds`` is None until there is a rate to go by; it is estimated
    from bytes (file sizes, and how far into the current file the parser is).
    """

    documents_total: int = 0
    documents_done: int = 0
    documents_failed: int = 0
    chunks_done: int = 0
    current: Document | None = None
    current_fraction: float = 0.0
    chunks_per_second: float = 0.0
    eta_seconds: float | None = None


@dataclass(frozen=True)
class DocumentChanged:
    """A document was queued or changed state (``document`` is its new record)."""

    document: Document


@dataclass(frozen=True)
class ProgressChanged:
    progress: IngestProgress


@dataclass(frozen=True)
class RunFinished:
    """The worker stopped: all done, ``cancelled``, or an ``error`` of the store itself."""

    progress: IngestProgress
    cancelled: bool = False
    error: UserText | str | None = None


IngestEvent = DocumentChanged | ProgressChanged | RunFinished


@dataclass
class _Run:
    """Counters of one run, owned by the worker thread."""

    started: float = field(default_factory=time.monotonic)
    total: int = 0
    done: int = 0
    failed: int = 0
    chunks: int = 0
    bytes_total: int = 0
    bytes_done: int = 0
    current: Document | None = None
    fraction: float = 0.0
    last_sent: float = float("-inf")
    attempts: dict[int, int] = field(default_factory=dict)


class IngestRunner:
    """Indexes documents on a worker thread (module docstring). Build one per data folder."""

    def __init__(self, data_dir: Path, embedders: EmbedderCache, *,
                 on_event: Callable[[IngestEvent], None] | None = None,
                 batch_chunks: int = BATCH_CHUNKS) -> None:
        self._data_dir = Path(data_dir)
        self._embedders = embedders
        self._on_event = on_event
        self._batch = max(1, batch_chunks)
        self._requests: queue.SimpleQueue[tuple[int, tuple[Path, ...]]] = queue.SimpleQueue()
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._exiting = False  # the worker left its loop; a new request needs a new run

    # ---- the caller's side ----------------------------------------------------------

    def add(self, collection_id: int, paths: Sequence[Path]) -> None:
        """Queue files and folders (a folder: its supported files, recursively); returns at once."""
        self._requests.put((collection_id, tuple(Path(p) for p in paths)))
        self.resume()

    def resume(self) -> None:
        """Start a run if none is going: it picks up every pending document."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive() and not self._exiting:
                return
            self._cancel.clear()
            self._exiting = False
            previous = self._thread
            self._thread = threading.Thread(target=self._work, args=(previous,),
                                            name="hearth-indexer", daemon=True)
            self._thread.start()

    def cancel(self) -> None:
        """Stop after the current batch; what was committed stays, the rest resumes later."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the run to end; True if no run is going any more."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def close(self) -> None:
        """Cancel and wait: call before the process exits or the store is deleted."""
        self.cancel()
        self.wait()

    # ---- the worker -----------------------------------------------------------------

    def _emit(self, event: IngestEvent) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(event)
        except Exception:  # a broken listener must not stop indexing; it is still a bug
            log.exception("ingest event listener failed")

    def _work(self, previous: threading.Thread | None) -> None:
        if previous is not None:
            previous.join()  # a run that was ending: let it close its store first
        run = _Run()
        error: UserText | str | None = None
        files: dict[int, VectorFile] = {}
        store: DocumentStore | None = None
        try:
            store = DocumentStore.open(self._data_dir)
            pending = store.pending_documents()
            run.total = len(pending)
            run.bytes_total = sum(d.size for d in pending)
            while not self._cancel.is_set():
                self._take_requests(store, run)
                pending = store.pending_documents()
                if pending:
                    self._index_once_more(store, pending[0], run, files)
                    continue
                with self._lock:
                    if self._requests.empty():
                        break
        except (StorageError, VectorFileDamaged) as exc:
            error = str(exc)
            log.warning("indexing stopped: %s", exc)
        finally:
            with self._lock:
                self._exiting = True
            for vector_file in files.values():
                vector_file.close()
            if store is not None:
                store.close()
            self._emit(RunFinished(self._progress(run), cancelled=self._cancel.is_set(),
                                   error=error))

    def _take_requests(self, store: DocumentStore, run: _Run) -> None:
        while not self._cancel.is_set():
            try:
                collection_id, paths = self._requests.get_nowait()
            except queue.Empty:
                return
            for document in queue_paths(store, collection_id, paths, self._cancel.is_set):
                run.total += 1
                run.bytes_total += document.size
                self._emit(DocumentChanged(document))
            self._send_progress(run, force=True)

    def _index_once_more(self, store: DocumentStore, document: Document, run: _Run,
                         files: dict[int, VectorFile]) -> None:
        """Index ``document``, unless it keeps coming back: then it fails, never loops.

        A document is pending again after an attempt only when the user
        re-indexed it meanwhile; a few times is plausible, forever is a bug.
        """
        attempts = run.attempts.get(document.id, 0) + 1
        run.attempts[document.id] = attempts
        if attempts > _MAX_ATTEMPTS:
            log.error("%s stays pending after %d attempts", document.path, _MAX_ATTEMPTS)
            store.set_state(document.id, "failed", user_text(
                "documents.loop", QT_TRANSLATE_NOOP(
                    "core", "{name} could not be indexed (it kept starting over)"),
                name=document.name))
            self._finished(store, document, run, failed=True)
            return
        self._index(store, document, run, files)

    def _index(self, store: DocumentStore, document: Document, run: _Run,
               files: dict[int, VectorFile]) -> None:
        run.current, run.fraction = document, 0.0
        try:
            collection = store.collection(document.collection_id)
            self._set(store, document.id, "parsing")
            embedder = self._embedders.get(collection.embedder)
            if embedder.dims != collection.dims:
                raise UserFacingError(user_text(
                    "documents.dims_mismatch", QT_TRANSLATE_NOOP(
                        "core", "The embedder {name} gives {dims}-dimension vectors, but the "
                                "collection holds {expected}; re-index the collection"),
                    name=embedder.name, dims=embedder.dims, expected=collection.dims))
            path = Path(document.path)
            digest, size = _hash_file(path, self._cancel.is_set)
            if self._cancel.is_set():
                return  # cancelled while hashing a big file: still pending
            resume_at = store.begin_document(document.id, digest, size)
            if resume_at is None:  # this content is indexed already
                store.finish_document(document.id, document.notices)
            else:
                collection, vectors = self._vector_file(store, collection, files)
                self._set(store, document.id, "embedding")
                notices: list[UserText] = []
                count = self._embed(store, document, embedder, vectors, path, resume_at,
                                    notices, run)
                if count is None:
                    return  # cancelled: the document stays pending
                if count == 0:
                    raise UserFacingError(user_text(
                        "documents.no_text", QT_TRANSLATE_NOOP(
                            "core", "{name} has no text to index (a scanned document?)"),
                        name=document.name))
                store.finish_document(document.id, notices)
            self._finished(store, document, run, failed=False)
        except (StorageError, VectorFileDamaged):
            raise
        except MissingRecord:  # the document or its collection was deleted meanwhile
            self._finished(store, document, run, failed=False)
        except UserFacingError as exc:
            reason = exc.text if isinstance(exc.text, UserText) else UserText(
                "documents.failed", "{why}", (("why", str(exc.text)),))
            store.set_state(document.id, "failed", reason)
            self._finished(store, document, run, failed=True)
        except Exception as exc:  # a hostile file can trip any parser; it fails alone
            log.exception("indexing %s failed", document.path)
            store.set_state(document.id, "failed", user_text(
                "documents.read_failed", QT_TRANSLATE_NOOP(
                    "core", "{name} could not be read ({error})"),
                name=document.name, error=f"{type(exc).__name__}: {exc}"[:300]))
            self._finished(store, document, run, failed=True)

    def _embed(self, store: DocumentStore, document: Document, embedder: Embedder,
               vectors: VectorFile, path: Path, resume_at: int, notices: list[UserText],
               run: _Run) -> int | None:
        """Parse, chunk and embed; returns the chunk count, None if cancelled."""
        position = [0.0]

        def sections() -> Iterator[Section]:
            for item in parse(path):
                if isinstance(item, Section):
                    position[0] = item.progress
                    yield item
                else:
                    notices.append(item)

        batch: list[Chunk] = []
        count = 0
        for chunk in chunk_sections(sections()):
            count += 1
            if chunk.seq < resume_at:
                continue
            batch.append(chunk)
            if len(batch) >= self._batch:
                if self._cancel.is_set():
                    return None
                self._store_batch(store, document, embedder, vectors, batch, run)
                run.fraction = position[0]
                self._send_progress(run)
                batch = []
        if batch:
            if self._cancel.is_set():
                return None
            self._store_batch(store, document, embedder, vectors, batch, run)
        return count

    def _store_batch(self, store: DocumentStore, document: Document, embedder: Embedder,
                     vectors: VectorFile, batch: list[Chunk], run: _Run) -> None:
        matrix = embedder.embed([c.text for c in batch])
        store.add_chunks(document.id, batch, matrix, vectors)
        run.chunks += len(batch)

    def _vector_file(self, store: DocumentStore, collection: Collection,
                     files: dict[int, VectorFile]) -> tuple[Collection, VectorFile]:
        current = store.collection(collection.id)
        vector_file = files.get(current.id)
        if vector_file is None or vector_file.path != store.vector_path(current):
            if vector_file is not None:
                vector_file.close()
            current, vector_file = store.open_vectors_for_append(current)
            files[current.id] = vector_file
        return current, vector_file

    def _set(self, store: DocumentStore, document_id: int, state: DocumentState) -> None:
        store.set_state(document_id, state)
        self._emit(DocumentChanged(store.document(document_id)))

    def _finished(self, store: DocumentStore, document: Document, run: _Run, *,
                  failed: bool) -> None:
        run.done += 1
        run.failed += int(failed)
        run.bytes_done += document.size
        run.current, run.fraction = None, 0.0
        with contextlib.suppress(MissingRecord):  # removed while it was being indexed
            self._emit(DocumentChanged(store.document(document.id)))
        self._send_progress(run, force=True)

    def _send_progress(self, run: _Run, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - run.last_sent >= PROGRESS_INTERVAL:
            run.last_sent = now
            self._emit(ProgressChanged(self._progress(run)))

    @staticmethod
    def _progress(run: _Run) -> IngestProgress:
        elapsed = max(1e-6, time.monotonic() - run.started)
        current_bytes = run.current.size * run.fraction if run.current is not None else 0.0
        done_bytes = run.bytes_done + current_bytes
        eta = None
        if done_bytes > 0 and elapsed > 1.0:
            eta = max(0.0, (run.bytes_total - done_bytes) * elapsed / done_bytes)
        return IngestProgress(run.total, run.done, run.failed, run.chunks, run.current,
                              run.fraction, run.chunks / elapsed, eta)


def queue_paths(store: DocumentStore, collection_id: int, paths: Sequence[Path],
                should_stop: Callable[[], bool] = lambda: False) -> Iterator[Document]:
    """Record files as queued documents of the collection, yielding each as it is queued.

    Named files are taken whatever their type, so an unsupported one fails
    with a reason instead of vanishing; folders give their supported files,
    recursively, walked without following symbolic links (a link loop, or a
    link out of the folder, is not what the user chose) and skipping hidden
    entries (``.git``, editor swap files). The runner calls this on its
    thread; the CLI calls it before starting the runner, so a Ctrl-C at any
    moment leaves every named file recorded and resumable.
    """
    try:
        store.collection(collection_id)
    except KeyError:
        return  # deleted meanwhile
    for raw in paths:
        path = Path(os.path.abspath(Path(raw).expanduser()))
        if not path.is_dir():
            yield store.add_document(collection_id, path, _file_size(path))
            continue
        for _folder, files in walk_folder(path, should_stop):
            for candidate in files:
                yield store.add_document(collection_id, candidate, _file_size(candidate))


def walk_folder(path: Path, should_stop: Callable[[], bool] = lambda: False
                ) -> Iterator[tuple[Path, list[Path]]]:
    """Each folder under ``path`` (itself first) with the supported files directly in it.

    The rules of :func:`queue_paths` for folders (no symbolic links, no hidden
    entries), in one place: the GUI's folder watcher walks folders with it too.
    """
    for folder, dirs, names in os.walk(path, followlinks=False):
        if should_stop():
            return
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files = [Path(folder) / name for name in sorted(names) if not name.startswith(".")]
        yield Path(folder), [f for f in files
                             if format_of(f) is not None and not f.is_symlink()]


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _hash_file(path: Path, should_stop: Callable[[], bool]) -> tuple[str, int]:
    """SHA-256 of the file's bytes and its size, streamed (a changed file is re-indexed).

    Stops early (with a meaningless result) when ``should_stop`` says so: a
    2 GB file takes seconds to hash, and cancel should not wait for it.
    """
    digest = hashlib.sha256()
    size = 0
    with open_regular_file(path) as stream:
        while not should_stop() and (block := stream.read(_HASH_BLOCK)):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size
