"""Settings › Tools: built-in tools, shared folders, MCP servers, approvals and the token budget.

Like the rest of the settings dialog it edits a copy (:meth:`ToolsTab.tool_settings`
is read on OK), with one exception: MCP servers switched on here start at
once, so their state and their tools show while the dialog is open (a server
is only worth enabling once it is seen to work). Cancel puts the servers back
as the saved settings have them (:meth:`ToolsTab.revert`).

Server names, tool names, descriptions and a server's stderr come from
outside Hearth: they appear only in item views and plain-text labels and
tooltips.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.settings import Settings
from desktop_app.core.tools.budget import BudgetChoice, fit_budget
from desktop_app.core.tools.builtin.catalog import BuiltinSettings
from desktop_app.core.tools.mcp_client import McpServer, ServerState
from desktop_app.core.tools.mcp_config import McpConfigError, McpServerConfig, parse_mcp_servers
from desktop_app.core.tools.mcp_servers import McpServerSet
from desktop_app.core.tools.tool_settings import MAX_BUDGET, MIN_BUDGET, ToolSettings
from desktop_app.ui.common.untrusted_text import plain_label, plain_tooltip
from desktop_app.ui.common.user_text import translated
from desktop_app.ui.tools.mcp_server_dialog import McpServerDialog
from desktop_app.ui.tools.tool_sources import LiveServers, all_tools, tool_key

_SERVER_ROLE = Qt.ItemDataRole.UserRole + 1  # a top-level row: the server's name
_TOOL_ROLE = Qt.ItemDataRole.UserRole + 2    # a child row: its "server/tool" key


class ToolsTab(QWidget):
    """The Tools page of the settings dialog (see the module docstring)."""

    def __init__(self, settings: Settings, live: LiveServers | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("toolsTab")
        self._settings = settings
        tools = settings.tools
        self._servers: list[McpServerConfig] = list(tools.mcp_servers)
        self._disabled = set(tools.disabled_tools)
        self._live = live
        self._filling = False
        layout = QVBoxLayout(self)

        builtin = QGroupBox(self.tr("Built-in tools"))
        box = QVBoxLayout(builtin)
        self.calculator_check = QCheckBox(self.tr("Calculator"))
        self.clock_check = QCheckBox(self.tr("Date and time"))
        self.documents_check = QCheckBox(self.tr("Search my documents"))
        self.web_check = QCheckBox(self.tr("Fetch web pages"))
        for check, on in ((self.calculator_check, tools.builtin.calculator),
                          (self.clock_check, tools.builtin.clock),
                          (self.documents_check, tools.builtin.documents),
                          (self.web_check, tools.builtin.web_fetch)):
            check.setChecked(on)
            check.toggled.connect(self._update_count)
            box.addWidget(check)
        if settings.offline:
            self.web_check.setEnabled(False)
            self.web_check.setToolTip(self.tr("Hearth is in offline mode."))
        box.addWidget(QLabel(self.tr("Shared folders (the model may list and read text files "
                                     "in them):")))
        self.folder_list = QListWidget()
        self.folder_list.addItems(list(tools.builtin.folders))
        self.folder_list.setMaximumHeight(80)
        box.addWidget(self.folder_list)
        row = QHBoxLayout()
        add_folder = QPushButton(self.tr("Add folder…"))
        add_folder.clicked.connect(self._on_add_folder_clicked)
        self.remove_folder_button = QPushButton(self.tr("Remove folder"))
        self.remove_folder_button.clicked.connect(self._on_remove_folder_clicked)
        row.addWidget(add_folder)
        row.addWidget(self.remove_folder_button)
        row.addStretch(1)
        box.addLayout(row)
        layout.addWidget(builtin)

        servers = QGroupBox(self.tr("MCP servers"))
        box = QVBoxLayout(servers)
        self.server_tree = QTreeWidget()
        self.server_tree.setObjectName("mcpServerList")
        self.server_tree.setHeaderLabels([self.tr("Server or tool"), self.tr("State")])
        self.server_tree.itemChanged.connect(self._on_server_tree_item_changed)
        box.addWidget(self.server_tree)
        row = QHBoxLayout()
        for text, slot in ((self.tr("Add…"), self._on_add_server_clicked),
                           (self.tr("Import file…"), self._on_import_file_clicked),
                           (self.tr("Paste JSON…"), self._on_paste_clicked),
                           (self.tr("Remove"), self._on_remove_server_clicked)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            row.addWidget(button)
        row.addStretch(1)
        box.addLayout(row)
        self.problem_label = plain_label()
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()
        box.addWidget(self.problem_label)
        layout.addWidget(servers)

        form = QFormLayout()
        self.budget_spin = QSpinBox()
        self.budget_spin.setRange(MIN_BUDGET, MAX_BUDGET)
        self.budget_spin.setSingleStep(100)
        self.budget_spin.setValue(tools.budget)
        self.budget_spin.setSuffix(self.tr(" tokens"))
        self.budget_spin.valueChanged.connect(self._update_count)
        form.addRow(self.tr("Tool descriptions may take"), self.budget_spin)
        self.count_label = QLabel()
        form.addRow("", self.count_label)
        self.always_list = QListWidget()
        self.always_list.addItems(list(tools.always_allowed))
        self.always_list.setMaximumHeight(70)
        ask_again = QPushButton(self.tr("Ask again"))
        ask_again.clicked.connect(self._on_ask_again_clicked)
        form.addRow(self.tr("Run without asking"), self.always_list)
        form.addRow("", ask_again)
        layout.addLayout(form)

        if live is not None:
            live.events.server_changed.connect(self._on_server_changed)
        self._fill_servers()

    # ---- results ---------------------------------------------------------------------

    def tool_settings(self) -> ToolSettings:
        """The tool settings as this page has them (the per-chat switches are kept)."""
        old = self._settings.tools
        folders = tuple(self.folder_list.item(i).text() for i in range(self.folder_list.count()))
        builtin = BuiltinSettings(calculator=self.calculator_check.isChecked(),
                                  clock=self.clock_check.isChecked(), folders=folders,
                                  documents=self.documents_check.isChecked(),
                                  web_fetch=self.web_check.isChecked())
        always = [self.always_list.item(i).text() for i in range(self.always_list.count())]
        return ToolSettings(builtin, list(self._servers), sorted(self._disabled), always,
                            self.budget_spin.value(), list(old.chats))

    def revert(self) -> None:
        """Cancel: the servers run as the saved settings say."""
        if self._live is not None:
            self._live.servers.apply(self._settings.tools.mcp_servers)

    def budget_choice(self) -> BudgetChoice:
        """What the model would be offered with this page's settings, and its cost."""
        settings = copy.copy(self._settings)
        settings.tools = self.tool_settings()
        servers = self._live.servers if self._live is not None else McpServerSet()
        specs = [tool.spec for tool in all_tools(settings, servers)]
        return fit_budget(specs, self.budget_spin.value())

    # ---- MCP servers -----------------------------------------------------------------

    def import_text(self, text: str) -> str:
        """Add the servers of an ``mcpServers`` JSON (switched off); "" or why it failed."""
        try:
            configs = parse_mcp_servers(text)
        except McpConfigError as exc:
            return self._say(translated(exc))
        taken = {s.name for s in self._servers}
        new = [c for c in configs if c.name not in taken]
        self._servers += new
        self._changed_servers()
        skipped = len(configs) - len(new)
        return self._say(self.tr("%n server(s) with a name already in the list were skipped.",
                                 "", skipped) if skipped else "")

    def set_server_enabled(self, name: str, enabled: bool) -> None:
        self._servers = [replace(s, enabled=enabled) if s.name == name else s
                         for s in self._servers]
        self._changed_servers()

    def _say(self, problem: str) -> str:
        self.problem_label.setText(problem)
        self.problem_label.setVisible(bool(problem))
        return problem

    def _changed_servers(self) -> None:
        if self._live is not None:
            self._live.servers.apply(self._servers)  # enabled ones start now (module docstring)
        self._fill_servers()

    def _server(self, name: str) -> McpServer | None:
        return self._live.servers.get(name) if self._live is not None else None

    def _fill_servers(self) -> None:
        self._filling = True
        try:
            self.server_tree.clear()
            for config in self._servers:
                item = QTreeWidgetItem([config.name, self._state_text(config)])
                item.setData(0, _SERVER_ROLE, config.name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(0, Qt.CheckState.Checked if config.enabled
                                   else Qt.CheckState.Unchecked)
                server = self._server(config.name)
                if server is not None:
                    tail = "\n".join(server.stderr_tail()[-15:])
                    error = translated(server.error) if server.error is not None else ""
                    tip = "\n\n".join(t for t in (error, tail) if t)
                    item.setToolTip(1, plain_tooltip(tip) if tip else "")
                    if server.state == ServerState.READY:
                        for info in server.list_tools():
                            key = tool_key(config.name, info.name)
                            child = QTreeWidgetItem([info.name, ""])
                            child.setData(0, _TOOL_ROLE, key)
                            child.setToolTip(0, plain_tooltip(info.description))
                            child.setFlags(child.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                            child.setCheckState(0, Qt.CheckState.Unchecked if key in self._disabled
                                                else Qt.CheckState.Checked)
                            item.addChild(child)
                self.server_tree.addTopLevelItem(item)
                item.setExpanded(True)
        finally:
            self._filling = False
        self._update_count()

    def _state_text(self, config: McpServerConfig) -> str:
        if not config.enabled:
            return self.tr("off")
        server = self._server(config.name)
        state = server.state if server is not None else ServerState.STOPPED
        return {ServerState.STOPPED: self.tr("stopped"), ServerState.STARTING: self.tr("starting…"),
                ServerState.READY: self.tr("ready"),
                ServerState.FAILED: self.tr("failed")}[state]

    def _on_server_changed(self, _server: McpServer) -> None:
        self._fill_servers()

    def _on_server_tree_item_changed(self, item: QTreeWidgetItem, _column: int) -> None:
        if self._filling:
            return
        checked = item.checkState(0) == Qt.CheckState.Checked
        name = item.data(0, _SERVER_ROLE)
        if isinstance(name, str):
            self.set_server_enabled(name, checked)
            return
        key = item.data(0, _TOOL_ROLE)
        if isinstance(key, str):
            if checked:
                self._disabled.discard(key)
            else:
                self._disabled.add(key)
            self._update_count()

    def _on_add_server_clicked(self) -> None:
        dialog = McpServerDialog({s.name for s in self._servers}, self)
        if dialog.exec() == McpServerDialog.DialogCode.Accepted:
            self._servers.append(dialog.config())
            self._changed_servers()

    def _on_import_file_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import MCP servers"), "",
                                              self.tr("JSON files (*.json);;All files (*)"))
        if path:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                self._say(self.tr("Could not read the file: {e}").format(e=exc))
                return
            self.import_text(text)

    def _on_paste_clicked(self) -> None:
        text, ok = QInputDialog.getMultiLineText(
            self, self.tr("Paste MCP servers"),
            self.tr("Paste an “mcpServers” JSON (Claude Desktop, Cursor):"))
        if ok and text.strip():
            self.import_text(text)

    def _on_remove_server_clicked(self) -> None:
        item = self.server_tree.currentItem()
        while item is not None and item.parent() is not None:
            item = item.parent()
        if item is None:
            return
        name = item.data(0, _SERVER_ROLE)
        self._servers = [s for s in self._servers if s.name != name]
        self._changed_servers()

    # ---- the rest ----------------------------------------------------------------------

    def _on_add_folder_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Share a folder with the model"))
        if folder:
            self.folder_list.addItem(folder)
            self._update_count()

    def _on_remove_folder_clicked(self) -> None:
        row = self.folder_list.currentRow()
        if row >= 0:
            self.folder_list.takeItem(row)
            self._update_count()

    def _on_ask_again_clicked(self) -> None:
        row = self.always_list.currentRow()
        if row >= 0:
            self.always_list.takeItem(row)

    def _update_count(self) -> None:
        choice = self.budget_choice()
        text = self.tr("The model is offered {n} tools in {tokens} tokens (all of them, in "
                       "full: {full}).").format(n=len(choice.specs), tokens=choice.tokens,
                                                full=choice.full_tokens)
        if choice.left_out:
            text += " " + self.tr("Left out: {names}.").format(names=", ".join(choice.left_out))
        self.count_label.setText(text)
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
