"""A tool's output is untrusted: its card shows it as text, loads nothing and links nowhere."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import ToolCall, ToolSpec
from desktop_app.core.settings import Settings
from desktop_app.core.tools.agent import Decision
from desktop_app.core.tools.mcp_servers import McpServerSet
from desktop_app.core.tools.toolbox import Tool, ToolResult
from desktop_app.ui.chat.message_delegate import MessageDelegate
from desktop_app.ui.chat.tool_card import CardStatus
from desktop_app.ui.models.model_controller import ModelState
from desktop_app.ui.tools import tools_feature
from tests.core.tools.scripted_engine import Reply, ScriptedEngine
from tests.ui.conftest import AppFactory
from tests.ui.tripwires import ResourceRecorder

pytestmark = pytest.mark.usefixtures("registered_demo")

HOSTILE = ('<img src="file:///etc/passwd"> <a href="http://127.0.0.1:9/x">click</a> '
           "<b>bold</b>")


class Hostile:
    """A tool that answers with HTML (an MCP server could)."""

    spec = ToolSpec("fetch_page", "Fetch a page.", '{"type": "object", "properties": {}}')
    source = "evil-server"

    def run(self, arguments: dict[str, Any], timeout: float) -> ToolResult:
        return ToolResult(HOSTILE)


def _only_hostile(_settings: Settings, _servers: McpServerSet, _search: object) -> list[Tool]:
    return [Hostile()]


def test_hostile_result_stays_text(qtbot: QtBot, make_app: AppFactory,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools_feature, "all_tools", _only_hostile)
    resources = ResourceRecorder(monkeypatch)
    call = ToolCall("c1", "fetch_page", HOSTILE.replace('"', "'").join(['{"x": "', '"}']))
    engine = ScriptedEngine(script=[Reply((), (call,)), Reply(("Done.",))])
    hearth = make_app(lambda: engine)
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    assert hearth.tools is not None
    hearth.tools.button.setChecked(True)
    with qtbot.waitSignal(hearth.tools.runner.approval_requested, timeout=10_000):
        assert hearth.chat.send("Fetch it")
    hearth.tools.dialogs["c1"].answer(Decision.ALLOW_ONCE)
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=10_000)
    view = hearth.window.chat_view
    item = view.chat_model().items()[-1]
    card, = item.tool_cards
    assert card.status == CardStatus.DONE
    assert card.result == HOSTILE
    delegate = view.itemDelegate()
    assert isinstance(delegate, MessageDelegate)
    delegate.toggle_tool_result(item, 0)  # the result shown, not only its preview
    doc = delegate.document(item, 600, view.font())
    shown = doc.toPlainText()
    assert '<img src="file:///etc/passwd">' in shown
    assert "<b>bold</b>" in shown
    assert "<img" not in doc.toHtml().replace("&lt;img", "")
    anchors = _anchors(doc)
    assert anchors  # the card's own Result toggle
    assert all(a.startswith("hearth-tool:") for a in anchors), anchors
    assert resources.names() == set()
    view.grab()  # painted too, with the recorder watching


def _anchors(doc: Any) -> list[str]:
    anchors = []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().isAnchor():
                anchors.append(fragment.charFormat().anchorHref())
            it += 1
        block = block.next()
    return anchors
