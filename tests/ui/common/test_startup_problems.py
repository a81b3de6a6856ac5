"""Startup dialogs: a bad history, a newer one, an unwritable folder. Never a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import Role, SamplingParams
from desktop_app.core.paths import AppPaths, DataFolderUnwritable
from desktop_app.core.storage.chat_store import ChatStore
from desktop_app.core.storage.database import (
    SCHEMA_VERSION,
    DamagedDatabase,
    DatabaseProblem,
    ForeignDatabase,
    NewerDatabase,
)
from desktop_app.ui.app import build_app
from desktop_app.ui.common.startup_problems import (
    Choice,
    StartupDialogs,
    bad_database_box,
    newer_database_box,
    open_history,
    unwritable_box,
)
from tests.ui.fake_engine import FakeEngine

REPO_ROOT = Path(__file__).resolve().parents[3]


class ScriptedDialogs(StartupDialogs):
    """Answers each question with the next scripted choice and records what was shown."""

    def __init__(self, *answers: Choice) -> None:
        self.answers = list(answers)
        self.asked: list[DatabaseProblem] = []
        self.told: list[str] = []

    def bad_database(self, problem: DatabaseProblem) -> Choice:
        self.asked.append(problem)
        return self.answers.pop(0)

    def newer_database(self, problem: NewerDatabase) -> Choice:
        self.asked.append(problem)
        return self.answers.pop(0)

    def tell(self, box: QMessageBox) -> None:
        self.told.append(box.text())
        box.deleteLater()


def _foreign(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, body TEXT)")
        conn.commit()
    return path.read_bytes()


def _newer(path: Path) -> int:
    store = ChatStore.open(path)
    conversation = store.create_conversation(model_id=None, system_prompt="",
                                             params=SamplingParams())
    store.add_message(conversation.id, Role.USER, "from the future")
    store.close()
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    return conversation.id


def _click_when_shown(qtbot: QtBot, text: str) -> None:
    """Press the button labelled ``text`` on the modal box once it is open."""
    def click() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        button = next(b for b in box.buttons() if b.text() == text)
        button.click()
    QTimer.singleShot(0, click)


# ---- the dialogs themselves -------------------------------------------------------------


def test_bad_database_dialog_offers_move_aside_or_quit(qtbot: QtBot, tmp_path: Path) -> None:
    problem = DamagedDatabase("The chat history x is damaged.", tmp_path / "hearth.sqlite3")
    box = bad_database_box(problem)
    qtbot.addWidget(box)
    assert "damaged" in box.text()
    assert str(tmp_path) in box.informativeText()  # where the file stays
    assert sorted(b.text() for b in box.buttons()) == [
        "Move it aside and start a new history", "Quit"]
    _click_when_shown(qtbot, "Move it aside and start a new history")
    assert StartupDialogs().bad_database(problem) is Choice.MOVE_ASIDE
    _click_when_shown(qtbot, "Quit")
    assert StartupDialogs().bad_database(problem) is Choice.QUIT


def test_newer_database_dialog_offers_read_only(qtbot: QtBot, tmp_path: Path) -> None:
    problem = NewerDatabase("newer", tmp_path / "hearth.sqlite3", SCHEMA_VERSION + 1,
                            SCHEMA_VERSION)
    box = newer_database_box(problem)
    qtbot.addWidget(box)
    assert f"schema version {SCHEMA_VERSION + 1}" in box.informativeText()
    _click_when_shown(qtbot, "Open read-only")
    assert StartupDialogs().newer_database(problem) is Choice.READ_ONLY


def test_unwritable_folder_dialog_says_which_why_and_how(qtbot: QtBot, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DataFolderUnwritable) as info:
        AppPaths.from_environment({"HEARTH_HOME": str(blocker / "home")}).ensure()
    box = unwritable_box(info.value)
    qtbot.addWidget(box)
    text = box.informativeText()
    assert str(blocker / "home" / "config") in text
    assert "a file is in the way" in text
    assert "HEARTH_HOME" in text


# ---- open_history: the choices carried out ---------------------------------------------


def test_foreign_file_moved_aside_on_request(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "hearth.sqlite3"
    original = _foreign(path)
    dialogs = ScriptedDialogs(Choice.MOVE_ASIDE)
    store, notices = open_history(path, dialogs)
    assert store is not None
    try:
        assert store.list_conversations() == []
    finally:
        store.close()
    assert isinstance(dialogs.asked[0], ForeignDatabase)
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("hearth.not-hearth-")]
    assert len(kept) == 1
    assert kept[0].read_bytes() == original  # moved, not changed
    assert str(kept[0]) in notices[0]


def test_quit_leaves_the_foreign_file_untouched(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "hearth.sqlite3"
    original = _foreign(path)
    store, _ = open_history(path, ScriptedDialogs(Choice.QUIT))
    assert store is None
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hearth.sqlite3"]


def test_damaged_file_moved_aside(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "hearth.sqlite3"
    path.write_bytes(b"\x00garbage" * 500)
    dialogs = ScriptedDialogs(Choice.MOVE_ASIDE)
    store, _ = open_history(path, dialogs)
    assert store is not None
    store.close()
    assert isinstance(dialogs.asked[0], DamagedDatabase)
    assert any(p.name.startswith("hearth.damaged-") for p in tmp_path.iterdir())


def test_newer_history_quit(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "hearth.sqlite3"
    _newer(path)
    before = path.read_bytes()
    store, _ = open_history(path, ScriptedDialogs(Choice.QUIT))
    assert store is None
    assert path.read_bytes() == before


@pytest.mark.usefixtures("registered_demo")
def test_newer_history_runs_read_only_and_writes_nothing(qtbot: QtBot,
                                                         app_paths: AppPaths) -> None:
    path = app_paths.database_path
    conversation_id = _newer(path)
    before = path.read_bytes()
    settings_before = app_paths.settings_path.read_bytes()
    store, _ = open_history(path, ScriptedDialogs(Choice.READ_ONLY))
    assert store is not None
    assert store.read_only
    hearth = build_app(app_paths, engine_factory=FakeEngine, store=store)
    qtbot.addWidget(hearth.window)
    hearth.window.show()
    hearth.start()
    try:
        assert not hearth.window.composer.isEnabled()
        assert hearth.window.banner.isVisible()
        assert "read-only" in hearth.window.banner.label.text()
        hearth.chat.open_conversation(conversation_id)
        assert [i.content for i in hearth.window.chat_view.model().items()] == [
            "from the future"]
        with qtbot.waitSignal(hearth.chat.error_occurred) as blocked:
            assert not hearth.chat.send("hello?")
        assert "read-only" in blocked.args[0]
        hearth.chat.rename_conversation(conversation_id, "renamed")
        hearth.chat.delete_conversation(conversation_id)
        assert hearth.store.get_conversation(conversation_id).title == "from the future"
        # Let start-up jobs (memory, demo) report before the window goes away.
        qtbot.waitUntil(lambda: not hearth.jobs._relays, timeout=10_000)
    finally:
        hearth.shutdown()
    assert path.read_bytes() == before
    assert app_paths.settings_path.read_bytes() == settings_before


# ---- main() end to end: a dialog and exit code 1, never a traceback --------------------

_MAIN_TELLING = """
import sys
from desktop_app.ui import app
from desktop_app.ui.common import startup_problems

def tell(self, box):
    print("DIALOG", box.text(), box.informativeText().replace("\\n", " "), flush=True)

if __name__ == "__main__":
    startup_problems.StartupDialogs.tell = tell
    sys.exit(app.main([]))
"""


@pytest.mark.parametrize("blocked", ["home", "logs"])
def test_main_with_an_unwritable_data_folder_shows_a_dialog(tmp_path: Path, blocked: str) -> None:
    if blocked == "home":
        (tmp_path / "file").write_text("x")
        home = tmp_path / "file" / "hearth"
        folder = home / "config"
    else:
        home = tmp_path / "hearth"
        home.mkdir()
        (home / "logs").write_text("a file where the log folder goes")
        folder = home / "logs"
    env = {**os.environ, "HEARTH_HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run([sys.executable, "-c", _MAIN_TELLING], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith("DIALOG Hearth cannot write to its data folder.")
    assert f"Folder: {folder}" in result.stdout
    assert "HEARTH_HOME" in result.stdout
