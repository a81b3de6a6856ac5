"""A table model over a list of snapshots, for the Models window's tables.

Rows are immutable snapshots (catalog entries, search results, local models)
replaced as a whole when new data arrives; subclasses say what each cell shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from desktop_app.ui.common.untrusted_text import plain_tooltip

AnyIndex = QModelIndex | QPersistentModelIndex
"""What Qt passes as an index to model overrides."""


class SnapshotTableModel(QAbstractTableModel):
    """Rows of snapshots under fixed headers; subclasses say what each cell shows."""

    COLUMNS = 0
    # Each subclass defines these two methods. headers(): the column titles, each a
    # literal self.tr() call so lupdate finds it. cell(item, row, column, role): what
    # one cell shows for a role. (Qt's metaclass rules out abc.abstractmethod here.)
    headers: Callable[[], tuple[str, ...]]
    cell: Callable[[Any, int, int, int], Any]

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def item(self, row: int) -> Any:
        return self._rows[row]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < self.COLUMNS):
            return self.headers()[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        value = self.cell(self._rows[index.row()], index.row(), index.column(), role)
        if role == Qt.ItemDataRole.ToolTipRole and isinstance(value, str):
            # Tooltips quote Hub and GGUF data, and Qt shows HTML-looking ones as HTML.
            return plain_tooltip(value)
        return value

    def replace_rows(self, rows: Iterable[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()
