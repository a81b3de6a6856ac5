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
leaves the database at the previous version, never half-migrated. Before the
first step a copy of the file is taken (:func:`backup_path_for`) and kept
until the next start that needs no upgrade.

Nothing is written to a file before it is known to be Hearth's. An SQLite
file carries a 32-bit ``application_id`` in its header; Hearth stamps
:data:`APPLICATION_ID`. Versions before the stamp wrote none, so a file
without it counts as Hearth's only when its tables and columns are exactly
those of one of our schema versions (and is stamped when first opened).
Anything else (another program's database, random bytes, a truncated or
damaged file, a newer schema) raises a :class:`DatabaseProblem` subclass
before any write, switching to WAL included; the UI offers what to do.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import struct
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_app.core.storage import search_text

log = logging.getLogger(__name__)

Parameters = Sequence[Any] | Mapping[str, Any]
"""Values bound to a statement's ``?`` (a sequence) or ``:name`` (a mapping) placeholders."""

Migration = tuple[str, ...]
"""The SQL statements of one schema step, run in one transaction."""

_INDEXED = search_text.SQL_FUNCTION
# Contentless: the index keeps no copy of the (rewritten, so larger) text; the
# messages table has the text. Removing a row's terms then takes FTS5's
# 'delete' command with the indexed text, which the same function recomputes
# from the old value. A change to search_text.index_text therefore needs a
# migration that rebuilds the index.
FTS_OPTIONS = "content = '', tokenize = 'unicode61 remove_diacritics 2'"


