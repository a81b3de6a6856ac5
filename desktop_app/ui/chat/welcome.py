"""The welcome shown in an empty chat: what Hearth is, a few prompts to try, and better models.

A first-run user sees it on a fresh data folder, and everyone sees it in a
new, empty conversation: it says that nothing leaves the computer, offers
example prompts for the starter model (one click sends them), says plainly
that the starter is a tiny English-only model, and suggests the recommended
models that fit this machine, Chinese-capable ones first in a Chinese UI.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.formatting import format_size
from desktop_app.core.models.catalog import CatalogEntry

STARTER_PROMPTS = ("What is the capital of France?",
                   "Write a Python function that reverses a string.",
                   "Give me three tips for a good night's sleep.")
"""Not translated on purpose: the starter model answers only English well."""

READING_WIDTH = 640
"""The welcome's column width in pixels: a comfortable line length."""


def _label(text: str, object_name: str = "", *, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)  # names come from a data file: never rich text
    label.setWordWrap(wrap)
    if object_name:
        label.setObjectName(object_name)
    return label


class WelcomePanel(QWidget):
    """Greeting, example prompts and model suggestions for an empty conversation.

    Signals:
        prompt_chosen(str): the user clicked an example prompt (send it).
        download_requested(object): the user asked to download a suggested CatalogEntry.
        models_requested(): the user wants the Models window.
    """

    prompt_chosen = Signal(str)
    download_requested = Signal(object)
    models_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        title = _label(self.tr("Welcome to Hearth"), "welcomeTitle")
        intro = _label(self.tr(
            "Chat with AI models that run on this computer. No account, no cloud: "
            "nothing you write leaves it."), "welcomeIntro")
        self.model_line = _label("", "welcomeModel")
        self.prompt_buttons: list[QPushButton] = []
        prompts = QVBoxLayout()
        prompts.setSpacing(6)
        for _ in range(3):
            button = QPushButton()
            button.setObjectName("examplePrompt")
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.clicked.connect(
                lambda _checked=False, b=button: self.prompt_chosen.emit(b.text()))
            prompts.addWidget(button)
            self.prompt_buttons.append(button)

        self.suggestions_title = _label(self.tr(
            "For better answers, download a model that fits this computer:"),
            "welcomeSuggestionsTitle")
        self.suggestions_grid = QGridLayout()
        self.suggestions_grid.setHorizontalSpacing(12)
        self.more_button = QPushButton(self.tr("See all models…"))
        self.more_button.setObjectName("welcomeMoreModels")
        self.more_button.clicked.connect(self.models_requested)
        self.download_buttons: list[QPushButton] = []

        column = QFrame()
        column.setObjectName("welcomeColumn")
        column.setMaximumWidth(READING_WIDTH)
        layout = QVBoxLayout(column)
        layout.setSpacing(10)
        layout.addStretch(1)  # centred vertically: the space goes above and below
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addWidget(self.model_line)
        layout.addLayout(prompts)
        layout.addSpacing(6)
        layout.addWidget(self.suggestions_title)
        layout.addLayout(self.suggestions_grid)
        more = QHBoxLayout()
        more.addWidget(self.more_button)
        more.addStretch(1)
        layout.addLayout(more)
        layout.addStretch(1)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(column, 100)
        outer.addStretch(1)
        self.set_model(None, starter=False)
        self.set_suggestions(())

    def example_prompts(self, *, starter: bool) -> tuple[str, ...]:
        """Prompts to try: in English for the starter model (it only speaks English)."""
        if starter:
            return STARTER_PROMPTS
        return (self.tr("What is the capital of France?"),
                self.tr("Write a Python function that reverses a string."),
                self.tr("Give me three tips for a good night's sleep."))

    def set_model(self, name: str | None, *, starter: bool) -> None:
        """Say which model answers: the starter (tiny, English-only) or the user's own."""
        if name is None:
            text = self.tr("Choose a model to start chatting.")
        elif starter:
            text = self.tr(
                "{name} is ready to try: a tiny starter model that only speaks English and "
                "knows little. Try one of these:").format(name=name)
        else:
            text = self.tr("{name} is ready. Ask anything, or try one of these:").format(
                name=name)
        self.model_line.setText(text)
        for button, prompt in zip(self.prompt_buttons, self.example_prompts(starter=starter),
                                  strict=True):
            button.setText(prompt)
            button.setEnabled(name is not None)

    def set_suggestions(self, entries: Sequence[CatalogEntry]) -> None:
        """The recommended models to offer (already filtered to what fits, best first)."""
        while self.suggestions_grid.count():
            item = self.suggestions_grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.download_buttons = []
        for row, entry in enumerate(entries):
            name = _label(entry.name, "suggestionName", wrap=False)
            detail = _label(f"{entry.parameters} · {format_size(entry.size_bytes)} · "
                            f"{entry.description}", "suggestionDetail")
            button = QPushButton(self.tr("Download"))
            button.setObjectName("suggestionDownload")
            button.clicked.connect(lambda _checked=False, e=entry: self.download_requested.emit(e))
            self.suggestions_grid.addWidget(name, row, 0, Qt.AlignmentFlag.AlignTop)
            self.suggestions_grid.addWidget(detail, row, 1)
            self.suggestions_grid.addWidget(button, row, 2, Qt.AlignmentFlag.AlignTop)
            self.download_buttons.append(button)
        self.suggestions_title.setVisible(bool(entries))
