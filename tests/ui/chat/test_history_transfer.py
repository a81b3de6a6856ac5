"""Import and export from the window: File menu, sidebar, errors in the banner; Ctrl+K."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import Role, SamplingParams
from desktop_app.ui.app import HearthApp
from desktop_app.ui.chat.search_dialog import SearchDialog
from tests.ui.conftest import AppFactory

CHATGPT_SAMPLE = Path(__file__).parents[2] / "core" / "storage" / "data" / \
    "chatgpt_conversations.json"


def _conversation(hearth: HearthApp) -> int:
    conversation = hearth.store.create_conversation(model_id=None, system_prompt="",
                                                    params=SamplingParams())
    hearth.store.add_message(conversation.id, Role.USER, "Export me")
    hearth.chat.conversations_changed.emit()
    return conversation.id


def test_export_from_the_file_dialog(qtbot: QtBot, make_app: AppFactory, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    hearth = make_app()
    conversation_id = _conversation(hearth)
    target = tmp_path / "out.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(target), "Hearth JSON, everything (*.json)"))
    hearth.window.export_all_action.trigger()
    data = json.loads(target.read_text(encoding="utf-8"))
    assert [c["id"] for c in data["conversations"]] == [conversation_id]


def test_import_from_the_file_menu_lists_the_new_conversations(
        qtbot: QtBot, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    hearth = make_app()
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(CHATGPT_SAMPLE), ""))
    hearth.window.import_action.trigger()
    model = hearth.window.conversations
    titles = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert "长城旅游建议" in titles
    assert "Sourdough starter help" in titles


def test_a_bad_import_is_said_in_the_banner_and_imports_nothing(
        qtbot: QtBot, make_app: AppFactory, tmp_path: Path) -> None:
    hearth = make_app()
    bad = tmp_path / "conversations.json"
    bad.write_text("[{\"mapping\": 5}]", encoding="utf-8")
    with qtbot.waitSignal(hearth.chat.error_occurred, timeout=1000) as signal:
        assert hearth.chat.import_history(bad) == []
    assert "nothing was" in signal.args[0]
    assert hearth.store.list_conversations() == []


def test_an_export_that_cannot_be_written_is_said(qtbot: QtBot, make_app: AppFactory,
                                                  tmp_path: Path) -> None:
    hearth = make_app()
    conversation_id = _conversation(hearth)
    with qtbot.waitSignal(hearth.chat.error_occurred, timeout=1000) as signal:
        assert not hearth.chat.export_history([conversation_id], tmp_path / "no" / "x.md", "md")
    assert "export" in signal.args[0]


def test_ctrl_k_opens_the_search(qtbot: QtBot, make_app: AppFactory) -> None:
    hearth = make_app()
    assert hearth.window.search_action.shortcut() == QKeySequence("Ctrl+K")
    hearth.window.search_action.trigger()
    dialogs = [w for w in hearth.window.findChildren(SearchDialog) if w.isVisible()]
    assert len(dialogs) == 1
    dialogs[0].close()
