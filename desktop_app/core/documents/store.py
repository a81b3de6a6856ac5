"""Collections, documents and chunks in SQLite; each collection's vectors in a file beside it.

Layout under the data folder (computed here from ``AppPaths.data_dir``, so
:mod:`desktop_app.core.paths` needs nothing new)::

    documents/documents.sqlite3             collections, documents, chunks, keyword index
    documents/collections/<id>/vectors-<generation>.bin

The database goes through :class:`~desktop_app.core.storage.database.Database`
(its own migrations, the same pragmas, WAL and the same split of environment
errors from bugs) and is a separate file from the chat history: indexing a
thousand PDFs must not bloat or lock the history, and deleting every
collection is deleting one folder.

The keyword index is FTS5 over text rewritten by
:mod:`desktop_app.core.storage.search_text` (character bigrams for CJK), kept
up to date by triggers, exactly as the chat history's search is.

A document's ``state`` goes ``queued → parsing → embedding → ready`` or
``failed`` (with a reason). Queued and half-done documents are what
:meth:`DocumentStore.pending_documents` returns, which is how indexing
resumes after a restart. A document's chunks are numbered (``seq``) and
committed a batch at a time together with the collection's vector row count
(see :mod:`.vector_index` for the write order); ``content_hash`` is the hash
of the file those chunks came from, so an unchanged file is not re-indexed and
a changed one is.

Deleting a document leaves its vector rows in the file, dead (no chunk points
at them); searches skip them, and :meth:`DocumentStore.compact` rewrites the
file without them when they become a large share. Re-indexing (a new embedder, a damaged file)
starts a new *generation* file and deletes the old one; the generation number
in SQLite says which file is current, so a crash between the two steps
leaves a stray file that the next open deletes, never a wrong one (compaction
uses the same generations).

One :class:`DocumentStore` per thread (an SQLite connection is bound to the
thread that made it): the indexing worker opens its own.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from desktop_app.core.documents.chunking import Chunk
from desktop_app.core.documents.vector_index import (
    DEFAULT_KIND,
    StorageKind,
    VectorFile,
    VectorFileDamaged,
)
from desktop_app.core.storage import search_text
from desktop_app.core.storage.database import FTS_OPTIONS, Database, search_triggers
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserFacingError, UserText, user_text

# numpy (~0.1 s) is imported by the functions that use it, not with the module: the window
# imports this module at start and needs no vectors before its first paint.
if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from desktop_app.core.documents.embedders import Vectors

log = logging.getLogger(__name__)

DocumentState = Literal["queued", "parsing", "embedding", "ready", "failed"]
PENDING_STATES: tuple[DocumentState, ...] = ("queued", "parsing", "embedding")
"""States of a document the indexer still has to finish (resumed after a restart)."""

DATABASE_NAME = "documents.sqlite3"

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE collections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            embedder TEXT NOT NULL,
            dims INTEGER NOT NULL,
            vector_kind TEXT NOT NULL,
            generation INTEGER NOT NULL DEFAULT 1,
            vector_rows INTEGER NOT NULL DEFAULT 0,
            revision INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL
        )""",
        """CREATE TABLE documents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            name TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'queued',
            reason TEXT,
            notices TEXT NOT NULL DEFAULT '[]',
            size INTEGER NOT NULL DEFAULT 0,
            content_hash TEXT NOT NULL DEFAULT '',
            complete INTEGER NOT NULL DEFAULT 0,
            chunk_count INTEGER NOT NULL DEFAULT 0,
            added_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            UNIQUE (collection_id, path)
        )""",
        "CREATE INDEX documents_by_state ON documents (state, id)",
        """CREATE TABLE chunks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            collection_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            vector_row INTEGER NOT NULL,
            text TEXT NOT NULL,
            start_offset INTEGER NOT NULL,
            end_offset INTEGER NOT NULL,
            page INTEGER,
            heading TEXT NOT NULL DEFAULT '',
            line INTEGER,
            UNIQUE (document_id, seq)
        )""",
        "CREATE INDEX chunks_by_row ON chunks (collection_id, vector_row)",
        f"CREATE VIRTUAL TABLE chunk_search USING fts5(body, {FTS_OPTIONS})",
        *search_triggers("chunk_search", "chunks", "text"),
    ),
    (
        # Chat links (:mod:`.chat_links`): which collections a conversation asks, and
        # the sources each reply was given. Conversation and message ids are the chat
        # history's (AUTOINCREMENT there, so never reused); the chat database stays
        # unchanged, and deleting a collection drops its attachments with it.
        """CREATE TABLE conversation_collections (
            conversation_id INTEGER NOT NULL,
            collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
            PRIMARY KEY (conversation_id, collection_id)
        )""",
        """CREATE TABLE message_sources (
            message_id INTEGER NOT NULL,
            rank INTEGER NOT NULL,
            number INTEGER,
            chunk_id INTEGER NOT NULL,
            document_name TEXT NOT NULL,
            location TEXT NOT NULL,
            text TEXT NOT NULL,
            score REAL NOT NULL,
            PRIMARY KEY (message_id, rank)
        )""",
    ),
    (
        # Folders the GUI keeps in step with their collection (.watched_folders).
        """CREATE TABLE watched_folders (
            collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
            path TEXT NOT NULL,
            PRIMARY KEY (collection_id, path)
        )""",
    ),
    (
        # Hidden collections: the files attached to one chat (see Collection.hidden).
        "ALTER TABLE collections ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0",
    ),
)


