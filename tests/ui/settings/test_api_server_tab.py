"""Settings › API server and its controller, with a server that needs no socket.

The real server on a real port, with an HTTP request, is in
``tests/ui/common/test_api_server_window.py``.
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from desktop_app.core.keychain import KeychainError, KeyStore, MemoryKeyStore
from desktop_app.core.serve.config import API_KEY_NAME, ApiServerSettings
from desktop_app.core.user_text import UserFacingError, user_text
from desktop_app.ui.common.api_server_controller import (
    ApiServerController,
    ApiServerState,
    format_address,
)
from desktop_app.ui.settings.api_server_tab import ApiServerTab
from tests.ui.fake_remote import FakeApiServer

ENABLED = ApiServerSettings(enabled=True, port=8799)


def ensure_key(keys: KeyStore) -> str:
    key = keys.get(API_KEY_NAME)
    if key is None:
        key = "hk-first"
        keys.set(API_KEY_NAME, key)
    return key


def regenerate_key(keys: KeyStore) -> str:
    key = "hk-" + str(len(keys.get(API_KEY_NAME) or ""))  # differs from the last
    keys.set(API_KEY_NAME, key + "x")
    return key + "x"


class Servers:
    """The controller's server factory: every server it built, newest last."""

    def __init__(self) -> None:
        self.built: list[FakeApiServer] = []
        self.fail_with: Exception | None = None

    def __call__(self, settings: ApiServerSettings, key: str) -> FakeApiServer:
        self.built.append(FakeApiServer(settings, key, fail_with=self.fail_with))
        return self.built[-1]


@pytest.fixture
def servers() -> Servers:
    return Servers()


@pytest.fixture
def keys() -> MemoryKeyStore:
    return MemoryKeyStore()


@pytest.fixture
def controller(servers: Servers, keys: MemoryKeyStore) -> ApiServerController:
    return ApiServerController(servers, keys, ensure_key, regenerate_key)


@pytest.fixture
def tab(qtbot: QtBot, controller: ApiServerController) -> ApiServerTab:
    tab = ApiServerTab(ApiServerSettings(), controller)
    qtbot.addWidget(tab)
    return tab


def test_enabling_starts_the_server_and_disabling_stops_it(
        controller: ApiServerController, servers: Servers, qtbot: QtBot) -> None:
    assert controller.state == ApiServerState.STOPPED
    with qtbot.waitSignal(controller.state_changed, timeout=1000):
        controller.apply(ENABLED)
    assert controller.state == ApiServerState.RUNNING
    assert controller.address == "http://127.0.0.1:8799"
    assert servers.built[-1].running
    assert servers.built[-1].api_key == "hk-first"
    controller.apply(ENABLED)  # unchanged: not restarted
    assert len(servers.built) == 1
    controller.apply(ApiServerSettings(enabled=False))
    assert controller.state == ApiServerState.STOPPED
    assert not servers.built[-1].running


def test_a_start_failure_is_the_failed_state_with_the_reason(
        controller: ApiServerController, servers: Servers) -> None:
    servers.fail_with = UserFacingError(user_text(
        "serve.fake", "Port {port} is already in use.", port=8799))
    controller.apply(ENABLED)
    assert controller.state == ApiServerState.FAILED
    assert controller.error == "Port 8799 is already in use."
    servers.fail_with = None
    controller.apply(ENABLED)  # the same settings again: tried again
    assert controller.state == ApiServerState.RUNNING


def test_the_tab_shows_the_live_state_and_request_count(
        tab: ApiServerTab, controller: ApiServerController, servers: Servers,
        qtbot: QtBot) -> None:
    assert tab.state_label.text() == "Stopped"
    controller.apply(ENABLED)
    assert tab.state_label.text() == "Running at http://127.0.0.1:8799"
    assert tab.count_label.text() == "0 since it started"
    with qtbot.waitSignal(controller.request_count_changed, timeout=2000):
        servers.built[-1].serve_one()  # on another thread, as the real server does
    assert tab.count_label.text() == "1 since it started"


def test_copy_puts_the_key_on_the_clipboard_and_show_unmasks_it(tab: ApiServerTab) -> None:
    QGuiApplication.clipboard().clear()
    tab.copy_button.click()
    assert QGuiApplication.clipboard().text() == "hk-first"
    assert tab.key_edit.text() == ""  # masked until Show
    tab.show_key_button.click()
    assert tab.key_edit.text() == "hk-first"
    assert tab.key_edit.echoMode() == QLineEdit.EchoMode.Normal
    tab.show_key_button.click()
    assert tab.key_edit.text() == ""


def test_regenerating_restarts_the_running_server_with_the_new_key(
        tab: ApiServerTab, controller: ApiServerController, servers: Servers,
        keys: MemoryKeyStore) -> None:
    controller.apply(ENABLED)
    assert tab.regenerate_key()
    new_key = keys.get(API_KEY_NAME)
    assert new_key not in (None, "hk-first")
    assert not servers.built[0].running
    assert servers.built[-1].running
    assert servers.built[-1].api_key == new_key
    tab.copy_key()
    assert QGuiApplication.clipboard().text() == new_key


def test_a_keyring_error_is_shown_in_words(
        servers: Servers, qtbot: QtBot) -> None:
    def no_keyring(_keys: KeyStore) -> str:
        raise KeychainError(user_text("keychain.fake", "The system keyring is not available."))

    controller = ApiServerController(servers, MemoryKeyStore(), no_keyring, no_keyring)
    tab = ApiServerTab(ApiServerSettings(), controller)
    qtbot.addWidget(tab)
    assert not tab.copy_key()
    assert tab.key_message.text() == "The system keyring is not available."
    controller.apply(ENABLED)
    assert controller.state == ApiServerState.FAILED
    assert "keyring is not available" in tab.state_label.text()


def test_fields_build_the_settings_and_warn_about_other_computers(tab: ApiServerTab) -> None:
    tab.enable_check.setChecked(True)
    assert not tab.host_warning.isVisibleTo(tab)
    tab.host_edit.setText("0.0.0.0")
    assert tab.host_warning.isVisibleTo(tab)
    tab.port_spin.setValue(9000)
    tab.hosts_edit.setText("hearth.lan, box.local")
    tab.origins_edit.setText("http://localhost:3000")
    tab.tokens_spin.setValue(512)
    assert tab.settings() == ApiServerSettings(
        enabled=True, host="0.0.0.0", port=9000, allowed_hosts=("hearth.lan", "box.local"),
        cors_origins=("http://localhost:3000",), max_tokens_limit=512)
    tab.host_edit.clear()
    assert not tab.is_valid()
    assert "address" in tab.error_text()


def test_addresses_are_formatted_as_urls() -> None:
    assert format_address(("127.0.0.1", 8765)) == "http://127.0.0.1:8765"
    assert format_address(("::1", 8765)) == "http://[::1]:8765"
    assert format_address("http://127.0.0.1:1") == "http://127.0.0.1:1"