def search_triggers(index: str, table: str, column: str) -> tuple[str, ...]:
    """Triggers keeping the full-text ``index`` in step with ``table.column``."""
    remove = (f"INSERT INTO {index} ({index}, rowid, body) "
              f"VALUES ('delete', old.id, {_INDEXED}(old.{column}));")
    add = f"INSERT INTO {index} (rowid, body) VALUES (new.id, {_INDEXED}(new.{column}));"
    return (
        f"CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {index}_update AFTER UPDATE OF {column} ON {table} "
        f"WHEN old.{column} IS NOT new.{column} BEGIN {remove} {add} END",
        f"CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN {remove} END",
    )


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
    # 2 -> 3: a message's place in its conversation. "Everything after this
    # message" (Regenerate) is defined by it, never by the global ids.
    (
        "ALTER TABLE messages ADD COLUMN position INTEGER NOT NULL DEFAULT 0",
        """UPDATE messages SET position = (
            SELECT count(*) FROM messages AS earlier
            WHERE earlier.conversation_id = messages.conversation_id
              AND earlier.id < messages.id)""",
        "DROP INDEX messages_by_conversation",
        "CREATE UNIQUE INDEX messages_by_position ON messages (conversation_id, position)",
    ),
    # 3 -> 4: messages form a tree (edit and regenerate add branches, nothing is
    # overwritten), full-text search, pinned conversations and folders.
    # ``position`` becomes the depth in the tree, so siblings share it.
    # ``current_message_id`` is the tip of the path the chat shows; it has no
    # foreign key because a deleted tip is replaced in the same transaction.
    # The search index holds text rewritten by search_text.index_text, kept
    # up to date by triggers (see search_text's docstring for why).
    (
        "ALTER TABLE messages ADD COLUMN parent_id INTEGER "
        "REFERENCES messages (id) ON DELETE CASCADE",
        """UPDATE messages SET parent_id = (
            SELECT p.id FROM messages AS p
            WHERE p.conversation_id = messages.conversation_id
              AND p.position = messages.position - 1)""",
        "DROP INDEX messages_by_position",
        "CREATE INDEX messages_by_conversation ON messages (conversation_id, position)",
        # The cascade and "children of" go through this.
        "CREATE INDEX messages_by_parent ON messages (parent_id)",
        "ALTER TABLE conversations ADD COLUMN current_message_id INTEGER",
        """UPDATE conversations SET current_message_id = (
            SELECT m.id FROM messages AS m WHERE m.conversation_id = conversations.id
            ORDER BY m.position DESC LIMIT 1)""",
        "ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE conversations ADD COLUMN folder TEXT NOT NULL DEFAULT ''",
        f"CREATE VIRTUAL TABLE message_search USING fts5(body, {FTS_OPTIONS})",
        f"CREATE VIRTUAL TABLE title_search USING fts5(body, {FTS_OPTIONS})",
        f"INSERT INTO message_search (rowid, body) SELECT id, {_INDEXED}(content) FROM messages",
        f"INSERT INTO title_search (rowid, body) SELECT id, {_INDEXED}(title) FROM conversations",
        *search_triggers("message_search", "messages", "content"),
        *search_triggers("title_search", "conversations", "title"),
    ),
    # 4 -> 5: the tool calls a reply made, as the JSON list its cards show
    # (name, source, arguments, status, result); '' for every other message.
    (
        "ALTER TABLE messages ADD COLUMN tool_calls TEXT NOT NULL DEFAULT ''",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema this build writes; a database with a higher version is refused."""

APPLICATION_ID = 0x48727468
"""``PRAGMA application_id`` of a Hearth history ("Hrth"); see the module docstring."""

DEFAULT_BUSY_TIMEOUT_MS = 5000

_SQLITE_MAGIC = b"SQLite format 3\x00"
_SIDE_FILES = ("-wal", "-shm", "-journal")
"""Files SQLite keeps beside a database; they belong to it and move with it."""

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


class DatabaseProblem(StorageError):
    """The file at the history's path is not a history this Hearth may write.

    Raised before anything was written to it. The UI offers to move it aside
    (:func:`move_aside`) or to quit.
    """


class ForeignDatabase(DatabaseProblem):
    """Another program's SQLite database sits where Hearth keeps its history."""


class DamagedDatabase(DatabaseProblem):
    """The history is damaged (truncated, overwritten, failing SQLite's checks)."""


class NewerDatabase(DatabaseProblem):
    """A newer Hearth wrote the history; this one can open it read-only."""

    def __init__(self, message: str, path: Path, version: int, known: int) -> None:
        super().__init__(message, path)
        self.version = version
        self.known = known


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
        self.read_only = False
        """True when opened with ``read_only``: every write fails with SQLITE_READONLY."""
        self.backup_path: Path | None = None
        """The copy taken before this open upgraded the schema (see :func:`backup_path_for`)."""
        connection.row_factory = sqlite3.Row
        search_text.register(connection)  # the search index's triggers call it

    @classmethod
    def open(cls, path: Path, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
             migrations: Sequence[Migration] = MIGRATIONS, read_only: bool = False) -> Database:
        """Open (creating if needed) the history at ``path`` and bring its schema up to date.

        Raises a :class:`DatabaseProblem` subclass when the file is not a
        history this Hearth may write (nothing was written to it then), and
        :class:`StorageError` when the file or folder can't be used.
        ``read_only`` opens an existing history without writing anything,
        not even the schema upgrade; a newer history is accepted then.
        """
        path = Path(path)
        if read_only:
            version = inspect_database(path, migrations, allow_newer=True)
            if version is None:
                raise StorageError(f"There is no chat history at {path} to open.", path)
            return cls._connect(path, busy_timeout_ms, read_only=True)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"Hearth cannot create the folder for its chat history {path}: "
                f"{exc.strerror or exc}.", path) from exc
        found = inspect_database(path, migrations)
        database = cls._connect(path, busy_timeout_ms, read_only=False)
        try:
            with database.errors():
                if found is not None and 0 < found < len(migrations):
                    database.backup_path = database._back_up(found)
                database._configure()
                database._migrate(migrations)
        except BaseException:
            database.connection.close()
            raise
        if found == len(migrations):
            remove_backups(path)  # the start after an upgrade worked: its backup can go
        return database

    @classmethod
    def _connect(cls, path: Path, busy_timeout_ms: int, *, read_only: bool) -> Database:
        try:
            if read_only:
                connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                             isolation_level=None)
            else:
                # isolation_level=None: autocommit; transactions are explicit (see transaction()).
                connection = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            error = storage_error_for(exc, path)
            if error is None:
                raise
            raise error from exc
        database = cls(connection, path)
        database.read_only = read_only
        try:
            with database.errors():
                # PRAGMA values cannot be bound as parameters; these are our own ints.
                connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
                connection.execute("PRAGMA foreign_keys = ON")
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

    def _configure(self) -> None:
        conn = self.connection
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            # E.g. a file system without shared memory; SQLite keeps a rollback journal.
            log.warning("%s: journal mode is %s, not WAL", self.path, mode)
        # In WAL mode NORMAL loses no committed data when the app crashes, and
        # skips an fsync per commit (only a power loss can drop the last commits).
        conn.execute("PRAGMA synchronous = NORMAL")

    def _back_up(self, version: int) -> Path:
        """Copy the history, as it is before an upgrade, beside it; returns the copy's path.

        SQLite's backup API copies a consistent snapshot (WAL content
        included). The copy is written under a temporary name and renamed, so
        a crash mid-copy never leaves a half copy under the backup's name.
        """
        target = backup_path_for(self.path, version)
        partial = target.with_name(target.name + ".partial")
        try:
            for leftover in (partial, Path(f"{partial}-journal")):
                leftover.unlink(missing_ok=True)
            with closing(sqlite3.connect(partial, isolation_level=None)) as copy:
                self.connection.backup(copy)
            os.replace(partial, target)
        except OSError as exc:
            raise StorageError(
                f"Hearth could not back up its chat history {self.path} to {target} before "
                f"upgrading it: {exc.strerror or exc}. Nothing was changed.", self.path) from exc
        log.info("%s: backed up to %s before upgrading from schema version %d",
                 self.path, target, version)
        return target

    def _migrate(self, migrations: Sequence[Migration]) -> None:
        version = self.user_version()
        known = len(migrations)
        if version > known:  # inspect_database() checked; another process may have since
            raise _newer(self.path, version, known)
        stamped = self.connection.execute("PRAGMA application_id").fetchone()[0]
        if stamped != APPLICATION_ID:
            # A new file, or one from a Hearth that did not stamp (see the module docstring).
            with self.transaction() as conn:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        for target in range(version + 1, known + 1):
            log.info("%s: migrating schema from version %d to %d", self.path, target - 1, target)
            with self.transaction() as conn:
                # Read again under the write lock: another thread or process opening
                # the same file at the same time may have run this step already.
                if int(conn.execute("PRAGMA user_version").fetchone()[0]) >= target:
                    continue
                for statement in migrations[target - 1]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {int(target)}")