class DocumentsError(UserFacingError):
    """A problem with collections the user can act on (a name taken, a mismatched embedder)."""


class MissingRecord(KeyError):
    """A collection or document that is not (or no longer) in the store.

    Its own class because a worker must tell "the user deleted it meanwhile"
    from a ``KeyError`` raised by a parser library on a hostile file.
    """


class NoCollections(DocumentsError):
    """A read-only open found no documents database: nothing was ever indexed here."""


def documents_dir(data_dir: Path) -> Path:
    """Where collections live: ``documents/`` in the data folder (module docstring)."""
    return Path(data_dir) / "documents"


@dataclass(frozen=True)
class Collection:
    """A named set of documents searched together, with the embedder that indexed it.

    ``revision`` grows with every change to its chunks, so a reader can cache
    what it derived from them (the row map) until it changes. A ``hidden``
    collection holds the files the user attached to one chat rather than a
    collection they made: it is searched like any other, but the Documents
    window, the attach menu and ``hearth docs list`` leave it out.
    """

    id: int
    name: str
    embedder: str
    dims: int
    vector_kind: StorageKind
    generation: int
    vector_rows: int
    revision: int
    created_at: float
    hidden: bool = False


@dataclass(frozen=True)
class Document:
    """One file in a collection and how far indexing got with it."""

    id: int
    collection_id: int
    path: str
    name: str
    state: DocumentState
    reason: UserText | None
    notices: tuple[UserText, ...]
    size: int
    content_hash: str
    complete: bool
    chunk_count: int
    updated_at: float


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as retrieval returns it: its text, where it is, and its document."""

    id: int
    document_id: int
    document_name: str
    document_path: str
    collection_id: int
    seq: int
    text: str
    start: int
    end: int
    page: int | None
    heading: str
    line: int | None


class DocumentStore:
    """The documents database and the collections' vector files (module docstring)."""

    def __init__(self, database: Database, root: Path) -> None:
        self.database = database
        self.root = root

    @classmethod
    def open(cls, data_dir: Path, *, read_only: bool = False) -> DocumentStore:
        """Open (creating) the store under ``data_dir``; removes files of deleted collections.

        ``read_only`` reads beside the writer (the window holds the data
        folder's lock) and writes nothing, not even a missing database: it
        raises :class:`NoCollections` then. Raises
        :class:`~desktop_app.core.storage.database.StorageError` for
        environment problems (a full disk, a damaged file).
        """
        root = documents_dir(data_dir)
        path = root / DATABASE_NAME
        if read_only and not path.exists():
            raise NoCollections(user_text("documents.none", QT_TRANSLATE_NOOP(
                "core", "There are no document collections yet")))
        database = Database.open(path, migrations=MIGRATIONS, read_only=read_only)
        store = cls(database, root)
        if not read_only:
            store._remove_strays()
        return store

    def close(self) -> None:
        self.database.close()

    def _remove_strays(self) -> None:
        """Delete folders of deleted collections and superseded generation files."""
        folder = self.root / "collections"
        if not folder.is_dir():
            return
        current = {str(c.id): c for c in self.collections(include_hidden=True)}
        for entry in folder.iterdir():
            collection = current.get(entry.name)
            if collection is None:
                shutil.rmtree(entry, ignore_errors=True)
                continue
            for file in entry.glob("vectors-*.bin"):
                generation = file.stem.removeprefix("vectors-")
                # Only older generations: a newer file may be a compaction another
                # thread is writing right now (compact() clears a crashed one itself).
                if generation.isdigit() and int(generation) < collection.generation:
                    file.unlink(missing_ok=True)

    # ---- collections ------------------------------------------------------------------

    def create_collection(self, name: str, embedder: str, dims: int,
                          vector_kind: StorageKind = DEFAULT_KIND, *,
                          hidden: bool = False) -> Collection:
        name = name.strip()
        if not name:
            raise DocumentsError(user_text("documents.no_name", QT_TRANSLATE_NOOP(
                "core", "A collection needs a name")))
        if self.collection_named(name) is not None:
            raise DocumentsError(user_text("documents.name_taken", QT_TRANSLATE_NOOP(
                "core", "There is already a collection called {name}"), name=name))
        cursor = self.database.execute(
            "INSERT INTO collections (name, embedder, dims, vector_kind, created_at, hidden) "
            "VALUES (?, ?, ?, ?, ?, ?)", (name, embedder, dims, vector_kind, time.time(),
                                          int(hidden)))
        return self.collection(int(cursor.lastrowid or 0))

    def collection(self, collection_id: int) -> Collection:
        rows = self.database.query("SELECT * FROM collections WHERE id = ?", (collection_id,))
        if not rows:
            raise MissingRecord(collection_id)
        return _collection(rows[0])

    def collection_named(self, name: str) -> Collection | None:
        rows = self.database.query("SELECT * FROM collections WHERE name = ?", (name.strip(),))
        return _collection(rows[0]) if rows else None

    def collections(self, *, include_hidden: bool = False) -> list[Collection]:
        """The collections by name; hidden ones (a chat's files) only when asked for."""
        where = "" if include_hidden else " WHERE hidden = 0"
        return [_collection(r) for r in self.database.query(
            f"SELECT * FROM collections{where} ORDER BY name COLLATE NOCASE")]

    def rename_collection(self, collection_id: int, name: str) -> Collection:
        """Give the collection another name (names are unique, like at creation)."""
        name = name.strip()
        if not name:
            raise DocumentsError(user_text("documents.no_name", QT_TRANSLATE_NOOP(
                "core", "A collection needs a name")))
        other = self.collection_named(name)
        if other is not None and other.id != collection_id:
            raise DocumentsError(user_text("documents.name_taken", QT_TRANSLATE_NOOP(
                "core", "There is already a collection called {name}"), name=name))
        self.database.execute("UPDATE collections SET name = ? WHERE id = ?",
                              (name, collection_id))
        return self.collection(collection_id)

    def page_counts(self, collection_id: int) -> dict[int, int]:
        """For each document of the collection with pages (PDFs), how many pages gave chunks."""
        rows = self.database.query(
            "SELECT document_id, count(DISTINCT page) FROM chunks "
            "WHERE collection_id = ? AND page IS NOT NULL GROUP BY document_id",
            (collection_id,))
        return {int(row[0]): int(row[1]) for row in rows}

    def state_counts(self, collection_id: int) -> dict[DocumentState, int]:
        """How many documents of the collection are in each state."""
        rows = self.database.query(
            "SELECT state, count(*) FROM documents WHERE collection_id = ? GROUP BY state",
            (collection_id,))
        return {row[0]: int(row[1]) for row in rows}

    def chunk_total(self, collection_id: int) -> int:
        rows = self.database.query("SELECT count(*) FROM chunks WHERE collection_id = ?",
                                   (collection_id,))
        return int(rows[0][0])

    def delete_collection(self, collection_id: int) -> None:
        """Delete the collection, its documents, chunks and vector files.

        Rows go first, then the folder: a crash in between leaves a folder
        nobody points at, which the next :meth:`open` removes.
        """
        with self.database.transaction() as conn:
            conn.execute("DELETE FROM chunks WHERE collection_id = ?", (collection_id,))
            conn.execute("DELETE FROM collections WHERE id = ?", (collection_id,))
        shutil.rmtree(self.collection_dir(collection_id), ignore_errors=True)

    def set_embedder(self, collection_id: int, embedder: str, dims: int) -> Collection:
        """Re-index the collection with another embedder (or afresh with the same one).

        Every chunk and vector goes; every document is queued again. The old
        vector file is deleted after the new generation is committed.
        """
        old = self.collection(collection_id)
        # A file left under the next generation's name by a crashed compaction goes first.
        self.vector_path(replace(old, generation=old.generation + 1)).unlink(missing_ok=True)
        with self.database.transaction() as conn:
            conn.execute("DELETE FROM chunks WHERE collection_id = ?", (collection_id,))
            conn.execute(
                "UPDATE documents SET state = 'queued', reason = NULL, content_hash = '', "
                "complete = 0, chunk_count = 0, updated_at = ? WHERE collection_id = ?",
                (time.time(), collection_id))
            conn.execute(
                "UPDATE collections SET embedder = ?, dims = ?, generation = generation + 1, "
                "vector_rows = 0, revision = revision + 1 WHERE id = ?",
                (embedder, dims, collection_id))
        self.vector_path(old).unlink(missing_ok=True)
        return self.collection(collection_id)

    def collection_dir(self, collection_id: int) -> Path:
        return self.root / "collections" / str(int(collection_id))

    def vector_path(self, collection: Collection) -> Path:
        return self.collection_dir(collection.id) / f"vectors-{collection.generation}.bin"

    def open_vectors_for_append(self, collection: Collection) -> tuple[Collection, VectorFile]:
        """The collection's vector file, ready to append; re-indexes it if it was damaged."""
        try:
            return collection, VectorFile.open_for_append(
                self.vector_path(collection), collection.dims, collection.vector_kind,
                collection.vector_rows)
        except VectorFileDamaged as exc:
            log.warning("re-indexing collection %s: %s", collection.name, exc)
            collection = self.set_embedder(collection.id, collection.embedder, collection.dims)
            return collection, VectorFile.open_for_append(
                self.vector_path(collection), collection.dims, collection.vector_kind, 0)

    def open_vectors_for_search(self, collection: Collection) -> VectorFile:
        return VectorFile.open_for_search(self.vector_path(collection), collection.dims,
                                          collection.vector_kind)

    def dead_rows(self, collection: Collection) -> int:
        """Vector rows no chunk uses any more (left by removed or re-indexed documents)."""
        return collection.vector_rows - self.chunk_total(collection.id)

    def compact(self, collection_id: int) -> Collection:
        """Rewrite the collection's vectors without dead rows, as a new generation.

        Live rows are copied as stored (no re-quantising) in their order, the
        chunks' row numbers and the generation change in one commit, and only
        then is the old file deleted: a crash at any point leaves either the
        old generation or the new one, whole. Worth it when
        :meth:`dead_rows` is a large share; searches skip dead rows anyway.
        """
        import numpy as np

        collection = self.collection(collection_id)
        mapping = self.row_chunk_ids(collection.id, collection.vector_rows)
        live = np.flatnonzero(mapping >= 0)
        new = replace(collection, generation=collection.generation + 1)
        target = self.vector_path(new)
        target.unlink(missing_ok=True)  # a leftover of a crashed compaction
        source = self.open_vectors_for_search(collection)
        writer = VectorFile.open_for_append(target, collection.dims, collection.vector_kind, 0)
        try:
            matrix = source.raw_rows(collection.vector_rows)
            for begin in range(0, len(live), 65536):
                writer.append_raw(matrix[live[begin:begin + 65536]])
        finally:
            writer.close()
            source.close()
        with self.database.transaction() as conn:
            current = conn.execute("SELECT generation, revision FROM collections WHERE id = ?",
                                   (collection.id,)).fetchone()
            if current is None or tuple(current) != (collection.generation,
                                                     collection.revision):
                target.unlink(missing_ok=True)  # changed meanwhile: keep what is there
                return self.collection(collection.id)
            conn.executemany("UPDATE chunks SET vector_row = ? WHERE id = ?",
                             ((new_row, int(mapping[old_row]))
                              for new_row, old_row in enumerate(live.tolist())))
            conn.execute("UPDATE collections SET generation = ?, vector_rows = ?, "
                         "revision = revision + 1 WHERE id = ?",
                         (new.generation, len(live), collection.id))
        self.vector_path(collection).unlink(missing_ok=True)
        return self.collection(collection.id)

    def row_chunk_ids(self, collection_id: int, rows: int) -> npt.NDArray[np.int64]:
        """For each of the first ``rows`` vector rows, the chunk id using it (-1: dead row)."""
        import numpy as np

        mapping = np.full(rows, -1, dtype=np.int64)
        cursor = self.database.execute(
            "SELECT vector_row, id FROM chunks WHERE collection_id = ? AND vector_row < ?",
            (collection_id, rows))
        while batch := cursor.fetchmany(65536):
            pairs = np.asarray(batch, dtype=np.int64)
            mapping[pairs[:, 0]] = pairs[:, 1]
        return mapping

    # ---- documents ----------------------------------------------------------------------

    def add_document(self, collection_id: int, path: Path, size: int = 0) -> Document:
        """Queue ``path`` in the collection (again, if it is there already)."""
        now = time.time()
        key = str(path)
        self.database.execute(
            "INSERT INTO documents (collection_id, path, name, size, added_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (collection_id, path) DO UPDATE SET "
            "state = 'queued', reason = NULL, size = excluded.size, "
            "updated_at = excluded.updated_at",
            (collection_id, key, Path(key).name, size, now, now))
        rows = self.database.query(
            "SELECT * FROM documents WHERE collection_id = ? AND path = ?", (collection_id, key))
        return _document(rows[0])

    def document(self, document_id: int) -> Document:
        rows = self.database.query("SELECT * FROM documents WHERE id = ?", (document_id,))
        if not rows:
            raise MissingRecord(document_id)
        return _document(rows[0])

    def documents(self, collection_id: int) -> list[Document]:
        return [_document(r) for r in self.database.query(
            "SELECT * FROM documents WHERE collection_id = ? ORDER BY name COLLATE NOCASE, id",
            (collection_id,))]

    def pending_documents(self, collection_id: int | None = None) -> list[Document]:
        """Documents still to index, oldest first: queued ones and those cut off half-way."""
        marks = ",".join("?" for _ in PENDING_STATES)
        sql = f"SELECT * FROM documents WHERE state IN ({marks})"
        params: list[Any] = list(PENDING_STATES)
        if collection_id is not None:
            sql += " AND collection_id = ?"
            params.append(collection_id)
        return [_document(r) for r in self.database.query(sql + " ORDER BY id", params)]

    def set_state(self, document_id: int, state: DocumentState,
                  reason: UserText | None = None) -> None:
        self.database.execute(
            "UPDATE documents SET state = ?, reason = ?, updated_at = ? WHERE id = ?",
            (state, _dump(reason) if reason is not None else None, time.time(), document_id))

    def begin_document(self, document_id: int, content_hash: str, size: int) -> int | None:
        """Prepare to index a document from a file whose content hashes to ``content_hash``.

        Returns the ``seq`` to resume at (0 for a fresh start, the stored
        count for a half-indexed file of the same content), or None when this
        exact content is already fully indexed (nothing to do).
        """
        document = self.document(document_id)
        if document.content_hash == content_hash:
            if document.complete:
                return None
            return document.chunk_count
        with self.database.transaction() as conn:
            conn.execute("DELETE FROM chunks WHERE document_id = ?", (document_id,))
            conn.execute(
                "UPDATE documents SET content_hash = ?, complete = 0, chunk_count = 0, "
                "size = ?, notices = '[]', updated_at = ? WHERE id = ?",
                (content_hash, size, time.time(), document_id))
            conn.execute("UPDATE collections SET revision = revision + 1 WHERE id = ?",
                         (document.collection_id,))
        return 0

    def add_chunks(self, document_id: int, chunks: Sequence[Chunk], vectors: Vectors,
                   vector_file: VectorFile) -> None:
        """Store one batch: vectors appended and fsynced first, then the rows in one commit."""
        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk")
        if not chunks:
            return
        document = self.document(document_id)
        collection = self.collection(document.collection_id)
        if vector_file.path != self.vector_path(collection):
            raise MissingRecord(document_id)  # re-indexed meanwhile: this generation is gone
        first = vector_file.append(vectors)
        try:
            if first != collection.vector_rows:
                raise VectorFileDamaged(f"{vector_file.path}: appended at row {first}, "
                                        f"{collection.vector_rows} recorded")
            with self.database.transaction() as conn:
                # Checked inside the transaction: the GUI may delete the document or
                # its collection between our reads and this commit.
                alive = conn.execute(
                    "SELECT 1 FROM documents AS d JOIN collections AS c "
                    "ON c.id = d.collection_id WHERE d.id = ? AND c.vector_rows = ?",
                    (document_id, first)).fetchone()
                if alive is None:
                    raise MissingRecord(document_id)
                conn.executemany(
                    "INSERT INTO chunks (document_id, collection_id, seq, vector_row, text, "
                    "start_offset, end_offset, page, heading, line) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(document_id, collection.id, c.seq, first + i, c.text, c.start, c.end,
                      c.page, c.heading, c.line) for i, c in enumerate(chunks)])
                conn.execute(
                    "UPDATE collections SET vector_rows = ?, revision = revision + 1 "
                    "WHERE id = ?", (first + len(chunks), collection.id))
                conn.execute("UPDATE documents SET chunk_count = chunk_count + ?, "
                             "updated_at = ? WHERE id = ?",
                             (len(chunks), time.time(), document_id))
        except BaseException:
            # The rows never committed: take them off again, so the file stays exactly
            # as long as SQLite says (a crash here is handled on the next open instead).
            if first == collection.vector_rows:
                vector_file.truncate(first)
            raise

    def finish_document(self, document_id: int, notices: Iterable[UserText]) -> None:
        """Mark the document ready, with the notices about parts of it that had no text."""
        self.database.execute(
            "UPDATE documents SET state = 'ready', reason = NULL, complete = 1, notices = ?, "
            "updated_at = ? WHERE id = ?",
            (json.dumps([_to_json(n) for n in notices]), time.time(), document_id))

    def reindex_document(self, document_id: int) -> Document:
        """Queue a document to be indexed afresh even if its file did not change."""
        self.database.execute(
            "UPDATE documents SET state = 'queued', reason = NULL, content_hash = '', "
            "complete = 0, updated_at = ? WHERE id = ?", (time.time(), document_id))
        return self.document(document_id)

    def remove_document(self, document_id: int) -> None:
        """Forget a document; its vector rows stay in the file, dead (module docstring)."""
        document = self.document(document_id)
        with self.database.transaction() as conn:
            conn.execute("DELETE FROM documents WHERE id = ?", (document_id,))
            conn.execute("UPDATE collections SET revision = revision + 1 WHERE id = ?",
                         (document.collection_id,))

    # ---- chunks and keywords ----------------------------------------------------------

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        """The chunks with these ids (those that still exist), by id."""
        found: dict[int, StoredChunk] = {}
        ids = [int(i) for i in chunk_ids]
        for begin in range(0, len(ids), 500):
            part = ids[begin:begin + 500]
            marks = ",".join("?" for _ in part)
            for row in self.database.query(f"{_CHUNK_SELECT} WHERE c.id IN ({marks})", part):
                found[int(row["id"])] = _stored_chunk(row)
        return found

    def neighbours(self, chunk: StoredChunk, before: int, after: int) -> list[StoredChunk]:
        """The chunk with up to ``before``/``after`` chunks of its document around it, in order."""
        rows = self.database.query(
            f"{_CHUNK_SELECT} WHERE c.document_id = ? AND c.seq BETWEEN ? AND ? ORDER BY c.seq",
            (chunk.document_id, chunk.seq - max(0, before), chunk.seq + max(0, after)))
        return [_stored_chunk(row) for row in rows]

    def keyword_search(self, collection_id: int, query: str, k: int) -> list[tuple[int, float]]:
        """The ``k`` best chunks for ``query`` by BM25: ``(chunk id, score)``, best first.

        Any query term may match (OR): a question's words are not all in the
        passage that answers it. Scores are ``-bm25`` so that larger is better.
        """
        expression = keyword_expression(query)
        if expression is None or k <= 0:
            return []
        rows = self.database.query(
            "SELECT s.rowid, bm25(chunk_search) AS rank FROM chunk_search AS s "
            "JOIN chunks AS c ON c.id = s.rowid "
            "WHERE chunk_search MATCH ? AND c.collection_id = ? ORDER BY rank LIMIT ?",
            (expression, collection_id, k))
        return [(int(r[0]), -float(r[1])) for r in rows]


