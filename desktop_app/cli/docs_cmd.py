"""``hearth docs ...``: document collections from the terminal, with the GUI's core code.

``add`` and ``rm`` change collections, so they hold the data folder's lock
(:mod:`desktop_app.core.storage.instance_lock`) and refuse while the Hearth
window is open, as ``hearth models download`` does. ``list`` and ``search``
only read and run beside the window, read-only.

``add`` indexes in the foreground with a progress line on stderr. Ctrl-C
cancels after the current batch: what was embedded is kept and the next
``hearth docs add`` (with or without paths) resumes where it stopped.
Every action takes ``--json``; errors the user can fix print one line
``hearth: <message>`` and exit 1.
"""

from __future__ import annotations

import argparse
import functools
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from desktop_app.cli.common import CommandError, emit
from desktop_app.core.documents.embedders import (
    USE_DIMS,
    USE_NAME,
    EmbedderCache,
    EmbedderError,
    LlamaEmbedder,
    embedder_for,
)
from desktop_app.core.documents.ingest import (
    DocumentChanged,
    IngestEvent,
    IngestProgress,
    IngestRunner,
    ProgressChanged,
    RunFinished,
    queue_paths,
)
from desktop_app.core.documents.retrieval import (
    DEFAULT_MODE,
    Hit,
    describe_location,
    preview_retrieval,
)
from desktop_app.core.documents.store import (
    Collection,
    Document,
    DocumentsError,
    DocumentStore,
    NoCollections,
)
from desktop_app.core.formatting import format_duration, format_size
from desktop_app.core.keychain import KeyringKeyStore
from desktop_app.core.paths import AppPaths
from desktop_app.core.remote.resolver import settings_resolver
from desktop_app.core.settings import SettingsStore
from desktop_app.core.storage.database import StorageError
from desktop_app.core.storage.instance_lock import DataFolderInUse, DataFolderLock
from desktop_app.core.user_text import UserFacingError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    docs = subparsers.add_parser(
        "docs", help="index documents and search them",
        description="Collections of documents (PDF, Word, Markdown, HTML, text, source code), "
                    "indexed offline for chatting with them.")
    actions = docs.add_subparsers(dest="docs_action", metavar="ACTION", required=True)

    add = _action(actions, "add", "add files or folders to a collection and index them "
                                  "(resumes an interrupted run)")
    add.add_argument("collection", help="the collection's name (created if new)")
    add.add_argument("paths", nargs="*", type=Path, help="files and folders to add")
    add.add_argument("--embedder", default=None, metavar="GGUF",
                     help="a GGUF embedding model file for a new collection (default: the "
                          "bundled multilingual encoder); on an existing one, re-indexes it")

    lst = _action(actions, "list", "list collections, or one collection's documents")
    lst.add_argument("collection", nargs="?", default=None)

    search = _action(actions, "search", "show what a question retrieves from a collection")
    search.add_argument("collection")
    search.add_argument("question")
    search.add_argument("-k", type=int, default=5, help="how many chunks (default 5)")
    search.add_argument("--mode", choices=("vector", "keyword", "hybrid"), default=DEFAULT_MODE,
                        help=f"ranking (default {DEFAULT_MODE})")

    rm = _action(actions, "rm", "delete a collection, or one document from it")
    rm.add_argument("collection")
    rm.add_argument("document", nargs="?", default=None,
                    help="a document's id, name or path (default: the whole collection)")
    rm.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")


def _action(actions: argparse._SubParsersAction[argparse.ArgumentParser], name: str,
            text: str) -> argparse.ArgumentParser:
    parser = actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    handler = {"add": _add, "list": _list, "search": _search, "rm": _remove}[name]
    parser.set_defaults(func=lambda args: _run(handler, args, name))
    return parser


