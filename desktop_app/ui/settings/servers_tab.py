"""Settings › Servers: the remote OpenAI-compatible servers Hearth may send chats to.

Like the rest of the settings dialog it edits a copy: servers added, changed
or removed here, and their keys, take effect only when the dialog is
accepted (:meth:`ServersTab.save_keys` writes the keyring then). A key typed
for a server is held in memory until that moment, so Cancel leaves the
keyring as it was.

"Test connection" asks the selected server for its models in the background
(reading its key from the keyring there too, since the keyring may wait on an
unlock prompt) and shows the latency and the model names, or why it failed.
Server names, model names and server error messages are untrusted text:
they only ever appear in plain-text labels and item views.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.remote.servers import PRESETS_BY_ID, ServerConfig
from desktop_app.ui.common.background import BackgroundJobs
from desktop_app.ui.common.remote_access import RemoteAccess
from desktop_app.ui.common.untrusted_text import plain_label
from desktop_app.ui.common.user_text import translated_name
from desktop_app.ui.settings.connection_test import ConnectionTest
from desktop_app.ui.settings.server_dialog import ServerDialog


class Column:
    NAME, KIND, ADDRESS, WHERE = range(4)


def is_local_address(base_url: str) -> bool:
    """Whether the server is on this computer or the local network (not the internet)."""
    host = urlsplit(base_url).hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a name: a single label ("gpubox") or a local domain stays inside
        return host == "localhost" or "." not in host or host.endswith(
            (".local", ".lan", ".home.arpa"))
    return address.is_loopback or address.is_private or address.is_link_local


class ServersTab(QWidget):
    """The list of servers with Add, Edit, Remove and Test connection."""

    def __init__(self, servers: Sequence[ServerConfig], access: RemoteAccess,
                 jobs: BackgroundJobs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serversTab")
        self._servers = list(servers)
        self._access = access
        self._jobs = jobs
        self._new_keys: dict[str, str] = {}  # typed keys, written by save_keys()
        self._removed: set[str] = set()      # servers whose key save_keys() deletes

        self.tree = QTreeWidget()
        self.tree.setObjectName("serverList")
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setHeaderLabels([self.tr("Name"), self.tr("Kind"), self.tr("Address"),
                                   self.tr("Where")])
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(Column.ADDRESS, QHeaderView.ResizeMode.Stretch)
        for column in (Column.NAME, Column.KIND, Column.WHERE):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

        self.add_button = QPushButton(self.tr("Add…"))
        self.add_button.setObjectName("addServer")
        self.edit_button = QPushButton(self.tr("Edit…"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.test_button = QPushButton(self.tr("Test connection"))
        self.test_button.setObjectName("testServer")
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button, self.test_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.test_label = plain_label()  # model names and error messages come from the server
        self.test_label.setObjectName("serverTestResult")
        self.test_label.setWordWrap(True)
        self.test_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._tester = ConnectionTest(access, jobs, self.test_label, self.test_button)
        self._tester.finished.connect(self._update_buttons)
        hint = QLabel(self.tr(
            "Chat with models on other computers: your own GPU server (vLLM, SGLang, llama.cpp, "
            "Ollama, LM Studio) or a cloud service. API keys are kept in the system keyring, "
            "never in Hearth's settings file. Enabled servers' models appear in the model list."))
        hint.setWordWrap(True)
        hint.setEnabled(False)

        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.test_label)

        self.add_button.clicked.connect(self.add_server)
        self.edit_button.clicked.connect(self.edit_server)
        self.remove_button.clicked.connect(self.remove_server)
        self.test_button.clicked.connect(self.test_connection)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.tree.itemDoubleClicked.connect(lambda *_: self.edit_server())
        self.tree.itemChanged.connect(self._on_item_changed)
        self._fill()

    # ---- results ---------------------------------------------------------------

    def servers(self) -> list[ServerConfig]:
        """The servers as edited here, in order."""
        return list(self._servers)

    def save_keys(self) -> set[str]:
        """Write typed keys to the keyring and delete removed servers' keys.

        Returns the ids of the servers whose key changed (their connections
        must be made again). Raises :class:`KeychainError` (the dialog shows it
        and stays open; what was written stays written and is not redone).
        """
        keys = self._access.keys
        changed: set[str] = set()
        for server_id in sorted(self._removed):
            keys.delete(server_id)
            self._removed.discard(server_id)
        for server_id, key in list(self._new_keys.items()):
            keys.set(server_id, key)
            del self._new_keys[server_id]
            changed.add(server_id)
        return changed

    # ---- actions -----------------------------------------------------------------

    def server_dialog(self, server: ServerConfig | None = None) -> ServerDialog:
        """The add/edit dialog (tests fill it in and accept it)."""
        return ServerDialog(server, self, access=self._access, jobs=self._jobs)

    def add_server(self) -> None:
        dialog = self.server_dialog()
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.accept_dialog(dialog)

    def edit_server(self) -> None:
        server = self.selected_server()
        if server is None:
            return
        dialog = self.server_dialog(server)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.accept_dialog(dialog)

    def accept_dialog(self, dialog: ServerDialog) -> None:
        """Take the server (new or edited) and the key from an accepted dialog."""
        server = dialog.server()
        key = dialog.entered_key()
        if key:
            self._new_keys[server.id] = key
        self._removed.discard(server.id)
        for index, old in enumerate(self._servers):
            if old.id == server.id:
                self._servers[index] = server
                break
        else:
            self._servers.append(server)
        self._fill(select=server.id)

    def remove_server(self) -> None:
        server = self.selected_server()
        if server is None:
            return
        self._servers = [s for s in self._servers if s.id != server.id]
        self._new_keys.pop(server.id, None)
        self._removed.add(server.id)
        self.test_label.clear()
        self._fill()

    def test_connection(self) -> None:
        """Ask the selected server for its models (with the key typed, if one was)."""
        server = self.selected_server()
        if server is not None:
            self._tester.run(server, self._new_keys.get(server.id))

    def selected_server(self) -> ServerConfig | None:
        items = self.tree.selectedItems()
        if not items:
            return None
        server_id = items[0].data(Column.NAME, Qt.ItemDataRole.UserRole)
        return next((s for s in self._servers if s.id == server_id), None)

    # ---- slots -------------------------------------------------------------------

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column != Column.NAME:
            return
        server_id = item.data(Column.NAME, Qt.ItemDataRole.UserRole)
        enabled = item.checkState(Column.NAME) == Qt.CheckState.Checked
        self._servers = [ServerConfig(**{**vars(s), "enabled": enabled}) if s.id == server_id
                         else s for s in self._servers]

    def _fill(self, select: str | None = None) -> None:
        self.tree.blockSignals(True)
        self.tree.clear()
        for server in self._servers:
            preset = PRESETS_BY_ID[server.preset]
            where = (self.tr("Your computer or network") if is_local_address(server.base_url)
                     else self.tr("Internet"))
            item = QTreeWidgetItem(
                [server.name, translated_name(preset.name), server.base_url, where])
            item.setData(Column.NAME, Qt.ItemDataRole.UserRole, server.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Column.NAME, Qt.CheckState.Checked if server.enabled
                               else Qt.CheckState.Unchecked)
            item.setToolTip(Column.NAME, self.tr("Tick to list this server's models"))
            self.tree.addTopLevelItem(item)
            if server.id == select:
                item.setSelected(True)
        self.tree.blockSignals(False)
        self._update_buttons()

    def _update_buttons(self, *_args: object) -> None:
        chosen = self.selected_server() is not None
        for button in (self.edit_button, self.remove_button):
            button.setEnabled(chosen)
        self.test_button.setEnabled(chosen and not self._tester.running)
