"""Only Hearth's own history is ever written: foreign, damaged and newer files are refused.

Each refusal must happen before any write, so the tests compare the file's
bytes (and the folder's listing: no -wal or -shm appears) before and after.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from desktop_app.core.engine.api import Role, SamplingParams
from desktop_app.core.storage import search_text
from desktop_app.core.storage.chat_store import ChatStore
from desktop_app.core.storage.database import (
    APPLICATION_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    DamagedDatabase,
    Database,
    ForeignDatabase,
    NewerDatabase,
    StorageError,
    inspect_database,
    move_aside,
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hearth.sqlite3"


def _snapshot(path: Path) -> tuple[bytes, list[str]]:
    return path.read_bytes(), sorted(p.name for p in path.parent.iterdir())


def _raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    search_text.register(conn)  # schema 4 fills its search index with it
    return conn


def _hearth_history(path: Path) -> int:
    """A real history with one conversation and two messages; returns the conversation id."""
    store = ChatStore.open(path)
    conversation = store.create_conversation(model_id=None, system_prompt="",
                                             params=SamplingParams())
    store.add_message(conversation.id, Role.USER, "hello " * 2000)
    store.add_message(conversation.id, Role.ASSISTANT, "hi")
    store.close()
    return conversation.id


# ---- foreign files ---------------------------------------------------------------------


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_another_programs_database_is_refused_and_left_byte_identical(
        db_path: Path, journal: str) -> None:
    with closing(_raw(db_path)) as conn:
        conn.execute(f"PRAGMA journal_mode = {journal}")
        conn.execute("CREATE TABLE bookmarks (url TEXT, title TEXT)")
        conn.execute("INSERT INTO bookmarks VALUES ('https://example.org', 'Example')")
    before = _snapshot(db_path)
    with pytest.raises(ForeignDatabase, match="not a Hearth chat history") as info:
        ChatStore.open(db_path)
    assert info.value.path == db_path
    assert "has not changed it" in str(info.value)
    assert _snapshot(db_path) == before


def test_colliding_table_names_are_foreign_not_a_crash(db_path: Path) -> None:
    # Another app's "messages" table: creating ours would fail half-way.
    with closing(_raw(db_path)) as conn:
        conn.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO messages (body) VALUES ('mine')")
    before = _snapshot(db_path)
    with pytest.raises(ForeignDatabase):
        ChatStore.open(db_path)
    assert _snapshot(db_path) == before


def test_hearths_tables_plus_an_extra_one_are_not_recognised(db_path: Path) -> None:
    with closing(_raw(db_path)) as conn:
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("CREATE TABLE extra (x)")
        conn.execute("PRAGMA user_version = 1")
    before = _snapshot(db_path)
    with pytest.raises(ForeignDatabase):
        Database.open(db_path)
    assert _snapshot(db_path) == before


def test_a_database_stamped_by_another_application_is_foreign(db_path: Path) -> None:
    with closing(_raw(db_path)) as conn:
        conn.execute("PRAGMA application_id = 1234")
        conn.execute("CREATE TABLE t (x)")
    before = _snapshot(db_path)
    with pytest.raises(ForeignDatabase):
        Database.open(db_path)
    assert _snapshot(db_path) == before


def test_an_empty_file_and_an_empty_database_are_initialised(tmp_path: Path) -> None:
    empty_file = tmp_path / "empty.sqlite3"
    empty_file.touch()
    empty_db = tmp_path / "empty-db.sqlite3"
    with closing(_raw(empty_db)) as conn:
        conn.execute("PRAGMA user_version = 0")
        conn.execute("VACUUM")  # writes a header: a real, table-less database
    assert empty_db.stat().st_size > 0
    for path in (empty_file, empty_db):
        database = Database.open(path)
        assert database.user_version() == SCHEMA_VERSION
        database.close()


def test_a_folder_at_the_history_path_is_refused(db_path: Path) -> None:
    db_path.mkdir()
    with pytest.raises(ForeignDatabase, match="not a file"):
        Database.open(db_path)


# ---- damaged files ----------------------------------------------------------------------


def test_random_bytes_are_damaged_and_untouched(db_path: Path) -> None:
    db_path.write_bytes(bytes(range(256)) * 64)
    before = _snapshot(db_path)
    with pytest.raises(DamagedDatabase):
        ChatStore.open(db_path)
    assert _snapshot(db_path) == before


def test_a_truncated_history_is_damaged_and_untouched(db_path: Path) -> None:
    _hearth_history(db_path)
    data = db_path.read_bytes()
    db_path.write_bytes(data[:len(data) // 2])
    before = _snapshot(db_path)
    with pytest.raises(DamagedDatabase, match="truncated"):
        ChatStore.open(db_path)
    assert _snapshot(db_path) == before


def test_a_history_with_a_garbled_page_is_damaged(db_path: Path) -> None:
    _hearth_history(db_path)
    with closing(_raw(db_path)) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    assert pages >= 4
    data = bytearray(db_path.read_bytes())
    for page in range(1, pages):  # every page but the header's
        data[page * page_size:(page + 1) * page_size] = b"\xff" * page_size
    db_path.write_bytes(bytes(data))
    before = _snapshot(db_path)
    with pytest.raises(DamagedDatabase, match="damaged"):
        ChatStore.open(db_path)
    assert _snapshot(db_path) == before


# ---- newer and older Hearths ------------------------------------------------------------


def test_a_newer_history_opens_read_only_and_nothing_is_written(db_path: Path) -> None:
    conversation_id = _hearth_history(db_path)
    with closing(_raw(db_path)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = _snapshot(db_path)
    with pytest.raises(NewerDatabase):
        ChatStore.open(db_path)
    store = ChatStore.open(db_path, read_only=True)
    try:
        assert store.read_only
        assert store.mark_interrupted_replies() == 0
        assert [m.content for m in store.messages(conversation_id)][1] == "hi"
        with pytest.raises(StorageError, match="read-only"):
            store.add_message(conversation_id, Role.USER, "not stored")
    finally:
        store.close()
    assert before[0] == db_path.read_bytes()


def test_read_only_needs_an_existing_history(db_path: Path) -> None:
    with pytest.raises(StorageError, match="no chat history"):
        ChatStore.open(db_path, read_only=True)
    assert not db_path.exists()


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_earlier_unstamped_hearth_layouts_are_recognised_and_stamped(
        db_path: Path, version: int) -> None:
    with closing(_raw(db_path)) as conn:
        for step in MIGRATIONS[:version]:
            for statement in step:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {version}")
    assert inspect_database(db_path) == version
    Database.open(db_path).close()
    with closing(_raw(db_path)) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_inspection_of_a_missing_file(db_path: Path) -> None:
    assert inspect_database(db_path) is None
    assert not db_path.exists()


# ---- moving a bad file aside --------------------------------------------------------------


def test_move_aside_takes_the_wal_along_and_a_new_history_starts(db_path: Path) -> None:
    db_path.write_bytes(b"garbage" * 100)
    Path(f"{db_path}-wal").write_bytes(b"stale wal")
    moved = move_aside(db_path, "damaged", now=0)
    assert moved.parent == db_path.parent
    assert re.fullmatch(r"hearth\.damaged-\d{8}-\d{6}\.sqlite3", moved.name)
    assert moved.read_bytes() == b"garbage" * 100
    assert Path(f"{moved}-wal").read_bytes() == b"stale wal"
    assert not db_path.exists()
    assert not Path(f"{db_path}-wal").exists()
    # A second file moved aside in the same second gets its own name.
    db_path.write_bytes(b"more garbage")
    again = move_aside(db_path, "damaged", now=0)
    assert again != moved
    assert again.read_bytes() == b"more garbage"
    store = ChatStore.open(db_path)
    assert store.list_conversations() == []
    store.close()
