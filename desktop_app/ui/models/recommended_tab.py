"""The Recommended tab of the Models window: the curated catalog of chat models.

A short, known-good list for people who do not want to search the Hub; each
row says whether it fits this computer's free memory and, once downloaded,
offers "Use" instead of "Download".
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app.core.formatting import format_size
from desktop_app.core.models.catalog import CatalogEntry
from desktop_app.ui.models.hub_models import CatalogModel
from desktop_app.ui.models.model_controller import ModelController
from desktop_app.ui.models.page_widgets import (
    StartDownload,
    message_label,
    selected_row,
    table_view,
)


class RecommendedTab(QWidget):
    """The curated catalog: a short list of known-good chat models, small to large."""

    def __init__(self, catalog: Sequence[CatalogEntry], controller: ModelController,
                 start_download: StartDownload) -> None:
        super().__init__()
        self._controller = controller
        self._start_download = start_download
        self.model = CatalogModel(catalog, self)
        self.view = table_view(self.model)
        self.view.setObjectName("catalogView")
        intro = QLabel(self.tr("Good chat models to start with, from small and fast to large and "
                               "capable. “Fit” compares each with this computer's free memory."))
        intro.setWordWrap(True)
        self.description = QLabel()
        self.description.setTextFormat(Qt.TextFormat.RichText)
        self.description.setWordWrap(True)
        self.download_button = QPushButton(self.tr("Download"))
        self.download_button.setObjectName("catalogDownload")
        self.message = message_label()
        row = QHBoxLayout()
        row.addWidget(self.description, 1)
        row.addWidget(self.download_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.view.selectionModel().selectionChanged.connect(self.update_buttons)
        self.view.doubleClicked.connect(self._on_download_clicked)
        self.download_button.clicked.connect(self._on_download_clicked)
        self.update_buttons()

    def current(self) -> CatalogEntry | None:
        row = selected_row(self.view)
        return self.model.item(row) if row is not None else None

    def update_buttons(self, *_args: object) -> None:
        entry = self.current()
        self.download_button.setEnabled(entry is not None)
        if entry is None:
            self.description.setText(self.tr("Choose a model to see what it is good for."))
            self.download_button.setText(self.tr("Download"))
            return
        # Rich text for the bold name; every value escaped, whatever the catalog says.
        self.description.setText(self.tr("<b>{name}</b> · {params} parameters · {size} · licence "
                                         "{licence}<br>{text}").format(
            name=escape(entry.name), params=escape(entry.parameters),
            size=format_size(entry.size_bytes), licence=escape(entry.license),
            text=escape(entry.description)))
        self.download_button.setText(self.tr("Use") if self.model.is_downloaded(entry)
                                     else self.tr("Download"))

    def _on_download_clicked(self, *_args: object) -> None:
        entry = self.current()
        if entry is None:
            return
        if self.model.is_downloaded(entry):
            self._controller.select(f"{entry.repo}/{entry.file}")
            self.message.setText(self.tr("Loading {name}…").format(name=entry.name))
            return
        self.message.setText(self._start_download(entry.repo, entry.file, None))
