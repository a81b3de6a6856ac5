"""The sampling form: presets, validation that never clamps, exact round trips."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox
from pytestqt.qtbot import QtBot

from desktop_app.core.engine.api import ParameterError, SamplingParams
from desktop_app.ui.settings.sampling_form import (
    MAX_SEED,
    SamplingForm,
    decode_stop,
    encode_stop,
    parse_stop_lines,
)

PRESETS = {
    "Balanced": SamplingParams(),
    "Precise": SamplingParams(temperature=0.2, top_k=20, top_p=0.9, min_p=0.1,
                              repeat_penalty=1.05, max_tokens=512),
    "Creative": SamplingParams(temperature=1.1, top_k=100, top_p=0.98, min_p=0.02,
                               repeat_penalty=1.15, max_tokens=2048),
}


@pytest.fixture
def form(qtbot: QtBot) -> SamplingForm:
    # Not shown: key events reach hidden widgets too, and Qt's offscreen platform
    # warns about top-level windows (which fails the test).
    widget = SamplingForm(PRESETS)
    qtbot.addWidget(widget)
    return widget


def retype(qtbot: QtBot, spin: QAbstractSpinBox, text: str) -> None:
    """Replace a spin box's text by typing, as a user would."""
    spin.selectAll()
    qtbot.keyClick(spin, Qt.Key.Key_Delete)
    if text:
        qtbot.keyClicks(spin, text)


def choose_preset(form: SamplingForm, name: str) -> None:
    """Pick a preset the way a user does: the combo's activated signal follows the choice."""
    index = form.preset_combo.findData(name)
    form.preset_combo.setCurrentIndex(index)
    form.preset_combo.activated.emit(index)


def test_combo_lists_presets_then_custom(form: SamplingForm) -> None:
    names = [form.preset_combo.itemData(i) for i in range(form.preset_combo.count())]
    assert names == ["Balanced", "Precise", "Creative", ""]
    assert form.preset_combo.itemText(3) == "Custom"


def test_choosing_a_preset_fills_its_fields_and_keeps_seed_and_stop(form: SamplingForm) -> None:
    form.set_params(SamplingParams(seed=42, stop=("###",)))
    choose_preset(form, "Creative")
    assert form.params() == SamplingParams(temperature=1.1, top_k=100, top_p=0.98, min_p=0.02,
                                           repeat_penalty=1.15, max_tokens=2048, seed=42,
                                           stop=("###",))
    assert form.current_preset() == "Creative"


def test_choosing_custom_changes_nothing(form: SamplingForm) -> None:
    choose_preset(form, "Precise")
    before = form.params()
    choose_preset(form, "")
    assert form.params() == before
    assert form.current_preset() == ""


def test_editing_a_field_switches_to_custom(qtbot: QtBot, form: SamplingForm) -> None:
    choose_preset(form, "Precise")
    retype(qtbot, form.temperature_spin, "0.5")
    assert form.current_preset() == ""
    assert form.params().temperature == 0.5


def test_editing_seed_or_stop_keeps_the_preset(qtbot: QtBot, form: SamplingForm) -> None:
    choose_preset(form, "Precise")
    form.random_seed_check.setChecked(False)
    retype(qtbot, form.seed_spin, "7")
    form.stop_edit.setPlainText("END")
    assert form.current_preset() == "Precise"
    assert form.params().seed == 7
    assert form.params().stop == ("END",)


@pytest.mark.parametrize(("params", "preset"), [
    (SamplingParams(), "Balanced"),
    (SamplingParams(seed=3, stop=("x",)), "Balanced"),  # seed and stop do not decide the preset
    (PRESETS["Precise"], "Precise"),
    (SamplingParams(temperature=0.3), ""),
])
def test_set_params_shows_the_matching_preset(form: SamplingForm, params: SamplingParams,
                                              preset: str) -> None:
    form.set_params(params)
    assert form.current_preset() == preset


@pytest.mark.parametrize("params", [
    SamplingParams(),
    SamplingParams(temperature=0.0, top_k=0, top_p=1.0, min_p=0.0, repeat_penalty=1.0,
                   max_tokens=1, seed=0),
    SamplingParams(temperature=5.0, top_k=1000, top_p=0.5, min_p=1.0, repeat_penalty=5.0,
                   max_tokens=100_000, seed=MAX_SEED),
    # More decimals than the spin boxes show: kept exactly when the user does not touch them.
    SamplingParams(temperature=0.7331, top_p=0.9512, min_p=0.0123, repeat_penalty=1.0999),
    SamplingParams(stop=("\nUser:", "a\\nb", "tab\there", "</s>")),
])
def test_params_round_trip(form: SamplingForm, params: SamplingParams) -> None:
    form.set_params(params)
    assert form.params() == params
    assert form.is_valid()


