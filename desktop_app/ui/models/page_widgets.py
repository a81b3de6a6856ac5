"""The small pieces every tab of the Models window shares: one table look, one message label.

Kept apart from the tabs so each tab module imports them without importing
the dialog that builds the tabs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView

from desktop_app.ui.common.untrusted_text import plain_label


def table_view(model: Any, stretch: int = 0) -> QTableView:
    """A read-only, row-selecting table: the look every list on this page shares."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view


def message_label() -> QLabel:
    """A wrapping, selectable label for a tab's status and error sentences.

    Plain text: the sentences quote repo ids, model names, paths and errors.
    """
    label = plain_label()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setObjectName("pageMessage")
    return label


def selected_row(view: QTableView) -> int | None:
    """The row selected in a single-selection table, or None."""
    rows = view.selectionModel().selectedRows()
    return rows[0].row() if rows else None


StartDownload = Callable[[str, str, str | None], str]
"""Queue a download of (repo, file, revision); returns the sentence to show the user."""
