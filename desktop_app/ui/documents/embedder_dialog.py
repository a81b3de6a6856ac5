"""Choosing a collection's embedder: the bundled encoder, a GGUF model, or a server's model.

The dialog only produces an embedder *name* (``use-multilingual-v3``,
``gguf:<path>``, ``openai:<server id>#<model>``, see
:mod:`desktop_app.core.documents.embedders`); the Documents window then
re-indexes the collection with it after asking. What it can offer comes from
:class:`EmbedderChoices`, built once in the composition root: the model
library's GGUF files (embedding models first) and the servers in Settings,
whose models are listed in the background (``GET /v1/models``, never on the
GUI thread); the user may also type a model name a server does not list
(many servers list only their chat models).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.documents.embedders import (
    USE_NAME,
    gguf_embedder_name,
    looks_like_embedding_model,
)
from desktop_app.core.documents.remote_embedder import (
    parse_remote_embedder_name,
    remote_embedder_name,
)
from desktop_app.core.models.library import ModelLibrary
from desktop_app.core.remote.servers import ServerConfig
from desktop_app.ui.common.background import BackgroundJobs
from desktop_app.ui.common.remote_access import RemoteAccess
from desktop_app.ui.common.untrusted_text import plain_label
from desktop_app.ui.common.user_text import translated


@dataclass(frozen=True)
class GgufChoice:
    """A GGUF file of the library; ``embedding``: it is an embedding model, not a chat model."""

    label: str
    path: Path
    embedding: bool


class EmbedderChoices:
    """What the dialog offers (see the module docstring). Tests build one with fakes."""

    def __init__(self, library: ModelLibrary | None, servers: Callable[[], Sequence[ServerConfig]],
                 offline: Callable[[], bool], remote: RemoteAccess | None = None,
                 jobs: BackgroundJobs | None = None) -> None:
        self._library = library
        self._servers = servers
        self._offline = offline
        self._remote = remote
        self._jobs = jobs

    def gguf_models(self) -> list[GgufChoice]:
        """The library's models, embedding models first, each group by name."""
        if self._library is None:
            return []
        choices = [GgufChoice(m.display_name, m.path,
                              looks_like_embedding_model(m.info.architecture, m.info.metadata))
                   for m in self._library.models()]
        return sorted(choices, key=lambda c: (not c.embedding, c.label.casefold()))

    def servers(self) -> list[ServerConfig]:
        """The enabled servers of the settings of the moment."""
        return [s for s in self._servers() if s.enabled]

    @property
    def offline(self) -> bool:
        return self._offline()

    def list_models(self, server: ServerConfig, on_done: Callable[[tuple[str, ...]], None],
                    on_error: Callable[[BaseException], None]) -> None:
        """The models ``server`` lists, asked in the background (none offline)."""
        if self._remote is None or self._jobs is None or self._offline():
            on_done(())
            return
        remote = self._remote
        self._jobs.run(lambda: remote.list_models(server), on_done, on_error)


