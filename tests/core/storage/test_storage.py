"""The SQLite layer: schema creation, migrations, and environment errors as StorageError."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from desktop_app.core.engine.api import ReplyStats, Role, SamplingParams, StopReason
from desktop_app.core.storage.chat_store import ChatStore, MessageState
from desktop_app.core.storage.database import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    DamagedDatabase,
    Database,
    NewerDatabase,
    StorageError,
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "folder" / "hearth.sqlite3"


@pytest.fixture
def database(db_path: Path) -> Iterator[Database]:
    db = Database.open(db_path)
    yield db
    db.close()


def _raw(path: Path) -> sqlite3.Connection:
    """A plain connection, as another program (or an older Hearth) would open the file."""
    return sqlite3.connect(path, isolation_level=None)


# ---- creation -------------------------------------------------------------------


def test_new_database_is_created_with_the_current_schema(database: Database,
                                                         db_path: Path) -> None:
    assert db_path.is_file()  # parent folders were created
    assert SCHEMA_VERSION == 5
    assert database.user_version() == SCHEMA_VERSION
    conn = database.connection
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    columns = {row["name"] for row in conn.execute("PRAGMA table_info(messages)")}
    assert {"thinking", "stats", "conversation_id", "state", "position", "parent_id"} <= columns
    index_columns = [row["name"] for row in conn.execute(
        "PRAGMA index_info(messages_by_parent)")]
    assert index_columns == ["parent_id"]


def test_reopening_keeps_version_and_data(db_path: Path) -> None:
    store = ChatStore.open(db_path)
    conversation = store.create_conversation(model_id=None, system_prompt="",
                                             params=SamplingParams())
    store.add_message(conversation.id, Role.USER, "kept")
    store.close()
    store = ChatStore.open(db_path)
    try:
        assert [m.content for m in store.messages(conversation.id)] == ["kept"]
    finally:
        store.close()
    with closing(_raw(db_path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_message_query_uses_the_conversation_index(database: Database) -> None:
    plan = " ".join(str(row[3]) for row in database.query(
        "EXPLAIN QUERY PLAN SELECT * FROM messages WHERE conversation_id = ? "
        "ORDER BY position", (1,)))
    assert "messages_by_conversation" in plan
    assert "TEMP B-TREE" not in plan  # no sort step: the index gives the order


# ---- migrations -----------------------------------------------------------------


def _make_v1_database(path: Path) -> None:
    """A database exactly as a Hearth with schema version 1 left it."""
    with closing(_raw(path)) as conn:
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        conn.execute(
            "INSERT INTO conversations (title, model_id, system_prompt, params, created_at, "
            "updated_at) VALUES ('Old chat', 'gemma', 'Be brief.', "
            "'{\"temperature\": 0.3, \"seed\": 7, \"stop\": [\"END\"]}', 100.0, 200.0)")
        conn.execute(
            "INSERT INTO messages (conversation_id, role, content, state, error, created_at) "
            "VALUES (1, 'user', 'Hi from v1', 'complete', '', 150.0), "
            "(1, 'assistant', 'Hello!', 'stopped', '', 160.0)")


def test_v1_database_migrates_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _make_v1_database(path)
    with closing(_raw(path)) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(messages)")}
    assert "thinking" not in columns  # really a v1 file

    store = ChatStore.open(path)
    try:
        conversation = store.get_conversation(1)
        assert conversation.title == "Old chat"
        assert conversation.model_id == "gemma"
        assert conversation.system_prompt == "Be brief."
        assert conversation.params == SamplingParams(temperature=0.3, seed=7, stop=("END",))
        assert (conversation.created_at, conversation.updated_at) == (100.0, 200.0)
        messages = store.messages(1)
        assert [(m.role, m.content, m.state) for m in messages] == [
            (Role.USER, "Hi from v1", MessageState.COMPLETE),
            (Role.ASSISTANT, "Hello!", MessageState.STOPPED),
        ]
        assert all(m.thinking == "" and m.stats is None for m in messages)
        # Positions were numbered in the old order; new messages go after them.
        store.add_message(1, Role.USER, "new")
        assert [m.content for m in store.messages(1)] == ["Hi from v1", "Hello!", "new"]
        # The new columns work on migrated rows.
        stats = ReplyStats(completion_tokens=5, stop_reason=StopReason.END, seed=1)
        store.finish_reply(messages[1].id, "Hello!", thinking="hmm",
                           state=MessageState.COMPLETE, stats=stats)
        assert store.messages(1)[1].stats == stats
    finally:
        store.close()
    with closing(_raw(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        # Stamped as Hearth's from now on.
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def test_failed_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _make_v1_database(path)
    broken = (*MIGRATIONS[:1], ("ALTER TABLE messages ADD COLUMN thinking TEXT",
                                "THIS IS NOT SQL"))
    with pytest.raises(sqlite3.OperationalError, match="syntax error"):
        Database.open(path, migrations=broken)  # a bug, so not a StorageError
    with closing(_raw(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        columns = {row[1] for row in conn.execute("PRAGMA table_info(messages)")}
        assert "thinking" not in columns  # the first statement was rolled back too
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 2


def test_a_migration_another_opener_already_ran_is_skipped(
        db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two openers racing: the second read the old version before the first migrated."""
    Database.open(db_path).close()
    late = Database.open(db_path)
    try:
        monkeypatch.setattr(late, "user_version", lambda: 0)  # what it read before the lock
        late._migrate(MIGRATIONS)  # would re-run CREATE TABLE without the check under the lock
        with closing(_raw(db_path)) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        late.close()


