"""The chat settings dialog, the per-model settings form and the app settings dialog."""

from __future__ import annotations

import copy

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPushButton
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import AUTO, ParameterError, SamplingParams
from desktop_app.core.settings import ModelSettings, Settings
from desktop_app.ui.chat.conversation_settings_dialog import ConversationSettingsDialog
from desktop_app.ui.settings.model_settings_form import MIN_CONTEXT, ModelSettingsForm
from desktop_app.ui.settings.settings_dialog import SettingsDialog

# Dialogs are not shown: Qt's offscreen platform warns about top-level windows,
# and warnings fail tests. Buttons are clicked with click(), which needs no window.

PRESETS = {"Balanced": SamplingParams(), "Precise": SamplingParams(temperature=0.2, top_k=20)}
GEMMA_FORMAT = "Gemma (built-in; the model has no chat template)"


def ok_button(box: QDialogButtonBox) -> QPushButton:
    return box.button(QDialogButtonBox.StandardButton.Ok)


# ---- conversation settings ----------------------------------------------------


@pytest.fixture
def conversation_dialog(qtbot: QtBot) -> ConversationSettingsDialog:
    dialog = ConversationSettingsDialog(
        "Be brief.", SamplingParams(temperature=0.3, seed=5), PRESETS, GEMMA_FORMAT,
        conversation_title="Trip", default_system_prompt="Default prompt.",
        default_params=SamplingParams(temperature=0.9))
    qtbot.addWidget(dialog)
    return dialog


def test_conversation_dialog_shows_what_it_was_given(
        conversation_dialog: ConversationSettingsDialog) -> None:
    assert conversation_dialog.system_prompt() == "Be brief."
    assert conversation_dialog.params() == SamplingParams(temperature=0.3, seed=5)
    assert conversation_dialog.prompt_format_label.text() == GEMMA_FORMAT
    assert "Trip" in conversation_dialog.windowTitle()
    assert not conversation_dialog.use_as_default()


def test_conversation_dialog_returns_what_was_entered(
        qtbot: QtBot, conversation_dialog: ConversationSettingsDialog) -> None:
    conversation_dialog.system_prompt_edit.setPlainText("  Answer in French.\nAlways.")
    conversation_dialog.sampling_form.max_tokens_spin.setValue(300)
    conversation_dialog.sampling_form.stop_edit.setPlainText("###")
    conversation_dialog.default_check.setChecked(True)
    with qtbot.waitSignal(conversation_dialog.accepted, timeout=1000):
        ok_button(conversation_dialog.button_box).click()
    assert conversation_dialog.result() == QDialog.DialogCode.Accepted
    assert conversation_dialog.system_prompt() == "  Answer in French.\nAlways."
    assert conversation_dialog.params() == SamplingParams(temperature=0.3, seed=5,
                                                          max_tokens=300, stop=("###",))
    assert conversation_dialog.use_as_default()


def test_conversation_dialog_ok_is_disabled_while_the_form_is_invalid(
        conversation_dialog: ConversationSettingsDialog) -> None:
    ok = ok_button(conversation_dialog.button_box)
    form = conversation_dialog.sampling_form
    form.random_seed_check.setChecked(False)
    form.seed_spin.lineEdit().clear()
    assert not ok.isEnabled()
    conversation_dialog.accept()  # e.g. Enter pressed: still refused
    assert conversation_dialog.result() != QDialog.DialogCode.Accepted
    form.seed_spin.setValue(11)
    assert ok.isEnabled()


def test_conversation_dialog_restores_the_app_defaults(
        conversation_dialog: ConversationSettingsDialog) -> None:
    restore = conversation_dialog.button_box.button(
        QDialogButtonBox.StandardButton.RestoreDefaults)
    restore.click()
    assert conversation_dialog.system_prompt() == "Default prompt."
    assert conversation_dialog.params() == SamplingParams(temperature=0.9)


def test_conversation_dialog_without_a_model_or_defaults(qtbot: QtBot) -> None:
    dialog = ConversationSettingsDialog("", SamplingParams(), PRESETS, "")
    qtbot.addWidget(dialog)
    assert dialog.prompt_format_label.text() == "No model loaded"
    assert dialog.button_box.button(QDialogButtonBox.StandardButton.RestoreDefaults) is None


# ---- per-model settings ----------------------------------------------------------


