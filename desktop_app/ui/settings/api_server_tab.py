"""Settings › API server: Hearth's own OpenAI-compatible API for editors and scripts.

The fields edit a copy like the rest of the dialog (the server restarts with
them when the dialog is accepted); the state line, the key and the request
count are live, read from the :class:`ApiServerController` that runs the
server. The key is only read from the keyring when the user asks to see or
copy it, and is never put in a label: the masked field shows it on request.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.keychain import KeychainError
from desktop_app.core.serve.config import ApiServerSettings
from desktop_app.ui.common.api_server_controller import ApiServerController, ApiServerState
from desktop_app.ui.common.untrusted_text import plain_label
from desktop_app.ui.common.user_text import translated

KIB = 1024


def _split(text: str) -> tuple[str, ...]:
    """A list typed as "a, b c": commas or spaces separate the entries."""
    return tuple(part for part in text.replace(",", " ").split() if part)


class ApiServerTab(QWidget):
    """The API server's settings, its live state and its key.

    Signals:
        validity_changed(bool): the fields turned valid or invalid.
    """

    validity_changed = Signal(bool)

    def __init__(self, settings: ApiServerSettings, controller: ApiServerController,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("apiServerTab")
        self._controller = controller
        self._valid = True

        self.enable_check = QCheckBox(self.tr("Let other apps use Hearth's models through an "
                                              "OpenAI-compatible API"))
        self.enable_check.setObjectName("apiEnable")
        self.host_edit = QLineEdit(settings.host)
        self.host_edit.setObjectName("apiHost")
        self.host_warning = QLabel(self.tr(
            "Other computers on the network can reach this address. Anyone with the key "
            "can use your models; keep 127.0.0.1 unless you need that."))
        self.host_warning.setObjectName("apiHostWarning")
        self.host_warning.setWordWrap(True)
        self.host_warning.setStyleSheet("color: #b45309;")
        self.port_spin = QSpinBox()
        self.port_spin.setObjectName("apiPort")
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(settings.port)
        self.hosts_edit = QLineEdit(", ".join(settings.allowed_hosts))
        self.hosts_edit.setPlaceholderText(self.tr("Only localhost and the address above"))
        self.origins_edit = QLineEdit(", ".join(settings.cors_origins))
        self.origins_edit.setPlaceholderText(self.tr("None: browsers' pages cannot call it"))
        self.body_spin = QSpinBox()
        self.body_spin.setRange(1, 1024 * 1024)
        self.body_spin.setSuffix(self.tr(" KiB"))
        self.body_spin.setValue(max(1, settings.max_body_bytes // KIB))
        self.tokens_spin = QSpinBox()
        self.tokens_spin.setRange(1, 1_000_000)
        self.tokens_spin.setValue(settings.max_tokens_limit)
        self.error_label = plain_label()  # it may quote the typed address
        self.error_label.setStyleSheet("color: #c0392b;")
        self.error_label.hide()

        self.state_label = plain_label()  # a start failure may quote the system's words
        self.state_label.setObjectName("apiState")
        self.state_label.setWordWrap(True)
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.count_label = QLabel()
        self.count_label.setObjectName("apiRequestCount")
        self.key_edit = QLineEdit()
        self.key_edit.setObjectName("apiKey")
        self.key_edit.setReadOnly(True)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("••••••••••••••••")
        self.show_key_button = QPushButton(self.tr("Show"))
        self.show_key_button.setCheckable(True)
        self.copy_button = QPushButton(self.tr("Copy"))
        self.copy_button.setObjectName("apiCopyKey")
        self.regenerate_button = QPushButton(self.tr("Regenerate…"))
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        for button in (self.show_key_button, self.copy_button, self.regenerate_button):
            key_row.addWidget(button)
        self.key_message = plain_label()  # a keyring error, or "copied"
        self.key_message.setWordWrap(True)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.enable_check)
        form.addRow(self.tr("Address:"), self.host_edit)
        form.addRow("", self.host_warning)
        form.addRow(self.tr("Port:"), self.port_spin)
        form.addRow(self.tr("Also allowed host names:"), self.hosts_edit)
        form.addRow(self.tr("Browser origins (CORS):"), self.origins_edit)
        form.addRow(self.tr("Largest request:"), self.body_spin)
        form.addRow(self.tr("Largest max_tokens:"), self.tokens_spin)
        form.addRow("", self.error_label)
        form.addRow(self.tr("State:"), self.state_label)
        form.addRow(self.tr("Requests:"), self.count_label)
        form.addRow(self.tr("API key:"), key_row)
        form.addRow("", self.key_message)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        hint = QLabel(self.tr(
            "Clients send the key as “Authorization: Bearer <key>”. Requests wait their turn "
            "with your own chats; only the model loaded in Hearth is served. Changes apply "
            "when you press OK."))
        hint.setWordWrap(True)
        hint.setEnabled(False)
        layout.addWidget(hint)
        layout.addStretch(1)

        self.enable_check.setChecked(settings.enabled)
        self.enable_check.toggled.connect(self._revalidate)
        self.host_edit.textChanged.connect(self._revalidate)
        self.show_key_button.toggled.connect(self._on_show_key_toggled)
        self.copy_button.clicked.connect(self.copy_key)
        self.regenerate_button.clicked.connect(self._on_regenerate_clicked)
        controller.state_changed.connect(self._show_state)
        controller.request_count_changed.connect(self._show_count)
        self._revalidate()
        self._show_state()
        self._show_count(controller.request_count)

    # ---- results ---------------------------------------------------------------

    def settings(self) -> ApiServerSettings:
        """The settings the fields describe; raises ``ValueError`` while one is invalid."""
        return ApiServerSettings(
            enabled=self.enable_check.isChecked(), host=self.host_edit.text().strip(),
            port=self.port_spin.value(), allowed_hosts=_split(self.hosts_edit.text()),
            cors_origins=_split(self.origins_edit.text()),
            max_body_bytes=self.body_spin.value() * KIB,
            max_tokens_limit=self.tokens_spin.value()).validate()

    def is_valid(self) -> bool:
        return self._valid

    def error_text(self) -> str:
        return self.error_label.text() if not self._valid else ""

    # ---- the key -------------------------------------------------------------------

    def copy_key(self) -> bool:
        """Put the key on the clipboard; False (with the reason shown) if the keyring failed."""
        key = self._read_key()
        if key is None:
            return False
        QGuiApplication.clipboard().setText(key)
        self.key_message.setText(self.tr("The key is on the clipboard."))
        return True

    def regenerate_key(self) -> bool:
        """Make a new key (the old one stops working at once); False if the keyring failed."""
        try:
            key = self._controller.regenerate()
        except KeychainError as exc:
            self.key_message.setText(translated(exc))
            return False
        if self.show_key_button.isChecked():
            self.key_edit.setText(key)
        self.key_message.setText(self.tr("A new key was made; the old one no longer works."))
        return True

    def _read_key(self) -> str | None:
        try:
            return self._controller.api_key()
        except KeychainError as exc:
            self.key_message.setText(translated(exc))
            return None

    def _on_show_key_toggled(self, shown: bool) -> None:
        key = self._read_key() if shown else None
        self.key_edit.setText(key or "")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Normal if key
                                  else QLineEdit.EchoMode.Password)
        self.show_key_button.setText(self.tr("Hide") if key else self.tr("Show"))

    def _on_regenerate_clicked(self) -> None:
        answer = QMessageBox.question(
            self, self.tr("Regenerate the API key?"),
            self.tr("Apps that use the current key will be refused until you give them the "
                    "new one."))
        if answer == QMessageBox.StandardButton.Yes:
            self.regenerate_key()

    # ---- live state ------------------------------------------------------------------

    def _show_state(self, *_args: object) -> None:
        controller = self._controller
        if controller.state == ApiServerState.RUNNING:
            text = self.tr("Running at {address}").format(address=controller.address)
        elif controller.state == ApiServerState.FAILED:
            text = self.tr("Failed: {reason}").format(reason=controller.error)
        else:
            text = self.tr("Stopped")
        self.state_label.setText(text)

    def _show_count(self, count: int) -> None:
        self.count_label.setText(self.tr("{n} since it started").format(n=count))

    # ---- validity ----------------------------------------------------------------------

    def _revalidate(self, *_args: object) -> None:
        try:
            settings = self.settings()
        except ValueError as exc:
            message, valid = str(exc), False
            loopback = True
        else:
            message, valid = "", True
            loopback = settings.loopback_only
        self.host_warning.setVisible(not loopback)
        for widget in (self.host_edit, self.port_spin, self.hosts_edit, self.origins_edit,
                       self.body_spin, self.tokens_spin):
            widget.setEnabled(self.enable_check.isChecked())
        self.error_label.setText(message)
        self.error_label.setVisible(not valid)
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)
