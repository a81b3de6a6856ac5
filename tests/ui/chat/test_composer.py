"""The message box: Enter sends, never while an input method is composing; Up edits the last."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_app.ui.chat.composer import Composer


@pytest.fixture
def composer(qtbot: QtBot) -> Composer:
    widget = Composer()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    widget.edit.setFocus()
    return widget


def _compose(composer: Composer, preedit: str, commit: str = "") -> None:
    event = QInputMethodEvent(preedit, [])
    if commit:
        event.setCommitString(commit)
    QApplication.sendEvent(composer.edit, event)


def test_enter_while_an_input_method_composes_does_not_send(qtbot: QtBot,
                                                            composer: Composer) -> None:
    sent: list[str] = []
    composer.send_requested.connect(sent.append)
    _compose(composer, "", commit="你好")  # a first word, chosen
    _compose(composer, "shijie")  # pinyin of the next one typed, no character chosen yet
    assert composer.edit.is_composing()
    # Enter confirms the composition (the input method's business), never sends.
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == []
    _compose(composer, "", commit="世界")  # the candidate is chosen
    assert not composer.edit.is_composing()
    assert composer.text() == "你好世界"
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == ["你好世界"]


def test_shift_enter_adds_a_line_and_enter_sends(qtbot: QtBot, composer: Composer) -> None:
    sent: list[str] = []
    composer.send_requested.connect(sent.append)
    qtbot.keyClicks(composer.edit, "one")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(composer.edit, "two")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == ["one\ntwo"]


def test_up_in_an_empty_box_asks_to_edit_the_last_message(qtbot: QtBot,
                                                          composer: Composer) -> None:
    asked: list[bool] = []
    composer.edit_last_requested.connect(lambda: asked.append(True))
    qtbot.keyClick(composer.edit, Qt.Key.Key_Up)
    assert asked == [True]
    composer.set_text("draft")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Up)  # moves the cursor, as usual
    assert asked == [True]
    assert composer.text() == "draft"
