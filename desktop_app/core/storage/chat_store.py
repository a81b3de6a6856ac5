"""The chat history: conversations and their messages in SQLite.

Every write commits before the method returns, so the user's message is on
disk before a reply is requested, and a reply's text survives a crash up to
its last :meth:`ChatStore.checkpoint_reply`. A reply that was streaming when
Hearth died is still marked STREAMING in the file;
:meth:`ChatStore.mark_interrupted_replies` turns those into INTERRUPTED at the
next start.

Messages form a tree: each has a ``parent_id`` (None for the first of a
conversation), editing a message adds a sibling with the new text and
Regenerate a sibling reply, so nothing is overwritten. A conversation's
``current_message_id`` is the tip of the path the chat shows; the path is
that message and its ancestors. Switching to a sibling shows its most recent
descendant (the one with the highest id: a child is always newer than its
parent). ``position`` is the depth in the tree.

Ids come from ``AUTOINCREMENT`` columns and are never reused: a late event for
a deleted reply (e.g. statistics arriving after its branch was deleted) then
matches no row instead of overwriting another one. Deleting a conversation or
a branch returns a :class:`Snapshot` of the rows it removed; restoring it
(Undo) puts them back with their ids.

One connection, used from the GUI thread only. Environment problems raise
:class:`~desktop_app.core.storage.database.StorageError`; ids that do not
exist raise KeyError where noted.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from desktop_app.core.engine.api import ReplyStats, Role, SamplingParams, StopReason
from desktop_app.core.settings import sampling_params_from_json, sampling_params_to_json
from desktop_app.core.storage import search_text
from desktop_app.core.storage.database import Database

log = logging.getLogger(__name__)

TITLE_MAX_CHARS = 60


class MessageState(StrEnum):
    """Where a message is in its life; stored as its value."""

    COMPLETE = "complete"        # user messages, and replies the model finished
    STREAMING = "streaming"      # a reply being written now (or when Hearth died)
    STOPPED = "stopped"          # the user pressed Stop
    INTERRUPTED = "interrupted"  # the engine crashed, or Hearth exited mid-reply
    ERROR = "error"              # generation failed; ``error`` says why


@dataclass(frozen=True)
class Conversation:
    """A conversation's settings and title. Times are epoch seconds."""

    id: int
    title: str
    model_id: str | None
    system_prompt: str
    params: SamplingParams
    created_at: float
    updated_at: float
    pinned: bool = False
    folder: str = ""
    current_message_id: int | None = None


@dataclass(frozen=True)
class StoredMessage:
    """One message as stored. ``stats`` is set for replies that reported statistics."""

    id: int
    conversation_id: int
    role: Role
    content: str
    state: MessageState
    thinking: str
    stats: ReplyStats | None
    error: str
    created_at: float
    parent_id: int | None = None
    tool_calls: str = ""  # JSON list of the reply's tool calls, as the GUI's cards keep them


@dataclass(frozen=True)
class SearchHit:
    """One search result: a message (``message_id`` set) or a conversation's title (None)."""

    conversation_id: int
    title: str
    message_id: int | None
    role: Role | None
    snippet: search_text.Snippet
    updated_at: float


@dataclass(frozen=True)
class Snapshot:
    """Rows a deletion removed, as column -> value dicts, for :meth:`ChatStore.restore`.

    ``conversation`` is set when a whole conversation went; ``current_message_id``
    is the conversation's shown tip before the deletion.
    """

    conversation_id: int
    conversation: dict[str, Any] | None
    messages: tuple[dict[str, Any], ...]
    current_message_id: int | None


@dataclass(frozen=True)
class MessageRecord:
    """A message to import; ``key`` names it within its conversation record only."""

    key: str
    parent_key: str | None
    role: Role
    content: str
    created_at: float
    state: MessageState = MessageState.COMPLETE
    thinking: str = ""
    stats: ReplyStats | None = None
    error: str = ""
    tool_calls: str = ""  # JSON list, as StoredMessage.tool_calls


