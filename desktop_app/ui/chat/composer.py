"""The message input: Enter sends, Shift+Enter adds a line, Esc or Stop ends a reply.

A message longer than :data:`MAX_MESSAGE_CHARS` is refused here, before
anything heavy happens, with a sentence under the box; the text stays in the
box (nothing the user wrote is lost, nothing is cut silently). A paste that
would pass the limit is refused the same way, since laying out megabytes in
the box alone stalls the window; the clipboard still holds it.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale, QMimeData, Qt, Signal
from PySide6.QtGui import QInputMethodEvent, QKeyEvent, QTextOption
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

MAX_MESSAGE_CHARS = 400_000
"""The longest message Hearth sends, in characters.

A 128k-token context window holds roughly 500,000 characters of English, and
the system prompt, the history and the reply need room too, so no model
Hearth runs can read a longer message; at 2 MB the window froze for 2.5 s.
"""

LONG_LINE_CHARS = 5_000  # a pasted line this long (minified JSON, a log) wraps anywhere


class _InputEdit(QPlainTextEdit):
    """A plain-text box that grows with its content up to a few lines.

    Signals:
        submitted(): Enter without Shift, while no input method is composing.
        escape_pressed(): Esc.
        up_in_empty(): Up pressed while the box is empty.
        paste_refused(int): a paste or drop was not inserted; the length it would have made.
    """

    submitted = Signal()
    escape_pressed = Signal()
    up_in_empty = Signal()
    paste_refused = Signal(int)

    MAX_LINES = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.document().contentsChanged.connect(self._fit_height)
        self._fit_height()
        self._composing = False

    def is_composing(self) -> bool:
        """Whether an input method has unconfirmed text in the box (pinyin being typed)."""
        return self._composing

    def inputMethodEvent(self, e: QInputMethodEvent) -> None:
        # Most input methods swallow the Enter that confirms a candidate, but not
        # all do (some IBus and Windows IMEs pass it on while the preedit is
        # still showing): the preedit itself says whether a composition is open.
        self._composing = bool(e.preeditString())
        super().inputMethodEvent(e)

    def keyPressEvent(self, e: QKeyEvent) -> None:
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            e.modifiers() & (Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier)
        ):
            if not self._composing:
                self.submitted.emit()
            return
        if e.key() == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            return
        if (e.key() == Qt.Key.Key_Up and not e.modifiers() and not self._composing
                and self.char_count() == 0):
            self.up_in_empty.emit()
            return
        super().keyPressEvent(e)

    def char_count(self) -> int:
        """Characters in the box, without copying the text out (cheap at any size)."""
        return self.document().characterCount() - 1

    def insertFromMimeData(self, source: QMimeData) -> None:
        if source.hasText():
            text = source.text()
            selected = len(self.textCursor().selectedText())
            total = self.char_count() - selected + len(text)
            if total > MAX_MESSAGE_CHARS:
                self.paste_refused.emit(total)
                return
            if max(map(len, text.split("\n"))) > LONG_LINE_CHARS:
                # Qt's default wrap looks for a word boundary first, which takes
                # quadratic time on one long unbroken line (0.66 s for 100,000
                # characters, 0.05 s wrapping anywhere). Kept until the box is cleared.
                self.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        super().insertFromMimeData(source)

    def clear(self) -> None:
        super().clear()
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)

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
        send_requested(str): the user wants to send this text (never longer than
            :data:`MAX_MESSAGE_CHARS`).
        stop_requested(): the user wants the reply to stop.
        edit_last_requested(): Up in the empty box: edit the last message the user sent.
        cancel_requested(): Esc while no reply runs (e.g. to stop editing a message).
    """

    send_requested = Signal(str)
    stop_requested = Signal()
    edit_last_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = _InputEdit(self)
        self.edit.setObjectName("composerEdit")
        self.edit.setPlaceholderText(
            self.tr("Message Hearth… (Enter to send, Shift+Enter for a new line)"))
        self.button = QPushButton(self.tr("Send"), self)
        self.button.setObjectName("sendButton")
        self.button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.notice = QLabel(self)
        self.notice.setObjectName("composerNotice")
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setWordWrap(True)
        self.notice.hide()
        row = QHBoxLayout()
        row.addWidget(self.edit, 1)
        row.addWidget(self.button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 12)
        layout.addWidget(self.notice)
        layout.addLayout(row)
        self._busy = False
        self.edit.submitted.connect(self._on_edit_submitted)
        self.edit.paste_refused.connect(self._on_edit_paste_refused)
        self.edit.document().contentsChanged.connect(self._on_edit_changed)
        self.edit.escape_pressed.connect(self._on_edit_escape)
        self.edit.up_in_empty.connect(self.edit_last_requested)
        self.button.clicked.connect(self._on_button_clicked)

    def text(self) -> str:
        return self.edit.toPlainText()

    def clear(self) -> None:
        self.edit.clear()
        self.notice.hide()

    def set_text(self, text: str) -> None:
        """Replace the box's text (editing a sent message), cursor at the end."""
        self.edit.setPlainText(text)
        self.edit.moveCursor(self.edit.textCursor().MoveOperation.End)

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
        else:
            self.cancel_requested.emit()

    def _on_button_clicked(self) -> None:
        if self._busy:
            self.stop_requested.emit()
        else:
            self._request_send()

    def _on_edit_paste_refused(self, total: int) -> None:
        self._show_notice(self.tr(
            "Not pasted: that would make the message {n} characters long, and Hearth sends at "
            "most {limit} (more than any model can read at once). The clipboard still holds "
            "it.").format(n=QLocale().toString(total),
                          limit=QLocale().toString(MAX_MESSAGE_CHARS)))

    def _on_edit_changed(self) -> None:
        if self.notice.isVisible() and self.edit.char_count() <= MAX_MESSAGE_CHARS:
            self.notice.hide()

    def _show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.show()

    def _request_send(self) -> None:
        count = self.edit.char_count()
        if count > MAX_MESSAGE_CHARS:
            # Checked before the text is even copied out of the box.
            self._show_notice(self.tr(
                "This message is {n} characters long; Hearth sends at most {limit} (more than "
                "any model can read at once). Shorten it or send it in parts: your text stays "
                "in the box.").format(n=QLocale().toString(count),
                                      limit=QLocale().toString(MAX_MESSAGE_CHARS)))
            return
        text = self.text()
        if text.strip():
            self.send_requested.emit(text)
