"""Add or edit one remote server: kind, name, address, API key, CA file and proxy.

The dialog only collects values: the Servers tab stores the server in the
settings and the key in the keyring when the settings dialog is accepted.
The key field starts empty when editing (the stored key is not read back
into a widget, where a screenshot or a screen share would show it); leaving
it empty keeps the stored key. With ``access`` and ``jobs`` it can test the
server as typed, before it is saved.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.remote.servers import PRESETS, PRESETS_BY_ID, ServerConfig, ServerConfigError
from desktop_app.ui.common.background import BackgroundJobs
from desktop_app.ui.common.remote_access import RemoteAccess
from desktop_app.ui.common.untrusted_text import plain_label
from desktop_app.ui.common.user_text import translated, translated_name
from desktop_app.ui.settings.connection_test import ConnectionTest


class ServerDialog(QDialog):
    """One server's settings. ``server`` None: a new server (with a new id).

    After ``exec()`` returns Accepted, :meth:`server` is valid and
    :meth:`entered_key` is the key typed ("" when the field was left empty).
    """

    def __init__(self, server: ServerConfig | None = None, parent: QWidget | None = None, *,
                 access: RemoteAccess | None = None, jobs: BackgroundJobs | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serverDialog")
        self._id = server.id if server is not None else ServerConfig.new_id()
        self._enabled = server.enabled if server is not None else True
        self.setWindowTitle(self.tr("Edit server") if server is not None else self.tr("Add server"))

        self.preset_combo = QComboBox()
        self.preset_combo.setObjectName("presetCombo")
        for preset in PRESETS:
            self.preset_combo.addItem(translated_name(preset.name), preset.id)
        self.preset_hint = QLabel()
        self.preset_hint.setWordWrap(True)
        self.preset_hint.setEnabled(False)  # the dimmed hint colour
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("serverName")
        self.url_edit = QLineEdit()
        self.url_edit.setObjectName("serverUrl")
        self.url_edit.setPlaceholderText("https://example.com/v1")
        self.key_edit = QLineEdit()
        self.key_edit.setObjectName("serverKey")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText(
            self.tr("Leave empty to keep the key in the system keyring") if server is not None
            else self.tr("None"))
        self.show_key_button = QToolButton()
        self.show_key_button.setText(self.tr("Show"))
        self.show_key_button.setCheckable(True)
        self.show_key_button.toggled.connect(self._on_show_key_toggled)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.show_key_button)
        self.ca_edit = QLineEdit()
        self.ca_edit.setObjectName("serverCaFile")
        self.ca_edit.setPlaceholderText(self.tr("The system's certificates"))
        browse = QPushButton(self.tr("Choose…"))
        browse.clicked.connect(self._choose_ca_file)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_edit, 1)
        ca_row.addWidget(browse)
        self.proxy_edit = QLineEdit()
        self.proxy_edit.setObjectName("serverProxy")
        self.proxy_edit.setPlaceholderText(self.tr("None (e.g. http://proxy.example:3128)"))

        self.error_label = plain_label()  # it quotes what the user typed
        self.error_label.setObjectName("serverError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c0392b;")
        self.button_box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.button_box.accepted.connect(self.accept)
        self.button_box.rejected.connect(self.reject)
        self.test_label = plain_label()  # model names and errors come from the server
        self.test_label.setObjectName("serverDialogTest")
        self.test_label.setWordWrap(True)
        self.test_button: QPushButton | None = None
        self._tester: ConnectionTest | None = None
        if access is not None and jobs is not None:
            self.test_button = self.button_box.addButton(
                self.tr("Test connection"), QDialogButtonBox.ButtonRole.ActionRole)
            self._tester = ConnectionTest(access, jobs, self.test_label, self.test_button)
            self._tester.finished.connect(self._revalidate)
            self.test_button.clicked.connect(self.test_connection)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.tr("Kind:"), self.preset_combo)
        form.addRow("", self.preset_hint)
        form.addRow(self.tr("Name:"), self.name_edit)
        form.addRow(self.tr("Address:"), self.url_edit)
        form.addRow(self.tr("API key:"), key_row)
        form.addRow(self.tr("CA certificates:"), ca_row)
        form.addRow(self.tr("Proxy:"), self.proxy_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.test_label)
        layout.addStretch(1)
        layout.addWidget(self.button_box)

        if server is not None:
            self.preset_combo.setCurrentIndex(max(0, self.preset_combo.findData(server.preset)))
            self.name_edit.setText(server.name)
            self.url_edit.setText(server.base_url)
            self.ca_edit.setText(server.ca_file)
            self.proxy_edit.setText(server.proxy)
        else:
            self.preset_combo.setCurrentIndex(self.preset_combo.findData("llama-cpp"))
            self._on_preset_chosen()
        self._update_hint()
        self.preset_combo.currentIndexChanged.connect(self._on_preset_chosen)
        for edit in (self.name_edit, self.url_edit, self.ca_edit, self.proxy_edit):
            edit.textChanged.connect(self._revalidate)
        self._revalidate()
        self.resize(520, 0)

    # ---- results ---------------------------------------------------------------

    def server(self) -> ServerConfig:
        """The server the fields describe; raises :class:`ServerConfigError` while invalid."""
        return ServerConfig(
            id=self._id, name=self.name_edit.text().strip(), base_url=self.url_edit.text().strip(),
            preset=str(self.preset_combo.currentData()), ca_file=self.ca_edit.text().strip(),
            proxy=self.proxy_edit.text().strip(), enabled=self._enabled).validate()

    def entered_key(self) -> str:
        return self.key_edit.text().strip()

    def test_connection(self) -> None:
        """Test the server as the fields describe it (the typed key, else the stored one)."""
        if self._tester is not None and self._problem() is None:
            self._tester.run(self.server(), self.entered_key() or None)

    def accept(self) -> None:
        if self._problem() is None:
            super().accept()

    # ---- fields --------------------------------------------------------------------

    def _on_preset_chosen(self, *_args: object) -> None:
        """A kind fills in its usual address, and its name unless the user typed one."""
        preset = PRESETS_BY_ID[str(self.preset_combo.currentData())]
        names = {translated_name(p.name) for p in PRESETS}
        if not self.name_edit.text().strip() or self.name_edit.text() in names:
            self.name_edit.setText(translated_name(preset.name))
        self.url_edit.setText(preset.base_url)
        self._update_hint()

    def _update_hint(self) -> None:
        preset = PRESETS_BY_ID[str(self.preset_combo.currentData())]
        if preset.needs_key:
            hint = self.tr("Needs an API key from {name}. Your messages are sent to its servers "
                           "on the internet.").format(name=translated_name(preset.name))
        else:
            hint = self.tr("Usually runs on your own computer or network; a key is only needed "
                           "if the server was started with one.")
        self.preset_hint.setText(hint)

    def _on_show_key_toggled(self, shown: bool) -> None:
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Normal if shown
                                  else QLineEdit.EchoMode.Password)
        self.show_key_button.setText(self.tr("Hide") if shown else self.tr("Show"))

    def _choose_ca_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("CA certificates"), self.ca_edit.text(),
            self.tr("PEM certificates (*.pem *.crt *.cer);;All files (*)"))
        if path:
            self.ca_edit.setText(path)

    # ---- validity ----------------------------------------------------------------

    def _problem(self) -> str | None:
        try:
            self.server()
        except ServerConfigError as exc:
            return translated(exc)
        return None

    def _revalidate(self, *_args: object) -> None:
        problem = self._problem()
        self.error_label.setText(problem or "")
        self.error_label.setVisible(problem is not None)
        self.button_box.button(QDialogButtonBox.StandardButton.Ok).setEnabled(problem is None)
        if self.test_button is not None and self._tester is not None:
            self.test_button.setEnabled(problem is None and not self._tester.running)
