"""The welcome in an empty chat: example prompts, an honest starter note, suggestions."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.core.models.catalog import load_catalog
from desktop_app.ui.chat.welcome import WelcomePanel


def test_example_prompts_send_themselves(qtbot: QtBot) -> None:
    panel = WelcomePanel()
    qtbot.addWidget(panel)
    panel.set_model("SmolLM2 135M", starter=True)
    assert "only speaks English" in panel.model_line.text()
    button = panel.prompt_buttons[0]
    with qtbot.waitSignal(panel.prompt_chosen) as chosen:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert chosen.args == [button.text()]


def test_prompts_are_off_without_a_model(qtbot: QtBot) -> None:
    panel = WelcomePanel()
    qtbot.addWidget(panel)
    panel.set_model(None, starter=False)
    assert not any(b.isEnabled() for b in panel.prompt_buttons)


def test_suggestions_offer_downloads_and_replace_each_other(qtbot: QtBot) -> None:
    panel = WelcomePanel()
    qtbot.addWidget(panel)
    entries = load_catalog()[:2]
    panel.set_suggestions(entries)
    panel.show()
    assert panel.suggestions_title.isVisible()
    with qtbot.waitSignal(panel.download_requested) as requested:
        qtbot.mouseClick(panel.download_buttons[1], Qt.MouseButton.LeftButton)
    assert requested.args == [entries[1]]
    panel.set_suggestions(entries[:1])
    assert len(panel.download_buttons) == 1
    panel.set_suggestions(())
    assert not panel.suggestions_title.isVisible()
