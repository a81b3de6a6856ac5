"""The chat settings of one conversation: its system prompt and sampling parameters.

The dialog only collects values; the caller stores them (``ChatStore.update_conversation``)
and, if :meth:`ConversationSettingsDialog.use_as_default` is ticked, copies them
into the app settings. That keeps the dialog free of storage and easy to test.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.engine.api import ParameterError, SamplingParams
from desktop_app.ui.settings.sampling_form import SamplingForm


class ConversationSettingsDialog(QDialog):
    """Edits a conversation's system prompt and sampling parameters.

    ``prompt_format`` describes how the loaded model's prompts are built (for
    example "Gemma (built-in; the model has no chat template)"); it is shown
    read-only, "" when no model is loaded. When ``default_params`` is given a
    "Restore Defaults" button fills in the app's defaults (``default_system_prompt``
    and ``default_params``); nothing is saved until OK.

    After ``exec()`` returns Accepted, read :meth:`system_prompt`, :meth:`params`
    and :meth:`use_as_default`.
    """

    def __init__(self, system_prompt: str, params: SamplingParams,
                 presets: Mapping[str, SamplingParams], prompt_format: str,
                 parent: QWidget | None = None, *, conversation_title: str = "",
                 default_system_prompt: str = "",
                 default_params: SamplingParams | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationSettingsDialog")
        if conversation_title:
            self.setWindowTitle(self.tr("Chat settings – {title}").format(title=conversation_title))
        else:
            self.setWindowTitle(self.tr("Chat settings"))
        self._default_system_prompt = default_system_prompt
        self._default_params = default_params

        self.prompt_format_label = QLabel(prompt_format or self.tr("No model loaded"))
        self.prompt_format_label.setTextFormat(Qt.TextFormat.PlainText)  # from the model file
        self.prompt_format_label.setObjectName("promptFormat")
        self.prompt_format_label.setWordWrap(True)
        self.prompt_format_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        self.prompt_format_label.setToolTip(self.tr(
            "How the conversation is turned into the text the model reads. It comes from the "
            "model and cannot be changed here."))

        self.system_prompt_edit = QPlainTextEdit(system_prompt)
        self.system_prompt_edit.setObjectName("systemPromptEdit")
        self.system_prompt_edit.setTabChangesFocus(True)
        self.system_prompt_edit.setPlaceholderText(self.tr(
            "Instructions the model follows for the whole conversation, e.g. "
            "“You are a concise assistant.”"))
        self.system_prompt_edit.setMinimumHeight(self.fontMetrics().lineSpacing() * 5 + 12)

        self.sampling_form = SamplingForm(presets, params)
        generation = QGroupBox(self.tr("Generation"))
        generation_layout = QVBoxLayout(generation)
        generation_layout.addWidget(self.sampling_form)

        self.default_check = QCheckBox(self.tr("Use as default for new chats"))
        self.default_check.setObjectName("useAsDefault")
        self.default_check.setToolTip(self.tr(
            "New conversations start with this system prompt and these settings."))

        buttons = QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        if default_params is not None:
            buttons |= QDialogButtonBox.StandardButton.RestoreDefaults
        self.button_box = QDialogButtonBox(buttons)
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)
        restore = self.button_box.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        if restore is not None:
            restore.clicked.connect(self.restore_defaults)

        top = QFormLayout()
        top.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        top.addRow(self.tr("Prompt format:"), self.prompt_format_label)
        top.addRow(self.tr("System prompt:"), self.system_prompt_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(generation)
        layout.addWidget(self.default_check)
        layout.addWidget(self.button_box)

        self.sampling_form.validity_changed.connect(self._on_validity_changed)
        self._on_validity_changed(self.sampling_form.is_valid())
        self.resize(560, self.sizeHint().height())

    # ---- results -----------------------------------------------------------

    def system_prompt(self) -> str:
        """The system prompt as typed (not stripped: leading spaces may be deliberate)."""
        return self.system_prompt_edit.toPlainText()

    def params(self) -> SamplingParams:
        """The validated parameters. Raises :class:`ParameterError` if the form is invalid."""
        return self.sampling_form.params()

    def use_as_default(self) -> bool:
        return self.default_check.isChecked()

    # ---- actions -------------------------------------------------------------

    def restore_defaults(self) -> None:
        """Fill in the app's default prompt and parameters (saved only on OK)."""
        if self._default_params is None:
            return
        self.system_prompt_edit.setPlainText(self._default_system_prompt)
        self.sampling_form.set_params(self._default_params)

    def accept(self) -> None:
        # OK is disabled while the form is invalid; this also covers other ways to accept.
        try:
            self.sampling_form.params()
        except ParameterError:
            return
        super().accept()

    def _on_validity_changed(self, valid: bool) -> None:
        ok = self.button_box.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(valid)
