"""What a watched folder's comparison with its collection finds: new, changed and gone files."""

from __future__ import annotations

import os
import time
from pathlib import Path

from desktop_app.core.documents import watched_folders
from desktop_app.core.documents.ingest import queue_paths
from desktop_app.core.documents.store import DocumentStore
from desktop_app.core.paths import AppPaths


def test_changes_are_new_changed_and_vanished_files_only(app_paths: AppPaths,
                                                         tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    (folder / "deeper").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    for name in ("same.md", "edited.md", "gone.md", "deeper/inner.txt", ".hidden/secret.md"):
        (folder / name).write_text(f"text of {name}", encoding="utf-8")
    store = DocumentStore.open(app_paths.data_dir)
    collection = store.create_collection("Notes", "fake", 4)
    list(queue_paths(store, collection.id, [folder]))
    for document in store.documents(collection.id):
        store.finish_document(document.id, [])  # as if indexed just now
    later = time.time() + 5
    os.utime(folder / "edited.md", (later, later))
    (folder / "gone.md").unlink()
    (folder / "added.md").write_text("new", encoding="utf-8")

    changes = watched_folders.folder_changes(store, collection.id, folder)
    assert sorted(p.name for p in changes.changed) == ["added.md", "edited.md"]
    gone = [d.id for d in store.documents(collection.id) if d.name == "gone.md"]
    assert changes.vanished == gone
    assert changes.directories == [folder, folder / "deeper"]  # hidden folders are not walked

    watched_folders.watch_folder(store, collection.id, folder)
    watched_folders.watch_folder(store, collection.id, folder)
    assert watched_folders.watched_folders(store) == [(collection.id, folder)]
    store.delete_collection(collection.id)
    assert watched_folders.watched_folders(store) == []
    store.close()
