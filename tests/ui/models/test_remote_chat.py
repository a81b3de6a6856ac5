"""A chat with a remote model through the real client and routing engine, end to end.

The server is the remote backend's fault-injecting test server (HTTP on
127.0.0.1, a key required); everything between it and the window is Hearth's
own: ``RemoteClient`` lists its models, the ``RoutingEngine`` sends the load
and the reply there, the chat shows and stores what streamed back.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.core.keychain import MemoryKeyStore
from desktop_app.core.paths import AppPaths
from desktop_app.core.remote.servers import ServerConfig
from desktop_app.core.settings import SettingsStore
from desktop_app.core.storage.chat_store import MessageState
from desktop_app.ui.app import HearthApp
from desktop_app.ui.models.model_controller import ModelState
from desktop_app.ui.models.remote_models import remote_key
from tests.core.remote.fault_server import FaultServer
from tests.ui.conftest import AppFactory

KEY = "sk-fault-server-key"


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    with FaultServer() as server:
        server.api_key = KEY
        yield server


@pytest.fixture
def server(fault_server: FaultServer, app_paths: AppPaths, registered_demo: str) -> ServerConfig:
    config = ServerConfig("srv-fault", "Fault box", fault_server.base_url, preset="vllm")
    store = SettingsStore(app_paths.settings_path)
    settings, _ = store.load()
    settings.servers = [config]
    store.save(settings)
    return config


def wait_listed(qtbot: QtBot, hearth: HearthApp, key: str) -> None:
    qtbot.waitUntil(lambda: hearth.window.model_combo.findData(key) >= 0, timeout=10_000)


def test_a_reply_from_a_remote_model_streams_into_the_chat_with_the_key(
        qtbot: QtBot, make_app: AppFactory, server: ServerConfig,
        fault_server: FaultServer) -> None:
    keys = MemoryKeyStore()
    keys.set(server.id, KEY)
    hearth = make_app(keys=keys)
    window = hearth.window
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    key = remote_key(server.id, "ok")
    wait_listed(qtbot, hearth, key)
    assert window.model_combo.itemText(window.model_combo.findData(key)) == "ok — Fault box"
    window.model_combo.activated.emit(window.model_combo.findData(key))
    qtbot.waitUntil(lambda: hearth.models.state in (ModelState.READY, ModelState.FAILED),
                    timeout=10_000)
    assert hearth.models.state == ModelState.READY, window.model_status.text()
    assert window.model_status.text() == "Ready · ok on Fault box"
    assert window.model_status.toolTip().startswith("Server: Fault box · 127.0.0.1:")
    assert "Context: 8192 tokens" in window.model_status.toolTip()
    assert window.remote_notice.isVisible()
    host = fault_server.base_url.split("//")[1].split("/")[0]
    assert f"on Fault box ({host})" in window.remote_notice.text()

    with qtbot.waitSignal(hearth.chat.busy_changed, timeout=10_000,
                          check_params_cb=lambda busy: not busy):
        assert hearth.chat.send("Hi")
    model = window.chat_view.chat_model()
    assert model.item(1).content == "Hello there, friend."
    assert model.item(1).state == MessageState.COMPLETE
    assert fault_server.requests[-1]["model"] == "ok"
    assert fault_server.requests[-1]["messages"][-1] == {"role": "user", "content": "Hi"}
    assert fault_server.headers_seen[-1]["Authorization"] == f"Bearer {KEY}"
    conversation = hearth.chat.conversation
    assert conversation is not None
    assert hearth.store.messages(conversation.id)[1].content == "Hello there, friend."


def test_a_wrong_key_is_explained_when_listing_and_testing(
        qtbot: QtBot, make_app: AppFactory, server: ServerConfig) -> None:
    keys = MemoryKeyStore()
    keys.set(server.id, "sk-wrong")
    hearth = make_app(keys=keys)
    combo = hearth.window.model_combo
    qtbot.waitUntil(lambda: combo.findText("Fault box: not reachable") >= 0, timeout=10_000)
    tip = str(combo.itemData(combo.findText("Fault box: not reachable"),
                             Qt.ItemDataRole.ToolTipRole))
    assert "key is wrong or missing" in tip
    dialog = hearth.window.settings_dialog()
    tab = dialog.servers_tab
    assert tab is not None
    tab.tree.topLevelItem(0).setSelected(True)
    tab.test_button.click()
    qtbot.waitUntil(lambda: tab.test_label.text()[:1] in ("✓", "✗"), timeout=10_000)
    assert tab.test_label.text().startswith("✗ Fault box:")
    assert "key is wrong or missing" in tab.test_label.text()
    # The right key typed into the server's settings: the test passes with it.
    edit = tab.server_dialog(tab.selected_server())
    edit.key_edit.setText(KEY)
    tab.accept_dialog(edit)
    tab.test_button.click()
    qtbot.waitUntil(lambda: tab.test_label.text()[:1] == "✓", timeout=10_000)
    assert "Models (1): ok" in tab.test_label.text()


def test_hostile_model_ids_stay_text(
        qtbot: QtBot, make_app: AppFactory, server: ServerConfig,
        fault_server: FaultServer) -> None:
    evil = "<img src='file:///dev/zero'>"
    fault_server.models = {"object": "list", "data": [{"id": evil, "object": "model"}]}
    keys = MemoryKeyStore()
    keys.set(server.id, KEY)
    hearth = make_app(keys=keys)
    key = remote_key(server.id, evil)
    wait_listed(qtbot, hearth, key)
    hearth.models.select(key)
    notice = hearth.window.remote_notice
    assert notice.textFormat() == Qt.TextFormat.PlainText
    assert evil in notice.text()
