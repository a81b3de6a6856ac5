"""Remote models in the window: listed apart and marked, loaded by server, refused offline.

The engine side (the routing engine talking HTTP) has its own tests in core;
here the worker's ``load`` is recorded and remote loads are answered with the
event the routing engine sends, so each test checks what the GUI does.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import LoadFailed, LoadOptions, ModelLoaded
from desktop_app.core.paths import AppPaths
from desktop_app.core.remote.servers import ServerConfig
from desktop_app.core.settings import SettingsStore
from desktop_app.ui.app import HearthApp
from desktop_app.ui.common.engine_worker import EngineWorker
from desktop_app.ui.models.model_controller import ModelState
from desktop_app.ui.models.remote_models import parse_remote_key, remote_key
from tests.ui.conftest import AppFactory
from tests.ui.fake_remote import FakeServers, refused

GPU_BOX = ServerConfig("srv-gpubox", "GPU box", "http://10.0.0.5:8000/v1", preset="vllm")
DEEPSEEK = ServerConfig("srv-deepseek", "DeepSeek", "https://api.deepseek.com/v1",
                        preset="deepseek")
DOWN = ServerConfig("srv-down", "Old box", "http://10.0.0.9:8000/v1", preset="llama-cpp")
QWEN = "Qwen/Qwen2.5-72B-Instruct"
QWEN_KEY = remote_key(GPU_BOX.id, QWEN)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[LoadOptions]:
    """Every load the GUI asks for; remote ones stop here (no server is running)."""
    recorded: list[LoadOptions] = []
    original = EngineWorker.load

    def load(self: EngineWorker, options: LoadOptions) -> None:
        recorded.append(options)
        if not options.server_id:
            original(self, options)

    monkeypatch.setattr(EngineWorker, "load", load)
    return recorded


@pytest.fixture
def remote() -> FakeServers:
    return FakeServers(models={"GPU box": [QWEN, "llama-3.1-70b"],
                               "DeepSeek": ["deepseek-chat"]},
                       errors={"Old box": refused("no route to host")})


@pytest.fixture
def configure(app_paths: AppPaths, registered_demo: str) -> Callable[..., None]:
    def configure(*, offline: bool = False, last: str | None = None,
                  servers: tuple[ServerConfig, ...] = (GPU_BOX, DEEPSEEK, DOWN)) -> None:
        store = SettingsStore(app_paths.settings_path)
        settings, _ = store.load()
        settings.servers = list(servers)
        settings.offline = offline
        if last is not None:
            settings.last_model_id = last
        store.save(settings)

    return configure


def combo_items(hearth: HearthApp) -> list[tuple[str, str, bool]]:
    """(text, model id, enabled) of each line, separators left out."""
    combo = hearth.window.model_combo
    model = combo.model()
    assert isinstance(model, QStandardItemModel)
    return [(combo.itemText(i), combo.itemData(i) or "", model.item(i).isEnabled())
            for i in range(combo.count())
            if combo.itemData(i, Qt.ItemDataRole.AccessibleDescriptionRole) != "separator"]


def tooltip(hearth: HearthApp, text: str) -> str:
    combo = hearth.window.model_combo
    return str(combo.itemData(combo.findText(text), Qt.ItemDataRole.ToolTipRole))


def answer_remote_load(hearth: HearthApp, options: LoadOptions) -> None:
    """What the routing engine reports once the server accepted the model."""
    hearth.models._worker.model_loaded.emit(ModelLoaded(
        options.model_path, 32768, "server", "Remote", "GPU box · 10.0.0.5", 0, 0.05))


def test_remote_models_are_listed_after_the_local_ones_and_marked(
        qtbot: QtBot, make_app: AppFactory, configure: Callable[..., None],
        registered_demo: str, loads: list[LoadOptions], remote: FakeServers) -> None:
    configure()
    hearth = make_app(remote_client=remote)
    # Each server answers on its own; a line reads "asking for its models…"
    # until its answer is in, so wait for every answer, not for the line count.
    qtbot.waitUntil(lambda: len(combo_items(hearth)) == 5 and not any(
        "asking" in text for text, _, _ in combo_items(hearth)), timeout=5000)
    items = combo_items(hearth)
    assert items[0][1] == registered_demo
    assert items[1:] == [
        (f"{QWEN} — GPU box", QWEN_KEY, True),
        ("llama-3.1-70b — GPU box", remote_key(GPU_BOX.id, "llama-3.1-70b"), True),
        ("deepseek-chat — DeepSeek", remote_key(DEEPSEEK.id, "deepseek-chat"), True),
        ("Old box: not reachable", "", False)]
    combo = hearth.window.model_combo
    assert combo.itemIcon(1).isNull()
    assert not combo.itemIcon(2).isNull()
    assert "your messages are sent there" in tooltip(hearth, f"{QWEN} — GPU box")
    assert "10.0.0.5:8000" in tooltip(hearth, f"{QWEN} — GPU box")
    assert "Could not connect: no route to host" in tooltip(hearth, "Old box: not reachable")
    assert hearth.window.refresh_servers_button.isVisible()
    # Refresh asks again: the old box answers now.
    del remote.errors["Old box"]
    remote.models["Old box"] = ["tiny"]
    hearth.window.refresh_servers_button.click()
    qtbot.waitUntil(lambda: ("tiny — Old box", remote_key(DOWN.id, "tiny"), True)
                    in combo_items(hearth), timeout=5000)


def test_choosing_a_remote_model_loads_it_through_its_server_and_shows_the_privacy_notice(
        qtbot: QtBot, make_app: AppFactory, configure: Callable[..., None],
        registered_demo: str, loads: list[LoadOptions], remote: FakeServers) -> None:
    configure()
    hearth = make_app(remote_client=remote)
    window = hearth.window
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    qtbot.waitUntil(lambda: window.model_combo.findData(QWEN_KEY) >= 0, timeout=5000)
    assert not window.remote_notice.isVisible()  # local: nothing to say
    window.model_combo.activated.emit(window.model_combo.findData(QWEN_KEY))
    assert loads[-1] == LoadOptions(model_path=QWEN, server_id=GPU_BOX.id)
    assert window.remote_notice.isVisible()
    assert window.remote_notice.text() == (
        f"Replies come from {QWEN} on GPU box (10.0.0.5:8000): your messages are sent there.")
    assert window.remote_notice.textFormat() == Qt.TextFormat.PlainText
    assert hearth.models.settings.last_model_id == QWEN_KEY
    assert hearth.chat.model_id == QWEN_KEY
    answer_remote_load(hearth, loads[-1])
    assert hearth.models.state == ModelState.READY
    assert window.model_status.text() == f"Ready · {QWEN} on GPU box"
    assert window.model_combo.currentData() == QWEN_KEY
    # Back to the local model: the notice goes.
    window.model_combo.activated.emit(window.model_combo.findData(registered_demo))
    assert loads[-1].server_id == ""
    assert not window.remote_notice.isVisible()


def test_a_remote_load_failure_is_shown(
        qtbot: QtBot, make_app: AppFactory, configure: Callable[..., None],
        loads: list[LoadOptions], remote: FakeServers) -> None:
    configure(last=QWEN_KEY)
    hearth = make_app(remote_client=remote)
    assert loads[-1] == LoadOptions(model_path=QWEN, server_id=GPU_BOX.id)
    hearth.models._worker.load_failed.emit(LoadFailed(QWEN, "The server does not know it."))
    assert hearth.models.state == ModelState.FAILED
    assert hearth.window.banner.label.text() == "The server does not know it."


def test_offline_mode_contacts_no_server_and_refuses_remote_models(
        qtbot: QtBot, make_app: AppFactory, configure: Callable[..., None],
        registered_demo: str, loads: list[LoadOptions], remote: FakeServers) -> None:
    configure(offline=True, last=QWEN_KEY)
    hearth = make_app(remote_client=remote)
    # The remembered remote model is not used: a local one is, and the banner says why.
    assert "Offline mode is on" in hearth.window.banner.label.text()
    assert [options.server_id for options in loads] == [""]
    assert hearth.models.selected_id == registered_demo
    items = combo_items(hearth)
    assert items[1:] == [("GPU box: offline mode", "", False),
                         ("DeepSeek: offline mode", "", False),
                         ("Old box: offline mode", "", False)]
    assert "Offline mode is on" in tooltip(hearth, "DeepSeek: offline mode")
    assert not hearth.window.refresh_servers_button.isVisible()
    hearth.models.select(QWEN_KEY)  # e.g. chosen another way: still refused
    assert all(not options.server_id for options in loads)
    assert hearth.models.selected_remote is None
    assert not hearth.window.remote_notice.isVisible()
    assert remote.built == []  # no server was contacted at all


def test_turning_offline_mode_on_falls_back_to_the_local_model(
        qtbot: QtBot, make_app: AppFactory, configure: Callable[..., None],
        registered_demo: str, loads: list[LoadOptions], remote: FakeServers) -> None:
    configure()
    hearth = make_app(remote_client=remote)
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    hearth.models.select(QWEN_KEY)
    assert hearth.window.remote_notice.isVisible()
    settings = hearth.models.settings
    settings.offline = True
    hearth.models.apply_settings(settings)
    assert loads[-1].model_path.endswith(".gguf")
    assert hearth.models.selected_id == registered_demo
    assert not hearth.window.remote_notice.isVisible()
    assert "Offline mode is on" in hearth.window.banner.label.text()


def test_the_last_remote_model_is_remembered_and_a_removed_server_falls_back(
        qtbot: QtBot, make_app: AppFactory, configure: Callable[..., None],
        registered_demo: str, loads: list[LoadOptions], remote: FakeServers) -> None:
    configure(last=QWEN_KEY)
    hearth = make_app(remote_client=remote)
    assert loads[-1] == LoadOptions(model_path=QWEN, server_id=GPU_BOX.id)
    # Listed while its server is still being asked, selected in the combo.
    assert hearth.window.model_combo.currentData() == QWEN_KEY
    settings = hearth.models.settings
    settings.servers = [DEEPSEEK]
    hearth.models.apply_settings(settings)  # the GPU box was removed in Settings › Servers
    assert "no longer in Settings › Servers" in hearth.window.banner.label.text()
    assert loads[-1].server_id == ""
    assert hearth.models.selected_id == registered_demo
    assert not hearth.window.remote_notice.isVisible()


def test_remote_keys_name_the_server_and_the_model() -> None:
    ref = parse_remote_key(QWEN_KEY)
    assert ref is not None
    assert (ref.server_id, ref.model) == (GPU_BOX.id, QWEN)
    assert ref.key == QWEN_KEY
    for local in ("bartowski/Qwen2.5-GGUF/q4.gguf", "remote:", "remote:srv-x", "remote:/m"):
        assert parse_remote_key(local) is None, local


def test_a_server_added_in_settings_lists_its_models_and_its_key_stays_out_of_the_file(
        qtbot: QtBot, make_app: AppFactory, configure: Callable[..., None],
        app_paths: AppPaths, loads: list[LoadOptions], remote: FakeServers) -> None:
    from desktop_app.core.keychain import MemoryKeyStore

    configure(servers=())
    keys = MemoryKeyStore()
    hearth = make_app(remote_client=remote, keys=keys)
    assert combo_items(hearth)[1:] == []
    dialog = hearth.window.settings_dialog()
    tab = dialog.servers_tab
    assert tab is not None
    server_dialog = tab.server_dialog()
    server_dialog.preset_combo.setCurrentIndex(server_dialog.preset_combo.findData("deepseek"))
    server_dialog.key_edit.setText("sk-secret-42")
    tab.accept_dialog(server_dialog)
    dialog.accept()
    hearth.models.apply_settings(dialog.result_settings())
    qtbot.waitUntil(lambda: ("deepseek-chat — DeepSeek", remote_key(
        tab.servers()[0].id, "deepseek-chat"), True) in combo_items(hearth), timeout=5000)
    assert keys.get(tab.servers()[0].id) == "sk-secret-42"
    assert remote.built[-1][1] == "sk-secret-42"  # the listing used the stored key
    saved = app_paths.settings_path.read_text(encoding="utf-8")
    assert "DeepSeek" in saved
    assert "sk-secret-42" not in saved


def test_a_new_key_for_the_selected_server_reconnects(
        qtbot: QtBot, make_app: AppFactory, configure: Callable[..., None],
        loads: list[LoadOptions], remote: FakeServers) -> None:
    from desktop_app.core.keychain import MemoryKeyStore

    configure(last=QWEN_KEY)
    keys = MemoryKeyStore()
    hearth = make_app(remote_client=remote, keys=keys)
    qtbot.waitUntil(lambda: hearth.window.model_combo.findData(
        remote_key(DEEPSEEK.id, "deepseek-chat")) >= 0, timeout=5000)
    assert len(loads) == 1
    dialog = hearth.window.settings_dialog()
    tab = dialog.servers_tab
    assert tab is not None
    tab.tree.topLevelItem(0).setSelected(True)
    edit = tab.server_dialog(tab.selected_server())
    edit.key_edit.setText("sk-new")
    tab.accept_dialog(edit)
    dialog.accept()
    assert dialog.keys_changed == {GPU_BOX.id}
    asked = len(remote.built)
    hearth.models.apply_settings(dialog.result_settings())
    hearth.models.keys_changed(dialog.keys_changed)
    assert loads[1:] == [LoadOptions(model_path=QWEN, server_id=GPU_BOX.id)]  # reconnected
    # Its models are asked again, with the new key (a failed server may be asked again too).
    qtbot.waitUntil(lambda: (GPU_BOX, "sk-new") in remote.built[asked:], timeout=5000)
