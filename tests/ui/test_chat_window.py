"""The chat area of the real window: the welcome, editing a sent message, the live theme."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_app.core import hardware
from desktop_app.core.models.catalog import CatalogEntry
from desktop_app.ui.common.look import DARK_COLORS, LIGHT_COLORS, Look
from tests.ui.chat_driver import reply_to, wait_ready
from tests.ui.conftest import AppFactory

pytestmark = pytest.mark.usefixtures("registered_demo")


def test_a_fresh_data_folder_shows_the_welcome_and_a_prompt_sends_itself(
        qtbot: QtBot, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardware, "model_memory_budget", lambda: 64 << 30)
    hearth = make_app()
    window = hearth.window
    assert window.chat_stack.currentWidget() is window.welcome
    wait_ready(qtbot, hearth)
    assert hearth.models.selected is not None
    assert hearth.models.selected.display_name in window.welcome.model_line.text()
    # Suggestions come from a background job measuring this machine's memory.
    qtbot.waitUntil(lambda: bool(window.welcome.download_buttons), timeout=5000)
    prompt = window.welcome.prompt_buttons[0]
    window.composer.set_text("a draft the user keeps")
    reply_to(qtbot, hearth, lambda: qtbot.mouseClick(prompt, Qt.MouseButton.LeftButton))
    assert window.chat_stack.currentWidget() is window.chat_view
    assert hearth.chat.conversation is not None
    stored = hearth.store.messages(hearth.chat.conversation.id)
    assert stored[0].content == prompt.text()
    assert window.composer.text() == "a draft the user keeps"
    window.chat.new_conversation()
    assert window.chat_stack.currentWidget() is window.welcome


def test_a_suggested_download_starts_in_the_models_window(
        qtbot: QtBot, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardware, "model_memory_budget", lambda: 64 << 30)
    hearth = make_app()
    started: list[tuple[str, str]] = []

    def start_download(repo: str, file: str) -> str:
        started.append((repo, file))
        return f"Downloading {file}"

    monkeypatch.setattr(hearth.models_page, "start_download", start_download)
    welcome = hearth.window.welcome
    qtbot.waitUntil(lambda: bool(welcome.download_buttons), timeout=5000)
    with qtbot.waitSignal(hearth.window.download_requested) as requested:
        welcome.download_buttons[0].click()
    entry = requested.args[0]
    assert isinstance(entry, CatalogEntry)
    assert started == [(entry.repo, entry.file)]
    assert hearth.models_page.isVisible()
    assert hearth.window.banner.label.text() == f"Downloading {entry.file}"
    hearth.models_page.close()


def test_edit_and_up_put_a_sent_message_back_in_the_box(qtbot: QtBot,
                                                        make_app: AppFactory) -> None:
    hearth = make_app()
    wait_ready(qtbot, hearth)
    window = hearth.window
    reply_to(qtbot, hearth, lambda: hearth.chat.send("First question"))
    reply_to(qtbot, hearth, lambda: hearth.chat.send("Second question"))
    window.chat_view.open_editor(0)
    window.chat_view.actions_bar.edit_button.click()
    assert window.composer.text() == "First question"
    window.composer.clear()
    window.composer.edit.setFocus()
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Up)
    assert window.composer.text() == "Second question"


def test_regenerate_from_the_replys_own_button(qtbot: QtBot, make_app: AppFactory) -> None:
    hearth = make_app()
    wait_ready(qtbot, hearth)
    reply_to(qtbot, hearth, lambda: hearth.chat.send("Question"))
    view = hearth.window.chat_view
    view.open_editor(1)
    assert view.actions_bar.regenerate_button.isVisibleTo(view.actions_bar)
    first = view.chat_model().item(1).message_id
    reply_to(qtbot, hearth, view.actions_bar.regenerate_button.click)
    assert view.chat_model().rowCount() == 2
    assert view.chat_model().item(1).message_id != first


@pytest.fixture
def look(qapp: QApplication) -> Iterator[Look]:
    look = Look(qapp, "light")
    yield look
    look.setParent(None)  # type: ignore[call-overload]
    qapp.setStyleSheet("")
    qapp.setPalette(QPalette())


def test_the_chat_follows_the_theme_live(qtbot: QtBot, make_app: AppFactory,
                                         look: Look) -> None:
    hearth = make_app(look=look)
    delegate = hearth.window.chat_view.message_delegate
    assert delegate().colors == LIGHT_COLORS
    look.set_theme("dark")
    assert delegate().colors == DARK_COLORS
    assert delegate().markdown.render("```python\nx = 1\n```").html.count("#1e1f24") == 1
