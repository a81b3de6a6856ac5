"""Single files attached to one chat: indexed into its own hidden collection, listed, removed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.core.documents.embedders import EmbedderCache
from desktop_app.ui import app as app_module
from desktop_app.ui.app import HearthApp
from desktop_app.ui.documents.documents_feature import DocumentsFeature
from tests.ui.chat_driver import reply_to, wait_ready
from tests.ui.conftest import AppFactory
from tests.ui.documents.conftest import WALL
from tests.ui.fake_engine import FakeEngine

pytestmark = pytest.mark.usefixtures("registered_demo")


def _app(qtbot: QtBot, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch,
         embedders: EmbedderCache, engine: FakeEngine) -> tuple[HearthApp, DocumentsFeature]:
    monkeypatch.setattr(app_module, "EmbedderCache", lambda **_options: embedders)
    hearth = make_app(engine_factory=lambda: engine)
    wait_ready(qtbot, hearth)
    assert hearth.documents is not None
    return hearth, hearth.documents


def _action(feature: DocumentsFeature, text: str) -> None:
    matches = [a for a in feature.attach_button.menu_.actions() if a.text() == text]
    assert len(matches) == 1, [a.text() for a in feature.attach_button.menu_.actions()]
    matches[0].trigger()


def test_a_file_added_to_a_new_chat_answers_there_and_can_be_removed(
        qtbot: QtBot, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch,
        embedders: EmbedderCache, tmp_path: Path) -> None:
    engine = FakeEngine(reply_tokens=["ok"])
    hearth, feature = _app(qtbot, make_app, monkeypatch, embedders, engine)
    chat, button = hearth.chat, feature.attach_button
    wall = tmp_path / "wall.md"
    wall.write_text(WALL, encoding="utf-8")
    broken = tmp_path / "photo.png"
    broken.write_bytes(b"\x89PNG not text")
    button.ask_files = lambda _parent: [wall, broken]
    _action(feature, "Add a file…")
    qtbot.waitUntil(lambda: sorted(d.state for d in feature.chat.files) == ["failed", "ready"],
                    timeout=30_000)
    menus = {m.title().split(" · ")[0]: m for m in button.file_menus().values()}
    assert set(menus) == {"wall.md", "photo.png"}
    assert menus["wall.md"].title() == "wall.md · ready"
    assert menus["photo.png"].menuAction().toolTip()  # the reason it failed
    assert button.text() == "Documents (2)"
    assert feature.chat.attached == []  # the user's collections: none
    assert feature.page.collections == []  # the chat's own collection is not listed

    reply_to(qtbot, hearth, lambda: chat.send("How long is the Great Wall?"))
    assert "[1] wall.md" in engine.requests[-1].messages[-1].content
    with_file = chat.conversation
    assert with_file is not None

    chat.new_conversation()  # another chat has no files
    qtbot.waitUntil(lambda: feature.service.pending == 0, timeout=5000)
    assert feature.chat.files == []
    assert button.file_menus() == {}
    chat.open_conversation(with_file.id)  # and this one has them again, from the store
    qtbot.waitUntil(lambda: len(feature.chat.files) == 2, timeout=5000)

    for left in (1, 0):
        menu = next(iter(button.file_menus().values()))
        assert [a.text() for a in menu.actions()] == ["Remove from this chat"]
        menu.actions()[0].trigger()
        qtbot.waitUntil(lambda left=left: len(feature.chat.files) == left, timeout=5000)
    assert feature.chat.files == []
    assert button.text() == "Documents"
    reply_to(qtbot, hearth, lambda: chat.send("How long is the Great Wall?"))
    assert engine.requests[-1].messages[-1].content == "How long is the Great Wall?"
    assert feature.service.embedders is embedders
