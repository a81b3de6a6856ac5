"""Checks shared by the tests that show hostile strings on the window's surfaces."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QLabel, QWidget


def assert_labels_plain(*roots: QWidget) -> int:
    """Every label showing an ``<img`` tag shows it as text; returns how many did."""
    showing = 0
    for root in roots:
        for label in root.findChildren(QLabel):
            if "<img" in label.text():
                showing += 1
                assert label.textFormat() == Qt.TextFormat.PlainText, label.text()
    return showing


def assert_tooltip_literal(tip: str) -> None:
    """A tooltip with ``<img`` in it is either not taken for HTML or escapes the tag."""
    if "<img" in tip:
        assert not GuiQt.mightBeRichText(tip), tip
    # Rendered the way QToolTip's label renders it (Qt::AutoText), tripwires watching.
    label = QLabel(tip)
    label.adjustSize()
    label.grab()


def model_tooltips(model: QAbstractItemModel) -> list[str]:
    """Every cell's tooltip in a table model, each also shown once."""
    tips = []
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            tip = model.index(row, column).data(Qt.ItemDataRole.ToolTipRole)
            if isinstance(tip, str):
                assert_tooltip_literal(tip)
                tips.append(tip)
    return tips