def _run(handler: Callable[[argparse.Namespace, DocumentStore, AppPaths], int],
         args: argparse.Namespace, name: str) -> int:
    writes = name in ("add", "rm")
    try:
        paths = AppPaths.from_environment().ensure()
        with _store(paths, f"hearth docs {name}", writes=writes) as store:
            return handler(args, store, paths)
    except DataFolderInUse as exc:
        print(f"hearth: {exc} (This command changes document collections; the Hearth window "
              "can do the same from its Documents page.)", file=sys.stderr)
        return 1
    except NoCollections:
        if getattr(args, "collection", None):
            print(f"hearth: no collection called {args.collection!r}", file=sys.stderr)
            return 1
        return emit(args, [], lambda: "No collections yet. Add documents with "
                                       "'hearth docs add NAME FILES...'.\n")
    except (CommandError, DocumentsError, EmbedderError, StorageError,
            UserFacingError) as exc:  # the last: a server embedder's, in words
        print(f"hearth: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"hearth: cannot lock the data folder: {exc.strerror or exc}", file=sys.stderr)
        return 1


@contextmanager
def _store(paths: AppPaths, owner: str, *, writes: bool) -> Iterator[DocumentStore]:
    """The store, with the lock held for writers; readers read beside the window."""
    lock = DataFolderLock(paths.data_dir, owner)
    try:
        lock.acquire()
    except DataFolderInUse:
        if writes:
            raise
        store = DocumentStore.open(paths.data_dir, read_only=True)
        try:
            yield store
        finally:
            store.close()
        return
    try:
        store = DocumentStore.open(paths.data_dir)
        try:
            yield store
        finally:
            store.close()
    finally:
        lock.release()


def _collection(store: DocumentStore, name: str) -> Collection:
    collection = store.collection_named(name)
    if collection is None:
        raise CommandError(f"no collection called {name!r}; see 'hearth docs list'")
    return collection


def _document_json(document: Document) -> dict[str, Any]:
    return {"id": document.id, "name": document.name, "path": document.path,
            "state": document.state, "reason": str(document.reason) if document.reason else None,
            "notices": [str(n) for n in document.notices], "chunks": document.chunk_count,
            "size": document.size}


# ---- add -------------------------------------------------------------------------------


class _ProgressLine:
    """Indexing progress on stderr: a redrawn line on a terminal, a line per document if not."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._lock = threading.Lock()
        self.finished: RunFinished | None = None
        self.touched: dict[int, Document] = {}

    def __call__(self, event: IngestEvent) -> None:
        with self._lock:
            if isinstance(event, DocumentChanged):
                self.touched[event.document.id] = event.document
                if event.document.state in ("ready", "failed") and not self._tty:
                    self._stream.write(_document_line(event.document) + "\n")
            elif isinstance(event, ProgressChanged) and self._tty:
                self._stream.write("\r" + _progress_text(event.progress) + "\x1b[K")
            elif isinstance(event, RunFinished):
                self.finished = event
                if self._tty:
                    self._stream.write("\r" + _progress_text(event.progress) + "\x1b[K\n")
            self._stream.flush()


def _progress_text(progress: IngestProgress) -> str:
    text = (f"indexed {progress.documents_done}/{progress.documents_total} documents, "
            f"{progress.chunks_done} chunks")
    if progress.chunks_per_second > 0:
        text += f", {progress.chunks_per_second:.0f} chunks/s"
    if progress.eta_seconds is not None and progress.documents_done < progress.documents_total:
        text += f", ETA {format_duration(progress.eta_seconds)}"
    if progress.current is not None:
        text += f" ({progress.current.name})"
    return text


def _document_line(document: Document) -> str:
    if document.state == "failed":
        return f"failed  {document.name}: {document.reason}"
    line = f"{document.state:<7} {document.name} ({document.chunk_count} chunks)"
    if document.notices:
        line += "; " + "; ".join(str(n) for n in document.notices[:5])
        if len(document.notices) > 5:
            line += f"; and {len(document.notices) - 5} more notices"
    return line


@contextmanager
def _embedders(paths: AppPaths) -> Iterator[EmbedderCache]:
    """The embedders, with the servers of the settings for a collection indexed on one."""
    settings, _warnings = SettingsStore(paths.settings_path).load()
    resolve = settings_resolver(lambda: settings, KeyringKeyStore())  # keyring: only if used
    embedders = EmbedderCache(factory=functools.partial(embedder_for, resolve=resolve))
    try:
        yield embedders
    finally:
        embedders.close()  # a server embedder's connections


def _add(args: argparse.Namespace, store: DocumentStore, paths: AppPaths) -> int:
    with _embedders(paths) as embedders:
        return _add_with(args, store, paths, embedders)


def _add_with(args: argparse.Namespace, store: DocumentStore, paths: AppPaths,
              embedders: EmbedderCache) -> int:
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        raise CommandError(f"no such file or folder: {', '.join(missing)}")
    collection = store.collection_named(args.collection)
    if args.embedder is not None:
        embedder = LlamaEmbedder(Path(args.embedder))
        dims = embedder.dims  # loads the model: a file that is no model fails here, first
        embedders.add(embedder)
        if collection is None:
            collection = store.create_collection(args.collection, embedder.name, dims)
        elif collection.embedder != embedder.name:
            print(f"hearth: re-indexing {collection.name} with {embedder.name}", file=sys.stderr)
            collection = store.set_embedder(collection.id, embedder.name, dims)
    elif collection is None:
        collection = store.create_collection(args.collection, USE_NAME, USE_DIMS)
    printer = _ProgressLine(sys.stderr)
    for document in queue_paths(store, collection.id, list(args.paths)):
        printer.touched[document.id] = document
    runner = IngestRunner(paths.data_dir, embedders, on_event=printer)
    runner.resume()
    try:
        while not runner.wait(0.2):
            pass
    except KeyboardInterrupt:
        runner.cancel()
        runner.wait()
        print(f"hearth: indexing stopped; run 'hearth docs add {collection.name}' to resume.",
              file=sys.stderr)
        return 130
    finished = printer.finished
    if finished is not None and finished.error is not None:
        raise CommandError(str(finished.error))
    documents = [store.document(i) for i in sorted(printer.touched)
                 if _exists(store, i)]
    failed = [d for d in documents if d.state == "failed"]
    data = {"collection": collection.name, "documents": [_document_json(d) for d in documents]}

    def text() -> str:
        ready = sum(d.state == "ready" for d in documents)
        summary = f"{collection.name}: {ready} document(s) ready, {len(failed)} failed\n"
        if sys.stderr.isatty():  # the progress line did not list them
            summary = "".join(_document_line(d) + "\n" for d in documents) + summary
        return summary
    emit(args, data, text)
    return 1 if failed else 0


def _exists(store: DocumentStore, document_id: int) -> bool:
    try:
        store.document(document_id)
    except KeyError:
        return False
    return True


# ---- list, search, rm ----------------------------------------------------------------


def _list(args: argparse.Namespace, store: DocumentStore, paths: AppPaths) -> int:
    if args.collection is not None:
        collection = _collection(store, args.collection)
        documents = store.documents(collection.id)

        def doc_text() -> str:
            if not documents:
                return f"{collection.name} has no documents.\n"
            return "".join(f"{d.id:>5}  {d.state:<9} {d.chunk_count:>6} chunks  "
                           f"{format_size(d.size):>9}  {d.name}"
                           + (f"  ({d.reason})" if d.reason else "")
                           + (f"  [{len(d.notices)} notices]" if d.notices else "") + "\n"
                           for d in documents)
        return emit(args, {"collection": collection.name, "embedder": collection.embedder,
                            "documents": [_document_json(d) for d in documents]}, doc_text)
    collections = store.collections()
    rows: list[dict[str, Any]] = []
    for c in collections:
        counts = store.state_counts(c.id)
        rows.append({"name": c.name, "embedder": c.embedder, "dims": c.dims,
                     "documents": sum(counts.values()), "states": counts,
                     "chunks": store.chunk_total(c.id)})

    def text() -> str:
        if not rows:
            return "No collections yet. Add documents with 'hearth docs add NAME FILES...'.\n"
        width = max(len(r["name"]) for r in rows)
        return "".join(
            f"{r['name']:<{width}}  {r['documents']:>5} documents  {r['chunks']:>7} chunks  "
            + ", ".join(f"{n} {s}" for s, n in sorted(r["states"].items()))
            + f"  ({r['embedder']})\n" for r in rows)
    return emit(args, rows, text)


def _hit_json(rank: int, hit: Hit) -> dict[str, Any]:
    chunk = hit.chunk
    return {"rank": rank, "score": round(hit.score, 6), "vector_score": hit.vector_score,
            "keyword_score": hit.keyword_score, "document": chunk.document_name,
            "path": chunk.document_path, "page": chunk.page, "heading": chunk.heading,
            "line": chunk.line, "chunk_id": chunk.id, "start": chunk.start, "end": chunk.end,
            "text": chunk.text}


def _search(args: argparse.Namespace, store: DocumentStore, paths: AppPaths) -> int:
    if args.k < 1:
        raise CommandError("-k must be at least 1")
    collection = _collection(store, args.collection)
    with _embedders(paths) as embedders:
        hits = preview_retrieval(store, embedders, collection, args.question, args.k, args.mode)

    def text() -> str:
        if not hits:
            return "Nothing found.\n"
        lines = []
        for rank, hit in enumerate(hits, 1):
            where = describe_location(hit.chunk)
            lines.append(f"{rank}. {hit.score:.3f}  {hit.chunk.document_name}"
                         + (f", {where}" if where else ""))
            body = " ".join(hit.chunk.text.split())
            lines.append("   " + (body[:300] + "…" if len(body) > 300 else body))
        return "\n".join(lines) + "\n"
    return emit(args, [_hit_json(r, h) for r, h in enumerate(hits, 1)], text)


def _remove(args: argparse.Namespace, store: DocumentStore, paths: AppPaths) -> int:
    collection = _collection(store, args.collection)
    if args.document is None:
        what = f"the collection {collection.name} and its index"
        target: Document | None = None
    else:
        target = _find_document(store, collection, args.document)
        what = f"{target.name} from {collection.name}"
    if not args.yes and sys.stdin.isatty():
        answer = input(f"Delete {what}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing removed.", file=sys.stderr)
            return 1
    if target is None:
        store.delete_collection(collection.id)
        data: dict[str, Any] = {"removed_collection": collection.name}
    else:
        store.remove_document(target.id)
        refreshed = store.collection(collection.id)
        if store.dead_rows(refreshed) * 2 > refreshed.vector_rows:
            store.compact(collection.id)  # most of the file is dead rows: rewrite it
        data = {"collection": collection.name, "removed_document": _document_json(target)}
    return emit(args, data, lambda: f"Deleted {what}.\n")


def _find_document(store: DocumentStore, collection: Collection, key: str) -> Document:
    documents = store.documents(collection.id)
    for match in (lambda d: str(d.id) == key, lambda d: d.path == key,
                  lambda d: d.path == str(Path(key).expanduser().absolute()),
                  lambda d: d.name == key):
        found = [d for d in documents if match(d)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise CommandError(f"{key!r} names {len(found)} documents in {collection.name}; "
                               "give its id (see 'hearth docs list "
                               f"{collection.name}')")
    raise CommandError(f"no document {key!r} in {collection.name}; see "
                       f"'hearth docs list {collection.name}'")
