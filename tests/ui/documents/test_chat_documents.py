"""Attachments belong to one conversation, and a stopped question never reaches the engine."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.core.documents.embedders import EmbedderCache
from desktop_app.core.engine.api import Role
from desktop_app.ui.documents.documents_feature import DocumentsFeature
from tests.ui.chat_driver import reply_to
from tests.ui.conftest import AppFactory
from tests.ui.documents.conftest import attach_collection, corpus, indexed_app
from tests.ui.fake_engine import FakeEngine

pytestmark = pytest.mark.usefixtures("registered_demo")


def test_a_new_chats_collections_go_to_the_conversation_it_creates_only(
        qtbot: QtBot, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch,
        embedders: EmbedderCache, tmp_path: Path) -> None:
    engine = FakeEngine(reply_tokens=["ok"])
    hearth = indexed_app(qtbot, make_app, monkeypatch, embedders, engine,
                         corpus(tmp_path / "corpus"), attach=False)
    feature = hearth.documents
    assert isinstance(feature, DocumentsFeature)
    chat = hearth.chat
    reply_to(qtbot, hearth, lambda: chat.send("A chat without documents"))
    plain = chat.conversation
    assert plain is not None
    assert engine.requests[-1].messages[-1].content == "A chat without documents"

    chat.new_conversation()
    collection_id = attach_collection(feature)
    chat.open_conversation(plain.id)  # attached in the new chat, then left for another one
    assert feature.chat.attached == []
    reply_to(qtbot, hearth, lambda: chat.send("How long is the Great Wall?"))
    assert engine.requests[-1].messages[-1].content == "How long is the Great Wall?"

    chat.new_conversation()
    attach_collection(feature)
    reply_to(qtbot, hearth, lambda: chat.send("How long is the Great Wall?"))
    with_documents = chat.conversation
    assert with_documents is not None
    assert "[1] wall.md" in engine.requests[-1].messages[-1].content
    chat.open_conversation(plain.id)
    qtbot.waitUntil(lambda: feature.service.pending == 0, timeout=3000)
    assert feature.chat.attached == []
    chat.open_conversation(with_documents.id)
    qtbot.waitUntil(lambda: feature.chat.attached == [collection_id], timeout=3000)
    assert "Facts" in feature.attach_button.text()
    # A single & would be a shortcut mark in a menu: the name shows as it is.
    assert [a.text() for a in feature.attach_button.actions_by_collection().values()] == [
        "Facts && figures"]
    assert feature.attach_button.text() == "Documents: Facts && figures"


def test_stop_before_the_sources_are_found_sends_nothing(
        qtbot: QtBot, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch,
        embedders: EmbedderCache, tmp_path: Path) -> None:
    engine = FakeEngine(reply_tokens=["never"])
    hearth = indexed_app(qtbot, make_app, monkeypatch, embedders, engine,
                         corpus(tmp_path / "corpus"))
    feature = hearth.documents
    assert isinstance(feature, DocumentsFeature)
    busy = threading.Event()
    # The documents thread is busy (a big deletion, say) when the question comes.
    feature.service.call(lambda _store, _retriever: busy.wait(10))
    with qtbot.waitSignal(hearth.chat.busy_changed, timeout=5000,
                          check_params_cb=lambda on: on):
        assert hearth.chat.send("How long is the Great Wall?")
    assert engine.requests == []
    hearth.chat.stop()
    busy.set()
    qtbot.waitUntil(lambda: feature.service.pending == 0, timeout=10_000)
    assert engine.requests == []
    assert not hearth.chat.busy
    items = hearth.window.chat_view.chat_model().items()
    assert [i.role for i in items] == [Role.USER, Role.ASSISTANT]
    assert items[-1].content == ""
