"""The one live message: selectable text, working links and action buttons over a painted row.

The chat paints every row itself (no widget per message keeps a long chat
fast). The row under the pointer, or the current row when the keyboard
moves through the chat, gets these two widgets instead, placed exactly over
the painted text and its action line:

- :class:`MessageBrowser`, a read-only ``QTextBrowser`` showing the same
  HTML at the same width and margins as the painted row, so nothing jumps
  and selection, Ctrl+C and links work natively. It never loads a
  resource (see :class:`~desktop_app.ui.common.untrusted_text.SafeTextDocument`)
  and never follows a link itself; the view decides (``setOpenLinks(False)``).
- :class:`MessageActions`, a small bar of icon buttons: Copy, Edit for the
  user's messages, Regenerate and Continue for the last reply, and for a
  message with other versions (branches) the switcher "‹ 2/3 ›".

There is one of each per view, reused from row to row.
"""

from __future__ import annotations

from functools import cache
from itertools import pairwise
from typing import Any

from PySide6.QtCore import QByteArray, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QFont, QIcon, QPainter, QPixmap, QTextDocument
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QTextBrowser,
    QToolButton,
    QWidget,
)

from desktop_app.core.paths import resources_dir
from desktop_app.ui.common.untrusted_text import SafeTextDocument

ICON_SIZE = 16


