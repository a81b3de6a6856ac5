"""Upgrading a history from every earlier schema version, with the backup taken first."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from desktop_app.core.engine.api import Role
from desktop_app.core.storage import search_text
from desktop_app.core.storage.chat_store import ChatStore
from desktop_app.core.storage.database import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Database,
    backup_path_for,
)


def make_old_history(path: Path, version: int, conversations: int = 2,
                     turns: int = 3) -> None:
    """A history exactly as a Hearth with schema ``version`` left it, with messages."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        search_text.register(conn)  # schema 4 fills its search index with it
        for step in MIGRATIONS[:version]:
            for statement in step:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("BEGIN")
        for c in range(1, conversations + 1):
            conn.execute("INSERT INTO conversations (id, title, params, created_at, updated_at) "
                         "VALUES (?, ?, '{}', 1.0, 2.0)", (c, f"Chat {c} 长城"))
            parent: int | None = None
            for n in range(turns * 2):
                role = "user" if n % 2 == 0 else "assistant"
                columns, values = "conversation_id, role, content, created_at", [
                    c, role, f"c{c} message {n} 熊猫", 1.0 + n]
                if version >= 3:
                    columns += ", position"
                    values.append(n)
                if version >= 4:  # a tree: each message's parent is the one before
                    columns += ", parent_id"
                    values.append(parent)
                marks = ", ".join("?" for _ in values)
                parent = conn.execute(f"INSERT INTO messages ({columns}) VALUES ({marks})",
                                      values).lastrowid
            if version >= 4:
                conn.execute("UPDATE conversations SET current_message_id = ? WHERE id = ?",
                             (parent, c))
        conn.execute("COMMIT")


def _dump(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as conn:
        return list(conn.iterdump())


def _pragma(path: Path, name: str) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute(f"PRAGMA {name}").fetchone()[0])


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_every_earlier_schema_upgrades_with_a_backup(tmp_path: Path, version: int) -> None:
    path = tmp_path / "hearth.sqlite3"
    make_old_history(path, version)
    original = _dump(path)

    store = ChatStore.open(path)
    try:
        backup = backup_path_for(path, version)
        assert store.database.backup_path == backup
        assert _dump(backup) == original  # the history as it was, every row and table
        assert _pragma(backup, "user_version") == version
        for c in (1, 2):
            shown = store.messages(c)
            assert [m.content for m in shown] == [f"c{c} message {n} 熊猫" for n in range(6)]
            assert [m.role for m in shown] == [Role.USER, Role.ASSISTANT] * 3
            assert [m.parent_id for m in shown] == [None, *(m.id for m in shown[:-1])]
        # Old messages are in the new search index; new branches work on old rows.
        assert len(store.search("熊猫", limit=100)) == 12
        assert [h.message_id for h in store.search("长城")] == [None, None]  # the titles
        last = store.messages(1)[-1]
        sibling = store.begin_reply(1, parent_id=last.parent_id)
        assert store.siblings(last.id) == [last.id, sibling.id]
        assert store.database.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        store.close()

    # Kept through the first start after the upgrade, gone after the next good one.
    assert backup.exists()
    Database.open(path).close()
    assert not backup.exists()


def test_a_failed_upgrade_keeps_the_backup_and_the_old_version(tmp_path: Path) -> None:
    path = tmp_path / "hearth.sqlite3"
    make_old_history(path, 3)
    broken = (*MIGRATIONS[:3], (*MIGRATIONS[3][:4], "THIS IS NOT SQL"))
    with pytest.raises(sqlite3.OperationalError):
        Database.open(path, migrations=broken)
    assert backup_path_for(path, 3).exists()
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
        columns = {row[1] for row in conn.execute("PRAGMA table_info(messages)")}
        assert "parent_id" not in columns
    store = ChatStore.open(path)  # the real upgrade still works afterwards
    try:
        assert len(store.messages(1)) == 6
    finally:
        store.close()


def test_a_new_history_takes_no_backup(tmp_path: Path) -> None:
    path = tmp_path / "hearth.sqlite3"
    database = Database.open(path)
    database.close()
    assert database.backup_path is None
    assert list(tmp_path.glob("*.backup-*")) == []
