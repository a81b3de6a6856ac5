"""What the user sees when Hearth cannot start normally, and the choices offered.

Core decides what is wrong and raises a typed error before writing anything
(:mod:`desktop_app.core.storage.database`, :mod:`desktop_app.core.paths`);
this module turns each into a dialog with a way forward, never a traceback:

- another program's file, or a damaged one, at the history's path: move it
  aside (it is renamed next to where it is, never deleted) and start a new
  history, or quit;
- a history from a newer Hearth: open it read-only (nothing is written; the
  window says so and sending is off), or quit;
- an unwritable data folder or a data folder in use: say which folder, why,
  and what to do.

Each dialog is built by a ``*_box`` function and run by :class:`StartupDialogs`,
so tests can read a dialog's text and press its buttons, or hand
:func:`open_history` a stand-in that answers at once.
"""

from __future__ import annotations

import enum
import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from desktop_app import APP_NAME
from desktop_app.core.paths import HOME_ENV, DataFolderUnwritable
from desktop_app.core.storage.chat_store import ChatStore
from desktop_app.core.storage.database import (
    DamagedDatabase,
    DatabaseProblem,
    NewerDatabase,
    StorageError,
    move_aside,
)
from desktop_app.core.storage.instance_lock import DataFolderInUse

log = logging.getLogger(__name__)


class Choice(enum.Enum):
    """What the user picked in a startup dialog."""

    MOVE_ASIDE = "move_aside"
    READ_ONLY = "read_only"
    QUIT = "quit"


# Strings are marked with QCoreApplication.translate("StartupProblems", "literal")
# written out each time: lupdate finds only literal calls, not a helper's argument.


def bad_database_box(problem: DatabaseProblem, parent: QWidget | None = None) -> QMessageBox:
    """Foreign or damaged file at the history's path: move it aside, or quit."""
    box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, "", QMessageBox.StandardButton.NoButton,
                      parent)
    if isinstance(problem, DamagedDatabase):
        box.setText(QCoreApplication.translate(
            "StartupProblems", "Hearth's chat history is damaged."))
    else:
        box.setText(QCoreApplication.translate(
            "StartupProblems",
            "The file where Hearth keeps its chat history belongs to another program, or is "
            "not a chat history."))
    box.setInformativeText(QCoreApplication.translate(
        "StartupProblems",
        "{detail}\n\nHearth can rename the file (it stays in {folder}, with the date in its "
        "name) and start a new, empty history. Nothing is deleted.").format(
        detail=str(problem), folder=problem.path.parent))
    move = box.addButton(QCoreApplication.translate(
        "StartupProblems", "Move it aside and start a new history"),
        QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QCoreApplication.translate("StartupProblems", "Quit"),
                  QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(move)
    move.setProperty("choice", Choice.MOVE_ASIDE.value)
    return box


def newer_database_box(problem: NewerDatabase, parent: QWidget | None = None) -> QMessageBox:
    """A history from a newer Hearth: read it without writing, or quit."""
    box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, "", QMessageBox.StandardButton.NoButton,
                      parent)
    box.setText(QCoreApplication.translate(
        "StartupProblems", "This chat history was written by a newer version of Hearth."))
    box.setInformativeText(QCoreApplication.translate(
        "StartupProblems",
        "{path} uses schema version {version}; this Hearth knows up to {known}. Update Hearth "
        "to keep using it. Until then Hearth can open it read-only: you can read your "
        "conversations, but sending is off and nothing is saved.").format(
        path=problem.path, version=problem.version, known=problem.known))
    read_only = box.addButton(QCoreApplication.translate("StartupProblems", "Open read-only"),
                              QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QCoreApplication.translate("StartupProblems", "Quit"),
                  QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(read_only)
    read_only.setProperty("choice", Choice.READ_ONLY.value)
    return box


def unwritable_box(problem: DataFolderUnwritable, parent: QWidget | None = None) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME,
                      QCoreApplication.translate("StartupProblems",
                                                 "Hearth cannot write to its data folder."),
                      QMessageBox.StandardButton.Ok, parent)
    box.setInformativeText(QCoreApplication.translate(
        "StartupProblems",
        "Folder: {folder}\nWhy: {reason}\n\nMake the folder writable (check its permissions, "
        "free some disk space, or plug in the drive it is on), or start Hearth with the "
        "environment variable {env} set to a folder you can write to.").format(
        folder=problem.path, reason=problem.reason, env=HOME_ENV))
    return box


