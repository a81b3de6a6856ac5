"""The model's "search my documents" tool in the window: it searches the chat's collections."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.core.documents.embedders import EmbedderCache
from desktop_app.core.engine.api import ToolCall
from desktop_app.ui.tools.tools_feature import toolbox_for
from tests.ui.conftest import AppFactory
from tests.ui.documents.conftest import corpus, indexed_app
from tests.ui.fake_engine import FakeEngine


def _in_a_worker(run: object) -> object:
    """Run ``run()`` in another thread, as the tool runner's pool does, and return its result."""
    found: list[object] = []
    thread = threading.Thread(target=lambda: found.append(run()))  # type: ignore[operator]
    thread.start()
    thread.join(60)
    assert found, "the search did not answer"
    return found[0]


def test_the_search_tool_finds_a_passage_of_the_attached_collection(
        qtbot: QtBot, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch,
        embedders: EmbedderCache, tmp_path: Path) -> None:
    hearth = indexed_app(qtbot, make_app, monkeypatch, embedders, FakeEngine(),
                         corpus(tmp_path / "docs"))
    tools = hearth.tools
    assert tools is not None
    tools.set_enabled(True)  # the switch of the new chat
    hearth.chat.send("hello")  # creates the conversation the switch applies to
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=10_000)
    conversation = hearth.chat.conversation
    assert conversation is not None
    toolbox = toolbox_for(tools.models, tools.servers, hearth.documents.chat.search_for
                          if hearth.documents else None, conversation.id)
    assert toolbox is not None
    assert "search_documents" in [spec.name for spec in toolbox.specs]
    call = ToolCall(id="c1", name="search_documents",
                    arguments='{"query": "How long is the Great Wall?", "count": 2}')
    result = _in_a_worker(lambda: toolbox.run(call, timeout=30))
    assert not result.is_error, result.text  # type: ignore[attr-defined]
    assert "21,196 kilometres" in result.text  # type: ignore[attr-defined]
    assert "wall.md" in result.text  # type: ignore[attr-defined]