def backup_path_for(path: Path, version: int) -> Path:
    """Where the copy of ``path`` taken before upgrading it from ``version`` is kept.

    E.g. ``hearth.backup-v3.sqlite3``. It stays until the next start that
    opens the history without upgrading it (:func:`remove_backups`), so a
    user who finds the upgraded history wrong still has the old one.
    """
    path = Path(path)
    return path.with_name(f"{path.stem}.backup-v{int(version)}{path.suffix}")


def remove_backups(path: Path) -> None:
    """Delete the pre-upgrade copies of ``path``; a copy that can't be deleted is left."""
    path = Path(path)
    for backup in path.parent.glob(f"{path.stem}.backup-v*{path.suffix}"):
        try:
            backup.unlink()
            log.info("removed the pre-upgrade backup %s", backup)
        except OSError as exc:
            log.warning("could not remove %s: %s", backup, exc)


# ---- telling Hearth's history from other files ---------------------------------------


@dataclass(frozen=True)
class _Header:
    """The fields of an SQLite file header (https://sqlite.org/fileformat.html) we check."""

    page_size: int
    page_count: int | None  # None when the header's count is not trustworthy
    user_version: int
    application_id: int


def _read_header(path: Path) -> _Header | None:
    """The header, None for an empty file; DamagedDatabase if it is no SQLite header."""
    try:
        with open(path, "rb") as stream:
            header = stream.read(100)
    except OSError as exc:
        raise StorageError(f"Hearth cannot read its chat history {path}: "
                           f"{exc.strerror or exc}.", path) from exc
    if not header:
        return None
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        raise DamagedDatabase(
            f"The file {path} is not a Hearth chat history: it is not an SQLite database, or "
            "it is damaged.", path)
    (raw_page_size,) = struct.unpack_from(">H", header, 16)
    page_size = 65536 if raw_page_size == 1 else raw_page_size
    change_counter, page_count = struct.unpack_from(">II", header, 24)
    (valid_for,) = struct.unpack_from(">I", header, 92)
    user_version, application_id = struct.unpack_from(">iI", header, 60)
    # The in-header size is only kept up to date by SQLite 3.7.0 and later, which
    # says so by matching the two counters (fileformat.html, "in-header database size").
    trusted = page_count > 0 and valid_for == change_counter
    return _Header(page_size, page_count if trusted else None, user_version, application_id)


