"""What ties the chat to the documents: attached collections and the sources of each reply.

Both live in the documents database (tables of :data:`.store.MIGRATIONS`'s
second step), keyed by the chat history's conversation and message ids, so
the chat store needs no new column and no migration of its own: the history
stays readable by an older Hearth, and everything about documents is deleted
with the documents folder. Deleting a collection drops its attachments
(``ON DELETE CASCADE``); deleting a conversation leaves a few orphan rows,
harmless because chat ids are never reused, and useful when the deletion is
undone.

Single files attached to a chat (rather than a whole collection) go into a
*hidden* collection of their own (:attr:`.store.Collection.hidden`), one per
conversation, attached like any other: retrieval, citations, the token
budget and resuming an interrupted indexing all work unchanged, and a new
chat can get files before its first message gives it an id (the
attachment is saved with the id, as for collections). Removing its last
file deletes it.

A reply's sources are stored as *snapshots* (document name, location, chunk
text, score), not only as chunk ids: the user must be able to check an
answer after the document was re-indexed or removed. The chunk id is kept
too, so the citation panel can show the passage in its surroundings while
the chunk still exists.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop_app.core.documents.embedders import USE_DIMS, USE_NAME

# The chat view imports Source from here to draw citations; the documents store and
# retrieval (numpy) are imported where they are used, after the window is up.
if TYPE_CHECKING:
    from desktop_app.core.documents.retrieval import Hit, PackedContext
    from desktop_app.core.documents.store import Collection, DocumentStore


@dataclass(frozen=True)
class Source:
    """One chunk retrieved for a reply.

    ``rank`` is its place in the retrieval (1 = best); ``number`` the ``[n]``
    it had in the prompt, or None when it was retrieved but did not fit the
    token budget (the Sources list still shows it).
    """

    rank: int
    number: int | None
    chunk_id: int
    document_name: str
    location: str
    text: str
    score: float


def sources_of(hits: Sequence[Hit], packed: PackedContext) -> tuple[Source, ...]:
    """The sources of a prompt packed from ``hits``, in retrieval order, given or left out."""
    from desktop_app.core.documents.retrieval import describe_location

    numbered = {id(c.hit): c.number for c in packed.citations}
    return tuple(Source(rank, numbered.get(id(hit)), hit.chunk.id, hit.chunk.document_name,
                        describe_location(hit.chunk), hit.chunk.text, hit.score)
                 for rank, hit in enumerate(hits, 1))


def attached_collections(store: DocumentStore, conversation_id: int) -> list[int]:
    """The ids of the collections attached to the conversation, oldest attachment first."""
    rows = store.database.query(
        "SELECT collection_id FROM conversation_collections WHERE conversation_id = ? "
        "ORDER BY rowid", (conversation_id,))
    return [int(row[0]) for row in rows]


def set_attached_collections(store: DocumentStore, conversation_id: int,
                             collection_ids: Iterable[int]) -> None:
    """Attach exactly these collections to the conversation (ids no longer there are skipped)."""
    with store.database.transaction() as conn:
        conn.execute("DELETE FROM conversation_collections WHERE conversation_id = ?",
                     (conversation_id,))
        conn.executemany(
            "INSERT OR IGNORE INTO conversation_collections (conversation_id, collection_id) "
            "SELECT ?, id FROM collections WHERE id = ?",
            [(conversation_id, int(c)) for c in collection_ids])


def save_sources(store: DocumentStore, message_id: int, sources: Sequence[Source]) -> None:
    """Record the sources a reply was given (replacing any from an earlier attempt)."""
    with store.database.transaction() as conn:
        conn.execute("DELETE FROM message_sources WHERE message_id = ?", (message_id,))
        conn.executemany(
            "INSERT INTO message_sources (message_id, rank, number, chunk_id, document_name, "
            "location, text, score) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(message_id, s.rank, s.number, s.chunk_id, s.document_name, s.location, s.text,
              s.score) for s in sources])


def load_sources(store: DocumentStore,
                 message_ids: Sequence[int]) -> dict[int, tuple[Source, ...]]:
    """The stored sources of these messages, by message id (messages without any left out)."""
    found: dict[int, list[Source]] = {}
    ids = [int(i) for i in message_ids]
    for begin in range(0, len(ids), 500):
        part = ids[begin:begin + 500]
        marks = ",".join("?" for _ in part)
        for row in store.database.query(
                f"SELECT * FROM message_sources WHERE message_id IN ({marks}) "
                "ORDER BY message_id, rank", part):
            found.setdefault(int(row["message_id"]), []).append(Source(
                int(row["rank"]), None if row["number"] is None else int(row["number"]),
                int(row["chunk_id"]), row["document_name"], row["location"], row["text"],
                float(row["score"])))
    return {key: tuple(value) for key, value in found.items()}


def files_collection(store: DocumentStore, collection_ids: Iterable[int]) -> Collection | None:
    """The hidden collection (a chat's own files) among these attached ones, if there is one."""
    ids = set(collection_ids)
    return next((c for c in store.collections(include_hidden=True) if c.hidden and c.id in ids),
                None)


def new_files_collection(store: DocumentStore) -> Collection:
    """A hidden collection for one chat's files, indexed by the bundled encoder.

    Its name is never shown; it is random so that it cannot take a name the
    user wants for a collection of their own.
    """
    return store.create_collection(f"chat files {secrets.token_hex(8)}", USE_NAME, USE_DIMS,
                                   hidden=True)


def remove_chat_file(store: DocumentStore, document_id: int) -> bool:
    """Forget a file attached to a chat; True if that emptied (and so deleted) its collection."""
    from desktop_app.core.documents.store import MissingRecord

    try:
        document = store.document(document_id)
    except MissingRecord:
        return False
    store.remove_document(document_id)
    collection = store.collection(document.collection_id)
    if collection.hidden and not store.documents(collection.id):
        store.delete_collection(collection.id)
        return True
    return False
