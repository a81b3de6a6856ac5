"""Showing text Hearth did not write, without Qt interpreting it.

Model replies, chat templates, GGUF metadata (names, licences), Hugging Face
data (repo ids, file names), file paths and error texts are untrusted. Qt
reads text as rich text in several places by default: a ``QLabel`` in
``Qt::AutoText`` mode, ``QMessageBox``, tooltips that ``Qt::mightBeRichText``,
and ``QTextDocument.setMarkdown``. Rich text may name images, and Qt loads
them synchronously in the GUI thread from any path or ``file:`` URL: a reply
containing ``![x](file:///dev/zero)`` grew the window from 114 MB to 3 GB in
6 s and aborted it with ``std::bad_alloc``; an image path naming a FIFO hung
the window for good, at every start when that chat was the last one open.

So, everywhere:

* Markdown is rendered only by :class:`SafeTextDocument`, which reads nothing.
* Labels that show untrusted text are plain text (:func:`plain_label`,
  :func:`make_plain`).
* Tooltips go through :func:`plain_tooltip`, message box texts through
  :func:`as_rich_text`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QColor, QImage, QPainter, QTextDocument
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QLabel, QWidget

MARKDOWN_FEATURES = (QTextDocument.MarkdownFeature.MarkdownDialectGitHub
                     | QTextDocument.MarkdownFeature.MarkdownNoHTML)
"""GitHub Markdown without HTML: a model's ``<img width=99999>`` or ``<link>`` shows as text."""

PLACEHOLDER_SIZE = 16


def _placeholder() -> QImage:
    """A small grey frame standing where a reply names an image."""
    image = QImage(PLACEHOLDER_SIZE, PLACEHOLDER_SIZE, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setPen(QColor(127, 127, 127, 160))
    painter.drawRect(1, 1, PLACEHOLDER_SIZE - 3, PLACEHOLDER_SIZE - 3)
    painter.drawLine(1, 1, PLACEHOLDER_SIZE - 2, PLACEHOLDER_SIZE - 2)
    painter.end()
    return image


class SafeTextDocument(QTextDocument):
    """A text document that never loads a resource: no file, no ``qrc:``, no network.

    :meth:`loadResource` answers every name (``file:``, ``qrc:``, relative or
    absolute paths, UNC, ``http:``) with the same placeholder image, without
    looking at it. Returning *nothing* would not be enough: when the document
    gives no image, Qt's image handler falls back to ``QImage::load()`` on the
    name itself (``qtextimagehandler.cpp``, ``getAs()``), which is exactly the
    read that must never happen. Use :meth:`set_markdown` rather than
    ``setMarkdown`` so HTML inside the Markdown stays text.
    """

    _image: QImage | None = None

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        if type == QTextDocument.ResourceType.ImageResource:
            if SafeTextDocument._image is None:
                SafeTextDocument._image = _placeholder()
            return SafeTextDocument._image
        return b""  # a style sheet or anything else: empty, never read

    def set_markdown(self, markdown: str) -> None:
        """Render Markdown with the safe feature set (:data:`MARKDOWN_FEATURES`)."""
        self.setMarkdown(markdown, MARKDOWN_FEATURES)


def make_plain(label: QLabel) -> QLabel:
    """Make an existing label show its text as plain text, whatever it contains."""
    label.setTextFormat(GuiQt.TextFormat.PlainText)
    return label


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A label for untrusted text: ``<img src=…>`` in a model name shows as those characters."""
    return make_plain(QLabel(text, parent))


def as_rich_text(text: str) -> str:
    """``text`` escaped into rich text that shows exactly these characters.

    For the places that take rich text and have no plain-text switch Hearth
    can reach: tooltips, and the static ``QMessageBox`` helpers (kept, rather
    than a plain-text box, so a dialog stays one call that tests can stand in for).
    """
    return GuiQt.convertFromPlainText(text, GuiQt.WhiteSpaceMode.WhiteSpaceNormal)


def plain_tooltip(text: str) -> str:
    """``text`` as a tooltip that shows it literally.

    Qt shows a tooltip as rich text when ``Qt::mightBeRichText`` says it looks
    like HTML; only then is it escaped (:func:`as_rich_text`), so ordinary
    tooltips keep Qt's plain-text look.
    """
    if text and GuiQt.mightBeRichText(text):
        return as_rich_text(text)
    return text
