"""The On this computer tab of the Models window: the library and models found elsewhere.

Lists the models Hearth knows, imports a .gguf (copied or used in place),
deletes one (never the model in use), and looks through other apps'
download folders in the background the first time the tab is shown.
"""

from __future__ import annotations

import logging

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.formatting import format_size
from desktop_app.core.models.gguf import GGUFError
from desktop_app.core.models.library import ImportMode, LocalModel, ModelLibrary
from desktop_app.ui.common.background import BackgroundJobs
from desktop_app.ui.common.untrusted_text import as_rich_text, plain_label
from desktop_app.ui.models.library_model import ExternalFile, ExternalModelsModel, LibraryModel
from desktop_app.ui.models.model_controller import ModelController
from desktop_app.ui.models.page_widgets import message_label, selected_row, table_view

log = logging.getLogger(__name__)


class LibraryTab(QWidget):
    """The models on this computer, imports, deletion, and models other apps downloaded."""

    def __init__(self, controller: ModelController, library: ModelLibrary,
                 jobs: BackgroundJobs) -> None:
        super().__init__()
        self._controller = controller
        self._library = library
        self._jobs = jobs
        self._scanned = False
        self.model = LibraryModel(self)
        self.view = table_view(self.model, stretch=3)
        self.view.setObjectName("libraryView")
        self.use_button = QPushButton(self.tr("Use"))
        self.import_button = QPushButton(self.tr("Import a .gguf…"))
        self.delete_button = QPushButton(self.tr("Delete…"))
        self.message = message_label()
        self.message.setObjectName("libraryMessage")
        buttons = QHBoxLayout()
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)

        self.external = ExternalModelsModel(self)
        self.external_view = table_view(self.external, stretch=2)
        self.external_view.setObjectName("externalView")
        self.external_status = plain_label()  # quotes errors, which may quote paths
        self.use_in_place_button = QPushButton(self.tr("Use in place"))
        self.rescan_button = QPushButton(self.tr("Look again"))
        found = QGroupBox(self.tr("Found elsewhere (Hugging Face cache, LM Studio)"))
        found_buttons = QHBoxLayout()
        found_buttons.addWidget(self.external_status, 1)
        found_buttons.addWidget(self.rescan_button)
        found_buttons.addWidget(self.use_in_place_button)
        found_layout = QVBoxLayout(found)
        found_layout.addWidget(self.external_view, 1)
        found_layout.addLayout(found_buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 3)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(found, 2)
        self.view.selectionModel().selectionChanged.connect(self.update_buttons)
        self.external_view.selectionModel().selectionChanged.connect(self.update_buttons)
        self.view.doubleClicked.connect(self._on_use_clicked)
        self.use_button.clicked.connect(self._on_use_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.import_button.clicked.connect(self._on_import_clicked)
        self.use_in_place_button.clicked.connect(self._on_use_in_place_clicked)
        self.rescan_button.clicked.connect(self.scan_external)
        self.update_buttons()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._scanned:
            self.scan_external()

    def current(self) -> LocalModel | None:
        row = selected_row(self.view)
        return self.model.model(row) if row is not None else None

    def update_buttons(self, *_args: object) -> None:
        model = self.current()
        self.use_button.setEnabled(model is not None
                                   and not self._controller.is_loaded(model.id))
        self.delete_button.setEnabled(model is not None)
        self.use_in_place_button.setEnabled(selected_row(self.external_view) is not None)

    # ---- actions -------------------------------------------------------------

    def _on_use_clicked(self, *_args: object) -> None:
        model = self.current()
        if model is not None and not self._controller.is_loaded(model.id):
            self._controller.select(model.id)

    def _on_delete_clicked(self) -> None:
        model = self.current()
        if model is None:
            return
        if self._controller.is_loaded(model.id):
            self.message.setText(self.refusal(model))
            return
        if model.in_place:
            question = self.tr("Remove {name} from Hearth? The file stays where it is:\n{path}")
        else:
            question = self.tr("Delete {name}? This removes {size} from\n{path}")
        answer = QMessageBox.question(
            self, self.tr("Delete model"), as_rich_text(question.format(
                name=model.display_name, size=format_size(model.size_bytes), path=model.path)))
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_model(model.id)

    def refusal(self, model: LocalModel) -> str:
        return self.tr("{name} is the model in use, so it cannot be deleted. Choose another "
                       "model in the window first, then delete this one.").format(
            name=model.display_name)

    def delete_model(self, model_id: str) -> bool:
        """Remove a model (after confirmation); refused for the one in use."""
        model = self._library.get(model_id)
        if self._controller.is_loaded(model_id):
            self.message.setText(self.refusal(model))
            return False
        try:
            self._library.remove(model_id)
        except OSError as exc:
            self.message.setText(self.tr("{name} could not be deleted: {error}").format(
                name=model.display_name, error=exc.strerror or exc))
            return False
        self.message.setText(self.tr("Deleted {name}.").format(name=model.display_name))
        self._controller.refresh()
        return True

    def _on_import_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import a GGUF model"), "",
            self.tr("GGUF models (*.gguf);;All files (*)"))
        if not path:
            return
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Import a GGUF model"),
                          self.tr("Copy the file into Hearth's models folder, or use it where "
                                  "it is?"), parent=self)
        copy = box.addButton(self.tr("Copy"), QMessageBox.ButtonRole.AcceptRole)
        in_place = box.addButton(self.tr("Use where it is"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is copy:
            self.import_file(path, "copy")
        elif box.clickedButton() is in_place:
            self.import_file(path, "in_place")

    def import_file(self, path: str, mode: ImportMode) -> None:
        """Validate and add a file in the background; errors appear under the list."""
        self.message.setText(self.tr("Checking {path}…").format(path=path))
        self.import_button.setEnabled(False)
        library = self._library
        self._jobs.run(lambda: library.import_file(path, mode), self._on_import_done,
                           lambda exc: self._on_import_failed(path, exc))

    def _on_import_done(self, model: LocalModel) -> None:
        self.import_button.setEnabled(True)
        self.message.setText(self.tr("Added {name}.").format(name=model.display_name))
        self._controller.refresh()
        # A model found elsewhere and now used in place is no longer "elsewhere".
        remaining = [self.external.file(r) for r in range(self.external.rowCount())
                     if self.external.file(r).path != model.path]
        if len(remaining) != self.external.rowCount():
            self.external.set_files(remaining)
        row = self.model.row_of(model.id)
        if row is not None:
            self.view.selectRow(row)

    def _on_import_failed(self, path: str, exc: BaseException) -> None:
        self.import_button.setEnabled(True)
        if isinstance(exc, GGUFError):
            text = self.tr("{path} cannot be used: {error}").format(path=path, error=exc)
        elif isinstance(exc, OSError):
            text = self.tr("{path} could not be imported: {error}").format(
                path=path, error=exc.strerror or exc)
        else:
            log.error("unexpected error importing %s", path, exc_info=exc)
            text = self.tr("Something went wrong: {error}").format(error=exc)
        self.message.setText(text)

    # ---- other apps' folders -------------------------------------------------

    def scan_external(self) -> None:
        self._scanned = True
        self.external_status.setText(self.tr("Looking for models other apps downloaded…"))
        library = self._library
        self._jobs.run(lambda: [ExternalFile.of(p) for p in library.find_external()],
                           self._on_scan_done, self._on_scan_failed)

    def _on_scan_done(self, files: list[ExternalFile]) -> None:
        self.external.set_files(files)
        self.external_status.setText(
            self.tr("{n} models found.").format(n=len(files)) if files
            else self.tr("No other models found."))
        self.update_buttons()

    def _on_scan_failed(self, exc: BaseException) -> None:
        self.external_status.setText(self.tr("Could not look for other models: {error}").format(
            error=exc))

    def _on_use_in_place_clicked(self) -> None:
        row = selected_row(self.external_view)
        if row is not None:
            self.import_file(str(self.external.file(row).path), "in_place")
