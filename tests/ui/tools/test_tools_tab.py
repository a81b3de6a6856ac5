"""Settings › Tools with a real MCP server (the SDK's, over stdio): import, enable, its tools."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import ToolCall
from desktop_app.core.settings import Settings
from desktop_app.core.tools.mcp_config import parse_mcp_servers
from desktop_app.core.tools.mcp_servers import McpServerSet
from desktop_app.core.tools.tool_settings import ToolSettings
from desktop_app.ui.models.model_controller import ModelState
from desktop_app.ui.tools.tool_sources import LiveServers, ServerEvents
from desktop_app.ui.tools.tools_feature import change_tool_settings, toolbox_for
from desktop_app.ui.tools.tools_tab import ToolsTab
from tests.core.tools.scripted_engine import Reply, ScriptedEngine
from tests.core.tools.test_mcp_client import SERVER
from tests.ui.conftest import AppFactory


def _config(pidfile: Path) -> str:
    return json.dumps({"mcpServers": {"Test": {
        "command": sys.executable, "args": [str(SERVER), "normal"],
        "env": {"HEARTH_TEST_PIDFILE": str(pidfile)}}}})


def _gone(pidfile: Path) -> bool:
    """Every server process the test started has exited."""
    deadline = time.monotonic() + 10
    pids = [int(p) for p in pidfile.read_text().split()] if pidfile.exists() else []
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                continue
            alive.append(pid)
        if not alive:
            return True
        time.sleep(0.05)
    return False


def _tool_rows(tab: ToolsTab) -> list[str]:
    top = tab.server_tree.topLevelItem(0)
    return [top.child(i).text(0) for i in range(top.childCount())] if top else []


def test_imported_server_starts_when_enabled_and_lists_its_tools(
        qtbot: QtBot, tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    events = ServerEvents()
    servers = McpServerSet(on_change=events.notify)
    tab = ToolsTab(Settings(), LiveServers(servers, events))
    qtbot.addWidget(tab)
    try:
        assert tab.import_text("{not json") != ""  # said, nothing added
        assert tab.server_tree.topLevelItemCount() == 0
        assert tab.import_text(_config(pidfile)) == ""
        top = tab.server_tree.topLevelItem(0)
        assert (top.text(0), top.text(1)) == ("Test", "off")  # imported servers start off
        assert servers.get("Test") is None or not pidfile.exists()
        before = tab.budget_choice().tokens
        top.setCheckState(0, Qt.CheckState.Checked)  # the user switches it on
        qtbot.waitUntil(lambda: "add" in _tool_rows(tab), timeout=30_000)
        assert tab.server_tree.topLevelItem(0).text(1) == "ready"
        assert tab.budget_choice().tokens > before  # its tools cost prompt tokens now
        echo = next(tab.server_tree.topLevelItem(0).child(i) for i in range(
            tab.server_tree.topLevelItem(0).childCount())
            if tab.server_tree.topLevelItem(0).child(i).text(0) == "echo")
        echo.setCheckState(0, Qt.CheckState.Unchecked)
        result = tab.tool_settings()
        assert result.disabled_tools == ["Test/echo"]
        assert [(s.name, s.enabled) for s in result.mcp_servers] == [("Test", True)]
        tab.revert()  # Cancel: the saved settings have no server
        assert _gone(pidfile)
    finally:
        servers.stop_all()


def test_saved_server_runs_for_the_chat_and_stops_with_hearth(
        qtbot: QtBot, make_app: AppFactory, tmp_path: Path, registered_demo: str) -> None:
    pidfile = tmp_path / "pids"
    hearth = make_app()
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    dialog = hearth.window.settings_dialog()
    tab = dialog.tools_tab
    assert tab.import_text(_config(pidfile)) == ""
    tab.set_server_enabled("Test", True)
    qtbot.waitUntil(lambda: "add" in _tool_rows(tab), timeout=30_000)
    hearth.models.apply_settings(dialog.result_settings())  # OK
    dialog.deleteLater()
    assert hearth.models.settings.tools.mcp_servers[0].enabled
    assert hearth.tools is not None
    hearth.tools.button.setChecked(True)
    assert hearth.chat.send("Hi")  # creates the chat, tools on
    qtbot.waitUntil(lambda: not hearth.chat.busy, timeout=10_000)
    conversation = hearth.chat.conversation
    assert conversation is not None
    toolbox = toolbox_for(hearth.models, hearth.tools.servers, None, conversation.id)
    assert toolbox is not None
    names = {spec.name for spec in toolbox.specs}
    assert {"calculator", "add", "echo"} <= names
    hearth.shutdown()
    assert _gone(pidfile)


def test_stop_ends_a_running_mcp_call_at_once(
        qtbot: QtBot, make_app: AppFactory, tmp_path: Path, registered_demo: str) -> None:
    pidfile = tmp_path / "pids"
    call = ToolCall("h1", "hang", "{}")
    engine = ScriptedEngine(script=[Reply((), (call,)), Reply(("never",))])
    hearth = make_app(lambda: engine)
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    tools = hearth.tools
    assert tools is not None
    servers = parse_mcp_servers(_config(pidfile), start_disabled=False)

    def change(settings: ToolSettings) -> None:
        settings.mcp_servers = servers
        settings.always_allowed = ["hang"]  # runs without asking

    change_tool_settings(hearth.models, change)  # saved with the server on: it starts
    qtbot.waitUntil(lambda: "hang" in {t.spec.name for t in tools.servers.tools()},
                    timeout=30_000)
    assert "hang" in tools.runner.policy.always
    tools.button.setChecked(True)
    assert hearth.chat.send("Wait forever")
    runner = tools.runner
    qtbot.waitUntil(lambda: runner.calls_in_pool == 1, timeout=10_000)
    hearth.chat.stop()
    qtbot.waitUntil(lambda: runner.calls_in_pool == 0, timeout=5_000)  # not the 60 s timeout
    assert not hearth.chat.busy
    assert len(engine.requests) == 1
    hearth.shutdown()
    assert _gone(pidfile)
