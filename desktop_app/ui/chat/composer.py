"""The message input: Enter sends, Shift+Enter adds a line, Esc or Stop ends a reply."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QSizePolicy, QWidget


class _InputEdit(QPlainTextEdit):
    """A plain-text box that grows with its content up to a few lines.

    Signals:
        submitted(): Enter without Shift.
        escape_pressed(): Esc.
    """

    submitted = Signal()
    escape_pressed = Signal()

    MAX_LINES = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.document().contentsChanged.connect(self._fit_height)
        self._fit_height()

    def keyPressEvent(self, e: QKeyEvent) -> None:
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            e.modifiers() & (Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier)
        ):
            # An input method composing text (Chinese pinyin) consumes Enter
            # itself before this handler sees it, so this is only a real Enter.
            self.submitted.emit()
            return
        if e.key() == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            return
        super().keyPressEvent(e)

    def _fit_height(self) -> None:
        line = self.fontMetrics().lineSpacing()
        needed = max(1, int(self.document().size().height()))
        lines = min(self.MAX_LINES, needed)
        # A scroll bar only once the box stops growing; before that it would
        # appear for a pixel of rounding and squeeze the text.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded
                                        if needed > self.MAX_LINES
                                        else Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        margins = self.contentsMargins()
        frame = int(self.document().documentMargin() * 2) + margins.top() + margins.bottom()
        self.setFixedHeight(lines * line + frame + 4)


class Composer(QWidget):
    """Input box plus a Send button that turns into Stop while a reply streams.

    Signals:
        send_requested(str): the user wants to send this text.
        stop_requested(): the user wants the reply to stop.
    """

    send_requested = Signal(str)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = _InputEdit(self)
        self.edit.setObjectName("composerEdit")
        self.edit.setPlaceholderText(
            self.tr("Message Hearth… (Enter to send, Shift+Enter for a new line)"))
        self.button = QPushButton(self.tr("Send"), self)
        self.button.setObjectName("sendButton")
        self.button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 12)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignBottom)
        self._busy = False
        self.edit.submitted.connect(self._on_edit_submitted)
        self.edit.escape_pressed.connect(self._on_edit_escape)
        self.button.clicked.connect(self._on_button_clicked)

    def text(self) -> str:
        return self.edit.toPlainText()

    def clear(self) -> None:
        self.edit.clear()

    def set_busy(self, busy: bool) -> None:
        """While busy the button stops the reply; the user can keep typing the next message."""
        self._busy = busy
        self.button.setText(self.tr("Stop") if busy else self.tr("Send"))
        self.button.setToolTip(self.tr("Stop the reply (Esc)") if busy else self.tr("Send (Enter)"))

    def _on_edit_submitted(self) -> None:
        if not self._busy:
            self._request_send()

    def _on_edit_escape(self) -> None:
        if self._busy:
            self.stop_requested.emit()

    def _on_button_clicked(self) -> None:
        if self._busy:
            self.stop_requested.emit()
        else:
            self._request_send()

    def _request_send(self) -> None:
        text = self.text()
        if text.strip():
            self.send_requested.emit(text)
