"""The real API server in the window: started from the settings on a free port, its key
copied from Settings › API server, requests counted live in the status bar."""

from __future__ import annotations

import httpx
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from desktop_app.core.keychain import MemoryKeyStore
from desktop_app.core.serve.config import API_KEY_NAME, ApiServerSettings
from desktop_app.ui.common.api_server_controller import ApiServerState
from desktop_app.ui.models.model_controller import ModelState
from tests.ui.conftest import AppFactory


def test_enabling_the_api_server_serves_requests_with_the_copied_key(
        qtbot: QtBot, make_app: AppFactory, registered_demo: str) -> None:
    keys = MemoryKeyStore()
    hearth = make_app(keys=keys)
    window = hearth.window
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    assert hearth.api_server.state == ApiServerState.STOPPED  # off by default
    assert not window.api_label.isVisible()

    settings = hearth.models.settings
    settings.api_server = ApiServerSettings(enabled=True, port=0)  # any free port
    with qtbot.waitSignal(hearth.api_server.state_changed, timeout=10_000):
        hearth.models.apply_settings(settings)
    assert hearth.api_server.state == ApiServerState.RUNNING, hearth.api_server.error
    address = hearth.api_server.address
    assert address.startswith("http://127.0.0.1:")
    assert window.api_label.isVisible()
    assert window.api_label.text() == "API requests: 0"

    dialog = window.settings_dialog()
    tab = dialog.api_server_tab
    assert tab is not None
    assert tab.state_label.text() == f"Running at {address}"
    QGuiApplication.clipboard().clear()
    tab.copy_button.click()
    key = QGuiApplication.clipboard().text()
    assert key
    assert key == keys.get(API_KEY_NAME)
    assert key not in app_settings_text(hearth)

    with qtbot.waitSignal(hearth.api_server.request_count_changed, timeout=10_000):
        response = httpx.get(f"{address}/models", headers={"Authorization": f"Bearer {key}"},
                             timeout=10)
    assert response.status_code == 200
    qtbot.waitUntil(lambda: window.api_label.text() == "API requests: 1", timeout=5000)
    assert tab.count_label.text() == "1 since it started"
    refused = httpx.get(f"{address}/models", timeout=10)  # no key
    assert refused.status_code == 401

    settings = hearth.models.settings
    settings.api_server = ApiServerSettings(enabled=False)
    hearth.models.apply_settings(settings)
    assert hearth.api_server.state == ApiServerState.STOPPED
    assert not window.api_label.isVisible()
    assert tab.state_label.text() == "Stopped"


def app_settings_text(hearth: object) -> str:
    return hearth.paths.settings_path.read_text(encoding="utf-8")  # type: ignore[attr-defined]
