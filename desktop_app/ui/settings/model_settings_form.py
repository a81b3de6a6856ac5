"""A form for one model's load settings (:class:`ModelSettings`).

These settings only take effect when the model is next loaded. Like the
sampling form, it never clamps: a context longer than the model was trained
for, or a combination llama.cpp refuses (a quantized KV cache without flash
attention), is shown as an inline error and reported through
:attr:`ModelSettingsForm.validity_changed` so the dialog can disable OK.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from desktop_app.core.engine.api import (
    AUTO,
    KV_CACHE_TYPES,
    MAX_WATCHDOG_SECONDS,
    MIN_WATCHDOG_SECONDS,
    ParameterError,
)
from desktop_app.core.settings import ModelSettings
from desktop_app.ui.settings.validated_form import ValidatedForm

# Below this a context cannot hold a system prompt and one exchange; llama.cpp
# would load, then fail or trim on the first message, which is harder to understand.
MIN_CONTEXT = 256
MAX_CONTEXT = 16_777_216  # the spin box's range only; the model's trained context is the real limit
MAX_GPU_LAYERS = 999      # llama.cpp treats any count above the model's layers as "all"
MAX_THREADS = 1024
MAX_BATCH = 16_384

# The prompt-format combo's items, by their data.
FORMAT_MODEL = "model"
FORMAT_BUILTIN = "builtin"

# The GPU-layer combo's items, by their data.
GPU_AUTO = "auto"
GPU_CPU = "cpu"
GPU_LAYERS = "layers"


def _spin(low: int, high: int, step: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setAccelerated(True)
    # Numbers read better in a box sized for them than stretched across the dialog.
    spin.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    spin.setMinimumWidth(110)
    return spin


class ModelSettingsForm(ValidatedForm):
    """Edits the :class:`ModelSettings` of one model.

    ``trained_context`` is the context length the model was trained for (from
    its GGUF metadata), or None when unknown; it is shown next to the context
    field and is the largest context accepted.

    Signals:
        changed(): any field changed.
        validity_changed(bool): the form went from valid to invalid or back.
    """

    def __init__(self, trained_context: int | None, settings: ModelSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.trained_context = trained_context
        self._filling = False

        self.context_spin = _spin(0, MAX_CONTEXT, 1024)
        self.context_spin.setSpecialValueText(self.tr("Auto"))
        self.context_spin.setToolTip(self.tr(
            "How many tokens of the conversation the model sees at once. Longer contexts use "
            "more memory. Auto picks a size that fits in this computer's memory."))
        if trained_context is None:
            trained = self.tr("Trained maximum: unknown")
        else:
            # Digits as the spin box shows them (no group separators), so the two compare easily.
            trained = self.tr("Trained maximum: {n} tokens").format(n=trained_context)
        self.trained_label = QLabel(trained)
        self.trained_label.setObjectName("trainedContext")
        context_row = QHBoxLayout()
        context_row.setContentsMargins(0, 0, 0, 0)
        context_row.addWidget(self.context_spin)
        context_row.addWidget(self.trained_label, 1)

        self.gpu_combo = QComboBox()
        self.gpu_combo.addItem(self.tr("Auto"), GPU_AUTO)
        self.gpu_combo.addItem(self.tr("CPU only"), GPU_CPU)
        self.gpu_combo.addItem(self.tr("Number of layers"), GPU_LAYERS)
        self.gpu_combo.setToolTip(self.tr(
            "Auto puts every layer on the GPU if it fits and uses the CPU otherwise. A number "
            "puts that many layers on the GPU and the rest on the CPU."))
        self.gpu_layers_spin = _spin(1, MAX_GPU_LAYERS, 1)
        gpu_row = QHBoxLayout()
        gpu_row.setContentsMargins(0, 0, 0, 0)
        gpu_row.addWidget(self.gpu_combo)
        gpu_row.addWidget(self.gpu_layers_spin)
        gpu_row.addStretch(1)

        self.threads_spin = _spin(0, MAX_THREADS, 1)
        self.threads_spin.setSpecialValueText(self.tr("Auto (physical cores)"))
        self.threads_spin.setToolTip(self.tr(
            "CPU threads for generating text. More threads than physical cores is usually "
            "slower."))
        self.batch_spin = _spin(1, MAX_BATCH, 128)
        self.batch_spin.setToolTip(self.tr(
            "Tokens processed per step when reading the prompt. Larger is faster on a GPU and "
            "uses more memory."))
        self.flash_attn_check = QCheckBox(self.tr("Use flash attention"))
        self.flash_attn_check.setToolTip(self.tr(
            "Faster and lighter on memory on most hardware. Needed for a compressed KV cache."))
        self.kv_cache_combo = QComboBox()
        self.kv_cache_combo.addItem(self.tr("f16 (full precision)"), "f16")
        self.kv_cache_combo.addItem(self.tr("q8_0 (half the memory)"), "q8_0")
        self.kv_cache_combo.addItem(self.tr("q4_0 (a quarter of the memory, lower quality)"),
                                    "q4_0")
        self.kv_cache_combo.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.kv_cache_combo.setToolTip(self.tr(
            "How the model's memory of the conversation is stored. Compressed types let a "
            "longer context fit, at some cost in quality."))

        self.prompt_format_combo = QComboBox()
        self.prompt_format_combo.addItem(self.tr("Model's template"), FORMAT_MODEL)
        self.prompt_format_combo.addItem(self.tr("Built-in for the architecture"),
                                         FORMAT_BUILTIN)
        self.prompt_format_combo.setSizePolicy(QSizePolicy.Policy.Fixed,
                                               QSizePolicy.Policy.Fixed)
        self.prompt_format_combo.setToolTip(self.tr(
            "How the conversation is written out for the model. The model's own chat template "
            "is usually right; choose the built-in format if the template fails."))
        self.watchdog_spin = _spin(MIN_WATCHDOG_SECONDS, MAX_WATCHDOG_SECONDS, 10)
        self.watchdog_spin.setSuffix(self.tr(" s"))
        self.watchdog_spin.setToolTip(self.tr(
            "If the engine gives no sign of life for this long while it loads the model or "
            "writes a reply, Hearth restarts it. The text shown so far is kept."))

        self.error_label = QLabel()
        self.error_label.setObjectName("formError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c0392b;")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        note = QLabel(self.tr("Changes apply the next time the model is loaded."))
        note.setWordWrap(True)
        note.setEnabled(False)  # drawn in the dimmed text colour of the current style

        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addRow(self.tr("Context length:"), context_row)
        layout.addRow(self.tr("GPU layers:"), gpu_row)
        layout.addRow(self.tr("CPU threads:"), self.threads_spin)
        layout.addRow(self.tr("Batch size:"), self.batch_spin)
        layout.addRow("", self.flash_attn_check)
        layout.addRow(self.tr("KV cache type:"), self.kv_cache_combo)
        layout.addRow(self.tr("Prompt format:"), self.prompt_format_combo)
        layout.addRow(self.tr("Restart a silent engine after:"), self.watchdog_spin)
        layout.addRow(note)
        layout.addRow(self.error_label)

        # valueChanged covers values set from code; the line edit's textChanged covers
        # half-typed text, which the spin box itself does not report.
        for spin in (self.context_spin, self.gpu_layers_spin, self.threads_spin, self.batch_spin,
                     self.watchdog_spin):
            spin.valueChanged.connect(self._on_field_edited)
            spin.lineEdit().textChanged.connect(self._on_field_edited)
        self.gpu_combo.currentIndexChanged.connect(self._on_gpu_mode_changed)
        self.flash_attn_check.toggled.connect(self._on_field_edited)
        self.kv_cache_combo.currentIndexChanged.connect(self._on_field_edited)
        self.prompt_format_combo.currentIndexChanged.connect(self._on_field_edited)

        self.set_settings(settings if settings is not None else ModelSettings())

    # ---- public API ----------------------------------------------------------

    def build(self) -> ModelSettings:
        return self.settings()

    def settings(self) -> ModelSettings:
        """The settings as entered. Raises :class:`ParameterError` with the reason if invalid."""
        for label, spin in ((self.tr("Context length"), self.context_spin),
                            (self.tr("GPU layers"), self.gpu_layers_spin),
                            (self.tr("CPU threads"), self.threads_spin),
                            (self.tr("Batch size"), self.batch_spin),
                            (self.tr("Engine watchdog"), self.watchdog_spin)):
            if spin.isEnabled() and not spin.hasAcceptableInput():
                raise ParameterError(self.tr("{name} must be a number from {low} to {high}.")
                                     .format(name=label, low=spin.minimum(), high=spin.maximum()))
        n_ctx = self.context_spin.value()
        if 0 < n_ctx < MIN_CONTEXT:
            raise ParameterError(self.tr(
                "Context length must be Auto or at least {min} tokens.").format(min=MIN_CONTEXT))
        if self.trained_context is not None and n_ctx > self.trained_context:
            raise ParameterError(self.tr(
                "Context length {n} is longer than this model was trained for ({max} tokens). "
                "Choose {max} or less, or Auto.").format(n=n_ctx, max=self.trained_context))
        mode = self.gpu_combo.currentData()
        n_gpu_layers = {GPU_AUTO: AUTO, GPU_CPU: 0}.get(mode, self.gpu_layers_spin.value())
        kv_cache_type = str(self.kv_cache_combo.currentData())
        flash_attn = self.flash_attn_check.isChecked()
        if kv_cache_type != "f16" and not flash_attn:
            # llama.cpp refuses to create a context with a quantized V cache without it.
            raise ParameterError(self.tr(
                "A {type} KV cache needs flash attention. Turn on flash attention or choose "
                "f16.").format(type=kv_cache_type))
        return ModelSettings(n_ctx=n_ctx, n_gpu_layers=n_gpu_layers,
                             n_threads=self.threads_spin.value(), n_batch=self.batch_spin.value(),
                             flash_attn=flash_attn, kv_cache_type=kv_cache_type,
                             builtin_prompt_format=(
                                 self.prompt_format_combo.currentData() == FORMAT_BUILTIN),
                             watchdog_seconds=self.watchdog_spin.value())

    def set_settings(self, settings: ModelSettings) -> None:
        """Show ``settings``. Raises :class:`ParameterError` (form unchanged) for values the
        form cannot show as they are."""
        self._check_showable(settings)
        self._filling = True
        try:
            self.context_spin.setValue(settings.n_ctx)
            if settings.n_gpu_layers == AUTO:
                self.gpu_combo.setCurrentIndex(self.gpu_combo.findData(GPU_AUTO))
            elif settings.n_gpu_layers == 0:
                self.gpu_combo.setCurrentIndex(self.gpu_combo.findData(GPU_CPU))
            else:
                self.gpu_combo.setCurrentIndex(self.gpu_combo.findData(GPU_LAYERS))
                self.gpu_layers_spin.setValue(settings.n_gpu_layers)
            self.gpu_layers_spin.setEnabled(settings.n_gpu_layers > 0)
            self.threads_spin.setValue(settings.n_threads)
            self.batch_spin.setValue(settings.n_batch)
            self.flash_attn_check.setChecked(settings.flash_attn)
            self.kv_cache_combo.setCurrentIndex(self.kv_cache_combo.findData(settings.kv_cache_type))
            self.prompt_format_combo.setCurrentIndex(self.prompt_format_combo.findData(
                FORMAT_BUILTIN if settings.builtin_prompt_format else FORMAT_MODEL))
            self.watchdog_spin.setValue(settings.watchdog_seconds)
        finally:
            self._filling = False
        self._revalidate()

    # ---- internals ---------------------------------------------------------------

    def _check_showable(self, settings: ModelSettings) -> None:
        def in_range(name: str, value: int, low: int, high: int) -> None:
            if not low <= value <= high:
                raise ParameterError(self.tr("{name} must be from {low} to {high}, got {value}.")
                                     .format(name=name, low=low, high=high, value=value))

        in_range(self.tr("Context length"), settings.n_ctx, 0, MAX_CONTEXT)
        in_range(self.tr("GPU layers"), settings.n_gpu_layers, AUTO, MAX_GPU_LAYERS)
        in_range(self.tr("CPU threads"), settings.n_threads, 0, MAX_THREADS)
        in_range(self.tr("Batch size"), settings.n_batch, 1, MAX_BATCH)
        in_range(self.tr("Engine watchdog"), settings.watchdog_seconds, MIN_WATCHDOG_SECONDS,
                 MAX_WATCHDOG_SECONDS)
        if settings.kv_cache_type not in KV_CACHE_TYPES:
            raise ParameterError(self.tr("KV cache type must be one of {types}, got {value!r}.")
                                 .format(types=", ".join(KV_CACHE_TYPES),
                                         value=settings.kv_cache_type))

    def _on_gpu_mode_changed(self) -> None:
        self.gpu_layers_spin.setEnabled(self.gpu_combo.currentData() == GPU_LAYERS)
        self._on_field_edited()

    def _on_field_edited(self) -> None:
        if not self._filling:
            self._revalidate()

