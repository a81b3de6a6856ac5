"""The app settings dialog: General, Generation (defaults for new chats), Models, Servers and
API server (the last two when the window passes what they need).

It works on a copy: the :class:`Settings` passed in are never modified, and
:meth:`SettingsDialog.result_settings` returns a new object for the caller to
save and apply. Every model gets its own :class:`ModelSettingsForm` (in a
stacked widget behind the model picker), so switching models never loses an
edit and an invalid value on a model not shown still keeps OK disabled, with
the reason shown at the bottom of the dialog. Keys typed on the Servers tab
reach the keyring only when OK is pressed; if the keyring refuses, the dialog
says why and stays open.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.keychain import KeychainError
from desktop_app.core.settings import THEMES, ModelSettings, Settings
from desktop_app.ui.common.api_server_controller import ApiServerController
from desktop_app.ui.common.background import BackgroundJobs
from desktop_app.ui.common.remote_access import RemoteAccess
from desktop_app.ui.common.untrusted_text import plain_label
from desktop_app.ui.common.user_text import translated
from desktop_app.ui.settings.api_server_tab import ApiServerTab
from desktop_app.ui.settings.model_settings_form import ModelSettingsForm
from desktop_app.ui.settings.sampling_form import SamplingForm
from desktop_app.ui.settings.servers_tab import ServersTab
from desktop_app.ui.tools.tool_sources import LiveServers
from desktop_app.ui.tools.tools_tab import ToolsTab

ModelEntry = tuple[str, str, int | None]
"""A model the Models tab lists: (model id, display name, trained context or None)."""

# Language codes stored in Settings.language, with the names shown for them. A
# language's own name is not translated: it is how its speakers find it.
LANGUAGE_NATIVE_NAMES = {"en": "English", "zh_CN": "简体中文"}


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setEnabled(False)  # drawn in the dimmed text colour of the current style
    return label


class SettingsDialog(QDialog):
    """Hearth's settings. After ``exec()`` returns Accepted, save :meth:`result_settings`.

    ``models`` lists the models whose load settings can be edited;
    ``current_model_id`` picks the one shown first on the Models tab.
    ``remote`` and ``jobs`` add the Servers tab, ``api_server`` the API server tab;
    ``live_servers`` shows the MCP servers' state on the Tools tab.
    """

    def __init__(self, settings: Settings, models: Sequence[ModelEntry],
                 parent: QWidget | None = None, *, current_model_id: str | None = None,
                 remote: RemoteAccess | None = None, jobs: BackgroundJobs | None = None,
                 api_server: ApiServerController | None = None,
                 live_servers: LiveServers | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(self.tr("Settings"))
        self._settings = settings
        self._models = list(models)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_general_tab(), self.tr("General"))
        self.tabs.addTab(self._build_generation_tab(), self.tr("Generation"))
        self.tabs.addTab(self._build_models_tab(current_model_id), self.tr("Models"))
        self.servers_tab: ServersTab | None = None
        self.keys_changed: set[str] = set()  # servers whose API key OK stored anew
        if remote is not None and jobs is not None:
            self.servers_tab = ServersTab(settings.servers, remote, jobs)
            self.tabs.addTab(self.servers_tab, self.tr("Servers"))
        self.api_server_tab: ApiServerTab | None = None
        if api_server is not None:
            self.api_server_tab = ApiServerTab(settings.api_server, api_server)
            self.tabs.addTab(self.api_server_tab, self.tr("API server"))
        self.tools_tab = ToolsTab(settings, live_servers)
        self.tabs.addTab(self.tools_tab, self.tr("Tools"))

        self.problem_label = plain_label()  # it names models (GGUF data)
        self.problem_label.setObjectName("settingsProblem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #c0392b;")
        self.problem_label.hide()
        self.button_box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.button_box)

        self.sampling_form.validity_changed.connect(self._update_validity)
        if self.api_server_tab is not None:
            self.api_server_tab.validity_changed.connect(self._update_validity)
        for form in self.model_forms.values():
            form.validity_changed.connect(self._update_validity)
        self.tabs.currentChanged.connect(self._update_validity)
        self.model_combo.currentIndexChanged.connect(self._on_model_chosen)
        self._update_validity()
        self.resize(620, 540)

    # ---- tabs ----------------------------------------------------------------

    def _build_general_tab(self) -> QWidget:
        self.language_combo = QComboBox()
        self.language_combo.setObjectName("languageCombo")
        self.language_combo.addItem(self.tr("System"), "system")
        for code, name in LANGUAGE_NATIVE_NAMES.items():
            self.language_combo.addItem(name, code)
        language = self._settings.language
        if self.language_combo.findData(language) < 0:
            # A language this build does not list (a newer version's settings): keep it.
            self.language_combo.addItem(language, language)
        self.language_combo.setCurrentIndex(self.language_combo.findData(language))

        self.theme_combo = QComboBox()
        self.theme_combo.setObjectName("themeCombo")
        for code, name in ((THEMES[0], self.tr("Follow the system")), (THEMES[1], self.tr("Light")),
                           (THEMES[2], self.tr("Dark"))):
            self.theme_combo.addItem(name, code)
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(self._settings.theme)))

        self.system_prompt_edit = QPlainTextEdit(self._settings.default_system_prompt)
        self.system_prompt_edit.setObjectName("defaultSystemPrompt")
        self.system_prompt_edit.setTabChangesFocus(True)
        self.system_prompt_edit.setPlaceholderText(self.tr(
            "Instructions every new conversation starts with, e.g. “You are a concise "
            "assistant.”"))

        self.offline_check = QCheckBox(self.tr("Never connect to the internet"))
        self.offline_check.setObjectName("offlineCheck")
        self.offline_check.setChecked(self._settings.offline)

        page = QWidget()
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.tr("Language:"), self.language_combo)
        form.addRow("", _hint(self.tr("A new language applies when Hearth restarts.")))
        form.addRow(self.tr("Appearance:"), self.theme_combo)
        form.addRow(self.tr("Default system prompt:"), self.system_prompt_edit)
        form.addRow(self.tr("Offline mode:"), self.offline_check)
        form.addRow("", _hint(self.tr(
            "Turns off model search, downloads and remote servers. Chatting with models "
            "already on this computer never needs the internet.")))
        return page

    def _build_generation_tab(self) -> QWidget:
        self.sampling_form = SamplingForm(self._settings.presets, self._settings.default_params)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(_hint(self.tr(
            "New conversations start with these settings. Each conversation can change its "
            "own in Chat settings.")))
        layout.addWidget(self.sampling_form)
        layout.addStretch(1)
        return page

    def _build_models_tab(self, current_model_id: str | None) -> QWidget:
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("modelSettingsCombo")
        self.model_stack = QStackedWidget()
        self.model_forms: dict[str, ModelSettingsForm] = {}
        for model_id, name, trained_context in self._models:
            form = ModelSettingsForm(trained_context,
                                     self._settings.model_settings.get(model_id, ModelSettings()))
            self.model_forms[model_id] = form
            self.model_combo.addItem(name, model_id)
            self.model_stack.addWidget(form)
        if current_model_id is not None and current_model_id in self.model_forms:
            self.model_combo.setCurrentIndex(self.model_combo.findData(current_model_id))
            self.model_stack.setCurrentIndex(self.model_combo.currentIndex())

        page = QWidget()
        layout = QVBoxLayout(page)
        if not self._models:
            self.model_combo.hide()
            layout.addWidget(_hint(self.tr(
                "No models yet. Settings for a model appear here once it is downloaded or "
                "imported.")))
        else:
            picker = QFormLayout()
            picker.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            picker.addRow(self.tr("Model:"), self.model_combo)
            layout.addLayout(picker)
            layout.addWidget(self.model_stack)
        layout.addStretch(1)
        return page

    # ---- results ---------------------------------------------------------------

    def result_settings(self) -> Settings:
        """A copy of the settings passed in, with this dialog's changes.

        Raises :class:`ParameterError` if a field is invalid (OK is disabled then).
        Model settings are stored only for models whose settings differ from
        what was stored before (or from the defaults, for a model with none),
        so the settings file does not fill up with copies of the defaults.
        """
        result = copy.deepcopy(self._settings)
        result.language = str(self.language_combo.currentData())
        result.theme = str(self.theme_combo.currentData())
        result.default_system_prompt = self.system_prompt_edit.toPlainText()
        result.offline = self.offline_check.isChecked()
        result.default_params = self.sampling_form.params()
        for model_id, form in self.model_forms.items():
            chosen = form.settings()
            if chosen != self._settings.model_settings.get(model_id, ModelSettings()):
                result.model_settings[model_id] = chosen
        if self.servers_tab is not None:
            result.servers = self.servers_tab.servers()
        if self.api_server_tab is not None:
            result.api_server = self.api_server_tab.settings()
        result.tools = self.tools_tab.tool_settings()
        return result

    def accept(self) -> None:
        # OK is disabled while something is invalid; this also covers other ways to accept.
        if self._first_problem() is not None:
            return
        if self.servers_tab is not None:
            try:
                self.keys_changed |= self.servers_tab.save_keys()
            except KeychainError as exc:
                self.problem_label.setText(self.tr("Servers: {reason}").format(
                    reason=translated(exc)))
                self.problem_label.show()
                return
        super().accept()

    def reject(self) -> None:
        self.tools_tab.revert()  # servers switched on here stop again
        super().reject()

    # ---- validity ----------------------------------------------------------------

    def _first_problem(self) -> tuple[QWidget, str, str] | None:
        """The first invalid form, with where it is ("Generation", "Models › name") and why."""
        if not self.sampling_form.is_valid():
            return self.sampling_form, self.tr("Generation"), self.sampling_form.error_text()
        tab = self.api_server_tab
        if tab is not None and not tab.is_valid():
            return tab, self.tr("API server"), tab.error_text()
        for index in range(self.model_combo.count()):
            form = self.model_forms[self.model_combo.itemData(index)]
            if not form.is_valid():
                where = self.tr("Models › {name}").format(name=self.model_combo.itemText(index))
                return form, where, form.error_text()
        return None

    def _update_validity(self) -> None:
        problem = self._first_problem()
        self.button_box.button(QDialogButtonBox.StandardButton.Ok).setEnabled(problem is None)
        # The form shows its own error; repeat it here only when that form is out of sight.
        if problem is not None and not problem[0].isVisibleTo(self):
            _, where, message = problem
            self.problem_label.setText(f"{where}: {message}")
            self.problem_label.show()
        else:
            self.problem_label.hide()

    def _on_model_chosen(self, index: int) -> None:
        self.model_stack.setCurrentIndex(index)
        self._update_validity()

    def problem_text(self) -> str:
        """The message shown at the bottom of the dialog, "" when none is shown."""
        return self.problem_label.text() if not self.problem_label.isHidden() else ""

