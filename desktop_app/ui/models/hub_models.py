"""Item models for the remote side of the Models page: recommended list, search results, files.

They hold plain snapshots handed over on the GUI thread (a catalog loaded at
start-up, a search result or a repository listing fetched by a background
job) and compute nothing slow themselves. Fit badges come from
:func:`~desktop_app.core.models.quant.model_fit` against the memory a model
may use on this machine, the same estimate the engine checks before loading.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QCoreApplication, QLocale, QObject, Qt
from PySide6.QtGui import QColor, QFont

from desktop_app.core.formatting import format_size
from desktop_app.core.memory_estimate import Fit
from desktop_app.core.models.catalog import CatalogEntry
from desktop_app.core.models.hub import RepoDetails, RepoSummary
from desktop_app.core.models.quant import RemoteModel, model_fit, recommend
from desktop_app.ui.common.table_model import SnapshotTableModel

FIT_COLORS = {Fit.FITS: QColor("#2e7d32"), Fit.TIGHT: QColor("#b26a00"),
              Fit.WONT_FIT: QColor("#c62828")}


class HubRole(IntEnum):
    ITEM = Qt.ItemDataRole.UserRole
    """The row's object: CatalogEntry, RepoSummary or RemoteModel."""
    FIT = Qt.ItemDataRole.UserRole + 1
    """The row's :class:`Fit`, or None when unknown."""
    RECOMMENDED = Qt.ItemDataRole.UserRole + 2
    """True for the best-fitting file of a repository."""


def fit_text(fit: Fit | None) -> str:
    """The badge: "Fits", "Tight", "Won't fit" (module level: one translation context)."""
    if fit is Fit.FITS:
        return QCoreApplication.translate("FitBadge", "Fits")
    if fit is Fit.TIGHT:
        return QCoreApplication.translate("FitBadge", "Tight")
    if fit is Fit.WONT_FIT:
        return QCoreApplication.translate("FitBadge", "Won't fit")
    return QCoreApplication.translate("FitBadge", "Unknown")


def fit_tooltip(fit: Fit | None) -> str:
    if fit is Fit.FITS:
        return QCoreApplication.translate(
            "FitBadge", "Fits comfortably in this computer's free memory at a 4096-token context.")
    if fit is Fit.TIGHT:
        return QCoreApplication.translate(
            "FitBadge", "Fits, but leaves little memory for other programs; the computer may "
            "slow down.")
    if fit is Fit.WONT_FIT:
        return QCoreApplication.translate(
            "FitBadge", "Needs more memory than this computer has free.")
    return QCoreApplication.translate("FitBadge", "The size of this file is not known.")


def fit_cell(fit: Fit | None, role: int) -> Any:
    """A fit badge cell: its text, colour and explanation."""
    if role == Qt.ItemDataRole.DisplayRole:
        return fit_text(fit)
    if role == Qt.ItemDataRole.ForegroundRole and fit is not None:
        return FIT_COLORS[fit]
    if role == Qt.ItemDataRole.ToolTipRole:
        return fit_tooltip(fit)
    return None


class CatalogModel(SnapshotTableModel):
    """The recommended models (``resources/recommended_models.json``) with fit and status."""

    COLUMNS = 6
    FIT_COLUMN = 4

    def __init__(self, entries: Sequence[CatalogEntry], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows = list(entries)
        self._fits: list[Fit | None] = [None] * len(self._rows)
        self._downloaded: set[str] = set()

    def set_available_memory(self, available_bytes: int) -> None:
        """Rate every entry against what a model may use here (measured off the GUI thread)."""
        self._fits = [model_fit(e.remote, available_bytes) for e in self._rows]
        self._all_changed()

    def _all_changed(self) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self._rows) - 1, self.COLUMNS - 1))

    def headers(self) -> tuple[str, ...]:
        return (self.tr("Model"), self.tr("Parameters"), self.tr("Size"), self.tr("Licence"),
                self.tr("Fit"), self.tr("Status"))

    def set_downloaded(self, model_ids: Iterable[str]) -> None:
        """Mark the entries whose file is in the library (ids are ``repo/file``)."""
        ids = set(model_ids)
        if ids != self._downloaded:
            self._downloaded = ids
            self._all_changed()

    def is_downloaded(self, entry: CatalogEntry) -> bool:
        return f"{entry.repo}/{entry.file}" in self._downloaded

    def cell(self, item: CatalogEntry, row: int, column: int, role: int) -> Any:
        fit = self._fits[row]
        if role == HubRole.ITEM:
            return item
        if role == HubRole.FIT:
            return fit
        if column == self.FIT_COLUMN:
            return fit_cell(fit, role)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{item.description}\n{item.repo}/{item.file}"
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == 0:
            return item.name
        if column == 1:
            return item.parameters
        if column == 2:
            return format_size(item.size_bytes)
        if column == 3:
            return item.license
        return self.tr("Downloaded") if self.is_downloaded(item) else ""


