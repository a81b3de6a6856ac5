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

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QFont

from desktop_app.core.formatting import format_size
from desktop_app.core.models.library import LocalModel
from desktop_app.ui.common.table_model import SnapshotTableModel


class LibraryRole(IntEnum):
    MODEL = Qt.ItemDataRole.UserRole
    """The row's :class:`LocalModel` (or :class:`ExternalFile`)."""
    IN_USE = Qt.ItemDataRole.UserRole + 1
    """True for the model selected in the window."""


class LibraryModel(SnapshotTableModel):
    """The models Hearth can load: name, quantization, size and where the file is."""

    COLUMNS = 4

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._in_use: str | None = None

    def set_models(self, models: Sequence[LocalModel], in_use: str | None = None) -> None:
        self._in_use = in_use
        self.replace_rows(models)

    def model(self, row: int) -> LocalModel:
        model: LocalModel = self.item(row)
        return model

    def row_of(self, model_id: str) -> int | None:
        return next((row for row, m in enumerate(self._rows) if m.id == model_id), None)

    def headers(self) -> tuple[str, ...]:
        return (self.tr("Name"), self.tr("Quantization"), self.tr("Size"), self.tr("Location"))

    def cell(self, model: LocalModel, _row: int, column: int, role: int) -> Any:
        in_use = model.id == self._in_use
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


class ExternalModelsModel(SnapshotTableModel):
    """Models found in the Hugging Face cache or LM Studio's folders, not yet in the library."""

    COLUMNS = 3

    def set_files(self, files: Sequence[ExternalFile]) -> None:
        self.replace_rows(files)

    def file(self, row: int) -> ExternalFile:
        found: ExternalFile = self.item(row)
        return found

    def headers(self) -> tuple[str, ...]:
        return (self.tr("File"), self.tr("Size"), self.tr("Folder"))

    def cell(self, found: ExternalFile, _row: int, column: int, role: int) -> Any:
        if role == LibraryRole.MODEL:
            return found
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(found.path)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return (found.path.name, format_size(found.size), str(found.path.parent))[column]
