"""Folders kept in step with their collection: which ones, and what changed in them.

A watched folder is recorded with its collection (a table of the documents
database, dropped with the collection), so watching survives a restart. The
GUI's watcher (:mod:`desktop_app.ui.documents.folder_watcher`) notices that
something changed under a folder and calls :func:`folder_changes`, which
compares the folder with the collection's documents:

* a file is *changed* when it is not a document yet, or its size differs, or
  it was modified after its document was last updated: only those are queued
  again (re-queuing the whole folder would hash every file on every save);
* a document is *vanished* when its file under the folder is gone: it is
  removed from the collection, as the user removed it from the folder.

Folders are walked with :func:`.ingest.walk_folder`, the same rules as when
the folder was added (no hidden entries, no symbolic links).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.core.documents.ingest import walk_folder
from desktop_app.core.documents.store import DocumentStore


@dataclass(frozen=True)
class FolderChanges:
    """What :func:`folder_changes` found under one watched folder."""

    collection_id: int
    folder: Path
    changed: list[Path] = field(default_factory=list)
    vanished: list[int] = field(default_factory=list)
    directories: list[Path] = field(default_factory=list)
    """The folder and its subfolders, for the watcher to watch."""
    files: list[Path] = field(default_factory=list)
    """Every supported file found (a file written in place changes no folder)."""


def watch_folder(store: DocumentStore, collection_id: int, folder: Path) -> None:
    store.database.execute(
        "INSERT OR IGNORE INTO watched_folders (collection_id, path) "
        "SELECT id, ? FROM collections WHERE id = ?", (str(_absolute(folder)), collection_id))


def unwatch_folders(store: DocumentStore, collection_id: int) -> None:
    """Stop keeping any folder of the collection in step (its documents stay)."""
    store.database.execute("DELETE FROM watched_folders WHERE collection_id = ?",
                           (collection_id,))


def watched_folders(store: DocumentStore) -> list[tuple[int, Path]]:
    """Every watched folder with its collection id."""
    return [(int(row[0]), Path(row[1])) for row in store.database.query(
        "SELECT collection_id, path FROM watched_folders ORDER BY collection_id, path")]


def folder_changes(store: DocumentStore, collection_id: int, folder: Path,
                   should_stop: Callable[[], bool] = lambda: False) -> FolderChanges:
    """New and changed files under ``folder``, and documents whose files are gone there."""
    folder = _absolute(folder)
    changes = FolderChanges(collection_id, folder)
    prefix = str(folder) + os.sep
    known = {d.path: d for d in store.documents(collection_id)
             if d.path.startswith(prefix)}
    if not folder.is_dir():
        return changes  # the folder itself is gone (an unplugged drive): change nothing
    seen: set[str] = set()
    for directory, files in walk_folder(folder, should_stop):
        changes.directories.append(directory)
        changes.files.extend(files)
        for path in files:
            seen.add(str(path))
            document = known.get(str(path))
            try:
                stat = path.stat()
            except OSError:
                continue
            if document is None or document.size != stat.st_size \
                    or stat.st_mtime > document.updated_at:
                changes.changed.append(path)
    changes.vanished.extend(d.id for path, d in known.items()
                            if path not in seen and not Path(path).exists())
    return changes


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(Path(path).expanduser()))