class SearchResultsModel(SnapshotTableModel):
    """GGUF repositories found on Hugging Face, in the order the Hub sorted them."""

    COLUMNS = 4

    def headers(self) -> tuple[str, ...]:
        return (self.tr("Repository"), self.tr("Downloads"), self.tr("Likes"), self.tr("Updated"))

    def set_results(self, results: Sequence[RepoSummary]) -> None:
        self.replace_rows(results)

    def cell(self, item: RepoSummary, row: int, column: int, role: int) -> Any:
        if role == HubRole.ITEM:
            return item
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (1, 2):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and item.gated:
            return self.tr("Gated: accept the licence on Hugging Face before downloading.")
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        locale = QLocale()
        if column == 0:
            return item.repo_id + (self.tr(" (gated)") if item.gated else "")
        if column == 1:
            return locale.toString(item.downloads)
        if column == 2:
            return locale.toString(item.likes)
        if item.last_modified is None:
            return ""
        return item.last_modified.date().isoformat()


class RepoFilesModel(SnapshotTableModel):
    """A repository's GGUF models (split sets as one row), ordered by quantization.

    Each row has a fit badge; the largest complete quantization that fits
    comfortably is marked recommended (:func:`recommend`).
    """

    COLUMNS = 4
    FIT_COLUMN = 2

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fits: dict[str, Fit | None] = {}
        self._recommended: RemoteModel | None = None
        self.details: RepoDetails | None = None

    def headers(self) -> tuple[str, ...]:
        return (self.tr("Quantization"), self.tr("Size"), self.tr("Fit"), self.tr("File"))

    def set_details(self, details: RepoDetails | None, available_bytes: int = 0) -> None:
        models = details.models if details is not None else ()
        context = details.context_length if details is not None else None
        self.details = details
        self._fits = {m.path: model_fit(m, available_bytes, context) for m in models}
        self._recommended = recommend(models, self._fits)
        self.replace_rows(models)

    @property
    def recommended(self) -> RemoteModel | None:
        return self._recommended

    def row_of(self, path: str) -> int | None:
        return next((row for row, m in enumerate(self._rows) if m.path == path), None)

    def cell(self, item: RemoteModel, row: int, column: int, role: int) -> Any:
        fit = self._fits.get(item.path)
        recommended = self._recommended is not None and item.path == self._recommended.path
        if role == HubRole.ITEM:
            return item
        if role == HubRole.FIT:
            return fit
        if role == HubRole.RECOMMENDED:
            return recommended
        if role == Qt.ItemDataRole.FontRole and recommended:
            font = QFont()
            font.setBold(True)
            return font
        if column == self.FIT_COLUMN and item.complete:
            if recommended and role == Qt.ItemDataRole.DisplayRole:
                return self.tr("{fit} · recommended").format(fit=fit_text(fit))
            return fit_cell(fit, role)
        if role == Qt.ItemDataRole.ToolTipRole:
            parts = len(item.parts)
            return self.tr("{count} parts, downloaded together").format(count=parts) \
                if parts > 1 else item.path
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == 0:
            return item.quant_label
        if column == 1:
            return format_size(item.size) if item.size is not None else self.tr("unknown")
        if column == self.FIT_COLUMN:
            return self.tr("Incomplete on Hugging Face (parts missing)")
        return item.path + (self.tr(" (+{n} parts)").format(n=len(item.parts) - 1)
                            if len(item.parts) > 1 else "")