@cache
def themed_icon(name: str, color: str) -> QIcon:
    """``resources/icons/<name>.svg`` drawn in ``color`` (its ``currentColor`` strokes).

    Recoloured at load so icons follow the light or dark theme; an icon file
    missing from a broken install gives an empty icon (the button keeps its text).
    """
    path = resources_dir() / "icons" / f"{name}.svg"
    try:
        svg = path.read_text(encoding="utf-8").replace("currentColor", color)
    except OSError:
        return QIcon()
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    icon = QIcon()
    for scale in (1, 2):
        pixmap = QPixmap(ICON_SIZE * scale, ICON_SIZE * scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        icon.addPixmap(pixmap)
    return icon


class MessageBrowser(QTextBrowser):
    """Read-only rich text for one message that loads nothing and opens nothing itself."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBrowser")
        self.setDocument(SafeTextDocument(self))
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setReadOnly(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setViewportMargins(0, 0, 0, 0)
        self.setContentsMargins(0, 0, 0, 0)
        self.viewport().setAutoFillBackground(False)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        # Focused by a click (to select with the keyboard), not by Tab: Tab goes to the actions.
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        # The same rule as SafeTextDocument: answer everything, read nothing.
        document = self.document()
        assert isinstance(document, SafeTextDocument)
        return document.loadResource(type, name)

    def has_selection(self) -> bool:
        return self.textCursor().hasSelection()

    def prepare(self, font: QFont, style_sheet: str) -> QTextDocument:
        """An emptied document with the painted row's font and style, to be filled alike."""
        document = self.document()
        document.clear()
        document.setDefaultFont(font)
        document.setDefaultStyleSheet(style_sheet)
        document.setDocumentMargin(0)
        return document


class MessageActions(QWidget):
    """The action buttons of the live message.

    For a message with other versions the bar starts (replies) or ends (the
    user's messages, whose bar is right-aligned) with the version switcher:
    ‹ and › buttons around "2/3", on the same spot as the painted one.

    Signals:
        copy_clicked(), edit_clicked(), regenerate_clicked(), continue_clicked()
        branch_clicked(int): -1 for the previous version, +1 for the next one.
    """

    copy_clicked = Signal()
    edit_clicked = Signal()
    regenerate_clicked = Signal()
    continue_clicked = Signal()
    branch_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageActions")
        self.copy_button = self._button("copy", self.tr("Copy"),
                                        self.tr("Copy the message as text (Ctrl+C)"))
        self.edit_button = self._button("edit", self.tr("Edit"),
                                        self.tr("Put this message in the box to change and "
                                                "send it again"))
        self.regenerate_button = self._button("regenerate", self.tr("Regenerate"),
                                              self.tr("Write this reply again (Ctrl+R)"))
        self.continue_button = self._button("continue", self.tr("Continue"),
                                            self.tr("Continue this reply where it stopped"))
        self.copy_button.clicked.connect(self.copy_clicked)
        self.edit_button.clicked.connect(self.edit_clicked)
        self.regenerate_button.clicked.connect(self.regenerate_clicked)
        self.continue_button.clicked.connect(self.continue_clicked)
        self.previous_button = self._button("chevron-left", self.tr("Previous version"),
                                            self.tr("Previous version (Alt+Left)"))
        self.next_button = self._button("chevron-right", self.tr("Next version"),
                                        self.tr("Next version (Alt+Right)"))
        self.branch_label = QLabel(self)
        self.branch_label.setObjectName("branchLabel")
        self.branch_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        small = QFont(self.branch_label.font())  # as small as the painted number
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.87))
        self.branch_label.setFont(small)
        self.previous_button.clicked.connect(lambda: self.branch_clicked.emit(-1))
        self.next_button.clicked.connect(lambda: self.branch_clicked.emit(+1))
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 2, 0, 2)
        self._layout.setSpacing(2)
        self._switcher_first = True
        self._lay_out()
        self._color = ""
        self.configure(user=False, regenerate=False, cont=False)

    def _switcher(self) -> list[QWidget]:
        return [self.previous_button, self.branch_label, self.next_button]

    def _lay_out(self) -> None:
        """The switcher first (replies) or last (the user's messages), the actions beside it."""
        actions: list[QWidget] = [self.copy_button, self.edit_button, self.regenerate_button,
                                  self.continue_button]
        order = (self._switcher() + actions if self._switcher_first
                 else actions + self._switcher())
        for widget in order:
            self._layout.removeWidget(widget)
        for widget in order:
            self._layout.addWidget(widget)
        # Tab follows the order on screen.
        for first, second in pairwise(self.buttons()):
            QWidget.setTabOrder(first, second)

    def _button(self, icon: str, name: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(f"{icon}MessageButton")
        button.setProperty("icon_name", icon)
        button.setAutoRaise(True)
        button.setText(name)
        button.setToolTip(tip)
        button.setAccessibleName(name)
        button.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return button

    def buttons(self) -> list[QToolButton]:
        """Every button, in the order they are shown for the current message."""
        actions = [self.copy_button, self.edit_button, self.regenerate_button,
                   self.continue_button]
        switcher = [self.previous_button, self.next_button]
        return switcher + actions if self._switcher_first else actions + switcher

    def visible_buttons(self) -> list[QToolButton]:
        """The buttons shown and usable now (what Tab can reach)."""
        return [b for b in self.buttons() if not b.isHidden() and b.isEnabled()]

    def set_color(self, color: str) -> None:
        """Draw the icons and the version number in this colour (the theme's muted text)."""
        if color == self._color:
            return
        self._color = color
        for button in self.buttons():
            button.setIcon(themed_icon(str(button.property("icon_name")), color))
        self.branch_label.setStyleSheet(f"color: {color};")

    def configure(self, *, user: bool, regenerate: bool, cont: bool,
                  branch: tuple[int, int] = (0, 1), can_switch: bool = True) -> None:
        """Show the buttons that apply to this message.

        ``branch`` is the message's (index, count) among its versions; the
        switcher shows when there are several, its buttons disabled at the
        ends and while switching is not possible (``can_switch``: a reply streams).
        """
        self.edit_button.setVisible(user)
        self.regenerate_button.setVisible(regenerate)
        self.continue_button.setVisible(cont)
        index, count = branch
        if self._switcher_first == user:
            self._switcher_first = not user
            self._lay_out()
        for widget in self._switcher():
            widget.setVisible(count > 1)
        if count > 1:
            self.branch_label.setText(f"{index + 1}/{count}")
            self.branch_label.setAccessibleName(
                self.tr("Version {n} of {count}").format(n=index + 1, count=count))
            self.previous_button.setEnabled(can_switch and index > 0)
            self.next_button.setEnabled(can_switch and index + 1 < count)
        self.adjustSize()
