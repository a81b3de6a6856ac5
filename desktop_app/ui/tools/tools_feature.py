"""Builds the tools feature once and wires it into the window (like ``documents_feature``).

What it owns: the MCP servers (started when enabled, stopped at quit), the
approval policy (its "always" list saved in the settings), the runner that
drives each reply's agent loop, the chat header's "Tools" switch and the
approval dialogs.

Tools are off in a chat until its "Tools" switch is on; the switch is
remembered per conversation in the settings (``ToolSettings.chats``). A new
chat's switch applies to the conversation its first message creates.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QToolButton

from desktop_app.core.settings import Settings
from desktop_app.core.tools.agent import ApprovalPolicy, Decision
from desktop_app.core.tools.builtin.document_search import Search
from desktop_app.core.tools.mcp_servers import McpServerSet
from desktop_app.core.tools.tool_settings import ToolSettings
from desktop_app.core.tools.toolbox import ToolBox
from desktop_app.ui.chat.chat_controller import ChatController
from desktop_app.ui.chat.tool_card import ToolCard
from desktop_app.ui.chat.tool_runner import ToolRunner
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.models.model_controller import ModelController
from desktop_app.ui.tools.approval_dialog import ApprovalDialog
from desktop_app.ui.tools.tool_sources import LiveServers, ServerEvents, all_tools


def change_tool_settings(models: ModelController, change: Callable[[ToolSettings], None]) -> None:
    """Apply ``change`` to a copy of the tool settings and save it (the one way they change)."""
    new = copy.deepcopy(models.settings)
    change(new.tools)
    models.apply_settings(new)


SearchFor = Callable[[int], Search]
"""The documents tool's search for a conversation (``ChatDocuments.search_for``)."""


def toolbox_for(models: ModelController, servers: McpServerSet, search_for: SearchFor | None,
                conversation_id: int) -> ToolBox | None:
    """The tools of a chat whose "Tools" switch is on; None for any other chat."""
    if conversation_id not in models.settings.tools.chats:
        return None
    search = search_for(conversation_id) if search_for is not None else None
    return ToolBox(all_tools(models.settings, servers, search))


def save_always(models: ModelController, tool: str) -> None:
    """"Always allow this tool": remembered in the settings."""
    def change(tools: ToolSettings) -> None:
        if tool not in tools.always_allowed:
            tools.always_allowed.append(tool)

    change_tool_settings(models, change)


@dataclass
class ToolsFeature:
    """The tools feature's objects; :meth:`close` stops the servers and the runner."""

    models: ModelController
    chat: ChatController
    window: MainWindow
    servers: McpServerSet
    server_events: ServerEvents
    runner: ToolRunner
    button: QToolButton
    dialogs: dict[str, ApprovalDialog] = field(default_factory=dict)
    _new_chat_on: bool = False

    def start(self) -> None:
        self.servers.apply(self.models.settings.tools.mcp_servers)

    def on_settings_changed(self, settings: Settings) -> None:
        """Settings saved: servers follow the list, "always" follows its list."""
        self.servers.apply(settings.tools.mcp_servers)
        policy = self.runner.policy
        saved = set(settings.tools.always_allowed)
        for tool in policy.always - saved:
            policy.revoke(tool)
        for tool in saved - policy.always:
            policy.record(0, tool, Decision.ALLOW_ALWAYS)
        conversation = self.chat.conversation
        self.button.blockSignals(True)  # shows the state; changes nothing
        self.button.setChecked((conversation is not None and self.enabled_in(conversation.id))
                               or (conversation is None and self._new_chat_on))
        self.button.blockSignals(False)

    def close(self) -> None:
        for dialog in list(self.dialogs.values()):
            dialog.close()
        self.runner.shutdown()
        self.servers.stop_all()

    def enabled_in(self, conversation_id: int) -> bool:
        return conversation_id in self.models.settings.tools.chats

    # ---- the chat's switch and approvals ------------------------------------------

    def set_enabled(self, on: bool) -> None:
        """The header's "Tools" switch, for the open chat (or the next new one)."""
        conversation = self.chat.conversation
        if conversation is None:
            self._new_chat_on = on
            return
        if on == self.enabled_in(conversation.id):
            return

        def change(tools: ToolSettings) -> None:
            if on:
                tools.chats.append(conversation.id)
            else:
                tools.chats.remove(conversation.id)

        change_tool_settings(self.models, change)

    def on_conversation_opened(self, conversation_id: int) -> None:
        if conversation_id == 0:
            self._new_chat_on = False
        elif self._new_chat_on:  # the new chat's first message created it
            self._new_chat_on = False
            self.set_enabled(True)
        self.button.setChecked(conversation_id != 0 and self.enabled_in(conversation_id))

    def ask(self, message_id: int, card: ToolCard) -> None:
        dialog = ApprovalDialog(card, self.window)
        self.dialogs[card.call_id] = dialog
        dialog.decided.connect(
            lambda decision: self._answered(message_id, card.call_id, decision))
        dialog.show()

    def on_busy_changed(self, busy: bool) -> None:
        """A reply ended (or was stopped): its open questions go away, unanswered."""
        if not busy:
            for dialog in list(self.dialogs.values()):
                dialog.reject()

    def _answered(self, message_id: int, call_id: str, decision: Decision) -> None:
        dialog = self.dialogs.pop(call_id, None)
        if dialog is not None:
            dialog.deleteLater()
        self.runner.approve(message_id, call_id, decision)


def build_tools(window: MainWindow, chat: ChatController, models: ModelController,
                search_for: SearchFor | None = None) -> ToolsFeature:
    events = ServerEvents()
    servers = McpServerSet(on_change=events.notify)
    runner = ToolRunner(functools.partial(toolbox_for, models, servers, search_for),
                        ApprovalPolicy(models.settings.tools.always_allowed),
                        budget=lambda: models.settings.tools.budget,
                        on_always=functools.partial(save_always, models))
    button = QToolButton()
    # translate() with a context of our own: QToolButton.tr() would look the text up
    # under "QToolButton", where Hearth's translations are not.
    button.setText(QCoreApplication.translate("ToolsFeature", "Tools"))
    button.setCheckable(True)
    button.setToolTip(QCoreApplication.translate(
        "ToolsFeature", "Let the model use tools in this chat (calculator, clock, your "
        "shared folders, MCP servers). Each call asks you first."))
    feature = ToolsFeature(models, chat, window, servers, events, runner, button)
    header = window.header_layout
    header.insertWidget(header.indexOf(window.model_status), button)
    button.toggled.connect(feature.set_enabled)
    chat.conversation_opened.connect(feature.on_conversation_opened)
    chat.use_tools(runner)
    models.settings_changed.connect(feature.on_settings_changed)
    window.live_servers = LiveServers(servers, events)
    runner.approval_requested.connect(feature.ask)
    chat.busy_changed.connect(feature.on_busy_changed)
    return feature
