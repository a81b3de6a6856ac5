"""The model settings form's prompt format and engine watchdog fields."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import ParameterError
from desktop_app.core.settings import (
    ModelSettings,
    model_settings_from_json,
    model_settings_to_json,
)
from desktop_app.ui.settings.model_settings_form import (
    FORMAT_BUILTIN,
    FORMAT_MODEL,
    ModelSettingsForm,
)


def _form(qtbot: QtBot, settings: ModelSettings | None = None) -> ModelSettingsForm:
    form = ModelSettingsForm(8192, settings)
    qtbot.addWidget(form)
    return form


def test_prompt_format_and_watchdog_round_trip(qtbot: QtBot) -> None:
    form = _form(qtbot)
    assert form.prompt_format_combo.currentData() == FORMAT_MODEL
    assert form.watchdog_spin.value() == 60
    form.prompt_format_combo.setCurrentIndex(form.prompt_format_combo.findData(FORMAT_BUILTIN))
    form.watchdog_spin.setValue(300)
    chosen = form.settings()
    assert chosen.builtin_prompt_format
    assert chosen.watchdog_seconds == 300
    again = _form(qtbot, chosen)
    assert again.settings() == chosen
    # The settings file keeps them, and they reach the engine with the load.
    assert model_settings_from_json(model_settings_to_json(chosen)) == chosen
    options = chosen.load_options("/models/m.gguf")
    assert options.builtin_prompt_format
    assert options.watchdog_seconds == 300


@pytest.mark.parametrize("bad", [{"watchdog_seconds": 1}, {"builtin_prompt_format": "yes"}])
def test_bad_engine_fields_in_the_file_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"watchdog|builtin_prompt_format"):
        model_settings_from_json(bad)


def test_form_refuses_to_show_a_watchdog_out_of_range(qtbot: QtBot) -> None:
    form = _form(qtbot)
    with pytest.raises(ParameterError):
        form.set_settings(ModelSettings(watchdog_seconds=100_000))