@dataclass(frozen=True)
class ConversationRecord:
    """A conversation to import: settings and a message tree, parents before children."""

    title: str
    model_id: str | None
    system_prompt: str
    params: SamplingParams
    created_at: float
    updated_at: float
    messages: tuple[MessageRecord, ...]
    current_key: str | None = None
    pinned: bool = False
    folder: str = ""


CURRENT: Literal["current"] = "current"
"""``parent_id`` default of :meth:`ChatStore.add_message`: after the shown path's tip."""

ParentChoice = int | None | Literal["current"]


def title_from_text(text: str, limit: int = TITLE_MAX_CHARS) -> str:
    """A conversation title from a message: its first non-blank line, whitespace folded.

    Longer than ``limit`` characters, it is cut (at a word boundary when one
    is near) and ends with an ellipsis.
    """
    line = next((line for line in text.splitlines() if line.strip()), "")
    title = " ".join(line.split())
    if len(title) <= limit:
        return title
    cut = title[:limit - 1]
    space = cut.rfind(" ")
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip() + "…"


def escape_like(text: str) -> str:
    r"""``text`` as a literal LIKE pattern fragment (``\`` is the escape character)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def stats_to_json(stats: ReplyStats | None) -> str | None:
    if stats is None:
        return None
    data = asdict(stats)
    data["stop_reason"] = str(stats.stop_reason)
    return json.dumps(data)


def stats_from_json(text: str | None) -> ReplyStats | None:
    if text is None:
        return None
    data = json.loads(text)
    known = {f.name for f in fields(ReplyStats)}
    values: dict[str, Any] = {k: v for k, v in data.items() if k in known}
    if "stop_reason" in values:
        values["stop_reason"] = StopReason(values["stop_reason"])
    return ReplyStats(**values)


_CONVERSATION_COLUMNS = ("id, title, model_id, system_prompt, params, created_at, updated_at, "
                         "pinned, folder, current_message_id")
_MESSAGE_COLUMNS = ("id, conversation_id, parent_id, role, content, state, thinking, stats, "
                    "error, created_at, tool_calls")
# The subtree under (and including) the message bound to the one parameter.
_SUBTREE = ("WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL "
            "SELECT m.id FROM messages AS m JOIN sub ON m.parent_id = sub.id) ")


class ChatStore:
    """Conversations and their message trees, backed by one :class:`Database`."""

    def __init__(self, database: Database) -> None:
        self._db = database

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False) -> ChatStore:
        """Open or create the history at ``path``. Raises StorageError if it can't.

        ``read_only`` opens an existing history (even a newer one) without
        writing anything; every write method then raises StorageError.
        """
        return cls(Database.open(Path(path), read_only=read_only))

    @property
    def path(self) -> Path:
        return self._db.path

    @property
    def read_only(self) -> bool:
        return self._db.read_only

    @property
    def database(self) -> Database:
        return self._db

    def close(self) -> None:
        self._db.close()

    # ---- conversations -------------------------------------------------------

    def create_conversation(self, *, model_id: str | None, system_prompt: str,
                            params: SamplingParams) -> Conversation:
        """A new, empty conversation; it takes its title from its first user message."""
        now = time.time()
        cursor = self._db.execute(
            "INSERT INTO conversations (title, model_id, system_prompt, params, created_at, "
            "updated_at) VALUES ('', ?, ?, ?, ?, ?)",
            (model_id, system_prompt, json.dumps(sampling_params_to_json(params)), now, now))
        return self.get_conversation(_lastrowid(cursor))

    def get_conversation(self, conversation_id: int) -> Conversation:
        """The conversation with this id; KeyError if there is none."""
        rows = self._db.query(
            f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE id = ?", (conversation_id,))
        if not rows:
            raise KeyError(conversation_id)
        return self._conversation(rows[0])

    def list_conversations(self) -> list[Conversation]:
        """All conversations, most recently updated first."""
        rows = self._db.query(
            f"SELECT {_CONVERSATION_COLUMNS} FROM conversations "
            "ORDER BY updated_at DESC, id DESC")
        return [self._conversation(row) for row in rows]

    def search_conversations(self, text: str) -> list[Conversation]:
        """Conversations whose title or any message (any branch) matches ``text``.

        Most recent first; matching as :meth:`search` does.
        """
        expression = search_text.match_expression(text)
        if expression is None:
            return self.list_conversations()
        rows = self._db.query(
            f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE id IN ("
            "  SELECT rowid FROM title_search WHERE title_search MATCH :q"
            "  UNION SELECT m.conversation_id FROM message_search AS s"
            "  JOIN messages AS m ON m.id = s.rowid WHERE message_search MATCH :q) "
            "ORDER BY updated_at DESC, id DESC",
            {"q": expression})
        return [self._conversation(row) for row in rows]

    def search(self, query: str, *, limit: int = 50) -> list[SearchHit]:
        """Titles (best match first), then messages of every branch (newest first).

        All terms of ``query`` must match; see
        :mod:`~desktop_app.core.storage.search_text` for how (Chinese words of
        one, two or more characters included). Messages come newest first
        rather than by relevance: FTS5 then reads the index backwards and
        stops at ``limit``, while ranking has to score every match
        (bench/bench_search.py: a word in 40% of 100,000 messages, 40 ms by
        rank against 1 ms newest first), and in a chat history the recent
        mention is usually the one looked for.
        """
        expression = search_text.match_expression(query)
        if expression is None:
            return []
        hits: list[SearchHit] = []
        for row in self._db.query(
                "SELECT c.id, c.title, c.updated_at FROM title_search AS t "
                "JOIN conversations AS c ON c.id = t.rowid WHERE title_search MATCH ? "
                "ORDER BY t.rank LIMIT ?", (expression, limit)):
            hits.append(SearchHit(row["id"], row["title"], None, None,
                                  search_text.snippet(row["title"], query), row["updated_at"]))
        for row in self._db.query(
                "SELECT m.id, m.conversation_id, m.role, m.content, c.title, c.updated_at "
                "FROM message_search AS s JOIN messages AS m ON m.id = s.rowid "
                "JOIN conversations AS c ON c.id = m.conversation_id "
                "WHERE message_search MATCH ? ORDER BY s.rowid DESC LIMIT ?",
                (expression, max(0, limit - len(hits)))):
            hits.append(SearchHit(row["conversation_id"], row["title"], row["id"],
                                  Role(row["role"]), search_text.snippet(row["content"], query),
                                  row["updated_at"]))
        return hits

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        """Set the title; an empty title lets the list show a placeholder. KeyError if none."""
        self._update_conversation(conversation_id, "title = ?, updated_at = ?",
                                  (title, time.time()))

    def set_pinned(self, conversation_id: int, pinned: bool) -> None:
        """Pin the conversation on top of the list, or unpin it. KeyError if none."""
        self._update_conversation(conversation_id, "pinned = ?", (int(pinned),))

    def set_folder(self, conversation_id: int, folder: str) -> None:
        """File the conversation in a folder ('' for none). KeyError if none."""
        self._update_conversation(conversation_id, "folder = ?", (folder.strip(),))

    def folders(self) -> list[str]:
        """The folder names in use, sorted."""
        rows = self._db.query("SELECT DISTINCT folder FROM conversations WHERE folder != '' "
                              "ORDER BY folder")
        return [row[0] for row in rows]

    def _update_conversation(self, conversation_id: int, assignments: str,
                             values: tuple[Any, ...]) -> None:
        cursor = self._db.execute(f"UPDATE conversations SET {assignments} WHERE id = ?",
                                  (*values, conversation_id))
        if cursor.rowcount == 0:
            raise KeyError(conversation_id)

    def update_conversation_settings(self, conversation_id: int, *, system_prompt: str,
                                     params: SamplingParams) -> Conversation:
        """Change the system prompt and sampling parameters; returns the updated conversation."""
        self._update_conversation(
            conversation_id, "system_prompt = ?, params = ?, updated_at = ?",
            (system_prompt, json.dumps(sampling_params_to_json(params)), time.time()))
        return self.get_conversation(conversation_id)

    def duplicate_conversation(self, conversation_id: int, title: str) -> Conversation:
        """A copy of the conversation (every branch, settings, shown path) titled ``title``."""
        with self._db.transaction() as conn:
            row = conn.execute("SELECT * FROM conversations WHERE id = ?",
                               (conversation_id,)).fetchone()
            if row is None:
                raise KeyError(conversation_id)
            values = dict(row)
            del values["id"]
            now = time.time()
            values.update(title=title, created_at=now, updated_at=now, pinned=0)
            new_id = _insert(conn, "conversations", values)
            new_ids: dict[int, int] = {}
            for message in conn.execute("SELECT * FROM messages WHERE conversation_id = ? "
                                        "ORDER BY id", (conversation_id,)).fetchall():
                copy = dict(message)
                old = copy.pop("id")
                copy["conversation_id"] = new_id
                copy["parent_id"] = new_ids.get(copy["parent_id"]) if copy["parent_id"] else None
                new_ids[old] = _insert(conn, "messages", copy)
            current = values["current_message_id"]
            conn.execute("UPDATE conversations SET current_message_id = ? WHERE id = ?",
                         (new_ids.get(current) if current else None, new_id))
        return self.get_conversation(new_id)

    def delete_conversation(self, conversation_id: int) -> Snapshot | None:
        """Delete the conversation and (by ON DELETE CASCADE) its messages.

        Returns what was removed, for :meth:`restore`; None if it was already gone.
        """
        with self._db.transaction() as conn:
            row = conn.execute("SELECT * FROM conversations WHERE id = ?",
                               (conversation_id,)).fetchone()
            if row is None:
                return None
            messages = conn.execute("SELECT * FROM messages WHERE conversation_id = ? "
                                    "ORDER BY id", (conversation_id,)).fetchall()
            _delete_messages(conn, messages)
            conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        return Snapshot(conversation_id, dict(row), tuple(dict(m) for m in messages),
                        row["current_message_id"])

    def restore(self, snapshot: Snapshot) -> None:
        """Put back what a deletion removed (Undo), with the same ids and shown path."""
        with self._db.transaction() as conn:
            if snapshot.conversation is not None:
                _insert(conn, "conversations", snapshot.conversation)
            # Ids grow from parent to child, so id order inserts parents first.
            for message in sorted(snapshot.messages, key=lambda m: int(m["id"])):
                _insert(conn, "messages", message)
            conn.execute("UPDATE conversations SET current_message_id = ? WHERE id = ?",
                         (snapshot.current_message_id, snapshot.conversation_id))

    # ---- messages ------------------------------------------------------------

    def add_message(self, conversation_id: int, role: Role, content: str, *,
                    parent_id: ParentChoice = CURRENT) -> StoredMessage:
        """Add a complete message under ``parent_id`` and show the path ending in it.

        By default it goes after the shown path's tip; an explicit parent
        (None: a new first message) makes a new branch when the parent already
        has children, which is how editing works. The first user message of
        an untitled chat names it. KeyError if the conversation does not exist.
        """
        message_id = self._insert_message(conversation_id, role, content,
                                          MessageState.COMPLETE, parent_id)
        return self._message(message_id)

    def begin_reply(self, conversation_id: int, *,
                    parent_id: ParentChoice = CURRENT) -> StoredMessage:
        """An empty assistant message in state STREAMING, stored before the first token.

        A reply under a message that has one already is a sibling (Regenerate).
        """
        message_id = self._insert_message(conversation_id, Role.ASSISTANT, "",
                                          MessageState.STREAMING, parent_id)
        return self._message(message_id)

    def _insert_message(self, conversation_id: int, role: Role, content: str,
                        state: MessageState, parent_id: ParentChoice) -> int:
        now = time.time()
        with self._db.transaction() as conn:
            row = conn.execute("SELECT title, current_message_id FROM conversations "
                               "WHERE id = ?", (conversation_id,)).fetchone()
            if row is None:
                raise KeyError(conversation_id)
            parent = row["current_message_id"] if parent_id == CURRENT else parent_id
            depth = 0
            if parent is not None:
                found = conn.execute("SELECT position FROM messages WHERE id = ? AND "
                                     "conversation_id = ?", (parent, conversation_id)).fetchone()
                if found is None:
                    raise KeyError(parent)
                depth = found["position"] + 1
            cursor = conn.execute(
                "INSERT INTO messages (conversation_id, parent_id, position, role, content, "
                "state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, parent, depth, str(role), content, str(state), now))
            message_id = _lastrowid(cursor)
            title = row["title"]
            if role == Role.USER and not title:
                title = title_from_text(content)
            conn.execute("UPDATE conversations SET title = ?, updated_at = ?, "
                         "current_message_id = ? WHERE id = ?",
                         (title, now, message_id, conversation_id))
        return message_id

    def messages(self, conversation_id: int) -> list[StoredMessage]:
        """The shown path of the conversation, first message first ([] if none)."""
        rows = self._db.query("SELECT current_message_id FROM conversations WHERE id = ?",
                              (conversation_id,))
        if not rows or rows[0][0] is None:
            return []
        return self.path_to(rows[0][0])

    def path_to(self, message_id: int) -> list[StoredMessage]:
        """The message and its ancestors, first message first."""
        rows = self._db.query(
            "WITH RECURSIVE up(id, depth) AS (SELECT ?, 0 UNION ALL "
            "  SELECT m.parent_id, up.depth + 1 FROM messages AS m JOIN up ON m.id = up.id "
            "  WHERE m.parent_id IS NOT NULL) "
            f"SELECT {_MESSAGE_COLUMNS} FROM messages JOIN up USING (id) ORDER BY up.depth DESC",
            (message_id,))
        return [self._stored_message(row) for row in rows]

    def all_messages(self, conversation_id: int) -> list[StoredMessage]:
        """Every message of every branch, parents before children (id order)."""
        rows = self._db.query(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY id",
            (conversation_id,))
        return [self._stored_message(row) for row in rows]

    def message_count(self, conversation_id: int) -> int:
        """How many messages the conversation holds, all branches counted."""
        rows = self._db.query("SELECT count(*) FROM messages WHERE conversation_id = ?",
                              (conversation_id,))
        return int(rows[0][0])

    def get_message(self, message_id: int) -> StoredMessage:
        """The message with this id; KeyError if there is none."""
        rows = self._db.query(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?",
                              (message_id,))
        if not rows:
            raise KeyError(message_id)
        return self._stored_message(rows[0])

    def siblings(self, message_id: int) -> list[int]:
        """Ids of the message and its siblings (same parent), oldest first. KeyError if none."""
        message = self.get_message(message_id)
        rows = self._db.query("SELECT id FROM messages WHERE conversation_id = ? AND "
                              "parent_id IS ? ORDER BY id",
                              (message.conversation_id, message.parent_id))
        return [row[0] for row in rows]

    def show_branch(self, message_id: int) -> int:
        """Show the path through ``message_id`` to its most recent descendant; returns that tip.

        KeyError if the message does not exist.
        """
        with self._db.transaction() as conn:
            row = conn.execute("SELECT conversation_id FROM messages WHERE id = ?",
                               (message_id,)).fetchone()
            if row is None:
                raise KeyError(message_id)
            tip = conn.execute(_SUBTREE + "SELECT max(id) FROM sub", (message_id,)).fetchone()[0]
            conn.execute("UPDATE conversations SET current_message_id = ? WHERE id = ?",
                         (tip, row["conversation_id"]))
        return int(tip)

    def delete_branch(self, message_id: int) -> Snapshot | None:
        """Delete the message and everything under it; None if it is gone already.

        If the shown path went through it, the chat then shows the newest
        remaining sibling's branch, or else the path up to its parent.
        Returns what was removed, for :meth:`restore`.
        """
        with self._db.transaction() as conn:
            row = conn.execute("SELECT conversation_id, parent_id FROM messages WHERE id = ?",
                               (message_id,)).fetchone()
            if row is None:
                return None
            conversation_id, parent_id = row["conversation_id"], row["parent_id"]
            current = conn.execute("SELECT current_message_id FROM conversations WHERE id = ?",
                                   (conversation_id,)).fetchone()[0]
            removed = conn.execute(
                _SUBTREE + "SELECT m.* FROM messages AS m JOIN sub USING (id) ORDER BY m.id",
                (message_id,)).fetchall()
            _delete_messages(conn, removed)
            if current in {r["id"] for r in removed}:
                sibling = conn.execute(
                    "SELECT max(id) FROM messages WHERE conversation_id = ? AND parent_id IS ?",
                    (conversation_id, parent_id)).fetchone()[0]
                tip = parent_id
                if sibling is not None:
                    tip = conn.execute(_SUBTREE + "SELECT max(id) FROM sub",
                                       (sibling,)).fetchone()[0]
                conn.execute("UPDATE conversations SET current_message_id = ?, updated_at = ? "
                             "WHERE id = ?", (tip, time.time(), conversation_id))
        return Snapshot(conversation_id, None, tuple(dict(r) for r in removed), current)

    def checkpoint_reply(self, message_id: int, content: str, thinking: str) -> None:
        """Save a streaming reply's text so far: one UPDATE, called about once a second.

        It also marks the reply STREAMING, so a reply being continued (stored
        as finished) is found by :meth:`mark_interrupted_replies` if Hearth
        dies before it ends. The conversation's ``updated_at`` is left alone:
        :meth:`begin_reply` and :meth:`finish_reply` set it.
        """
        self._db.execute(
            "UPDATE messages SET content = ?, thinking = ?, state = ? WHERE id = ?",
            (content, thinking, str(MessageState.STREAMING), message_id))

    def finish_reply(self, message_id: int, content: str, *, thinking: str,
                     state: MessageState, stats: ReplyStats | None, error: str = "",
                     tool_calls: str = "") -> None:
        """Store a reply's final text, state, statistics, error and tool calls (JSON).

        No error if it is gone.
        """
        now = time.time()
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE messages SET content = ?, thinking = ?, state = ?, stats = ?, error = ?, "
                "tool_calls = ? WHERE id = ?",
                (content, thinking, str(state), stats_to_json(stats), error, tool_calls,
                 message_id))
            conn.execute(
                "UPDATE conversations SET updated_at = ? "
                "WHERE id = (SELECT conversation_id FROM messages WHERE id = ?)",
                (now, message_id))

    def streaming_conversation(self) -> int | None:
        """The conversation of the newest reply still marked STREAMING, if any.

        Found at startup, before :meth:`mark_interrupted_replies`: Hearth was
        killed while it streamed, so that is the conversation to reopen.
        """
        rows = self._db.query("SELECT conversation_id FROM messages WHERE state = ? "
                              "ORDER BY id DESC LIMIT 1", (str(MessageState.STREAMING),))
        return int(rows[0][0]) if rows else None

    def sibling_positions(self, conversation_id: int) -> dict[int, tuple[int, int]]:
        """For every message of the conversation: (its index among its siblings, how many).

        One query for the whole tree, so a view can show "‹ 2/3 ›" on every row.
        """
        groups: dict[int | None, list[int]] = {}
        for row in self._db.query("SELECT id, parent_id FROM messages "
                                  "WHERE conversation_id = ? ORDER BY id", (conversation_id,)):
            groups.setdefault(row["parent_id"], []).append(row["id"])
        return {message_id: (index, len(ids)) for ids in groups.values()
                for index, message_id in enumerate(ids)}

    def mark_interrupted_replies(self) -> int:
        """Mark replies left STREAMING by a crash or kill as INTERRUPTED; returns how many.

        Call once at startup, before any reply starts; a read-only history is left alone.
        """
        if self.read_only:
            return 0
        cursor = self._db.execute("UPDATE messages SET state = ? WHERE state = ?",
                                  (str(MessageState.INTERRUPTED), str(MessageState.STREAMING)))
        return cursor.rowcount

    # ---- import ---------------------------------------------------------------

    def import_conversations(self, records: list[ConversationRecord]) -> list[int]:
        """Add the conversations in one transaction (all or none); returns their new ids.

        ValueError, with nothing written, if a message names a parent that
        does not come before it in its record.
        """
        new_conversations: list[int] = []
        with self._db.transaction() as conn:
            for record in records:
                conversation_id = _insert(conn, "conversations", {
                    "title": record.title, "model_id": record.model_id,
                    "system_prompt": record.system_prompt,
                    "params": json.dumps(sampling_params_to_json(record.params)),
                    "created_at": record.created_at, "updated_at": record.updated_at,
                    "pinned": int(record.pinned), "folder": record.folder})
                ids: dict[str, tuple[int, int]] = {}  # key -> (id, depth)
                for message in record.messages:
                    if message.key in ids:
                        raise ValueError(f"message {message.key!r} appears twice")
                    parent: tuple[int, int] | None = None
                    if message.parent_key is not None:
                        parent = ids.get(message.parent_key)
                        if parent is None:
                            raise ValueError(f"message {message.key!r} has an unknown parent "
                                             f"{message.parent_key!r}")
                    message_id = _insert(conn, "messages", {
                        "conversation_id": conversation_id,
                        "parent_id": parent[0] if parent else None,
                        "position": parent[1] + 1 if parent else 0,
                        "role": str(message.role), "content": message.content,
                        "state": str(message.state), "thinking": message.thinking,
                        "stats": stats_to_json(message.stats), "error": message.error,
                        "created_at": message.created_at, "tool_calls": message.tool_calls})
                    ids[message.key] = (message_id, parent[1] + 1 if parent else 0)
                tip = ids.get(record.current_key) if record.current_key is not None else None
                if tip is None and ids:  # the newest leaf, as show_branch would pick
                    tip = max(ids.values())
                conn.execute("UPDATE conversations SET current_message_id = ? WHERE id = ?",
                             (tip[0] if tip else None, conversation_id))
                new_conversations.append(conversation_id)
        return new_conversations

    # ---- rows to objects -----------------------------------------------------------

    def _message(self, message_id: int) -> StoredMessage:
        return self.get_message(message_id)

    def _conversation(self, row: sqlite3.Row) -> Conversation:
        try:
            params = sampling_params_from_json(json.loads(row["params"]))
        except ValueError as exc:
            # Written by us, so this is damage; the chat stays usable with defaults.
            log.warning("%s: conversation %d has unreadable parameters (%s); using defaults",
                        self._db.path, row["id"], exc)
            params = SamplingParams()
        return Conversation(
            id=row["id"], title=row["title"], model_id=row["model_id"],
            system_prompt=row["system_prompt"], params=params,
            created_at=row["created_at"], updated_at=row["updated_at"],
            pinned=bool(row["pinned"]), folder=row["folder"],
            current_message_id=row["current_message_id"])

    def _stored_message(self, row: sqlite3.Row) -> StoredMessage:
        return StoredMessage(
            id=row["id"], conversation_id=row["conversation_id"], role=Role(row["role"]),
            content=row["content"], state=MessageState(row["state"]), thinking=row["thinking"],
            stats=stats_from_json(row["stats"]), error=row["error"],
            created_at=row["created_at"], parent_id=row["parent_id"],
            tool_calls=row["tool_calls"])


def _delete_messages(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> None:
    """Delete these messages, deepest first.

    Deleting a parent first would leave the children to ON DELETE CASCADE,
    which recurses once per level and fails past SQLite's trigger depth
    (1,000) in a long conversation; leaves first, it never recurses.
    """
    deepest_first = sorted(rows, key=lambda r: (-int(r["position"]), -int(r["id"])))
    conn.executemany("DELETE FROM messages WHERE id = ?", [(r["id"],) for r in deepest_first])


def _insert(conn: sqlite3.Connection, table: str, values: dict[str, Any]) -> int:
    """INSERT one row from a column -> value dict (our own column names); returns its id."""
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cursor = conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                          tuple(values.values()))
    return _lastrowid(cursor)


def _lastrowid(cursor: sqlite3.Cursor) -> int:
    rowid = cursor.lastrowid
    assert rowid is not None, "INSERT gave no row id"
    return rowid
