"""The main window shows untrusted text (errors, model names, load notices) as text.

Model status, banner, its tooltip and the conversation list get ``<img src=…>``
strings; tripwires (a FIFO, a listening port) prove nothing was opened. A
message the chat shortens is shown whole, as plain text, on request.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import QPlainTextEdit
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import ModelLoaded, SamplingParams
from desktop_app.ui.models.model_controller import ModelState
from tests.data import hostile_strings as hostile
from tests.ui.conftest import AppFactory
from tests.ui.tripwires import Tripwires
from tests.ui.untrusted_checks import assert_labels_plain, assert_tooltip_literal

pytestmark = pytest.mark.usefixtures("registered_demo")


@pytest.fixture
def wires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tripwires]:
    with Tripwires(tmp_path, monkeypatch) as wires:
        yield wires


def test_status_banner_and_tooltips_show_hostile_text_literally(
        qtbot: QtBot, make_app: AppFactory, wires: Tripwires) -> None:
    names = hostile.html_names(wires.fifo.path, wires.port.port)
    hearth = make_app()
    window = hearth.window
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    assert hearth.models.selected is not None
    # A load that failed with an error quoting the model's metadata.
    hearth.models.state_changed.emit(ModelState.FAILED, f"Could not load {names[0]}")
    assert "<img" in window.model_status.text()
    assert "<img" in window.banner.label.text()
    window.grab()
    hearth.chat.error_occurred.emit(f"The engine stopped: {names[1]}")
    window.grab()
    # A loaded model whose template name and notice are HTML go in the status tooltip.
    hearth.models.model_ready.emit(ModelLoaded(
        model_path=str(hearth.models.selected.path), n_ctx=2048, chat_format=names[2],
        backend="CPU", device=names[3], n_gpu_layers=0, load_seconds=0.1, notice=names[0]))
    assert_tooltip_literal(window.model_status.toolTip())
    assert "&lt;img" in window.model_status.toolTip()
    # A conversation titled with HTML (titles come from messages, or an import).
    conversation = hearth.store.create_conversation(model_id=None, system_prompt="",
                                                    params=SamplingParams())
    hearth.chat.rename_conversation(conversation.id, names[3])
    tips = [window.conversations.index(row, 0).data(Qt.ItemDataRole.ToolTipRole)
            for row in range(window.conversations.rowCount())]
    tips = [tip for tip in tips if tip is not None]  # section headers ("Today") have none
    assert any("&lt;img" in tip for tip in tips)
    for tip in tips:
        assert_tooltip_literal(tip)
    assert assert_labels_plain(window) >= 2
    assert window.banner.label.textFormat() == Qt.TextFormat.PlainText

    qtbot.wait(20)
    assert wires.close() == (0, 0)
    assert wires.resources.all_denied()


def test_a_shortened_message_is_shown_whole_as_plain_text(
        qtbot: QtBot, make_app: AppFactory) -> None:
    hearth = make_app()
    text = hostile.ZERO_IMAGE + "\n" + "line of a long log\n" * 10_000
    dialog = hearth.window.text_dialog("Message", text)
    qtbot.addWidget(dialog)
    edit = dialog.findChild(QPlainTextEdit)
    assert edit is not None
    assert edit.toPlainText() == text
    assert edit.isReadOnly()


def test_a_message_of_one_long_line_wraps_anywhere_in_the_dialog(
        qtbot: QtBot, make_app: AppFactory) -> None:
    hearth = make_app()
    dialog = hearth.window.text_dialog("Message", '{"k":1,' * 50_000 + "}")
    qtbot.addWidget(dialog)
    edit = dialog.findChild(QPlainTextEdit)
    assert edit is not None
    assert edit.wordWrapMode() == QTextOption.WrapMode.WrapAnywhere
    normal = hearth.window.text_dialog("Reasoning", "Two plus two.\nIs four.")
    qtbot.addWidget(normal)
    normal_edit = normal.findChild(QPlainTextEdit)
    assert normal_edit is not None
    assert normal_edit.wordWrapMode() != QTextOption.WrapMode.WrapAnywhere
