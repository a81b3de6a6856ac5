"""Settings › Servers: add, edit, remove, test connection; keys go to the key store only."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit
from pytestqt.qtbot import QtBot

from desktop_app.core.keychain import KeychainError, MemoryKeyStore
from desktop_app.core.remote.servers import ServerConfig
from desktop_app.core.settings import Settings, settings_to_json
from desktop_app.core.user_text import user_text
from desktop_app.ui.common.background import BackgroundJobs
from desktop_app.ui.common.remote_access import RemoteAccess
from desktop_app.ui.settings.server_dialog import ServerDialog
from desktop_app.ui.settings.servers_tab import ServersTab, is_local_address
from desktop_app.ui.settings.settings_dialog import SettingsDialog
from tests.ui.fake_remote import FakeServers, refused

SECRET = "sk-test-0123456789"
GPU_BOX = ServerConfig("srv-gpubox", "GPU box", "http://10.0.0.5:8000/v1", preset="vllm")


@pytest.fixture
def keys() -> MemoryKeyStore:
    return MemoryKeyStore()


@pytest.fixture
def servers() -> FakeServers:
    return FakeServers(models={"GPU box": ["Qwen/Qwen2.5-72B-Instruct", "llama-3.1-70b"],
                               "DeepSeek": ["deepseek-chat", "deepseek-reasoner"]})


@pytest.fixture
def jobs(qtbot: QtBot) -> Iterator[BackgroundJobs]:
    jobs = BackgroundJobs()
    yield jobs
    jobs.wait()


@pytest.fixture
def tab(qtbot: QtBot, keys: MemoryKeyStore, servers: FakeServers,
        jobs: BackgroundJobs) -> ServersTab:
    tab = ServersTab([GPU_BOX], RemoteAccess(keys, servers), jobs)
    qtbot.addWidget(tab)
    return tab


def fill(dialog: ServerDialog, preset: str, name: str = "", key: str = "") -> None:
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData(preset))
    if name:
        dialog.name_edit.setText(name)
    dialog.key_edit.setText(key)


def ok_enabled(dialog: ServerDialog) -> bool:
    return dialog.button_box.button(QDialogButtonBox.StandardButton.Ok).isEnabled()


def select(tab: ServersTab, row: int) -> None:
    tab.tree.topLevelItem(row).setSelected(True)


def test_a_preset_fills_the_address_and_says_whether_a_key_is_needed(qtbot: QtBot) -> None:
    dialog = ServerDialog()
    qtbot.addWidget(dialog)
    fill(dialog, "deepseek")
    assert dialog.url_edit.text() == "https://api.deepseek.com/v1"
    assert dialog.name_edit.text() == "DeepSeek"
    assert "API key" in dialog.preset_hint.text()
    fill(dialog, "ollama")
    assert dialog.url_edit.text() == "http://127.0.0.1:11434/v1"
    assert dialog.name_edit.text() == "Ollama"  # a preset's name follows the preset
    assert "API key" not in dialog.preset_hint.text()
    assert dialog.key_edit.echoMode() == QLineEdit.EchoMode.Password
    dialog.show_key_button.click()
    assert dialog.key_edit.echoMode() == QLineEdit.EchoMode.Normal


def test_ok_is_disabled_with_the_reason_while_the_server_is_invalid(qtbot: QtBot) -> None:
    dialog = ServerDialog()
    qtbot.addWidget(dialog)
    dialog.url_edit.setText("ftp://example.com")
    assert not ok_enabled(dialog)
    assert "ftp://example.com" in dialog.error_label.text()
    dialog.url_edit.setText("https://example.com/v1")
    dialog.name_edit.clear()
    assert not ok_enabled(dialog)
    assert "name" in dialog.error_label.text()
    dialog.name_edit.setText("Mine")
    assert ok_enabled(dialog)
    assert not dialog.error_label.isVisibleTo(dialog)


def test_added_server_is_listed_and_its_key_goes_to_the_key_store_only(
        tab: ServersTab, keys: MemoryKeyStore, qtbot: QtBot) -> None:
    dialog = tab.server_dialog()
    fill(dialog, "deepseek", key=SECRET)
    tab.accept_dialog(dialog)
    added = tab.servers()[1]
    assert (added.name, added.preset, added.base_url) == (
        "DeepSeek", "deepseek", "https://api.deepseek.com/v1")
    assert added.id.startswith("srv-")
    assert added.id != GPU_BOX.id
    assert tab.tree.topLevelItemCount() == 2
    item = tab.tree.topLevelItem(1)
    assert [item.text(c) for c in range(4)] == [
        "DeepSeek", "DeepSeek", "https://api.deepseek.com/v1", "Internet"]
    assert tab.tree.topLevelItem(0).text(3) == "Your computer or network"
    assert keys.get(added.id) is None  # not before the settings dialog's OK
    tab.save_keys()
    assert keys.get(added.id) == SECRET
    settings = Settings(servers=tab.servers())
    assert SECRET not in json.dumps(settings_to_json(settings))


def test_editing_keeps_the_key_unless_a_new_one_is_typed(
        tab: ServersTab, keys: MemoryKeyStore) -> None:
    keys.set(GPU_BOX.id, "old-key")
    select(tab, 0)
    dialog = tab.server_dialog(tab.selected_server())
    assert dialog.name_edit.text() == "GPU box"
    assert dialog.key_edit.text() == ""  # the stored key is never shown back
    dialog.name_edit.setText("Lab cluster")
    tab.accept_dialog(dialog)
    tab.save_keys()
    assert [s.name for s in tab.servers()] == ["Lab cluster"]
    assert tab.servers()[0].id == GPU_BOX.id
    assert keys.get(GPU_BOX.id) == "old-key"
    dialog = tab.server_dialog(tab.servers()[0])
    dialog.key_edit.setText("new-key")
    tab.accept_dialog(dialog)
    tab.save_keys()
    assert keys.get(GPU_BOX.id) == "new-key"


def test_removing_a_server_deletes_its_key(tab: ServersTab, keys: MemoryKeyStore) -> None:
    keys.set(GPU_BOX.id, SECRET)
    select(tab, 0)
    tab.remove_button.click()
    assert tab.servers() == []
    assert tab.tree.topLevelItemCount() == 0
    assert keys.get(GPU_BOX.id) == SECRET  # Cancel would keep it
    tab.save_keys()
    assert keys.get(GPU_BOX.id) is None


def test_unticking_a_server_disables_it(tab: ServersTab) -> None:
    tab.tree.topLevelItem(0).setCheckState(0, Qt.CheckState.Unchecked)
    assert not tab.servers()[0].enabled
    tab.tree.topLevelItem(0).setCheckState(0, Qt.CheckState.Checked)
    assert tab.servers()[0].enabled


def test_test_connection_shows_latency_and_models_using_the_typed_key(
        tab: ServersTab, servers: FakeServers, qtbot: QtBot) -> None:
    select(tab, 0)
    dialog = tab.server_dialog(tab.selected_server())
    dialog.key_edit.setText(SECRET)
    tab.accept_dialog(dialog)
    tab.test_button.click()
    assert not tab.test_button.isEnabled()  # one test at a time
    qtbot.waitUntil(lambda: tab.test_label.text().startswith("✓"), timeout=5000)
    text = tab.test_label.text()
    assert "42 ms" in text
    assert "Qwen/Qwen2.5-72B-Instruct" in text
    assert "llama-3.1-70b" in text
    assert servers.built[-1] == (tab.servers()[0], SECRET)
    assert servers.closed == len(servers.built)  # no connection left open
    assert tab.test_button.isEnabled()


def test_test_connection_says_why_it_failed(
        tab: ServersTab, servers: FakeServers, qtbot: QtBot) -> None:
    servers.errors["GPU box"] = refused("no route to host")
    select(tab, 0)
    tab.test_button.click()
    qtbot.waitUntil(lambda: tab.test_label.text().startswith("✗"), timeout=5000)
    assert "Could not connect: no route to host" in tab.test_label.text()


def test_server_names_and_model_ids_stay_plain_text(
        tab: ServersTab, servers: FakeServers, qtbot: QtBot) -> None:
    evil = "<img src='file:///dev/zero'><b>x</b>"
    dialog = tab.server_dialog()
    fill(dialog, "vllm", name=evil)
    tab.accept_dialog(dialog)
    servers.models[evil] = [evil]
    tab.test_button.click()  # the new server is selected
    qtbot.waitUntil(lambda: tab.test_label.text().startswith("✓"), timeout=5000)
    assert tab.test_label.textFormat() == Qt.TextFormat.PlainText
    assert tab.test_label.text().count(evil) == 2


def test_local_and_internet_addresses() -> None:
    for url in ("http://127.0.0.1:8080/v1", "http://localhost/v1", "http://gpubox:8000/v1",
                "http://192.168.1.20/v1", "http://[::1]:8000/v1", "http://box.local/v1"):
        assert is_local_address(url), url
    for url in ("https://api.openai.com/v1", "http://8.8.8.8/v1", "http://[2001:4860::8888]/v1"):
        assert not is_local_address(url), url


class RefusingKeyStore(MemoryKeyStore):
    def set(self, name: str, secret: str) -> None:
        raise KeychainError(user_text("keychain.fake", "The system keyring is locked."))


def test_settings_dialog_keeps_servers_and_stays_open_when_the_keyring_refuses(
        qtbot: QtBot, servers: FakeServers, jobs: BackgroundJobs) -> None:
    keys = RefusingKeyStore()
    dialog = SettingsDialog(Settings(servers=[GPU_BOX]), [], remote=RemoteAccess(keys, servers),
                            jobs=jobs)
    qtbot.addWidget(dialog)
    tab = dialog.servers_tab
    assert tab is not None
    assert dialog.tabs.tabText(dialog.tabs.indexOf(tab)) == "Servers"
    server_dialog = tab.server_dialog()
    fill(server_dialog, "openai", key=SECRET)
    tab.accept_dialog(server_dialog)
    dialog.accept()
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    assert "keyring is locked" in dialog.problem_text()
    assert [s.name for s in dialog.result_settings().servers] == ["GPU box", "OpenAI"]


class LockedKeyStore(MemoryKeyStore):
    def get(self, name: str) -> str | None:
        raise KeychainError(user_text("keychain.fake", "The system keyring is locked."))


def test_test_connection_says_when_the_key_cannot_be_read(
        qtbot: QtBot, servers: FakeServers, jobs: BackgroundJobs) -> None:
    tab = ServersTab([GPU_BOX], RemoteAccess(LockedKeyStore(), servers), jobs)
    qtbot.addWidget(tab)
    select(tab, 0)
    tab.test_button.click()
    qtbot.waitUntil(lambda: tab.test_label.text().startswith("✗"), timeout=5000)
    assert tab.test_label.text() == (
        "✗ GPU box: The key could not be read: The system keyring is locked.")
    assert servers.built == []  # no request went out without its key


def test_the_add_dialog_tests_the_server_as_typed_before_it_is_saved(
        tab: ServersTab, servers: FakeServers, qtbot: QtBot) -> None:
    dialog = tab.server_dialog()
    fill(dialog, "deepseek", key=SECRET)
    assert dialog.test_button is not None
    dialog.url_edit.setText("not a url")
    assert not dialog.test_button.isEnabled()  # nothing to test yet
    dialog.url_edit.setText("https://api.deepseek.com/v1")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.test_label.text().startswith("✓"), timeout=5000)
    assert "deepseek-chat" in dialog.test_label.text()
    tested, key = servers.built[-1]
    assert (tested.name, tested.base_url, key) == ("DeepSeek", "https://api.deepseek.com/v1",
                                                   SECRET)
    assert tab.servers() == [GPU_BOX]  # testing saved nothing