def make_model_form(qtbot: QtBot, trained: int | None,
                    settings: ModelSettings | None = None) -> ModelSettingsForm:
    form = ModelSettingsForm(trained, settings)
    qtbot.addWidget(form)
    return form


def test_model_form_rejects_a_context_above_the_trained_one(qtbot: QtBot) -> None:
    form = make_model_form(qtbot, 32768)
    assert "32768" in form.trained_label.text()
    with qtbot.waitSignal(form.validity_changed, timeout=1000) as blocker:
        form.context_spin.setValue(40000)
    assert blocker.args == [False]
    assert "trained for" in form.error_text()
    assert "32768" in form.error_text()
    with pytest.raises(ParameterError, match="longer than this model was trained for"):
        form.settings()
    form.context_spin.setValue(32768)
    assert form.is_valid()
    assert form.settings().n_ctx == 32768


def test_model_form_with_unknown_trained_context(qtbot: QtBot) -> None:
    form = make_model_form(qtbot, None)
    assert "unknown" in form.trained_label.text()
    form.context_spin.setValue(1_000_000)
    assert form.settings().n_ctx == 1_000_000


def test_model_form_rejects_a_tiny_context_but_accepts_auto(qtbot: QtBot) -> None:
    form = make_model_form(qtbot, 8192)
    form.context_spin.setValue(MIN_CONTEXT - 1)
    assert not form.is_valid()
    assert "Auto" in form.error_text()
    form.context_spin.setValue(0)
    assert form.settings().n_ctx == 0
    assert form.context_spin.text() == "Auto"


@pytest.mark.parametrize(("mode", "expected"), [("auto", AUTO), ("cpu", 0), ("layers", 12)])
def test_model_form_gpu_layer_modes(qtbot: QtBot, mode: str, expected: int) -> None:
    form = make_model_form(qtbot, None)
    form.gpu_layers_spin.setValue(12)
    form.gpu_combo.setCurrentIndex(form.gpu_combo.findData(mode))
    assert form.gpu_layers_spin.isEnabled() == (mode == "layers")
    assert form.settings().n_gpu_layers == expected


@pytest.mark.parametrize("settings", [
    ModelSettings(),
    ModelSettings(n_ctx=4096, n_gpu_layers=0, n_threads=6, n_batch=256, flash_attn=True,
                  kv_cache_type="q8_0"),
    ModelSettings(n_ctx=8192, n_gpu_layers=20, n_threads=1, n_batch=2048, flash_attn=True,
                  kv_cache_type="q4_0"),
])
def test_model_form_round_trip(qtbot: QtBot, settings: ModelSettings) -> None:
    form = make_model_form(qtbot, 8192, settings)
    assert form.settings() == settings


def test_model_form_quantized_kv_cache_needs_flash_attention(qtbot: QtBot) -> None:
    form = make_model_form(qtbot, None)
    form.kv_cache_combo.setCurrentIndex(form.kv_cache_combo.findData("q8_0"))
    assert not form.is_valid()
    assert "flash attention" in form.error_text()
    form.flash_attn_check.setChecked(True)
    assert form.settings().kv_cache_type == "q8_0"


@pytest.mark.parametrize("bad", [
    ModelSettings(kv_cache_type="bf16"),
    ModelSettings(n_gpu_layers=-5),
    ModelSettings(n_batch=0),
])
def test_model_form_refuses_to_show_values_it_would_change(qtbot: QtBot,
                                                           bad: ModelSettings) -> None:
    form = make_model_form(qtbot, None, ModelSettings(n_threads=3))
    with pytest.raises(ParameterError):
        form.set_settings(bad)
    assert form.settings() == ModelSettings(n_threads=3)


# ---- app settings ----------------------------------------------------------------

MODELS = [("gemma", "Gemma 3 270M", 32768), ("qwen", "Qwen 2.5 7B", None)]


@pytest.fixture
def settings() -> Settings:
    result = Settings()
    result.language = "en"
    result.default_system_prompt = "Be kind."
    result.default_params = SamplingParams(temperature=0.5)
    result.model_settings = {"gemma": ModelSettings(n_ctx=4096), "gone": ModelSettings(n_batch=64)}
    return result


def make_settings_dialog(qtbot: QtBot, settings: Settings,
                         models: list[tuple[str, str, int | None]] = MODELS,
                         current: str | None = None) -> SettingsDialog:
    dialog = SettingsDialog(settings, models, current_model_id=current)
    qtbot.addWidget(dialog)
    return dialog


