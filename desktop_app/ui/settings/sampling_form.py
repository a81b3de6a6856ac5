"""A form for :class:`SamplingParams`, shared by the chat settings and the app settings.

The spin boxes have exactly the ranges :meth:`SamplingParams.validate` accepts,
so most bad values cannot be typed at all. What can still go wrong (a field
left half-typed, such as an empty seed or a max-token count of 0, or an
unusable stop string) is reported in an inline error label and through
:attr:`SamplingForm.validity_changed`, which the dialogs use to disable OK.
Nothing is ever clamped or dropped behind the user's back: values are
validated before they are shown, and a float stored with more decimals than
a spin box displays is kept exactly unless the user changes that field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from desktop_app.core.engine.api import ParameterError, SamplingParams
from desktop_app.ui.settings.validated_form import ValidatedForm

MAX_SEED = 2**32 - 1
MAX_TOKENS_LIMIT = 1_000_000
TOP_K_LIMIT = 1_000_000

# The built-in presets' names (core/settings.py), listed so lupdate offers them for
# translation; the combo shows self.tr(name) and keeps the untranslated name as data.
BUILT_IN_PRESET_NAMES = (
    QT_TRANSLATE_NOOP("SamplingForm", "Balanced"),
    QT_TRANSLATE_NOOP("SamplingForm", "Precise"),
    QT_TRANSLATE_NOOP("SamplingForm", "Creative"),
)

# Fields a preset sets. Seed and stop strings describe what the user wants from
# one chat (reproducibility, where a reply ends), not a sampling style, so
# picking a preset leaves them alone and they do not decide which preset matches.
PRESET_FIELDS = ("temperature", "top_k", "top_p", "min_p", "repeat_penalty", "max_tokens")


def preset_matches(params: SamplingParams, preset: SamplingParams) -> bool:
    """True if ``params`` uses ``preset``'s values for every field a preset sets."""
    return all(getattr(params, name) == getattr(preset, name) for name in PRESET_FIELDS)


def apply_preset(params: SamplingParams, preset: SamplingParams) -> SamplingParams:
    """``params`` with the preset's sampling values; seed and stop strings kept."""
    return replace(params, **{name: getattr(preset, name) for name in PRESET_FIELDS})


def encode_stop(stop: str) -> str:
    r"""One stop string as a line of the stop box: newlines and tabs become ``\n`` and ``\t``.

    Stop strings often start with a newline (``"\nUser:"``), which a
    one-per-line box could not hold otherwise.
    """
    return stop.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def decode_stop(line: str) -> str:
    r"""The inverse of :func:`encode_stop`. A backslash before any other character is kept."""
    out: list[str] = []
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\" and i + 1 < len(line) and line[i + 1] in "nt\\":
            out.append({"n": "\n", "t": "\t", "\\": "\\"}[line[i + 1]])
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def parse_stop_lines(text: str) -> tuple[str, ...]:
    """The stop strings in the stop box: one per line, blank lines ignored, duplicates once."""
    seen: dict[str, None] = {}
    for line in text.splitlines():
        if line.strip():
            seen.setdefault(decode_stop(line), None)
    return tuple(seen)


def _double_spin(low: float, high: float, step: float, decimals: int) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setDecimals(decimals)
    spin.setAccelerated(True)
    _fixed_width(spin)
    return spin


