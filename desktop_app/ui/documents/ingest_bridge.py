"""The indexer as Qt signals: :class:`IngestRunner`'s worker-thread events, in the GUI thread.

:class:`~desktop_app.core.documents.ingest.IngestRunner` calls its
``on_event`` callback on its own worker thread. Nothing there may touch a
widget or an item model, so the callback only emits a signal of this object,
which lives in the GUI thread: Qt queues it across threads, and the slots run
in the GUI thread in the order the events happened. The runner already
limits progress events to four a second, so no further batching is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop_app.core.documents.embedders import EmbedderCache
from desktop_app.core.documents.ingest import (
    DocumentChanged,
    IngestEvent,
    IngestProgress,
    IngestRunner,
    ProgressChanged,
    RunFinished,
)


class IngestBridge(QObject):
    """Owns the :class:`IngestRunner` of the window's data folder and re-emits its events.

    Signals:
        document_changed(object): a Document was queued or changed state.
        progress_changed(object): the run's IngestProgress.
        run_finished(object): RunFinished (done, cancelled, or stopped by a store error).
        _event(object): internal; an IngestEvent crossing from the worker thread.
    """

    document_changed = Signal(object)
    progress_changed = Signal(object)
    run_finished = Signal(object)
    _event = Signal(object)

    def __init__(self, data_dir: Path, embedders: EmbedderCache,
                 parent: QObject | None = None, *, batch_chunks: int | None = None) -> None:
        super().__init__(parent)
        options = {} if batch_chunks is None else {"batch_chunks": batch_chunks}
        self._runner = IngestRunner(data_dir, embedders, on_event=self._event.emit, **options)
        self._event.connect(self._on_event)
        self.progress: IngestProgress | None = None
        """The last progress of the current run; None when no run is going."""

    @property
    def running(self) -> bool:
        return self._runner.running

    def add(self, collection_id: int, paths: Sequence[Path]) -> None:
        self._runner.add(collection_id, paths)

    def resume(self) -> None:
        """Index whatever is pending (at start-up: what the last session left)."""
        self._runner.resume()

    def cancel(self) -> None:
        self._runner.cancel()

    def close(self) -> None:
        """Cancel and wait for the worker (at shutdown; it stops after its current batch)."""
        self._runner.close()

    def _on_event(self, event: IngestEvent) -> None:
        if isinstance(event, DocumentChanged):
            self.document_changed.emit(event.document)
        elif isinstance(event, ProgressChanged):
            self.progress = event.progress
            self.progress_changed.emit(event.progress)
        elif isinstance(event, RunFinished):
            self.progress = None
            self.run_finished.emit(event)
