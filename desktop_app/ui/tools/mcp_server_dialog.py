"""Add one MCP server by hand: a program Hearth starts (stdio) or the URL of a running one.

A command line is split like a shell would (quotes keep spaces), so what a
server's README says to type can be pasted as it is. The server is added
switched off, like an imported one: nothing starts until the user enables it.
"""

from __future__ import annotations

import shlex

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.tools.mcp_config import McpConfigError, McpServerConfig, server_from_json
from desktop_app.ui.common.untrusted_text import plain_label
from desktop_app.ui.common.user_text import translated


class McpServerDialog(QDialog):
    """Name, command line and environment, or URL. :meth:`config` reads it back."""

    def __init__(self, taken: set[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Add an MCP server"))
        self._taken = taken
        self.name_edit = QLineEdit()
        self.command_edit = QLineEdit()
        self.command_edit.setPlaceholderText(
            self.tr("e.g. npx -y @modelcontextprotocol/server-memory"))
        self.env_edit = QPlainTextEdit()
        self.env_edit.setPlaceholderText(self.tr("NAME=value, one a line"))
        self.env_edit.setMaximumHeight(80)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText(self.tr("or the URL of a running server: https://…/mcp"))
        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name_edit)
        form.addRow(self.tr("Command"), self.command_edit)
        form.addRow(self.tr("Environment"), self.env_edit)
        form.addRow(self.tr("URL"), self.url_edit)
        self.problem = plain_label()
        self.problem.setWordWrap(True)
        self.problem.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    def config(self) -> McpServerConfig:
        """The server as typed; raises McpConfigError saying what is missing or wrong."""
        name = self.name_edit.text().strip()
        if not name:
            raise McpConfigError(self.tr("Give the server a name."))
        if name in self._taken:
            raise McpConfigError(self.tr("A server with this name exists already."))
        entry: dict[str, object] = {}
        url = self.url_edit.text().strip()
        if url:
            entry["url"] = url
        else:
            try:
                words = shlex.split(self.command_edit.text())
            except ValueError as exc:
                raise McpConfigError(self.tr("The command is not valid: {e}").format(e=exc)) \
                    from None
            if not words:
                raise McpConfigError(self.tr("Type the command that starts the server, or its "
                                             "URL."))
            entry["command"], entry["args"] = words[0], words[1:]
        env = {}
        for line in self.env_edit.toPlainText().splitlines():
            if line.strip():
                key, _, value = line.partition("=")
                env[key.strip()] = value
        if env:
            entry["env"] = env
        entry["disabled"] = True
        return server_from_json(name, entry)

    def accept(self) -> None:
        try:
            self.config()
        except McpConfigError as exc:
            self.problem.setText(translated(exc))
            self.problem.show()
            return
        super().accept()