def keyword_expression(query: str) -> str | None:
    """An FTS5 expression matching any of ``query``'s index tokens; None if it has none.

    The tokens are the index's own (:func:`search_text.index_text`): words,
    and CJK bigrams, so 长城有多长 looks for 长城, 城有, 有多, 多长. Latin words
    of one or two letters are left out (they match nearly everything and
    make the query slow); a Latin word matches as a prefix (wall → walls).
    """
    tokens: list[str] = []
    seen: set[str] = set()
    previous = ""
    for token in search_text.index_text(query).split():
        for word in search_text.query_terms(token):
            key = word.casefold()
            cjk = search_text.index_text(word) != word  # CJK runs come back spaced off
            skip = key in seen or (
                # a run's last character alone: the bigram before it covers it
                cjk and len(word) == 1 and len(previous) == 2 and previous.endswith(word))
            previous = word if cjk else ""
            if skip or (not cjk and len(word) <= 2):
                continue
            seen.add(key)
            tokens.append(f'"{word}"' if cjk else f'"{word}"*')
    return " OR ".join(tokens) if tokens else None


# ---- row conversion -------------------------------------------------------------------

_CHUNK_SELECT = ("SELECT c.*, d.name AS document_name, d.path AS document_path "
                 "FROM chunks AS c JOIN documents AS d ON d.id = c.document_id")


