"""Keeps watched folders in step with their collections while Hearth runs.

A ``QFileSystemWatcher`` watches each watched folder and its subfolders
(inotify and its kin report files added, removed and renamed in a watched
folder, not deeper, hence every subfolder), and the files in them up to
:data:`MAX_FILE_WATCHES`: Qt's folder watch does not report a file written
in place, only a save that replaces the file. Changes come in bursts
(an editor's save is several events, a copy of a hundred files hundreds), so
they only mark the folder and restart a :data:`SETTLE_MS` timer; when things
are quiet the documents thread compares the folder with its collection
(:func:`~desktop_app.core.documents.watched_folders.folder_changes`), removes
the documents whose files are gone, and the changed files are handed to the
indexer. At start-up every watched folder is compared once, which catches what
changed while Hearth was closed.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from desktop_app.core.documents import watched_folders
from desktop_app.core.documents.retrieval import Retriever
from desktop_app.core.documents.store import DocumentStore, MissingRecord
from desktop_app.core.documents.watched_folders import FolderChanges
from desktop_app.ui.documents.documents_service import DocumentsService
from desktop_app.ui.documents.ingest_bridge import IngestBridge

SETTLE_MS = 1500
"""Quiet time after the last change before a folder is compared with its collection."""
MAX_FILE_WATCHES = 4000
"""Files watched one by one at most; past that, only folders (inotify's watches are few)."""


class FolderWatcher(QObject):
    """Watches the recorded folders (module docstring).

    Signals:
        synced(object): a folder was compared: its FolderChanges (after removals and
            with the changed files queued). The Documents window reloads on it.
    """

    synced = Signal(object)

    def __init__(self, service: DocumentsService, ingest: IngestBridge,
                 parent: QObject | None = None, *, settle_ms: int = SETTLE_MS) -> None:
        super().__init__(parent)
        self._service = service
        self._ingest = ingest
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._on_watcher_directory_changed)
        self._watcher.fileChanged.connect(self._on_watcher_directory_changed)
        self._folders: set[tuple[int, Path]] = set()
        self._dirty: set[tuple[int, Path]] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(settle_ms)
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> None:
        """Watch every recorded folder, and catch up with what changed while Hearth was closed."""
        self._service.call(lambda store, _r: watched_folders.watched_folders(store),
                           self._on_folders_loaded)

    def watch(self, collection_id: int, folder: Path) -> None:
        """Keep ``folder`` in step with the collection from now on (recorded at once).

        The caller has just handed the whole folder to the indexer, so this
        first comparison only sets up the watches: the indexer's thread may not
        have recorded the files yet, and queueing them "again" here would
        index the same files twice.
        """
        self._service.call(
            lambda store, _r: watched_folders.watch_folder(store, collection_id, folder),
            lambda _none: self._on_folders_loaded([(collection_id, folder)], queue=False))

    def unwatch(self, collection_id: int) -> None:
        """Stop watching the collection's folders (its documents stay)."""
        self._folders = {key for key in self._folders if key[0] != collection_id}
        self._dirty = {key for key in self._dirty if key[0] != collection_id}
        self._service.call(
            lambda store, _r: watched_folders.unwatch_folders(store, collection_id))
        self._rewatch_later()

    def folders(self, collection_id: int) -> list[Path]:
        return sorted(folder for cid, folder in self._folders if cid == collection_id)

    def _on_folders_loaded(self, folders: list[tuple[int, Path]], *, queue: bool = True) -> None:
        for collection_id, folder in folders:
            key = (collection_id, Path(os.path.abspath(folder)))
            self._folders.add(key)
            self._sync(key, queue=queue)

    def _on_watcher_directory_changed(self, path: str) -> None:
        changed = Path(path)
        for key in self._folders:
            if changed == key[1] or key[1] in changed.parents:
                self._dirty.add(key)
        self._timer.start()

    def _on_timer_timeout(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for key in dirty:
            if key in self._folders:
                self._sync(key)

    def _sync(self, key: tuple[int, Path], *, queue: bool = True) -> None:
        """Compare the folder with its collection; ``queue``: index what changed."""
        collection_id, folder = key

        def job(store: DocumentStore, _r: Retriever) -> FolderChanges:
            changes = watched_folders.folder_changes(store, collection_id, folder)
            for document_id in changes.vanished:
                try:
                    store.remove_document(document_id)
                except MissingRecord:
                    continue
            return changes

        self._service.call(job, lambda changes: self._on_synced(changes, queue=queue))

    def _on_synced(self, changes: FolderChanges, *, queue: bool = True) -> None:
        key = (changes.collection_id, changes.folder)
        if key not in self._folders:
            return  # unwatched meanwhile
        watched = set(self._watcher.directories())
        missing = [str(d) for d in changes.directories if str(d) not in watched]
        # A file written in place changes no folder (inotify reports it only on the
        # file), so files are watched too, as many as the system's watches allow.
        watched_files = set(self._watcher.files())
        room = max(0, MAX_FILE_WATCHES - len(watched_files))
        missing += [str(f) for f in changes.files if str(f) not in watched_files][:room]
        if missing:
            self._watcher.addPaths(missing)
        if changes.changed and queue:
            self._ingest.add(changes.collection_id, changes.changed)
        self.synced.emit(changes)

    def _rewatch_later(self) -> None:
        """Drop the watches of folders no longer watched (the rest are added again on sync)."""
        paths = self._watcher.directories() + self._watcher.files()
        if paths:
            self._watcher.removePaths(paths)
        for key in self._folders:
            self._sync(key)
