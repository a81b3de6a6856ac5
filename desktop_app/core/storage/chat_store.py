"""The chat history: conversations and their messages in SQLite.

Every write commits before the method returns, so the user's message is on
disk before a reply is requested, and a reply's text survives a crash up to
its last :meth:`ChatStore.checkpoint_reply`. A reply that was streaming when
Hearth died is still marked STREAMING in the file;
:meth:`ChatStore.mark_interrupted_replies` turns those into INTERRUPTED at the
next start.

Ids come from ``AUTOINCREMENT`` columns and are never reused: a late event for
a deleted reply (e.g. statistics arriving after Regenerate removed it) then
matches no row instead of overwriting the reply that replaced it. The order of
a conversation is its messages' ``position`` (0, 1, 2, ... within it), not
their ids, so "this message and everything after it" can only reach the
messages of that conversation that come later in it.

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
from typing import Any

from desktop_app.core.engine.api import ReplyStats, Role, SamplingParams, StopReason
from desktop_app.core.settings import sampling_params_from_json, sampling_params_to_json
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


def _stats_to_json(stats: ReplyStats | None) -> str | None:
    if stats is None:
        return None
    data = asdict(stats)
    data["stop_reason"] = str(stats.stop_reason)
    return json.dumps(data)


def _stats_from_json(text: str | None) -> ReplyStats | None:
    if text is None:
        return None
    data = json.loads(text)
    known = {f.name for f in fields(ReplyStats)}
    values: dict[str, Any] = {k: v for k, v in data.items() if k in known}
    if "stop_reason" in values:
        values["stop_reason"] = StopReason(values["stop_reason"])
    return ReplyStats(**values)


# The next place in a conversation; its one parameter is the conversation id.
_NEXT_POSITION = ("(SELECT coalesce(max(position) + 1, 0) FROM messages "
                  "WHERE conversation_id = ?)")
_CONVERSATION_COLUMNS = "id, title, model_id, system_prompt, params, created_at, updated_at"
_MESSAGE_COLUMNS = ("id, conversation_id, role, content, state, thinking, stats, error, "
                    "created_at")


class ChatStore:
    """Conversations and messages, backed by one :class:`Database`."""

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
        """Conversations whose title or any message contains ``text``, most recent first.

        Case-insensitive for ASCII letters (SQLite's LIKE); ``%`` and ``_`` in
        ``text`` match themselves.
        """
        pattern = f"%{escape_like(text)}%"
        rows = self._db.query(
            f"SELECT {_CONVERSATION_COLUMNS} FROM conversations AS c "
            "WHERE c.title LIKE :p ESCAPE '\\' OR EXISTS ("
            "  SELECT 1 FROM messages AS m "
            "  WHERE m.conversation_id = c.id AND m.content LIKE :p ESCAPE '\\') "
            "ORDER BY c.updated_at DESC, c.id DESC",
            {"p": pattern})
        return [self._conversation(row) for row in rows]

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        """Set the title; an empty title lets the list show a placeholder. KeyError if none."""
        cursor = self._db.execute(
            "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
            (title, time.time(), conversation_id))
        if cursor.rowcount == 0:
            raise KeyError(conversation_id)

    def update_conversation_settings(self, conversation_id: int, *, system_prompt: str,
                                     params: SamplingParams) -> Conversation:
        """Change the system prompt and sampling parameters; returns the updated conversation."""
        cursor = self._db.execute(
            "UPDATE conversations SET system_prompt = ?, params = ?, updated_at = ? "
            "WHERE id = ?",
            (system_prompt, json.dumps(sampling_params_to_json(params)), time.time(),
             conversation_id))
        if cursor.rowcount == 0:
            raise KeyError(conversation_id)
        return self.get_conversation(conversation_id)

    def delete_conversation(self, conversation_id: int) -> None:
        """Delete the conversation and (by ON DELETE CASCADE) its messages. No error if gone."""
        self._db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    # ---- messages ------------------------------------------------------------

    def add_message(self, conversation_id: int, role: Role, content: str) -> StoredMessage:
        """Append a complete message; the first user message of an untitled chat names it.

        KeyError if the conversation does not exist.
        """
        now = time.time()
        with self._db.transaction() as conn:
            title_row = conn.execute("SELECT title FROM conversations WHERE id = ?",
                                     (conversation_id,)).fetchone()
            if title_row is None:
                raise KeyError(conversation_id)
            cursor = conn.execute(
                "INSERT INTO messages (conversation_id, position, role, content, state, "
                f"created_at) VALUES (?, {_NEXT_POSITION}, ?, ?, ?, ?)",
                (conversation_id, conversation_id, str(role), content,
                 str(MessageState.COMPLETE), now))
            title = title_row["title"]
            if role == Role.USER and not title:
                title = title_from_text(content)
            conn.execute("UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
                         (title, now, conversation_id))
        return self._message(_lastrowid(cursor))

    def messages(self, conversation_id: int) -> list[StoredMessage]:
        """The conversation's messages in the order they were added ([] if none)."""
        rows = self._db.query(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? "
            "ORDER BY position",
            (conversation_id,))
        return [self._stored_message(row) for row in rows]

    def message_count(self, conversation_id: int) -> int:
        rows = self._db.query("SELECT count(*) FROM messages WHERE conversation_id = ?",
                              (conversation_id,))
        return int(rows[0][0])

    def begin_reply(self, conversation_id: int) -> StoredMessage:
        """An empty assistant message in state STREAMING, stored before the first token."""
        now = time.time()
        with self._db.transaction() as conn:
            bumped = conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?",
                                  (now, conversation_id))
            if bumped.rowcount == 0:
                raise KeyError(conversation_id)
            cursor = conn.execute(
                "INSERT INTO messages (conversation_id, position, role, content, state, "
                f"created_at) VALUES (?, {_NEXT_POSITION}, ?, '', ?, ?)",
                (conversation_id, conversation_id, str(Role.ASSISTANT),
                 str(MessageState.STREAMING), now))
        return self._message(_lastrowid(cursor))

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
                     state: MessageState, stats: ReplyStats | None, error: str = "") -> None:
        """Store a reply's final text, state, statistics and error. No error if it is gone."""
        now = time.time()
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE messages SET content = ?, thinking = ?, state = ?, stats = ?, error = ? "
                "WHERE id = ?",
                (content, thinking, str(state), _stats_to_json(stats), error, message_id))
            conn.execute(
                "UPDATE conversations SET updated_at = ? "
                "WHERE id = (SELECT conversation_id FROM messages WHERE id = ?)",
                (now, message_id))

    def delete_messages_from(self, message_id: int) -> int:
        """Delete this message and those after it in its conversation; returns how many.

        "After" is the conversation's order (``position``); ids play no part.
        """
        now = time.time()
        with self._db.transaction() as conn:
            row = conn.execute("SELECT conversation_id, position FROM messages WHERE id = ?",
                               (message_id,)).fetchone()
            if row is None:
                return 0
            conversation_id = row["conversation_id"]
            cursor = conn.execute(
                "DELETE FROM messages WHERE conversation_id = ? AND position >= ?",
                (conversation_id, row["position"]))
            conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?",
                         (now, conversation_id))
        return cursor.rowcount

    def mark_interrupted_replies(self) -> int:
        """Mark replies left STREAMING by a crash or kill as INTERRUPTED; returns how many.

        Call once at startup, before any reply starts; a read-only history is left alone.
        """
        if self.read_only:
            return 0
        cursor = self._db.execute("UPDATE messages SET state = ? WHERE state = ?",
                                  (str(MessageState.INTERRUPTED), str(MessageState.STREAMING)))
        return cursor.rowcount

    # ---- rows to objects -----------------------------------------------------------

    def _message(self, message_id: int) -> StoredMessage:
        rows = self._db.query(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id = ?",
                              (message_id,))
        return self._stored_message(rows[0])

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
            created_at=row["created_at"], updated_at=row["updated_at"])

    def _stored_message(self, row: sqlite3.Row) -> StoredMessage:
        return StoredMessage(
            id=row["id"], conversation_id=row["conversation_id"], role=Role(row["role"]),
            content=row["content"], state=MessageState(row["state"]), thinking=row["thinking"],
            stats=_stats_from_json(row["stats"]), error=row["error"],
            created_at=row["created_at"])


def _lastrowid(cursor: sqlite3.Cursor) -> int:
    rowid = cursor.lastrowid
    assert rowid is not None, "INSERT gave no row id"
    return rowid
