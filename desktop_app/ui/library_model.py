"""Item models for "On this computer": the library's models and models found elsewhere.

Both hold snapshots: :class:`LibraryModel` is refilled from
``ModelLibrary.models()`` whenever the controller says the list changed, and
:class:`ExternalModelsModel` from a ``find_external()`` scan that ran in the
background (those folders can be large).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt
from PySide6.QtGui import QFont

from desktop_app.core.models.library import LocalModel
from desktop_app.ui.download_list_model import AnyIndex, format_size


class LibraryRole(IntEnum):
    MODEL = Qt.ItemDataRole.UserRole
    """The row's :class:`LocalModel` (or :class:`ExternalFile`)."""
    IN_USE = Qt.ItemDataRole.UserRole + 1
    """True for the model selected in the window."""


class LibraryModel(QAbstractTableModel):
    """The models Hearth can load: name, quantization, size and where the file is."""

    COLUMNS = 4

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._models: list[LocalModel] = []
        self._in_use: str | None = None

    def set_models(self, models: Sequence[LocalModel], in_use: str | None = None) -> None:
        self.beginResetModel()
        self._models = list(models)
        self._in_use = in_use
        self.endResetModel()

    def model(self, row: int) -> LocalModel:
        return self._models[row]

    def row_of(self, model_id: str) -> int | None:
        return next((row for row, m in enumerate(self._models) if m.id == model_id), None)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._models)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole
                or not 0 <= section < self.COLUMNS):
            return None
        return (self.tr("Name"), self.tr("Quantization"), self.tr("Size"),
                self.tr("Location"))[section]

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._models):
            return None
        model = self._models[index.row()]
        in_use = model.id == self._in_use
        column = index.column()
        if role == LibraryRole.MODEL:
            return model
        if role == LibraryRole.IN_USE:
            return in_use
        if role == Qt.ItemDataRole.FontRole and in_use:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(model)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == 0:
            name = model.display_name.rsplit(" · ", 1)[0]
            if in_use:
                return self.tr("{name} (in use)").format(name=name)
            return name
        if column == 1:
            return model.info.quantization
        if column == 2:
            return format_size(model.size_bytes)
        return str(model.path)

    def _tooltip(self, model: LocalModel) -> str:
        info = model.info
        lines = [model.display_name, str(model.path),
                 self.tr("Architecture: {arch}").format(arch=info.architecture)]
        if info.context_length:
            lines.append(self.tr("Trained context: {n} tokens").format(n=info.context_length))
        if model.in_place:
            lines.append(self.tr("Used in place: deleting it here leaves the file alone."))
        if model.repo:
            lines.append(self.tr("From Hugging Face: {repo}").format(repo=model.repo))
        return "\n".join(lines)


@dataclass(frozen=True)
class ExternalFile:
    """A GGUF file another app downloaded, offered for use in place."""

    path: Path
    size: int

    @classmethod
    def of(cls, path: Path) -> ExternalFile:
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        return cls(path, size)


class ExternalModelsModel(QAbstractTableModel):
    """Models found in the Hugging Face cache or LM Studio's folders, not yet in the library."""

    COLUMNS = 3

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._files: list[ExternalFile] = []

    def set_files(self, files: Sequence[ExternalFile]) -> None:
        self.beginResetModel()
        self._files = list(files)
        self.endResetModel()

    def file(self, row: int) -> ExternalFile:
        return self._files[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._files)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole
                or not 0 <= section < self.COLUMNS):
            return None
        return (self.tr("File"), self.tr("Size"), self.tr("Folder"))[section]

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._files):
            return None
        found = self._files[index.row()]
        if role == LibraryRole.MODEL:
            return found
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(found.path)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return (found.path.name, format_size(found.size), str(found.path.parent))[index.column()]