def _stored_chunk(row: Any) -> StoredChunk:
    return StoredChunk(int(row["id"]), int(row["document_id"]), row["document_name"],
                       row["document_path"], int(row["collection_id"]), int(row["seq"]),
                       row["text"], int(row["start_offset"]), int(row["end_offset"]),
                       row["page"], row["heading"], row["line"])


def _collection(row: Any) -> Collection:
    kind = row["vector_kind"]
    if kind not in ("int8", "float16", "float32"):
        raise DocumentsError(f"collection {row['name']!r} has an unknown vector kind {kind!r}")
    return Collection(int(row["id"]), row["name"], row["embedder"], int(row["dims"]), kind,
                      int(row["generation"]), int(row["vector_rows"]), int(row["revision"]),
                      float(row["created_at"]), bool(row["hidden"]))


def _document(row: Any) -> Document:
    notices = tuple(_from_json(n) for n in json.loads(row["notices"] or "[]"))
    reason = _from_json(json.loads(row["reason"])) if row["reason"] else None
    return Document(int(row["id"]), int(row["collection_id"]), row["path"], row["name"],
                    row["state"], reason, notices, int(row["size"]), row["content_hash"],
                    bool(row["complete"]), int(row["chunk_count"]), float(row["updated_at"]))


def _dump(text: UserText) -> str:
    return json.dumps(_to_json(text), ensure_ascii=False)


def _to_json(text: UserText) -> dict[str, Any]:
    """A UserText as JSON, so a stored reason is still translated when shown later."""
    return {"code": text.code, "template": text.template,
            "args": {k: _to_json(v) if isinstance(v, UserText) else v for k, v in text.args}}


def _from_json(data: dict[str, Any]) -> UserText:
    args = tuple((str(k), _from_json(v) if isinstance(v, dict) else v)
                 for k, v in dict(data.get("args", {})).items())
    return UserText(str(data.get("code", "")), str(data.get("template", "")), args)