def in_use_box(problem: DataFolderInUse, parent: QWidget | None = None) -> QMessageBox:
    if problem.holder is None:
        text = QCoreApplication.translate(
            "StartupProblems", "Another Hearth is using the data folder {folder}.").format(
            folder=problem.folder)
    else:
        text = QCoreApplication.translate(
            "StartupProblems",
            "The data folder {folder} is in use by {owner} (process {pid}).").format(
            folder=problem.folder, owner=problem.holder.owner, pid=problem.holder.pid)
    box = QMessageBox(QMessageBox.Icon.Information, APP_NAME, text,
                      QMessageBox.StandardButton.Ok, parent)
    box.setInformativeText(QCoreApplication.translate(
        "StartupProblems", "Wait for it to finish or close it, then start Hearth again."))
    return box


def error_box(problem: StorageError, parent: QWidget | None = None) -> QMessageBox:
    return QMessageBox(QMessageBox.Icon.Critical, APP_NAME, str(problem),
                       QMessageBox.StandardButton.Ok, parent)


class StartupDialogs:
    """Shows the startup dialogs modally and returns what the user chose."""

    def ask(self, box: QMessageBox) -> Choice:
        box.exec()
        clicked = box.clickedButton()
        value = clicked.property("choice") if isinstance(clicked, QPushButton) else None
        box.deleteLater()
        return Choice(value) if value else Choice.QUIT

    def bad_database(self, problem: DatabaseProblem) -> Choice:
        return self.ask(bad_database_box(problem))

    def newer_database(self, problem: NewerDatabase) -> Choice:
        return self.ask(newer_database_box(problem))

    def tell(self, box: QMessageBox) -> None:
        self.ask(box)


def open_history(path: Path, dialogs: StartupDialogs) -> tuple[ChatStore | None, list[str]]:
    """Open the history at ``path``, asking the user what to do about a bad file.

    Returns the store (None if the user chose to quit or it cannot be
    opened; the reason was shown) and notices for the window's banner.
    """
    notices: list[str] = []
    while True:
        try:
            return ChatStore.open(path), notices
        except NewerDatabase as problem:
            if dialogs.newer_database(problem) is not Choice.READ_ONLY:
                return None, notices
            try:
                # The window says it is read-only (read_only_notice) once it is built.
                return ChatStore.open(path, read_only=True), notices
            except StorageError as exc:
                dialogs.tell(error_box(exc))
                return None, notices
        except DatabaseProblem as problem:
            if dialogs.bad_database(problem) is not Choice.MOVE_ASIDE:
                return None, notices
            reason = "damaged" if isinstance(problem, DamagedDatabase) else "not-hearth"
            try:
                moved = move_aside(path, reason)
            except StorageError as exc:
                dialogs.tell(error_box(exc))
                return None, notices
            notices.append(QCoreApplication.translate(
                "StartupProblems",
                "The old file was kept as {path}; Hearth started a new chat history.").format(
                path=moved))
            # Loop: the new, empty history is opened like any other.
        except StorageError as exc:
            dialogs.tell(error_box(exc))
            return None, notices


def read_only_notice() -> str:
    """The banner of a read-only session (a newer Hearth's history)."""
    return QCoreApplication.translate(
        "StartupProblems",
        "This chat history is from a newer version of Hearth and is open read-only: you can "
        "read your conversations, but sending is off and nothing is saved. Update Hearth to "
        "keep chatting.")
