"""Answers you can check: sources go into the request, citations open the passage, end to end.

The real window (built by the composition root) with a scripted engine that
replies with a citation, the real embedder and a tiny corpus.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QTextCursor, QTextDocument
from pytestqt.qtbot import QtBot

from desktop_app.core.documents.embedders import EmbedderCache
from desktop_app.core.engine.api import Role
from desktop_app.ui.app import HearthApp
from desktop_app.ui.chat.chat_view import ChatView
from desktop_app.ui.documents.documents_feature import DocumentsFeature
from tests.ui.chat_driver import reply_to
from tests.ui.conftest import AppFactory
from tests.ui.documents.conftest import corpus, indexed_app
from tests.ui.fake_engine import FakeEngine
from tests.ui.tripwires import Tripwires

pytestmark = pytest.mark.usefixtures("registered_demo")

HOSTILE = ('# Trap\n\nThe secret code is 4471. <img src="x.png"> <img src="file:///dev/zero"> '
           '![pic](x.png) <b>not bold</b> <a href="file:///etc/passwd">link</a>\n')


@pytest.fixture
def wires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tripwires]:
    with Tripwires(tmp_path, monkeypatch) as wires:
        yield wires


def _click_text(qtbot: QtBot, view: ChatView, text: str) -> None:
    """Click the live message's text where ``text`` is, like the user would."""
    browser = view.browser
    found = browser.document().find(text, 0, QTextDocument.FindFlag.FindCaseSensitively)
    assert not found.isNull(), f"{text!r} is not in {browser.toPlainText()!r}"
    cursor = QTextCursor(browser.document())
    cursor.setPosition(found.selectionStart() + 1)
    point = browser.cursorRect(cursor).center()
    qtbot.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=point)


def _reply_row(hearth: HearthApp) -> int:
    items = hearth.window.chat_view.chat_model().items()
    return max(row for row, item in enumerate(items) if item.role == Role.ASSISTANT)


def test_a_cited_answer_opens_its_passage_and_lists_its_sources(
        qtbot: QtBot, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch,
        embedders: EmbedderCache, tmp_path: Path) -> None:
    engine = FakeEngine(reply_tokens=["The wall is ", "about 21,196 km ", "long [1]."])
    hearth = indexed_app(qtbot, make_app, monkeypatch, embedders, engine,
                  corpus(tmp_path / "corpus"))
    feature = hearth.documents
    assert isinstance(feature, DocumentsFeature)
    question = "How long is the Great Wall?"
    reply_to(qtbot, hearth, lambda: hearth.chat.send(question))

    # The request carries the numbered sources; the history keeps the user's words.
    sent = engine.requests[-1].messages[-1].content
    assert sent.startswith("Answer the question using the numbered sources")
    assert "[1] wall.md" in sent
    assert "21,196 kilometres" in sent
    assert sent.endswith(f"Question: {question}")
    conversation = hearth.chat.conversation
    assert conversation is not None
    stored = [m for m in hearth.store.messages(conversation.id) if m.role == Role.USER]
    assert [m.content for m in stored] == [question]

    view = hearth.window.chat_view
    row = _reply_row(hearth)
    reply = view.chat_model().item(row)
    sources = feature.chat.sources_for(reply.message_id)
    assert sources
    assert sources[0].number == 1
    assert sources[0].document_name == "wall.md"
    view.scrollTo(view.model().index(row, 0))
    view.open_editor(row)
    assert 'href="hearth-source:1"' in view.browser.toHtml()
    assert view.source_tooltip(QUrl("hearth-source:1")) == "wall.md, The Great Wall"
    assert view.source_tooltip(QUrl("hearth-source:9")) == ""

    panel = feature.source_panel
    with qtbot.waitSignal(feature.chat.passage_ready, timeout=5000):
        _click_text(qtbot, view, "[1]")
    assert panel.isVisible()
    assert "wall.md" in panel.title.text()
    assert panel.title.text().startswith("[1]")
    assert "21,196 kilometres" in panel.highlighted_text()

    # "Sources" lists every retrieved chunk with its score, cited or not.
    assert f"Sources ({len(sources)})" in view.browser.toPlainText()
    _click_text(qtbot, view, f"Sources ({len(sources)})")
    qtbot.waitUntil(lambda: view.browser.toPlainText().count("score ") == len(sources),
                    timeout=3000)
    listed = view.browser.toPlainText()
    for source in sources:
        assert source.document_name in listed
        assert f"score {source.score:.2f}" in listed
    assert len(sources) >= 3  # the whole small corpus came back, ranked

    # Reopened later, the reply still has its sources and its links.
    hearth.chat.new_conversation()
    assert feature.chat.attached == []
    hearth.chat.open_conversation(conversation.id)
    qtbot.waitUntil(lambda: feature.chat.attached != [], timeout=3000)
    assert feature.chat.sources_for(reply.message_id) == sources


def test_hostile_document_text_is_shown_as_text(
        qtbot: QtBot, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch,
        embedders: EmbedderCache, tmp_path: Path, wires: Tripwires) -> None:
    folder = tmp_path / "trap"
    folder.mkdir()
    (folder / '<img src="x.png">.md').write_text(HOSTILE, encoding="utf-8")
    engine = FakeEngine(reply_tokens=["The code is 4471 [1]."])
    hearth = indexed_app(qtbot, make_app, monkeypatch, embedders, engine, folder)
    feature = hearth.documents
    assert isinstance(feature, DocumentsFeature)
    reply_to(qtbot, hearth, lambda: hearth.chat.send("What is the secret code?"))
    view = hearth.window.chat_view
    row = _reply_row(hearth)
    view.scrollTo(view.model().index(row, 0))
    view.open_editor(row)
    _click_text(qtbot, view, "Sources (1)")
    qtbot.waitUntil(lambda: "score " in view.browser.toPlainText(), timeout=3000)
    listed = view.browser.toPlainText()
    assert '<img src="x.png">' in listed
    assert "<b>not bold</b>" in listed
    with qtbot.waitSignal(feature.chat.passage_ready, timeout=5000):
        _click_text(qtbot, view, "[1]")
    panel = feature.source_panel
    assert panel.title.text() == '[1] <img src="x.png">.md'
    assert '<img src="file:///dev/zero">' in panel.text.toPlainText()
    view.grab()
    panel.grab()
    assert wires.close() == (0, 0)
    assert wires.resources.all_denied()
