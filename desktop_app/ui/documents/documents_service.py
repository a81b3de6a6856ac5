"""The GUI's one thread for the documents database: reads, edits, searches, off the GUI thread.

A :class:`~desktop_app.core.documents.store.DocumentStore` belongs to the
thread that opened it, and some of its calls take long (deleting a
collection of 100k chunks, the first search loading the embedder for a
second). So the GUI owns one worker thread with one store and one
:class:`~desktop_app.core.documents.retrieval.Retriever` (which caches each
collection's row map between questions), and hands it jobs: functions of
``(store, retriever)``. Jobs run one at a time, in order, which also orders
them: an attachment saved before a question is read by that question's
retrieval. Results and errors come back through a queued signal to the GUI
thread, where the job's callbacks run. The indexer
(:class:`~desktop_app.core.documents.ingest.IngestRunner`) has its own thread
and store; SQLite's WAL lets both work at once.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop_app.core.documents.embedders import USE_NAME, EmbedderCache
from desktop_app.core.documents.retrieval import Hit, Retriever
from desktop_app.core.documents.store import DocumentStore

log = logging.getLogger(__name__)

Job = Callable[[DocumentStore, Retriever], Any]
"""A function run on the documents thread with its store and retriever."""


SEARCH_TIMEOUT = 30.0
"""Seconds a tool's search may wait for the documents thread (the first loads the embedder)."""


@dataclass(frozen=True)
class _Call:
    job: Job
    on_done: Callable[[Any], None]
    on_error: Callable[[BaseException], None]
    answered: bool = True  # False: the job answers through its own future, not the GUI thread


class DocumentsService(QObject):
    """Runs :data:`Job` s on the documents thread (module docstring).

    Signals:
        _finished(object, object, bool): internal; a call, its result or error, and
            whether it failed, delivered (queued) in the GUI thread.
    """

    _finished = Signal(object, object, bool)

    def __init__(self, data_dir: Path, embedders: EmbedderCache,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.embedders = embedders
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pending = 0
        self._closed = False
        self._start_lock = threading.Lock()  # the thread starts from the GUI or a tool's thread
        self._finished.connect(self._on_finished)

    @property
    def pending(self) -> int:
        """Calls not yet answered (tests wait for 0)."""
        return self._pending

    def call(self, job: Job, on_done: Callable[[Any], None] = lambda _result: None,
             on_error: Callable[[BaseException], None] | None = None) -> None:
        """Run ``job`` on the documents thread; ``on_done``/``on_error`` run in this thread."""
        if self._closed:
            return  # shutting down: nothing new starts
        self._start()
        self._pending += 1
        self._calls.put(_Call(job, on_done, on_error or _log_error))

    def search_now(self, collection_ids: Sequence[int] | None, question: str,
                   k: int) -> list[Hit]:
        """Search on the documents thread and wait for the hits: for the model's search tool.

        Thread-safe and blocking, so it is called from a tool's worker thread,
        never the GUI thread. ``collection_ids``: those collections (hidden
        ones included, for a chat's own files); None: every visible collection.
        """
        future: Future[list[Hit]] = Future()

        def job(store: DocumentStore, retriever: Retriever) -> None:
            try:
                wanted = store.collections(include_hidden=collection_ids is not None)
                if collection_ids is not None:
                    wanted = [c for c in wanted if c.id in collection_ids]
                future.set_result(retriever.search(wanted, question, k))
            except Exception as exc:  # the tool reports it to the model and the card
                future.set_exception(exc)

        if self._closed:
            raise RuntimeError("Hearth is closing; the documents cannot be searched.")
        self._start()
        self._calls.put(_Call(job, _ignore, _log_error, answered=False))
        return future.result(SEARCH_TIMEOUT)

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="hearth-documents",
                                                daemon=True)
                self._thread.start()

    def warm_up(self) -> None:
        """Load the default embedder now (about a second), so the first question does not wait.

        Called when the Documents window opens and when a collection is attached.
        """
        embedders = self.embedders
        self.call(lambda _store, _retriever: embedders.get(USE_NAME).embed(["warm up"]))

    def close(self) -> None:
        """Finish the queued jobs and stop the thread (at shutdown)."""
        if self._thread is not None:
            self._calls.put(None)
            self._thread.join()
            self._thread = None
        self._closed = True  # answers still queued for the GUI thread are dropped
    def _work(self) -> None:
        store: DocumentStore | None = None
        retriever: Retriever | None = None
        try:
            while (call := self._calls.get()) is not None:
                try:
                    if store is None or retriever is None:
                        store = DocumentStore.open(self.data_dir)
                        retriever = Retriever(store, self.embedders)
                    result = call.job(store, retriever)
                except Exception as exc:  # reported to the caller, which shows it
                    log.debug("documents job failed", exc_info=True)
                    if call.answered:
                        self._finished.emit(call, exc, True)
                else:
                    if call.answered:
                        self._finished.emit(call, result, False)
        finally:
            if retriever is not None:
                retriever.close()
            if store is not None:
                store.close()

    def _on_finished(self, call: _Call, value: Any, failed: bool) -> None:
        self._pending -= 1
        if self._closed:
            return
        if failed:
            call.on_error(value)
        else:
            call.on_done(value)


def _ignore(_result: object) -> None:
    """The answer of a job that answers through its own future."""


def _log_error(exc: BaseException) -> None:
    log.warning("documents job failed: %s", exc)