class EmbedderDialog(QDialog):
    """Pick an embedder for a collection; :meth:`chosen` is the name (module docstring)."""

    def __init__(self, choices: EmbedderChoices, current: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Embedder"))
        self.setObjectName("embedderDialog")
        self._choices = choices
        self._asked: set[str] = set()

        self.use_button = QRadioButton(self.tr("Bundled multilingual encoder (recommended)"))
        use_note = QLabel(self.tr(
            "Works offline and needs no download. It matches English questions to Chinese "
            "passages and back, and knows 16 languages."))
        self.gguf_button = QRadioButton(self.tr("A GGUF model from your model library"))
        self.gguf_combo = QComboBox()
        self.gguf_combo.setObjectName("ggufEmbedders")
        gguf_note = QLabel(self.tr(
            "Any GGUF model can make vectors, but only an embedding model (such as bge-m3 or "
            "multilingual-e5) finds the right passages; a chat model gives poor results."))
        self.server_button = QRadioButton(self.tr("An embedding model on a server"))
        self.server_combo = QComboBox()
        self.server_combo.setObjectName("embeddingServers")
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("serverEmbeddingModel")
        self.model_combo.setEditable(True)
        self.model_combo.setToolTip(self.tr("Choose a listed model or type its name"))
        self.list_button = QPushButton(self.tr("List models"))
        self.server_note = plain_label()
        self.server_note.setWordWrap(True)
        for note in (use_note, gguf_note):
            note.setWordWrap(True)
        self.group = QButtonGroup(self)
        for button in (self.use_button, self.gguf_button, self.server_button):
            self.group.addButton(button)

        grid = QGridLayout()
        grid.addWidget(self.use_button, 0, 0, 1, 2)
        grid.addWidget(use_note, 1, 1)
        grid.addWidget(self.gguf_button, 2, 0, 1, 2)
        grid.addWidget(self.gguf_combo, 3, 1)
        grid.addWidget(gguf_note, 4, 1)
        grid.addWidget(self.server_button, 5, 0, 1, 2)
        server_row = QHBoxLayout()
        server_row.addWidget(self.server_combo, 1)
        server_row.addWidget(self.model_combo, 2)
        server_row.addWidget(self.list_button)
        grid.addLayout(server_row, 6, 1)
        grid.addWidget(self.server_note, 7, 1)
        grid.setColumnMinimumWidth(0, 24)
        grid.setColumnStretch(1, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("The embedder turns every passage into a vector. "
                                        "Changing it indexes the collection again.")))
        layout.addLayout(grid)
        layout.addWidget(self.buttons)

        self._fill(current)
        self.group.buttonToggled.connect(self._update)
        self.server_combo.currentIndexChanged.connect(self._on_server_chosen)
        self.model_combo.editTextChanged.connect(self._update)
        self.list_button.clicked.connect(self.list_models)
        self._update()

    def _fill(self, current: str) -> None:
        for choice in self._choices.gguf_models():
            label = choice.label if choice.embedding else self.tr("{name} (chat model)").format(
                name=choice.label)
            self.gguf_combo.addItem(label, gguf_embedder_name(choice.path))
        for server in self._choices.servers():
            self.server_combo.addItem(server.name, server.id)
        self.gguf_button.setEnabled(self.gguf_combo.count() > 0)
        self.server_button.setEnabled(self.server_combo.count() > 0)
        if self.server_combo.count() == 0:
            self.server_note.setText(self.tr("Add a server in Settings › Servers to use its "
                                             "embedding models."))
        elif self._choices.offline:
            self.server_note.setText(self.tr("Hearth is in offline mode: a server's embedder "
                                             "works once offline mode is off."))
        remote = parse_remote_embedder_name(current)
        gguf_row = self.gguf_combo.findData(current)
        if remote is not None and self.server_combo.findData(remote[0]) >= 0:
            self.server_combo.setCurrentIndex(self.server_combo.findData(remote[0]))
            self.model_combo.setEditText(remote[1])
            self.server_button.setChecked(True)
        elif gguf_row >= 0:
            self.gguf_combo.setCurrentIndex(gguf_row)
            self.gguf_button.setChecked(True)
        else:
            self.use_button.setChecked(True)

    def chosen(self) -> str | None:
        """The chosen embedder's name; None while the choice is incomplete."""
        if self.gguf_button.isChecked():
            data = self.gguf_combo.currentData()
            return str(data) if data else None
        if self.server_button.isChecked():
            server_id = self.server_combo.currentData()
            model = self.model_combo.currentText().strip()
            return remote_embedder_name(str(server_id), model) if server_id and model else None
        return USE_NAME

    def list_models(self) -> None:
        """Ask the chosen server for its models (in the background)."""
        server_id = self.server_combo.currentData()
        server = next((s for s in self._choices.servers() if s.id == server_id), None)
        if server is None:
            return
        self._asked.add(server.id)
        self.server_note.setText(self.tr("Asking {server} for its models…").format(
            server=server.name))
        self._choices.list_models(server, lambda models: self._on_models(server.id, models),
                                  self._on_models_failed)

    def _on_server_chosen(self, _index: int) -> None:
        self.model_combo.clear()
        self._update()

    def _on_models(self, server_id: str, models: tuple[str, ...]) -> None:
        if self.server_combo.currentData() != server_id:
            return
        typed = self.model_combo.currentText()
        self.model_combo.clear()
        # Embedding models first: their names say so (bge, e5, embed, gte, …).
        ranked = sorted(models, key=lambda m: not _sounds_like_embedder(m))
        self.model_combo.addItems(list(ranked))
        self.model_combo.setEditText(typed or (ranked[0] if ranked else ""))
        self.server_note.setText(self.tr("%n model(s) listed; you may also type a name.", "",
                                         len(models)))

    def _on_models_failed(self, exc: BaseException) -> None:
        self.server_note.setText(translated(exc))

    def _update(self, *_args: object) -> None:
        on_server = self.server_button.isChecked()
        for widget in (self.server_combo, self.model_combo, self.list_button):
            widget.setEnabled(on_server)
        self.gguf_combo.setEnabled(self.gguf_button.isChecked())
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.chosen() is not None)


def _sounds_like_embedder(model: str) -> bool:
    name = model.casefold()
    return any(word in name for word in ("embed", "bge", "e5", "gte", "minilm", "mpnet"))


def embedder_box(choices: EmbedderChoices) -> Callable[[QWidget, str], str | None]:
    """Ask with :class:`EmbedderDialog` (parent, current name); None if cancelled."""

    def ask(parent: QWidget, current: str) -> str | None:
        dialog = EmbedderDialog(choices, current, parent)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            return dialog.chosen()
        finally:
            dialog.deleteLater()

    return ask
