"""SIGKILL at random moments while replies stream and while the schema upgrades.

A real child process writes the history (``kill_child.py``) and reports
every write after it committed; the parent kills it at a random moment,
several times, then checks that SQLite's integrity check passes and every
committed write is there. The moments are random (seeded, and printed on
failure); what is asserted never depends on when the kill landed.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from desktop_app.core.storage.chat_store import ChatStore, MessageState
from desktop_app.core.storage.database import SCHEMA_VERSION
from tests.core.storage.test_migrations import make_old_history

REPO_ROOT = Path(__file__).resolve().parents[3]
ROUNDS = 5

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def _start(mode: str, path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.core.storage.kill_child", mode,
                             str(path)], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _kill_after(process: subprocess.Popen[str], first_line: str, delay: float) -> list[str]:
    """Wait for the child's first line, let it run ``delay`` s more, SIGKILL it; its lines."""
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line == first_line, (line, process.stderr.read() if process.stderr else "")
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL  # it was still writing when killed
    lines = out.splitlines()
    if out and not out.endswith("\n"):
        lines.pop()  # cut mid-line by the kill: not a complete report
    return lines


def _integrity(path: Path) -> str:
    """SQLite's integrity check, and FTS5's own check of each search index once it exists."""
    with closing(sqlite3.connect(path)) as conn:
        result = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        for index in ("message_search", "title_search"):
            if index in tables:
                conn.execute(f"INSERT INTO {index} ({index}) VALUES ('integrity-check')")
        return result


def test_killing_while_replies_stream_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "hearth.sqlite3"
    rng = random.Random(9)
    for round_ in range(ROUNDS):
        delay = rng.uniform(0.05, 0.6)
        lines = _kill_after(_start("replies", path), "ready", delay)
        assert _integrity(path) == "ok", (round_, delay)
        messages: dict[int, str] = {}   # id -> the text it must hold at least
        finished: dict[int, str] = {}   # id -> its exact final text
        streaming: set[int] = set()
        for line in lines:
            kind, _, rest = line.partition(" ")
            message_id, _, text = rest.partition(" ")
            if kind == "message":
                messages[int(message_id)] = text
            elif kind == "begin":
                messages[int(message_id)] = ""
                streaming.add(int(message_id))
            elif kind == "checkpoint":
                messages[int(message_id)] = text
            elif kind == "finished":
                finished[int(message_id)] = text
                streaming.discard(int(message_id))
        assert finished, f"round {round_}: killed after {delay:.2f} s before any reply"

        store = ChatStore.open(path)
        try:
            reopen = store.streaming_conversation()
            store.mark_interrupted_replies()
            for message_id, text in messages.items():
                stored = store.get_message(message_id)
                # Checkpoints only grow the text; a write may have landed after the last report.
                assert stored.content.startswith(text.rstrip()), (round_, delay, message_id)
            for message_id, text in finished.items():
                stored = store.get_message(message_id)
                assert (stored.content, stored.state) == (text, MessageState.COMPLETE)
            for message_id in streaming:
                state = store.get_message(message_id).state
                assert state in (MessageState.INTERRUPTED, MessageState.COMPLETE)
                if state == MessageState.INTERRUPTED:
                    assert reopen == store.get_message(message_id).conversation_id
            # The tree is whole: every message's parent exists.
            for conversation in store.list_conversations():
                for message in store.all_messages(conversation.id):
                    if message.parent_id is not None:
                        store.get_message(message.parent_id)
        finally:
            store.close()


def test_killing_during_the_upgrade_leaves_a_whole_history(tmp_path: Path) -> None:
    template = tmp_path / "v3.sqlite3"
    make_old_history(template, 3, conversations=300, turns=25)  # 15,000 messages
    with closing(sqlite3.connect(template)) as conn:
        expected = conn.execute("SELECT id, content FROM messages ORDER BY id").fetchall()
    # How long an upgrade takes here, so the kills spread over all of it.
    timing = tmp_path / "timing.sqlite3"
    shutil.copy(template, timing)
    started = time.monotonic()
    ChatStore.open(timing).close()
    duration = time.monotonic() - started

    rng = random.Random(3)
    path = tmp_path / "hearth.sqlite3"
    versions = set()
    for round_ in range(ROUNDS):
        for leftover in tmp_path.glob("hearth*"):
            leftover.unlink()
        shutil.copy(template, path)
        delay = rng.uniform(0.0, duration * 1.5)
        finished = "done" in _kill_after(_start("migrate", path), "start", delay)
        assert _integrity(path) == "ok", (round_, delay, finished)
        with closing(sqlite3.connect(path)) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            versions.add(version)
            # Each step is its own transaction: a kill leaves the version some step reached.
            assert version == SCHEMA_VERSION if finished else 3 <= version <= SCHEMA_VERSION
            assert conn.execute("SELECT id, content FROM messages ORDER BY id").fetchall() \
                == expected, (round_, delay)
        store = ChatStore.open(path)  # finishes (or redoes) the upgrade
        try:
            assert store.database.user_version() == SCHEMA_VERSION
            assert len(store.messages(1)) == 50
            assert len(store.search("熊猫", limit=20)) == 20
        finally:
            store.close()
    assert versions <= set(range(3, SCHEMA_VERSION + 1))  # every step's own version, no other
