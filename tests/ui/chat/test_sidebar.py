"""The sidebar: sections by date with pinned and folders, inline rename, delete and Undo."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import Role, SamplingParams
from desktop_app.core.storage.chat_store import ChatStore
from desktop_app.ui.app import HearthApp
from desktop_app.ui.chat.conversation_list import (
    ConversationListModel,
    DateGroup,
    ListRole,
    date_group,
)
from tests.ui.conftest import AppFactory

NOON = datetime(2026, 11, 30, 12, 0).timestamp()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChatStore]:
    chat_store = ChatStore.open(tmp_path / "hearth.sqlite3")
    yield chat_store
    chat_store.close()


def _chat(store: ChatStore, title: str, updated: float) -> int:
    conversation = store.create_conversation(model_id=None, system_prompt="",
                                             params=SamplingParams())
    store.add_message(conversation.id, Role.USER, title)
    store.database.execute("UPDATE conversations SET updated_at = ? WHERE id = ?",
                           (updated, conversation.id))
    return conversation.id


@pytest.mark.parametrize(("delta", "group"), [
    (timedelta(hours=-11, minutes=-59), DateGroup.TODAY),
    (timedelta(hours=-12, minutes=-1), DateGroup.YESTERDAY),
    (timedelta(days=-1, hours=-12), DateGroup.YESTERDAY),
    (timedelta(days=-2), DateGroup.PREVIOUS_7_DAYS),
    (timedelta(days=-6, hours=-12), DateGroup.PREVIOUS_7_DAYS),
    (timedelta(days=-8), DateGroup.OLDER),
])
def test_date_groups_follow_calendar_days(delta: timedelta, group: DateGroup) -> None:
    when = datetime.fromtimestamp(NOON) + delta
    assert date_group(when.timestamp(), NOON) == group


def test_sections_pinned_folders_then_dates(qtmodeltester: ModelTester,
                                            store: ChatStore) -> None:
    day = 86400
    today = _chat(store, "today", NOON - 60)
    yesterday = _chat(store, "yesterday", NOON - day)
    week = _chat(store, "this week", NOON - 3 * day)
    old = _chat(store, "old", NOON - 40 * day)
    pinned = _chat(store, "pinned", NOON - 50 * day)
    filed = _chat(store, "filed", NOON - 10)
    store.set_pinned(pinned, True)
    store.set_folder(filed, "Work")
    model = ConversationListModel(store, clock=lambda: NOON)
    model.refresh()
    qtmodeltester.check(model)
    shown = [(model.index(r, 0).data(), model.index(r, 0).data(ListRole.CONVERSATION_ID))
             for r in range(model.rowCount())]
    assert shown == [
        ("Pinned", 0), ("pinned", pinned), ("Work", 0), ("filed", filed),
        ("Today", 0), ("today", today), ("Yesterday", 0), ("yesterday", yesterday),
        ("Previous 7 days", 0), ("this week", week), ("Older", 0), ("old", old)]
    header = model.index(0, 0)
    assert not model.flags(header) & Qt.ItemFlag.ItemIsSelectable
    assert model.flags(model.index(1, 0)) & Qt.ItemFlag.ItemIsEditable

    model.set_filter("week")
    assert model.headers() == ["Previous 7 days"]
    assert model.conversation_at(1) is not None


def test_rename_in_place_goes_through_the_controller(qtbot: QtBot,
                                                     make_app: AppFactory) -> None:
    hearth = make_app()
    conversation_id = _chat(hearth.store, "Old title", time.time())
    hearth.chat.conversations_changed.emit()
    model = hearth.window.conversations
    index = model.index(model.row_of(conversation_id) or 0, 0)
    assert model.setData(index, "  New title  ")
    assert hearth.store.get_conversation(conversation_id).title == "New title"
    assert model.index(model.row_of(conversation_id) or 0, 0).data() == "New title"
    assert not model.setData(index, "   ")  # an empty title is not a rename


def _two_chats(hearth: HearthApp) -> tuple[int, int]:
    first = _chat(hearth.store, "first chat", time.time() - 10)
    second = _chat(hearth.store, "second chat", time.time())
    hearth.chat.conversations_changed.emit()
    return first, second


def test_delete_key_deletes_at_once_and_undo_brings_it_back(qtbot: QtBot,
                                                           make_app: AppFactory) -> None:
    hearth = make_app()
    hearth.window.show()
    first, second = _two_chats(hearth)
    sidebar = hearth.window.sidebar
    sidebar.select_conversation(first)
    sidebar.view.setFocus()
    qtbot.keyClick(sidebar.view, Qt.Key.Key_Delete)
    assert [c.id for c in hearth.store.list_conversations()] == [second]
    assert sidebar.undo_bar.isVisible()
    assert "first chat" in sidebar.undo_bar.label.text()

    qtbot.mouseClick(sidebar.undo_bar.undo_button, Qt.MouseButton.LeftButton)
    assert {c.id for c in hearth.store.list_conversations()} == {first, second}
    assert not sidebar.undo_bar.isVisible()
    assert hearth.store.message_count(first) == 1
    assert hearth.window.conversations.row_of(first) is not None


def test_ctrl_z_in_the_list_undoes_the_last_delete(qtbot: QtBot,
                                                   make_app: AppFactory) -> None:
    hearth = make_app()
    hearth.window.show()
    first, second = _two_chats(hearth)
    sidebar = hearth.window.sidebar
    sidebar.select_conversation(second)
    sidebar.view.setFocus()
    qtbot.keyClick(sidebar.view, Qt.Key.Key_Delete)
    assert [c.id for c in hearth.store.list_conversations()] == [first]
    qtbot.keyClick(sidebar.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert {c.id for c in hearth.store.list_conversations()} == {first, second}


def test_pin_and_folder_move_a_conversation_between_sections(qtbot: QtBot,
                                                             make_app: AppFactory) -> None:
    hearth = make_app()
    first, _ = _two_chats(hearth)
    model = hearth.window.conversations
    hearth.chat.set_pinned(first, True)
    assert model.headers() == ["Pinned", "Today"]
    assert model.row_of(first) == 1
    hearth.chat.set_pinned(first, False)
    hearth.chat.set_folder(first, "Recipes")
    assert model.headers() == ["Recipes", "Today"]
    assert hearth.chat.folders() == ["Recipes"]