def test_a_touched_rounded_field_takes_the_new_value(qtbot: QtBot, form: SamplingForm) -> None:
    form.set_params(SamplingParams(temperature=0.7331))
    retype(qtbot, form.temperature_spin, "0.8")
    assert form.params().temperature == 0.8


def test_stop_lines_ignore_blank_lines_and_duplicates(form: SamplingForm) -> None:
    form.stop_edit.setPlainText("User:\n\n   \n\\nAssistant:\nUser:\n")
    assert form.params().stop == ("User:", "\nAssistant:")
    assert form.is_valid()


@pytest.mark.parametrize("stop", ["\n\n", "a\\b", "\\n literally", "\t", "x\\"])
def test_stop_encoding_round_trips(stop: str) -> None:
    assert decode_stop(encode_stop(stop)) == stop
    assert "\n" not in encode_stop(stop)


def test_unknown_escapes_are_kept_as_typed() -> None:
    assert parse_stop_lines("C:\\path\\x") == ("C:\\path\\x",)


def test_max_tokens_below_one_is_an_error_not_a_clamp(qtbot: QtBot, form: SamplingForm) -> None:
    with qtbot.waitSignal(form.validity_changed, timeout=1000) as blocker:
        retype(qtbot, form.max_tokens_spin, "0")
    assert blocker.args == [False]
    assert not form.is_valid()
    assert not form.error_label.isHidden()
    assert "Max tokens" in form.error_text()
    with pytest.raises(ParameterError, match="Max tokens"):
        form.params()
    with qtbot.waitSignal(form.validity_changed, timeout=1000) as blocker:
        qtbot.keyClicks(form.max_tokens_spin, "64")  # "0" + "64": 64
    assert blocker.args == [True]
    assert form.params().max_tokens == 64
    assert form.error_label.isHidden()


def test_fixed_seed_needs_a_value(qtbot: QtBot, form: SamplingForm) -> None:
    assert not form.seed_spin.isEnabled()
    form.random_seed_check.setChecked(False)
    assert form.seed_spin.isEnabled()
    retype(qtbot, form.seed_spin, "")
    assert not form.is_valid()
    assert "seed" in form.error_text()
    form.random_seed_check.setChecked(True)
    assert form.is_valid()
    assert form.params().seed is None


def test_fixed_seed_covers_the_whole_32_bit_range(qtbot: QtBot, form: SamplingForm) -> None:
    form.random_seed_check.setChecked(False)
    retype(qtbot, form.seed_spin, str(MAX_SEED))
    assert form.params().seed == MAX_SEED
    # One more digit does not fit: the keystroke is refused, the value stays.
    qtbot.keyClicks(form.seed_spin, "0")
    assert form.params().seed == MAX_SEED


@pytest.mark.parametrize("bad", [
    SamplingParams(seed=MAX_SEED + 1),
    SamplingParams(seed=-1),
    SamplingParams(temperature=7.0),
    SamplingParams(max_tokens=0),
    SamplingParams(stop=("",)),
])
def test_set_params_refuses_invalid_values_instead_of_clamping(form: SamplingForm,
                                                               bad: SamplingParams) -> None:
    shown = SamplingParams(temperature=0.4, seed=9)
    form.set_params(shown)
    with pytest.raises(ParameterError):
        form.set_params(bad)
    assert form.params() == shown


def test_changed_is_emitted_on_edits(qtbot: QtBot, form: SamplingForm) -> None:
    with qtbot.waitSignal(form.changed, timeout=1000):
        form.stop_edit.setPlainText("x")


def test_speculative_decoding_is_on_by_default_and_round_trips(form: SamplingForm) -> None:
    assert form.params().speculative
    assert not form.params().draft_model  # a second model in memory: only when asked
    assert form.speculative_check.toolTip()  # says what it does
    assert form.draft_model_check.toolTip()
    form.set_params(SamplingParams(speculative=False))
    assert not form.speculative_check.isChecked()
    assert not form.draft_model_check.isEnabled()  # it refines drafting, which is off
    assert not form.params().speculative
    form.speculative_check.setChecked(True)
    assert form.draft_model_check.isEnabled()
    assert form.params() == SamplingParams()
    form.draft_model_check.setChecked(True)
    assert form.params() == SamplingParams(draft_model=True)
    form.set_params(SamplingParams(draft_model=True))
    assert form.draft_model_check.isChecked()
    form.speculative_check.setChecked(False)
    choose_preset(form, "Creative")  # a preset is a sampling style: it leaves these alone
    assert not form.params().speculative
    assert form.params().draft_model
    form.speculative_check.setChecked(True)
    choose_preset(form, "Precise")
    assert form.params().speculative
