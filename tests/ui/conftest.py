"""Fixtures for GUI tests: the real main window, built by the real composition root."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTranslator
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import Engine
from desktop_app.core.keychain import MemoryKeyStore
from desktop_app.core.models.library import ModelLibrary
from desktop_app.core.paths import AppPaths
from desktop_app.core.settings import SettingsStore
from desktop_app.ui.app import HearthApp, build_app
from tests.ui.fake_engine import FakeEngine

AppFactory = Callable[..., HearthApp]


@pytest.fixture
def registered_demo(app_paths: AppPaths, demo_model_path: Path) -> str:
    """Register the cached demo model in place (fast) and make it the last used model."""
    model = ModelLibrary(app_paths.models_dir).import_file(demo_model_path, mode="in_place")
    store = SettingsStore(app_paths.settings_path)
    settings, _ = store.load()
    settings.last_model_id = model.id
    store.save(settings)
    return model.id


@pytest.fixture
def make_app(qtbot: QtBot, app_paths: AppPaths) -> Iterator[AppFactory]:
    """Build and start Hearth windows on this test's HEARTH_HOME; shut them all down after."""
    built: list[HearthApp] = []

    def factory(engine_factory: Callable[[], Engine] = FakeEngine, **options: Any) -> HearthApp:
        options.setdefault("keys", MemoryKeyStore())
        hearth = build_app(app_paths, engine_factory=engine_factory, **options)
        qtbot.addWidget(hearth.window)
        hearth.window.show()
        hearth.start()
        built.append(hearth)
        return hearth

    yield factory
    for hearth in built:
        if hearth.engine_thread.isRunning():
            hearth.shutdown()


@pytest.fixture(autouse=True)
def no_real_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """No GUI test reads or writes the user's keyring: ``keyring`` answers "no keyring"."""
    import keyring.core
    from keyring.backends.fail import Keyring

    monkeypatch.setattr(keyring.core, "_keyring_backend", Keyring())


@pytest.fixture
def installed(qapp: QApplication) -> Iterator[list[QTranslator]]:
    """Translators :func:`install_translators` installed, removed again after the test."""
    installed: list[QTranslator] = []
    yield installed
    for translator in installed:
        qapp.removeTranslator(translator)