def test_settings_dialog_unchanged_returns_an_equal_copy(qtbot: QtBot, settings: Settings) -> None:
    dialog = make_settings_dialog(qtbot, settings)
    result = dialog.result_settings()
    assert result == settings
    assert result is not settings
    assert result.model_settings is not settings.model_settings


def test_settings_dialog_returns_a_modified_copy_and_leaves_the_input_alone(
        qtbot: QtBot, settings: Settings) -> None:
    before = copy.deepcopy(settings)
    dialog = make_settings_dialog(qtbot, settings, current="qwen")
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("zh_CN"))
    dialog.system_prompt_edit.setPlainText("Be terse.")
    dialog.offline_check.setChecked(True)
    dialog.sampling_form.top_k_spin.setValue(7)
    assert dialog.model_combo.currentData() == "qwen"
    dialog.model_forms["qwen"].threads_spin.setValue(4)
    dialog.model_forms["gemma"].flash_attn_check.setChecked(True)
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        ok_button(dialog.button_box).click()

    result = dialog.result_settings()
    assert settings == before
    assert result.language == "zh_CN"
    assert result.default_system_prompt == "Be terse."
    assert result.offline is True
    assert result.default_params == SamplingParams(temperature=0.5, top_k=7)
    assert result.model_settings == {
        "gemma": ModelSettings(n_ctx=4096, flash_attn=True),
        "qwen": ModelSettings(n_threads=4),
        "gone": ModelSettings(n_batch=64),  # a model not listed keeps its settings
    }
    assert result.presets == settings.presets
    assert result.last_model_id == settings.last_model_id


def test_models_left_at_the_defaults_are_not_written(qtbot: QtBot, settings: Settings) -> None:
    result = make_settings_dialog(qtbot, settings).result_settings()
    assert "qwen" not in result.model_settings


@pytest.mark.parametrize(("index", "code"), [(0, "system"), (1, "en"), (2, "zh_CN")])
def test_language_choice_maps_to_its_code(qtbot: QtBot, settings: Settings, index: int,
                                          code: str) -> None:
    dialog = make_settings_dialog(qtbot, settings)
    assert [dialog.language_combo.itemText(i) for i in range(3)] == [
        "System", "English", "简体中文"]
    dialog.language_combo.setCurrentIndex(index)
    assert dialog.result_settings().language == code


def test_an_unknown_language_is_kept(qtbot: QtBot, settings: Settings) -> None:
    settings.language = "fr"
    dialog = make_settings_dialog(qtbot, settings)
    assert dialog.result_settings().language == "fr"


def test_an_invalid_model_page_out_of_sight_disables_ok_and_says_where(
        qtbot: QtBot, settings: Settings) -> None:
    dialog = make_settings_dialog(qtbot, settings, current="qwen")
    ok = ok_button(dialog.button_box)
    dialog.model_forms["gemma"].context_spin.setValue(65536)
    assert not ok.isEnabled()
    assert dialog.problem_text().startswith("Models › Gemma 3 270M:")
    assert "32768" in dialog.problem_text()
    with pytest.raises(ParameterError):
        dialog.result_settings()
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted

    # On the page itself, the form's own message is enough.
    dialog.tabs.setCurrentIndex(2)
    dialog.model_combo.setCurrentIndex(dialog.model_combo.findData("gemma"))
    assert dialog.problem_text() == ""
    dialog.model_forms["gemma"].context_spin.setValue(0)
    assert ok.isEnabled()


def test_an_invalid_default_generation_setting_disables_ok(qtbot: QtBot,
                                                           settings: Settings) -> None:
    dialog = make_settings_dialog(qtbot, settings)
    spin = dialog.sampling_form.max_tokens_spin
    spin.selectAll()
    qtbot.keyClick(spin, Qt.Key.Key_Delete)
    qtbot.keyClicks(spin, "0")
    assert not ok_button(dialog.button_box).isEnabled()
    assert dialog.problem_text().startswith("Generation:")


def test_settings_dialog_without_models(qtbot: QtBot, settings: Settings) -> None:
    dialog = make_settings_dialog(qtbot, settings, models=[])
    assert dialog.model_forms == {}
    assert dialog.result_settings().model_settings == settings.model_settings