def _int_spin(low: int, high: int, step: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setAccelerated(True)
    _fixed_width(spin)
    return spin


def _fixed_width(spin: QAbstractSpinBox) -> None:
    # Numbers read better in a box sized for them than stretched across the dialog.
    spin.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    spin.setMinimumWidth(110)


class SamplingForm(ValidatedForm):
    """Edits one :class:`SamplingParams`, with named presets.

    ``presets`` maps names (``Settings.presets``) to parameters; the combo lists
    them plus "Custom". Choosing a preset fills the fields it covers (see
    :data:`PRESET_FIELDS`); editing one of those fields by hand switches the
    combo to "Custom".

    Signals:
        changed(): any field changed.
        validity_changed(bool): the form went from valid to invalid or back.
    """

    def __init__(self, presets: Mapping[str, SamplingParams], params: SamplingParams | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._presets = dict(presets)
        self._loaded = SamplingParams()  # what set_params() showed, for exact float round trips
        self._filling = False  # True while the form itself fills fields (not a user edit)

        self.preset_combo = QComboBox()
        self.preset_combo.setObjectName("presetCombo")
        for name in self._presets:
            self.preset_combo.addItem(self.tr(name), name)
        self.preset_combo.addItem(self.tr("Custom"), "")

        self.temperature_spin = _double_spin(0.0, 5.0, 0.05, 2)
        self.temperature_spin.setToolTip(self.tr(
            "Randomness. Low values give focused, repeatable replies; high values more variety. "
            "0 always picks the most likely word."))
        self.top_k_spin = _int_spin(0, TOP_K_LIMIT, 5)
        self.top_k_spin.setSpecialValueText(self.tr("Off"))
        self.top_k_spin.setToolTip(self.tr("Choose only among the k most likely words. 0: off."))
        self.top_p_spin = _double_spin(0.0, 1.0, 0.05, 2)
        self.top_p_spin.setToolTip(self.tr(
            "Choose only among the most likely words that together reach this probability. "
            "1: off."))
        self.min_p_spin = _double_spin(0.0, 1.0, 0.01, 3)
        self.min_p_spin.setToolTip(self.tr(
            "Leave out words less likely than this fraction of the most likely word. 0: off."))
        self.repeat_penalty_spin = _double_spin(0.0, 5.0, 0.05, 2)
        self.repeat_penalty_spin.setToolTip(self.tr(
            "Above 1 makes repeating recent words less likely. 1: off."))
        self.max_tokens_spin = _int_spin(1, MAX_TOKENS_LIMIT, 256)
        self.max_tokens_spin.setToolTip(self.tr(
            "The longest reply, in tokens. A reply that reaches it can be continued."))

        self.random_seed_check = QCheckBox(self.tr("Random seed"))
        self.random_seed_check.setToolTip(self.tr(
            "A new seed for every reply. Untick it and fix a seed for reproducible replies."))
        # A double spin box with no decimals: QSpinBox stops at 2**31 - 1, seeds go to 2**32 - 1.
        self.seed_spin = _double_spin(0, MAX_SEED, 1, 0)
        self.seed_spin.setAccelerated(False)
        self.seed_spin.setToolTip(self.tr(
            "Fix it for reproducible replies: the same seed, settings and conversation give "
            "the same reply."))
        seed_row = QHBoxLayout()
        seed_row.setContentsMargins(0, 0, 0, 0)
        seed_row.addWidget(self.random_seed_check)
        seed_row.addWidget(self.seed_spin)
        seed_row.addStretch(1)

        self.stop_edit = QPlainTextEdit()
        self.stop_edit.setObjectName("stopEdit")
        self.stop_edit.setTabChangesFocus(True)
        self.stop_edit.setPlaceholderText(self.tr("One per line, e.g. \\nUser:"))
        self.stop_edit.setToolTip(self.tr(
            "The reply ends when the model writes one of these. One per line; write \\n for a "
            "line break and \\t for a tab. Blank lines are ignored."))
        self.stop_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)

        self.speculative_check = QCheckBox(self.tr("Draft tokens ahead"))
        self.speculative_check.setObjectName("speculativeCheck")
        self.speculative_check.setToolTip(self.tr(
            "Guesses the next few tokens from the conversation and its documents and lets the "
            "model check the guesses all at once. Replies that quote or copy text they were "
            "given come faster; other replies cost about 2 % more. The model still picks every "
            "word: on the CPU the reply is exactly the one you get without it (on a GPU it can "
            "differ slightly). Turns itself off during a reply when guessing does not pay."))
        self.draft_model_check = QCheckBox(self.tr("Guess with a smaller model"))
        self.draft_model_check.setObjectName("draftModelCheck")
        self.draft_model_check.setToolTip(self.tr(
            "Guesses with the smallest installed model of the same family instead, when there "
            "is one. It is a second model in memory, and on the CPU it is usually slower than "
            "guessing from the conversation."))

        self.error_label = QLabel()
        self.error_label.setObjectName("formError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c0392b;")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()

        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addRow(self.tr("Preset:"), self.preset_combo)
        layout.addRow(self.tr("Temperature:"), self.temperature_spin)
        layout.addRow(self.tr("Top-k:"), self.top_k_spin)
        layout.addRow(self.tr("Top-p:"), self.top_p_spin)
        layout.addRow(self.tr("Min-p:"), self.min_p_spin)
        layout.addRow(self.tr("Repeat penalty:"), self.repeat_penalty_spin)
        layout.addRow(self.tr("Max tokens:"), self.max_tokens_spin)
        layout.addRow(self.tr("Seed:"), seed_row)
        layout.addRow(self.tr("Stop strings:"), self.stop_edit)
        layout.addRow(self.tr("Speculative decoding:"), self.speculative_check)
        layout.addRow("", self.draft_model_check)
        layout.addRow(self.error_label)

        # valueChanged covers values set from code; the line edit's textChanged covers
        # half-typed text, which the spin box itself does not report but which must show
        # its error (and disable OK) at once.
        for spin in self._preset_spins():
            spin.valueChanged.connect(self._on_preset_field_edited)
            spin.lineEdit().textChanged.connect(self._on_preset_field_edited)
        self.seed_spin.valueChanged.connect(self._on_field_edited)
        self.seed_spin.lineEdit().textChanged.connect(self._on_field_edited)
        self.random_seed_check.toggled.connect(self._on_random_seed_toggled)
        self.stop_edit.textChanged.connect(self._on_field_edited)
        self.speculative_check.toggled.connect(self._on_field_edited)
        self.speculative_check.toggled.connect(self.draft_model_check.setEnabled)
        self.draft_model_check.toggled.connect(self._on_field_edited)
        self.preset_combo.activated.connect(self._on_preset_activated)

        self.set_params(params if params is not None else SamplingParams())

    # ---- public API ----------------------------------------------------------

    def build(self) -> SamplingParams:
        return self.params()

    def params(self) -> SamplingParams:
        """The parameters as entered, validated. Raises :class:`ParameterError` with the reason."""
        for label, spin in self._labelled_spins():
            if not spin.hasAcceptableInput():
                raise ParameterError(self._range_message(label, spin))
        seed: int | None = None
        if not self.random_seed_check.isChecked():
            if not self.seed_spin.hasAcceptableInput():
                raise ParameterError(self.tr(
                    "Enter a seed from 0 to {max}, or tick Random seed.").format(max=MAX_SEED))
            seed = int(self.seed_spin.value())
        params = SamplingParams(
            temperature=self._float_value(self.temperature_spin, self._loaded.temperature),
            top_k=self.top_k_spin.value(),
            top_p=self._float_value(self.top_p_spin, self._loaded.top_p),
            min_p=self._float_value(self.min_p_spin, self._loaded.min_p),
            repeat_penalty=self._float_value(self.repeat_penalty_spin, self._loaded.repeat_penalty),
            max_tokens=self.max_tokens_spin.value(),
            seed=seed,
            stop=parse_stop_lines(self.stop_edit.toPlainText()),
            speculative=self.speculative_check.isChecked(),
            draft_model=self.draft_model_check.isChecked(),
        )
        return params.validate()

    def set_params(self, params: SamplingParams) -> None:
        """Show ``params``. Raises :class:`ParameterError` (form unchanged) if they are invalid.

        Invalid values are refused rather than shown clamped, which would
        quietly change them on the next OK.
        """
        params.validate()
        self._loaded = params
        self._filling = True
        try:
            self.temperature_spin.setValue(params.temperature)
            self.top_k_spin.setValue(params.top_k)
            self.top_p_spin.setValue(params.top_p)
            self.min_p_spin.setValue(params.min_p)
            self.repeat_penalty_spin.setValue(params.repeat_penalty)
            self.max_tokens_spin.setValue(params.max_tokens)
            self.random_seed_check.setChecked(params.seed is None)
            self.seed_spin.setValue(params.seed if params.seed is not None else 0)
            self.seed_spin.setEnabled(params.seed is not None)
            self.stop_edit.setPlainText("\n".join(encode_stop(s) for s in params.stop))
            self.speculative_check.setChecked(params.speculative)
            self.draft_model_check.setChecked(params.draft_model)
            self.draft_model_check.setEnabled(params.speculative)
            self._select_matching_preset(params)
        finally:
            self._filling = False
        self._revalidate()

    def current_preset(self) -> str:
        """The preset name shown in the combo, or "" for Custom."""
        return str(self.preset_combo.currentData())

    # ---- slots -------------------------------------------------------------------

    def _on_preset_activated(self, index: int) -> None:
        name = self.preset_combo.itemData(index)
        if not name:
            return  # "Custom": keep the fields as they are
        current = self._fields_as_far_as_valid()
        self._filling = True
        try:
            preset = apply_preset(current, self._presets[name])
            self.temperature_spin.setValue(preset.temperature)
            self.top_k_spin.setValue(preset.top_k)
            self.top_p_spin.setValue(preset.top_p)
            self.min_p_spin.setValue(preset.min_p)
            self.repeat_penalty_spin.setValue(preset.repeat_penalty)
            self.max_tokens_spin.setValue(preset.max_tokens)
            self._loaded = replace(self._loaded, **{f: getattr(preset, f) for f in PRESET_FIELDS})
        finally:
            self._filling = False
        self._revalidate()

    def _on_preset_field_edited(self) -> None:
        if self._filling:
            return
        custom = self.preset_combo.findData("")
        if self.preset_combo.currentIndex() != custom:
            self.preset_combo.setCurrentIndex(custom)
        self._revalidate()

    def _on_field_edited(self) -> None:
        if not self._filling:
            self._revalidate()

    def _on_random_seed_toggled(self, random_seed: bool) -> None:
        self.seed_spin.setEnabled(not random_seed)
        if not self._filling:
            self._revalidate()

    # ---- internals -----------------------------------------------------------------

    def _preset_spins(self) -> list[QDoubleSpinBox | QSpinBox]:
        return [self.temperature_spin, self.top_k_spin, self.top_p_spin, self.min_p_spin,
                self.repeat_penalty_spin, self.max_tokens_spin]

    def _labelled_spins(self) -> list[tuple[str, QDoubleSpinBox | QSpinBox]]:
        names = [self.tr("Temperature"), self.tr("Top-k"), self.tr("Top-p"), self.tr("Min-p"),
                 self.tr("Repeat penalty"), self.tr("Max tokens")]
        return list(zip(names, self._preset_spins(), strict=True))

    def _range_message(self, label: str, spin: QDoubleSpinBox | QSpinBox) -> str:
        # Two identical calls so the type checker sees which textFromValue (int or float) is meant.
        if isinstance(spin, QDoubleSpinBox):
            low, high = spin.textFromValue(spin.minimum()), spin.textFromValue(spin.maximum())
        else:
            low, high = spin.textFromValue(spin.minimum()), spin.textFromValue(spin.maximum())
        return self.tr("{name} must be a number from {low} to {high}.").format(
            name=label, low=low, high=high)

    @staticmethod
    def _float_value(spin: QDoubleSpinBox, loaded: float) -> float:
        # The spin box shows a rounded value; if the user left it alone, keep the exact one.
        if spin.value() == round(loaded, spin.decimals()):
            return loaded
        return spin.value()

    def _fields_as_far_as_valid(self) -> SamplingParams:
        try:
            return self.params()
        except ParameterError:
            return self._loaded

    def _select_matching_preset(self, params: SamplingParams) -> None:
        for index in range(self.preset_combo.count()):
            name = self.preset_combo.itemData(index)
            if name and preset_matches(params, self._presets[name]):
                self.preset_combo.setCurrentIndex(index)
                return
        self.preset_combo.setCurrentIndex(self.preset_combo.findData(""))


