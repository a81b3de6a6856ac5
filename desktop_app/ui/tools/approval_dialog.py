"""Asks the user whether a tool call may run: Allow once, for this chat, always, or Deny.

A dialog rather than buttons painted on the card: the chat's rows are
painted by a delegate (no widgets per message), and a dialog can hold real,
keyboard-reachable buttons. It is not modal to the application, so the rest
of the window (Stop above all) keeps working while it is open.

Everything shown comes from the model (the arguments) and is plain text.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.tools.agent import Decision
from desktop_app.ui.chat.tool_card import ToolCard


class ApprovalDialog(QDialog):
    """One pending call's question. Closing it without an answer denies the call.

    Signals:
        decided(object): the user's :class:`Decision`.
    """

    decided = Signal(object)

    def __init__(self, card: ToolCard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.card = card
        self._answered = False
        self.setWindowTitle(self.tr("Allow a tool?"))
        self.setWindowModality(Qt.WindowModality.NonModal)
        layout = QVBoxLayout(self)
        question = QLabel(self.tr("The model wants to use “{tool}” ({source}) with these "
                                  "arguments:").format(tool=card.name, source=card.source))
        question.setTextFormat(Qt.TextFormat.PlainText)
        question.setWordWrap(True)
        layout.addWidget(question)
        arguments = QPlainTextEdit(card.arguments)
        arguments.setReadOnly(True)
        layout.addWidget(arguments)
        buttons = QDialogButtonBox()
        self.buttons: dict[Decision, QPushButton] = {}
        allow, deny = QDialogButtonBox.ButtonRole.AcceptRole, QDialogButtonBox.ButtonRole.RejectRole
        for decision, label, role in (
                (Decision.ALLOW_ONCE, self.tr("Allow once"), allow),
                (Decision.ALLOW_CHAT, self.tr("Allow for this chat"), allow),
                (Decision.ALLOW_ALWAYS, self.tr("Always allow this tool"), allow),
                (Decision.DENY, self.tr("Deny"), deny)):
            button = buttons.addButton(label, role)
            button.clicked.connect(lambda _checked=False, d=decision: self.answer(d))
            self.buttons[decision] = button
        self.buttons[Decision.ALLOW_ONCE].setDefault(True)
        layout.addWidget(buttons)

    def answer(self, decision: Decision) -> None:
        """Answer once and close (the buttons, and tests, call this)."""
        if self._answered:
            return
        self._answered = True
        self.decided.emit(decision)
        if decision == Decision.DENY:
            super().reject()
        else:
            self.accept()

    def reject(self) -> None:
        if not self._answered:  # Escape or the close button: no permission given
            self._answered = True
            self.decided.emit(Decision.DENY)
        super().reject()
