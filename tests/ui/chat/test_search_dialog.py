"""Ctrl+K search: results as escaped text with Hearth's highlight, Enter opens the branch."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import Role, SamplingParams
from desktop_app.core.storage.search_text import Snippet
from desktop_app.ui.app import HearthApp
from desktop_app.ui.chat.search_dialog import HTML_ROLE, SearchDialog, snippet_html
from tests.ui.conftest import AppFactory

pytestmark = pytest.mark.usefixtures("registered_demo")


def test_snippet_html_escapes_everything_but_the_highlight() -> None:
    text = '<img src=x onerror=alert(1)> & 长城 <b>bold</b>'
    start = text.index("长城")
    html = snippet_html(Snippet(text, ((start, start + 2),)))
    assert html == ("&lt;img src=x onerror=alert(1)&gt; &amp; <b>长城</b> "
                    "&lt;b&gt;bold&lt;/b&gt;")


def _branchy(hearth: HearthApp) -> tuple[int, int, int]:
    """A conversation whose shown reply is not the one that mentions the Great Wall."""
    store = hearth.store
    conversation = store.create_conversation(model_id=None, system_prompt="",
                                             params=SamplingParams())
    question = store.add_message(conversation.id, Role.USER, "Where should I travel?")
    wall = store.add_message(conversation.id, Role.ASSISTANT,
                             "Visit the <script>长城</script> near Beijing.")
    store.add_message(conversation.id, Role.ASSISTANT, "Try Chengdu and its 熊猫.",
                      parent_id=question.id)
    hearth.chat.conversations_changed.emit()
    return conversation.id, question.id, wall.id


def test_typing_shows_highlighted_results_and_enter_opens_the_branch(
        qtbot: QtBot, make_app: AppFactory, qtmodeltester: ModelTester) -> None:
    hearth = make_app()
    conversation_id, _, wall = _branchy(hearth)
    assert [i.content for i in hearth.window.chat_view.model().items()] == []

    dialog = hearth.window.search_dialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.edit.insert("长城")  # QTest cannot type CJK keys; an input method inserts text
    qtbot.waitUntil(lambda: dialog.results.rowCount() == 1, timeout=2000)
    qtmodeltester.check(dialog.results)
    html = dialog.results.index(0, 0).data(HTML_ROLE)
    assert "<b>长城</b>" in html
    assert "&lt;script&gt;" in html  # the message's markup is text, not HTML
    assert "<script>" not in html
    assert dialog.status.text() == "1 result(s)"

    with qtbot.waitSignal(hearth.chat.message_revealed, timeout=2000):
        qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    assert hearth.chat.conversation is not None
    assert hearth.chat.conversation.id == conversation_id
    items = hearth.window.chat_view.model().items()
    assert [i.message_id for i in items][-1] == wall  # the branch holding the hit
    assert hearth.chat.siblings(wall) == (0, 2)


def test_arrow_keys_choose_among_results(qtbot: QtBot, make_app: AppFactory) -> None:
    hearth = make_app()
    conversation_id, question, _ = _branchy(hearth)
    hearth.store.rename_conversation(conversation_id, "Travel plans")
    dialog = SearchDialog(hearth.store)
    qtbot.addWidget(dialog)
    chosen: list[tuple[int, int]] = []
    dialog.result_chosen.connect(lambda c, m: chosen.append((c, m)))
    dialog.edit.setText("travel")
    dialog.run_search()
    assert dialog.results.rowCount() == 2  # the title, then the question
    assert dialog.view.currentIndex().row() == 0
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Down)
    assert dialog.view.currentIndex().row() == 1
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Down)
    assert dialog.view.currentIndex().row() == 1  # stays on the last
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    assert chosen == [(conversation_id, question)]


def test_nothing_found_says_so(qtbot: QtBot, make_app: AppFactory) -> None:
    hearth = make_app()
    _branchy(hearth)
    dialog = SearchDialog(hearth.store)
    qtbot.addWidget(dialog)
    dialog.edit.setText("个税")
    dialog.run_search()
    assert dialog.results.rowCount() == 0
    assert dialog.status.text() == "Nothing found."
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)  # nothing to open: stays open
    assert dialog.result() == 0