def inspect_database(path: Path, migrations: Sequence[Migration] = MIGRATIONS, *,
                     allow_newer: bool = False) -> int | None:
    """Check, without writing, that ``path`` is a history this Hearth may open.

    Returns the schema version found (0 for a database with no tables), or
    None when there is no file or it is empty. Raises
    :class:`ForeignDatabase`, :class:`DamagedDatabase` or (unless
    ``allow_newer``) :class:`NewerDatabase`.
    """
    path = Path(path)
    if not path.is_file():
        if path.exists():
            raise ForeignDatabase(f"{path} is not a file, so Hearth cannot keep its chat "
                                  "history there.", path)
        return None
    header = _read_header(path)
    if header is None:
        return None
    if header.application_id not in (0, APPLICATION_ID):
        raise _foreign(path)
    if header.page_count is not None and \
            path.stat().st_size < header.page_count * header.page_size:
        raise _damaged(path, "the file is shorter than its header says (truncated)")
    # immutable=1 reads the file alone, creating no -wal/-shm beside another
    # program's file; with a -wal present the truth includes it, so read it too.
    immutable = not Path(f"{path}-wal").exists()
    uri = f"{path.resolve().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")
    try:
        with closing(sqlite3.connect(uri, uri=True, isolation_level=None)) as conn:
            application_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            signature = _schema_signature(conn)
            if application_id != APPLICATION_ID:
                if application_id != 0:
                    raise _foreign(path)
                if not signature and version == 0:
                    return 0  # an empty database: ours to initialise
                if not 1 <= version <= len(migrations) or \
                        signature != _known_signature(tuple(migrations[:version])):
                    raise _foreign(path)
            elif version > len(migrations):
                if not allow_newer:
                    raise _newer(path, version, len(migrations))
                return version
            problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
            if problems != ["ok"]:
                raise _damaged(path, "; ".join(str(p) for p in problems))
            return version
    except sqlite3.Error as exc:
        error = storage_error_for(exc, path)
        if error is None:
            raise
        if error.sqlite_code in (_CORRUPT, _NOTADB):
            raise _damaged(path, str(exc)) from exc
        raise error from exc


Signature = tuple[tuple[Any, ...], ...]


def _schema_signature(conn: sqlite3.Connection) -> Signature:
    """Tables, their columns and indexes, compared by structure rather than SQL text."""
    rows: list[tuple[Any, ...]] = []
    objects = conn.execute(
        "SELECT type, name, tbl_name FROM sqlite_master "
        "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()
    for kind, name, table in objects:
        rows.append((kind, name, table))
        if kind == "table":
            rows.extend(("column", name, *col[1:]) for col in
                        conn.execute("SELECT * FROM pragma_table_info(?)", (name,)))
        elif kind == "index":
            rows.extend(("indexed", name, *col) for col in
                        conn.execute("SELECT * FROM pragma_index_info(?)", (name,)))
    return tuple(rows)


_signatures: dict[tuple[Migration, ...], Signature] = {}


def _known_signature(migrations: tuple[Migration, ...]) -> Signature:
    """The schema these migrations build, built once in memory."""
    if migrations not in _signatures:
        with closing(sqlite3.connect(":memory:", isolation_level=None)) as conn:
            search_text.register(conn)
            for step in migrations:
                for statement in step:
                    conn.execute(statement)
            _signatures[migrations] = _schema_signature(conn)
    return _signatures[migrations]


def _foreign(path: Path) -> ForeignDatabase:
    return ForeignDatabase(
        f"The file {path} is an SQLite database, but not a Hearth chat history (another "
        "program's, or one Hearth does not know). Hearth has not changed it.", path)


def _damaged(path: Path, detail: str) -> DamagedDatabase:
    return DamagedDatabase(
        f"The chat history {path} is damaged ({detail}). Hearth has not changed it.", path)


def _newer(path: Path, version: int, known: int) -> NewerDatabase:
    return NewerDatabase(
        f"The chat history {path} was written by a newer version of Hearth (schema version "
        f"{version}; this Hearth knows up to {known}). This Hearth is older than the data: "
        "update Hearth to open it.", path, version, known)


def move_aside(path: Path, reason: str, *, now: float | None = None) -> Path:
    """Rename the file at ``path`` (and SQLite's files beside it) out of Hearth's way.

    The new name is next to it and says why and when, e.g.
    ``hearth.damaged-20261130-203442.sqlite3``; returns it. Raises
    StorageError if the rename fails.
    """
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    for n in range(1, 1000):
        extra = "" if n == 1 else f"-{n}"
        target = path.with_name(f"{path.stem}.{reason}-{stamp}{extra}{path.suffix}")
        if not any(Path(f"{target}{side}").exists() for side in ("", *_SIDE_FILES)):
            break
    else:
        raise StorageError(f"Hearth found no free name to move {path} aside.", path)
    try:
        os.rename(path, target)
        # A -wal left beside a new file would be replayed into it: move it along.
        for side in _SIDE_FILES:
            if Path(f"{path}{side}").exists():
                os.rename(f"{path}{side}", f"{target}{side}")
    except OSError as exc:
        raise StorageError(f"Hearth could not move {path} aside: {exc.strerror or exc}.",
                           path) from exc
    log.warning("moved %s aside to %s", path, target)
    return target
