"""The window's model list: local models first, then each enabled server's models.

Remote models read "model — server" with a network icon, below a separator,
so that a model whose replies leave the computer never looks like a local
one. A server that is still being asked, cannot be reached, or is skipped in
offline mode shows as one disabled line whose tooltip says why. Every name
here (GGUF names, server names, model ids a server sent) is untrusted: combo
items are plain text, tooltips go through :func:`plain_tooltip`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QIcon, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QStyle, QWidget

from desktop_app.core.remote.servers import ServerConfig
from desktop_app.ui.common.untrusted_text import plain_tooltip
from desktop_app.ui.models.model_controller import ModelController
from desktop_app.ui.models.remote_models import ServerModels, ServerState, remote_key


def server_host(server: ServerConfig) -> str:
    """The host (and port, if given) a server's replies come from, for the privacy notice."""
    parts = urlsplit(server.base_url)
    host = parts.hostname or server.base_url
    return f"{host}:{parts.port}" if parts.port else host


class ModelPicker(QComboBox):
    """The model combo; item data is the model id ("" for lines that cannot be chosen)."""

    def __init__(self, models: ModelController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._models = models
        self.setObjectName("modelCombo")
        self.setMinimumWidth(280)
        # "model — server" is longer than a local name: grow to show it, within reason.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setMaximumWidth(460)

    def network_icon(self) -> QIcon:
        return self.style().standardIcon(QStyle.StandardPixmap.SP_DriveNetIcon)

    def refill(self) -> None:
        """List the models again and select the selected one, without emitting ``activated``."""
        models = self._models
        self.blockSignals(True)
        self.clear()
        for model in models.models():
            self.addItem(model.display_name, model.id)
        entries = models.remote.entries() if models.remote is not None else []
        selected_id = models.selected_id
        if entries or models.selected_remote is not None:
            self.insertSeparator(self.count())
        for entry in entries:
            self._add_server(entry)
        ref = models.selected_remote
        if ref is not None and self.findData(ref.key) < 0 and models.remote_server is not None:
            # Chosen before the server answered (a restart): it stays listed meanwhile.
            self._add_remote_model(models.remote_server, ref.model)
        if selected_id is not None:
            self.setCurrentIndex(self.findData(selected_id))
        if self.count() == 0:
            # The window's string, as before the picker had its own class (one translation).
            self.addItem(QCoreApplication.translate("MainWindow", "No model yet"), "")
        self.blockSignals(False)

    def _add_server(self, entry: ServerModels) -> None:
        server = entry.server
        if entry.models:
            for model in entry.models:
                self._add_remote_model(server, model)
            return
        if entry.state == ServerState.READY:
            line, why = (self.tr("{server}: no models").format(server=server.name),
                         self.tr("The server answered but lists no models."))
        elif entry.state == ServerState.LOADING:
            line, why = (self.tr("{server}: asking for its models…").format(server=server.name),
                         self.tr("Waiting for the server's answer."))
        elif entry.state == ServerState.OFFLINE:
            line, why = (self.tr("{server}: offline mode").format(server=server.name),
                         self.tr("Offline mode is on: Hearth does not contact remote servers. "
                                 "Turn it off in Settings › General to use them."))
        else:
            line, why = (self.tr("{server}: not reachable").format(server=server.name),
                         entry.error)
        self.addItem(self.network_icon(), line, "")
        self._disable_last(why)

    def _add_remote_model(self, server: ServerConfig, model: str) -> None:
        self.addItem(self.network_icon(),
                     self.tr("{model} — {server}").format(model=model, server=server.name),
                     remote_key(server.id, model))
        self.setItemData(self.count() - 1, plain_tooltip(self.tr(
            "On {server} ({host}): your messages are sent there.").format(
                server=server.name, host=server_host(server))), Qt.ItemDataRole.ToolTipRole)

    def _disable_last(self, tooltip: str) -> None:
        index = self.count() - 1
        item_model = self.model()
        assert isinstance(item_model, QStandardItemModel)  # QComboBox's own model
        item = item_model.item(index)
        item.setEnabled(False)
        item.setToolTip(plain_tooltip(tooltip))