def test_database_from_a_newer_hearth_is_refused(db_path: Path) -> None:
    Database.open(db_path).close()
    with closing(_raw(db_path)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(NewerDatabase, match="newer version of Hearth") as info:
        ChatStore.open(db_path)
    assert (info.value.version, info.value.known) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)
    assert str(db_path) in str(info.value)
    assert "older than the data" in str(info.value)
    with closing(_raw(db_path)) as conn:  # left as it was
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


# ---- environment errors ---------------------------------------------------------


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "hearth.sqlite3"
    path.write_bytes(b"These are my notes, not a database.\n" * 200)
    with pytest.raises(DamagedDatabase, match="not a Hearth chat history") as info:
        ChatStore.open(path)
    assert str(path) in str(info.value)
    assert info.value.path == path
    assert path.read_bytes().startswith(b"These are my notes")  # not overwritten


def test_database_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    path = blocker / "hearth.sqlite3"
    with pytest.raises(StorageError, match="cannot create the folder") as info:
        ChatStore.open(path)
    assert str(path) in str(info.value)


def test_write_to_a_read_only_database(db_path: Path) -> None:
    ChatStore.open(db_path).close()
    # Running as root makes chmod ineffective, so open the file read-only the
    # way SQLite does for a read-only file: the write below really fails in SQLite.
    connection = sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True, isolation_level=None)
    store = ChatStore(Database(connection, db_path))
    try:
        assert store.list_conversations() == []  # reading works
        with pytest.raises(StorageError, match="read-only") as info:
            store.create_conversation(model_id=None, system_prompt="", params=SamplingParams())
        assert str(db_path) in str(info.value)
        assert info.value.sqlite_code == 8  # SQLITE_READONLY
        assert isinstance(info.value.__cause__, sqlite3.OperationalError)
    finally:
        store.close()


def test_database_locked_by_another_program(db_path: Path) -> None:
    store = ChatStore(Database.open(db_path, busy_timeout_ms=50))
    other = _raw(db_path)
    try:
        conversation = store.create_conversation(model_id=None, system_prompt="",
                                                 params=SamplingParams())
        other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        with pytest.raises(StorageError, match="locked by another program") as info:
            store.add_message(conversation.id, Role.USER, "blocked")
        assert str(db_path) in str(info.value)
        other.execute("ROLLBACK")
        # Once the lock is gone the same store works: no transaction was left open.
        store.add_message(conversation.id, Role.USER, "now it works")
        assert [m.content for m in store.messages(conversation.id)] == ["now it works"]
    finally:
        other.close()
        store.close()


def test_disk_full(db_path: Path) -> None:
    store = ChatStore.open(db_path)
    try:
        conversation = store.create_conversation(model_id=None, system_prompt="",
                                                 params=SamplingParams())
        store.add_message(conversation.id, Role.USER, "short")
        # SQLite reports a database that reached max_page_count exactly like a full disk.
        pages = store._db.query("PRAGMA page_count")[0][0]
        store._db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StorageError, match="is full") as info:
            store.add_message(conversation.id, Role.USER, "x" * 200_000)
        assert info.value.sqlite_code == 13  # SQLITE_FULL
        assert [m.content for m in store.messages(conversation.id)] == ["short"]
    finally:
        store.close()


def test_programming_errors_are_not_storage_errors(database: Database) -> None:
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        database.query("SELECT * FROM no_such_table")
    with pytest.raises(sqlite3.IntegrityError):
        database.execute("INSERT INTO messages (conversation_id, role, created_at) "
                         "VALUES (12345, 'user', 0)")  # foreign key enforced


def test_transaction_rolls_back_on_error(database: Database) -> None:
    def insert_then_fail() -> None:
        with database.transaction() as conn:
            conn.execute("INSERT INTO conversations (created_at, updated_at) VALUES (1, 1)")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        insert_then_fail()
    assert database.query("SELECT count(*) FROM conversations")[0][0] == 0
    assert not database.connection.in_transaction
