"""The SQLite connection behind the chat history: pragmas, schema migrations, errors.

Errors are split by cause, as qutebrowser's ``misc/sql.py`` does: SQLite result
codes that mean "the environment is in the way" (disk full, read-only file or
folder, another program holding a lock, a file that is not a database or is
damaged) become a :class:`StorageError` whose message names the file and says
what the user can do. Every other ``sqlite3`` error (a syntax error, a
constraint we violated, a closed connection) is a bug in Hearth and propagates
unchanged, traceback and all.

The schema version lives in ``PRAGMA user_version``. :data:`MIGRATIONS` is an
ordered list: entry *n* takes a database from version *n* to *n + 1*, and each
runs in its own transaction together with the version bump, so a crash mid-way
leaves the database at the previous version, never half-migrated.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Parameters = Sequence[Any] | Mapping[str, Any]
"""Values bound to a statement's ``?`` (a sequence) or ``:name`` (a mapping) placeholders."""

Migration = tuple[str, ...]
"""The SQL statements of one schema step, run in one transaction."""

MIGRATIONS: tuple[Migration, ...] = (
    # 0 -> 1: conversations and their messages.
    (
        """CREATE TABLE conversations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            title TEXT NOT NULL DEFAULT '',
            model_id TEXT,
            system_prompt TEXT NOT NULL DEFAULT '',
            params TEXT NOT NULL DEFAULT '{}',
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )""",
        "CREATE INDEX conversations_by_update ON conversations (updated_at DESC, id DESC)",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER NOT NULL
                REFERENCES conversations (id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            content TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT 'complete',
            error TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL
        )""",
        # Loading a conversation and the cascade on delete both go through this.
        "CREATE INDEX messages_by_conversation ON messages (conversation_id, id)",
    ),
    # 1 -> 2: a reply's reasoning text and its statistics (a JSON object, NULL
    # for user messages and for replies that ended without statistics).
    (
        "ALTER TABLE messages ADD COLUMN thinking TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE messages ADD COLUMN stats TEXT",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema this build writes; a database with a higher version is refused."""

DEFAULT_BUSY_TIMEOUT_MS = 5000

# SQLite primary result codes (https://sqlite.org/rescode.html) that come from
# the environment, with what to tell the user. ``{path}`` is the database file.
_PERM, _BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _PROTOCOL, _NOTADB = (
    3, 5, 6, 8, 10, 11, 13, 14, 15, 26)
_KNOWN_ERRORS: dict[int, str] = {
    _PERM: "Hearth is not allowed to write its chat history {path}. Check the permissions "
           "of the file and its folder.",
    _BUSY: "The chat history {path} is locked by another program. Is Hearth already "
           "running? Close the other program and try again.",
    _LOCKED: "The chat history {path} is locked by another program. Is Hearth already "
             "running? Close the other program and try again.",
    _READONLY: "The chat history {path} cannot be written: the file or its folder is "
               "read-only. Make it writable and try again.",
    _IOERR: "Reading or writing the chat history {path} failed (disk I/O error). Check "
            "the disk, or whether a network or removable drive was disconnected.",
    _CORRUPT: "The chat history {path} is damaged. Move it aside (Hearth then starts a "
              "new one) or restore it from a backup.",
    _FULL: "The disk holding the chat history {path} is full. Free some space and try "
           "again.",
    _CANTOPEN: "The chat history {path} cannot be opened. Check that its folder exists "
               "and is writable.",
    _PROTOCOL: "The chat history {path} is locked by another program (locking protocol "
               "error). Close other programs using it and try again.",
    _NOTADB: "The file {path} is not a Hearth chat history (not an SQLite database). "
             "Move it aside; Hearth then starts a new one.",
}


class StorageError(Exception):
    """An environment problem with a file Hearth keeps, that the user can act on.

    The message is a complete sentence naming the file and is shown as is.
    ``path`` is that file; ``sqlite_code`` the SQLite primary result code when
    the problem came from SQLite.
    """

    def __init__(self, message: str, path: Path, sqlite_code: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.sqlite_code = sqlite_code


def storage_error_for(exc: sqlite3.Error, path: Path) -> StorageError | None:
    """The :class:`StorageError` ``exc`` stands for, or None if it is a programming error."""
    extended = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(extended, int):
        return None
    code = extended & 0xFF
    template = _KNOWN_ERRORS.get(code)
    if template is None:
        return None
    message = template.format(path=path) + f" (SQLite: {exc})"
    return StorageError(message, path, code)


class Database:
    """One SQLite connection with Hearth's settings, used from a single thread.

    The connection is in autocommit mode: a lone statement commits when it
    finishes, and :meth:`transaction` groups several statements. Build one with
    :meth:`open`; the constructor wraps an existing connection as is (tests use
    it with a read-only connection).
    """

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        connection.row_factory = sqlite3.Row

    @classmethod
    def open(cls, path: Path, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
             migrations: Sequence[Migration] = MIGRATIONS) -> Database:
        """Open (creating if needed) the database at ``path`` and bring its schema up to date.

        Raises :class:`StorageError` when the file or folder can't be used, or
        when the database was written by a newer Hearth.
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"Hearth cannot create the folder for its chat history {path}: "
                f"{exc.strerror or exc}.", path) from exc
        try:
            # isolation_level=None: autocommit; transactions are explicit (see transaction()).
            connection = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            error = storage_error_for(exc, path)
            if error is None:
                raise
            raise error from exc
        database = cls(connection, path)
        try:
            with database.errors():
                database._configure(busy_timeout_ms)
                database._migrate(migrations)
        except BaseException:
            connection.close()
            raise
        return database

    def close(self) -> None:
        """Close the connection; WAL content is folded into the main file by SQLite."""
        with self.errors():
            self.connection.close()

    # ---- running SQL ---------------------------------------------------------

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn environment errors raised inside the block into :class:`StorageError`."""
        try:
            yield
        except sqlite3.Error as exc:
            error = storage_error_for(exc, self.path)
            if error is None:
                raise
            raise error from exc

    def execute(self, sql: str, parameters: Parameters = ()) -> sqlite3.Cursor:
        """Run one statement (committed at once unless inside :meth:`transaction`)."""
        with self.errors():
            return self.connection.execute(sql, parameters)

    def query(self, sql: str, parameters: Parameters = ()) -> list[sqlite3.Row]:
        """Run a SELECT and return all its rows."""
        with self.errors():
            return self.connection.execute(sql, parameters).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run the block's statements as one transaction, committed when the block ends.

        ``BEGIN IMMEDIATE`` takes the write lock up front, so a busy database
        fails here, before anything was changed, rather than half-way through.
        """
        conn = self.connection
        with self.errors():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                # A failed COMMIT leaves the transaction open; never leave it so.
                if conn.in_transaction:
                    conn.rollback()
                raise

    # ---- setup -----------------------------------------------------------------

    def user_version(self) -> int:
        value = self.connection.execute("PRAGMA user_version").fetchone()[0]
        return int(value)

    def _configure(self, busy_timeout_ms: int) -> None:
        conn = self.connection
        # PRAGMA values cannot be bound as parameters; these are our own ints.
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            # E.g. a file system without shared memory; SQLite keeps a rollback journal.
            log.warning("%s: journal mode is %s, not WAL", self.path, mode)
        # In WAL mode NORMAL loses no committed data when the app crashes, and
        # skips an fsync per commit (only a power loss can drop the last commits).
        conn.execute("PRAGMA synchronous = NORMAL")

    def _migrate(self, migrations: Sequence[Migration]) -> None:
        version = self.user_version()
        known = len(migrations)
        if version > known:
            raise StorageError(
                f"The chat history {self.path} was written by a newer version of Hearth "
                f"(schema version {version}; this Hearth knows up to {known}). This Hearth is "
                "older than the data: update Hearth to open it.", self.path)
        for target in range(version + 1, known + 1):
            log.info("%s: migrating schema from version %d to %d", self.path, target - 1, target)
            with self.transaction() as conn:
                for statement in migrations[target - 1]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {int(target)}")
