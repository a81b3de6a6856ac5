"""The main window: conversations on the left, the chat on the right.

It only arranges widgets and forwards user actions to the controllers it is
given; the logic lives in :class:`ChatController` and :class:`ModelController`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QTextOption
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.engine import cpu_backend
from desktop_app.core.engine.api import ModelLoaded, ReplyStats, Role
from desktop_app.core.settings import Settings
from desktop_app.core.storage.chat_store import MessageState
from desktop_app.core.storage.export import ExportFormat
from desktop_app.ui.chat.chat_controller import ChatController
from desktop_app.ui.chat.chat_model import ChatModel
from desktop_app.ui.chat.chat_view import ChatView, can_continue
from desktop_app.ui.chat.composer import LONG_LINE_CHARS, Composer
from desktop_app.ui.chat.conversation_list import ConversationListModel
from desktop_app.ui.chat.message_delegate import format_stats, is_shortened
from desktop_app.ui.chat.sidebar import Sidebar
from desktop_app.ui.chat.welcome import WelcomePanel
from desktop_app.ui.common.api_server_controller import ApiServerController, ApiServerState
from desktop_app.ui.common.background import BackgroundJobs
from desktop_app.ui.common.remote_access import RemoteAccess
from desktop_app.ui.common.untrusted_text import make_plain, plain_tooltip
from desktop_app.ui.common.user_text import translated
from desktop_app.ui.models.model_controller import ModelController, ModelState
from desktop_app.ui.models.model_picker import ModelPicker, server_host
from desktop_app.ui.tools.tool_sources import LiveServers

# The dialogs (and the settings' tabs behind them) are imported when first opened, not
# before the window's first paint.
if TYPE_CHECKING:
    from desktop_app.ui.chat.conversation_settings_dialog import ConversationSettingsDialog
    from desktop_app.ui.chat.search_dialog import SearchDialog
    from desktop_app.ui.settings.settings_dialog import SettingsDialog


class Banner(QWidget):
    """A dismissable one-line message above the input box (errors, notices).

    Plain text: messages quote engine errors, model names and file paths.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = make_plain(QLabel(self))
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setText("×")
        close.setAutoRaise(True)
        close.setToolTip(self.tr("Dismiss"))
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.show()


class MainWindow(QMainWindow):
    """Hearth's window. Built by :func:`desktop_app.ui.app.build_app`.

    ``remote`` and ``jobs`` give the settings their Servers tab; ``api_server``
    their API server tab and the status bar its request count.

    Signals:
        models_page_requested(): the user asked for the Models window (button or Ctrl+M).
        download_requested(object): the welcome's Download for a suggested CatalogEntry.
        documents_page_requested(): the user asked for the Documents window (Ctrl+D).
    """

    models_page_requested = Signal()
    documents_page_requested = Signal()
    download_requested = Signal(object)

    def __init__(self, chat: ChatController, chat_model: ChatModel, models: ModelController,
                 conversations: ConversationListModel, *, remote: RemoteAccess | None = None,
                 jobs: BackgroundJobs | None = None,
                 api_server: ApiServerController | None = None) -> None:
        super().__init__()
        self.chat = chat
        self.models = models
        self.conversations = conversations
        self._remote = remote
        self._jobs = jobs
        self.api_server = api_server
        self.live_servers: LiveServers | None = None
        """The MCP servers for Settings › Tools; set by the composition root (tools feature)."""
        self.setWindowTitle("Hearth")
        self.resize(1100, 760)

        # ---- sidebar
        self.sidebar = Sidebar(chat, conversations)
        self.new_chat_button = self.sidebar.new_chat_button
        self.search_edit = self.sidebar.search_edit
        self.conversation_view = self.sidebar.view
        sidebar = self.sidebar

        # ---- chat area
        self.model_combo = ModelPicker(models)
        self.refresh_servers_button = QToolButton()
        self.refresh_servers_button.setObjectName("refreshServers")
        self.refresh_servers_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        self.refresh_servers_button.setToolTip(self.tr("Ask the servers for their models again"))
        self.refresh_servers_button.setAutoRaise(True)
        self.model_status = make_plain(QLabel())  # says model names and load errors
        self.model_status.setObjectName("modelStatus")
        # A long status (a load error) is cut at the window's edge instead of widening
        # the window past the screen; errors are also shown in full in the banner.
        self.model_status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.model_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        top.setContentsMargins(12, 10, 12, 4)
        self.models_button = QPushButton(self.tr("Models"))
        self.models_button.setObjectName("modelsButton")
        self.models_button.setToolTip(self.tr("Find, download and manage models (Ctrl+M)"))
        top.addWidget(self.model_combo)
        top.addWidget(self.refresh_servers_button)
        top.addWidget(self.models_button)
        top.addWidget(self.model_status, 1)
        self.header_layout = top  # the composition root adds the documents button here
        self.demo_note = QLabel(self.tr(
            "Starter model: SmolLM2 135M, a tiny model to try Hearth with. It only speaks English "
            "and knows little; open Models (Ctrl+M) for a real assistant, including ones that "
            "speak Chinese."))
        self.demo_note.setObjectName("demoNote")
        self.demo_note.setWordWrap(True)
        self.demo_note.hide()
        # Privacy: while replies come from another computer, the chat says so above it.
        self.remote_notice = make_plain(QLabel())  # it names the server and the model
        self.remote_notice.setObjectName("remoteNotice")
        self.remote_notice.setWordWrap(True)
        self.remote_notice.hide()
        self.chat_view = ChatView()
        self.chat_view.setObjectName("chatView")
        self.chat_view.setModel(chat_model)
        self.welcome = WelcomePanel()
        # A plain QWidget draws a style sheet background only when asked to.
        self.welcome.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        # The welcome stands in for an empty conversation; the chat shows once it has a message.
        self.chat_stack = QStackedWidget()
        self.chat_stack.setObjectName("chatStack")
        self.chat_stack.addWidget(self.welcome)
        self.chat_stack.addWidget(self.chat_view)
        self.banner = Banner()
        self.composer = Composer()
        chat_area = QWidget()
        chat_layout = QVBoxLayout(chat_area)
        chat_layout.setContentsMargins(0, 0, 0, 0)
        chat_layout.setSpacing(0)
        chat_layout.addLayout(top)
        chat_layout.addWidget(self.demo_note)
        chat_layout.addWidget(self.remote_notice)
        chat_layout.addWidget(self.chat_stack, 1)
        chat_layout.addWidget(self.banner)
        chat_layout.addWidget(self.composer)

        splitter = QSplitter()
        splitter.addWidget(sidebar)
        splitter.addWidget(chat_area)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(1, False)
        sidebar.setMinimumWidth(180)
        splitter.setSizes([240, 860])
        self.setCentralWidget(splitter)
        self._build_menus()
        self.stats_label = QLabel()
        self.statusBar().addPermanentWidget(self.stats_label)
        self.api_label = QLabel()
        self.api_label.setObjectName("apiStatus")
        self.api_label.hide()
        self.statusBar().addPermanentWidget(self.api_label)

        # ---- wiring
        self.sidebar.export_requested.connect(self.export_conversations)
        self.composer.send_requested.connect(self._on_composer_send)
        self.composer.stop_requested.connect(chat.stop)
        self.chat_view.context_menu_requested.connect(self._on_message_menu)
        self.chat_view.edit_requested.connect(self.edit_message)
        self.chat_view.regenerate_requested.connect(chat.regenerate)
        self.chat_view.continue_requested.connect(chat.continue_reply)
        self.chat_view.set_branch_info(chat.siblings)
        self.chat_view.branch_switch_requested.connect(chat.switch_branch)
        self.composer.edit_last_requested.connect(self._on_composer_edit_last)
        self.composer.cancel_requested.connect(self._stop_editing)
        self._editing_message: int | None = None  # a sent message being edited in the box
        self.welcome.prompt_chosen.connect(self._on_welcome_prompt_chosen)
        self.welcome.models_requested.connect(self.models_page_requested)
        self.welcome.download_requested.connect(self.download_requested)
        for signal in (chat_model.modelReset, chat_model.rowsInserted, chat_model.rowsRemoved):
            signal.connect(self._show_welcome_or_chat)
        self.model_combo.activated.connect(self._on_model_combo_activated)
        self.models_button.clicked.connect(self.models_page_requested)
        chat.busy_changed.connect(self.composer.set_busy)
        chat.busy_changed.connect(self.chat_view.set_busy)
        chat.error_occurred.connect(self.banner.show_message)
        chat.conversation_opened.connect(self._on_chat_conversation_opened)
        chat.message_revealed.connect(self._on_chat_message_revealed)
        chat.reply_stats.connect(self._on_chat_reply_stats)
        models.state_changed.connect(self._on_models_state_changed)
        models.selection_changed.connect(self._on_models_selection_changed)
        models.models_changed.connect(self._fill_model_combo)
        models.model_ready.connect(self._on_models_ready)
        models.error_occurred.connect(self.banner.show_message)
        models.settings_changed.connect(self._on_models_settings_changed)
        remote_models = models.remote
        if remote_models is not None:
            remote_models.changed.connect(self._fill_model_combo)
            self.refresh_servers_button.clicked.connect(lambda: remote_models.refresh())
        if api_server is not None:
            api_server.state_changed.connect(self._update_api_label)
            api_server.request_count_changed.connect(self._update_api_label)
        self._update_api_label()
        self._fill_model_combo()
        self._show_welcome_or_chat()
        self._update_welcome_model()
        conversations.refresh()
        self.composer.edit.setFocus()

    # ---- menus -------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        new_chat = QAction(self.tr("&New chat"), self)
        new_chat.setShortcut(QKeySequence.StandardKey.New)
        new_chat.triggered.connect(self.chat.new_conversation)
        file_menu.addAction(new_chat)
        self.models_action = QAction(self.tr("&Models…"), self)
        self.models_action.setShortcut(QKeySequence("Ctrl+M"))
        self.models_action.triggered.connect(self.models_page_requested)
        file_menu.addAction(self.models_action)
        self.documents_action = QAction(self.tr("&Documents…"), self)
        self.documents_action.setShortcut(QKeySequence("Ctrl+D"))
        self.documents_action.triggered.connect(self.documents_page_requested)
        file_menu.addAction(self.documents_action)
        self.search_action = QAction(self.tr("Searc&h conversations…"), self)
        self.search_action.setShortcut(QKeySequence("Ctrl+K"))
        self.search_action.triggered.connect(self.open_search)
        file_menu.addAction(self.search_action)
        file_menu.addSeparator()
        self.import_action = QAction(self.tr("&Import conversations…"), self)
        self.import_action.triggered.connect(self.import_conversations)
        self.export_all_action = QAction(self.tr("&Export all conversations…"), self)
        self.export_all_action.triggered.connect(self.export_all_conversations)
        file_menu.addActions([self.import_action, self.export_all_action])
        file_menu.addSeparator()
        self.settings_action = QAction(self.tr("&Settings…"), self)
        self.settings_action.setShortcut(QKeySequence.StandardKey.Preferences)
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self.open_settings)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        chat_menu = self.menuBar().addMenu(self.tr("&Chat"))
        self.regenerate_action = QAction(self.tr("&Regenerate reply"), self)
        self.regenerate_action.setShortcut(QKeySequence("Ctrl+R"))
        self.regenerate_action.triggered.connect(self.chat.regenerate)
        self.continue_action = QAction(self.tr("C&ontinue reply"), self)
        self.continue_action.triggered.connect(self.chat.continue_reply)
        self.stop_action = QAction(self.tr("&Stop"), self)
        self.stop_action.triggered.connect(self.chat.stop)
        self.chat_settings_action = QAction(self.tr("Chat s&ettings…"), self)
        self.chat_settings_action.setShortcut(QKeySequence("Ctrl+Shift+,"))
        self.chat_settings_action.triggered.connect(self.open_chat_settings)
        chat_menu.addActions([self.regenerate_action, self.continue_action, self.stop_action])
        chat_menu.addSeparator()
        chat_menu.addAction(self.chat_settings_action)

    # ---- dialogs -------------------------------------------------------------

    def settings_dialog(self) -> SettingsDialog:
        """The app settings dialog, filled from the current settings (tests drive it)."""
        from desktop_app.ui.settings.settings_dialog import SettingsDialog

        entries = [(m.id, m.display_name, m.trained_context) for m in self.models.models()]
        current = self.models.selected.id if self.models.selected is not None else None
        return SettingsDialog(self.models.settings, entries, self, current_model_id=current,
                              remote=self._remote, jobs=self._jobs, api_server=self.api_server,
                              live_servers=self.live_servers)

    def open_settings(self) -> None:
        dialog = self.settings_dialog()
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.models.apply_settings(dialog.result_settings())
            self.models.keys_changed(dialog.keys_changed)

    def chat_settings_dialog(self) -> ConversationSettingsDialog:
        from desktop_app.ui.chat.conversation_settings_dialog import ConversationSettingsDialog

        settings = self.models.settings
        system_prompt, params = self.chat.conversation_settings()
        loaded = self.models.loaded
        conversation = self.chat.conversation
        return ConversationSettingsDialog(
            system_prompt, params, settings.presets, loaded.chat_format if loaded else "", self,
            conversation_title=conversation.title if conversation else "",
            default_system_prompt=settings.default_system_prompt,
            default_params=settings.default_params)

    def open_chat_settings(self) -> None:
        dialog = self.chat_settings_dialog()
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.chat.update_conversation_settings(dialog.system_prompt(), dialog.params())
        if dialog.use_as_default():
            new = copy.deepcopy(self.models.settings)
            new.default_system_prompt = dialog.system_prompt()
            new.default_params = dialog.params()
            self.models.apply_settings(new)

    # ---- slots ---------------------------------------------------------------

    def _on_composer_send(self, text: str) -> None:
        # The text leaves the input box only once it is safely stored.
        if self._editing_message is not None:
            sent = self.chat.edit_message(self._editing_message, text)
        else:
            sent = self.chat.send(text)
        if sent:
            self._editing_message = None
            self.composer.clear()
            self.banner.hide()

    def _on_welcome_prompt_chosen(self, text: str) -> None:
        # Sent as it is; whatever the user was typing stays in the box.
        if self.chat.send(text):
            self.banner.hide()

    def _on_chat_conversation_opened(self, conversation_id: int) -> None:
        self._stop_editing()
        self.composer.edit.setFocus()

    def _on_chat_message_revealed(self, row: int) -> None:
        model = self.chat_view.model()
        self.chat_view.scrollTo(model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop)

    # ---- search, import, export ------------------------------------------------

    def search_dialog(self) -> SearchDialog:
        """The Ctrl+K search window, wired to open what the user picks (tests drive it)."""
        from desktop_app.ui.chat.search_dialog import SearchDialog

        dialog = SearchDialog(self.chat.store, self)
        dialog.result_chosen.connect(self._on_search_result_chosen)
        return dialog

    def open_search(self) -> None:
        dialog = self.search_dialog()
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _on_search_result_chosen(self, conversation_id: int, message_id: int) -> None:
        if message_id:
            self.chat.open_message(conversation_id, message_id)
        else:
            self.chat.open_conversation(conversation_id)

    def export_conversations(self, conversation_ids: list[int]) -> None:
        """Ask where and in which format, then export these conversations."""
        if not conversation_ids:
            return
        markdown = self.tr("Markdown, the shown branch (*.md)")
        json_filter = self.tr("Hearth JSON, everything (*.json)")
        path, chosen = QFileDialog.getSaveFileName(
            self, self.tr("Export conversations"), "conversations.md",
            f"{markdown};;{json_filter}")
        if not path:
            return
        fmt: ExportFormat = "json" if chosen == json_filter or path.endswith(".json") else "md"
        if self.chat.export_history(conversation_ids, Path(path), fmt):
            self.statusBar().showMessage(self.tr("Exported to {path}").format(path=path), 5000)

    def export_all_conversations(self) -> None:
        self.export_conversations([c.id for c in self.chat.store.list_conversations()])

    def import_conversations(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import conversations"), "",
            self.tr("Hearth or ChatGPT export (*.json *.zip);;All files (*)"))
        if not path:
            return
        ids = self.chat.import_history(Path(path))
        if ids:
            self.statusBar().showMessage(
                self.tr("Imported %n conversation(s).", "", len(ids)), 5000)

    # ---- message menu ------------------------------------------------------------

    def message_actions(self, row: int) -> dict[str, tuple[str, Callable[[], object]]]:
        """What the message menu offers for the chat row: name -> (label, action)."""
        model = self.chat_view.model()
        assert isinstance(model, ChatModel)
        item = model.item(row)
        chat = self.chat
        view = self.chat_view
        actions: dict[str, tuple[str, Callable[[], object]]] = {
            "copy": (self.tr("Copy text"), lambda: view.copy_message(row)),
            "copy_markdown": (self.tr("Copy as Markdown"),
                              lambda: view.copy_message(row, as_markdown=True))}
        if item.thinking.strip():
            expanded = view.message_delegate().reasoning_expanded(item)
            actions["reasoning"] = (self.tr("Hide reasoning") if expanded
                                    else self.tr("Show reasoning"),
                                    lambda: view.toggle_reasoning(row))
        if is_shortened(item):
            actions["whole"] = (self.tr("Show the whole message…"),
                                lambda: self.text_dialog(self.tr("Message"), item.content).exec())
        if item.notice or item.message_id < 0 or chat.busy:
            return actions
        index, count = chat.siblings(item.message_id)
        if index > 0:
            actions["previous_branch"] = (
                self.tr("‹ Previous version ({n}/{count})").format(n=index, count=count),
                lambda: view.switch_branch(row, -1))
        if index + 1 < count:
            actions["next_branch"] = (
                self.tr("Next version ({n}/{count}) ›").format(n=index + 2, count=count),
                lambda: view.switch_branch(row, +1))
        if item.role == Role.USER:
            actions["edit"] = (self.tr("Edit…"), lambda: self.edit_message(row))
        is_last = row == model.rowCount() - 1
        if item.role == Role.ASSISTANT and is_last:
            actions["regenerate"] = (self.tr("Regenerate"), chat.regenerate)
            if can_continue(item):
                actions["continue"] = (self.tr("Continue"), chat.continue_reply)
        actions["delete_branch"] = (self.tr("Delete from here"),
                                    lambda: chat.delete_branch(item.message_id))
        return actions

    def _on_message_menu(self, row: int, global_pos: QPoint) -> None:
        menu = QMenu(self)
        callbacks = {}
        for name, (label, callback) in self.message_actions(row).items():
            if name in ("previous_branch", "edit", "delete_branch"):
                menu.addSeparator()
            callbacks[menu.addAction(label)] = callback
        chosen = menu.exec(global_pos)
        if chosen is not None and chosen in callbacks:
            callbacks[chosen]()

    def edit_message(self, row: int) -> None:
        """Edit a message of the user's: its text goes into the box, to change and send again.

        The one place an edit starts (action bar, menu, Up in an empty box).
        Sending it makes a new branch from that message: the original and its
        reply stay as the other version ("‹ 1/2 ›"). Esc stops editing.
        """
        item = self.chat_view.chat_model().item(row)
        if item.role != Role.USER or item.message_id < 0:
            return
        self._editing_message = item.message_id
        self.composer.set_text(item.content)
        self.composer.edit.setFocus()
        self.banner.show_message(self.tr(
            "Editing your message: Send makes a new version from there (the original stays). "
            "Esc cancels."))

    def _stop_editing(self) -> None:
        if self._editing_message is not None:
            self._editing_message = None
            self.composer.clear()
            self.banner.hide()

    def _on_composer_edit_last(self) -> None:
        items = self.chat_view.chat_model().items()
        for row in range(len(items) - 1, -1, -1):
            if items[row].role == Role.USER and not items[row].notice:
                self.edit_message(row)
                return

    def _show_welcome_or_chat(self, *_args: object) -> None:
        empty = self.chat_view.chat_model().rowCount() == 0
        self.chat_stack.setCurrentWidget(self.welcome if empty else self.chat_view)

    def _update_welcome_model(self) -> None:
        selected = self.models.selected
        self.welcome.set_model(self.models.selected_name(),
                               starter=bool(selected is not None and selected.is_demo))

    def text_dialog(self, title: str, content: str) -> QDialog:
        """Untrusted text in full, read-only, as plain text (a long message the chat shortens)."""
        dialog = QDialog(self)
        dialog.setWindowTitle(title)
        text = QPlainTextEdit()
        if max(map(len, content.split("\n"))) > LONG_LINE_CHARS:
            # Word-boundary wrap is quadratic on one long unbroken line (seconds at 300k).
            text.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        text.setPlainText(content)
        text.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(text)
        layout.addWidget(buttons)
        dialog.resize(640, 480)
        return dialog

    def _on_chat_reply_stats(self, stats: ReplyStats) -> None:
        self.stats_label.setText(format_stats(stats, MessageState.COMPLETE))

    def _fill_model_combo(self) -> None:
        self.model_combo.refill()
        remote = self.models.remote
        self.refresh_servers_button.setVisible(
            remote is not None and bool(remote.entries()) and not remote.offline)

    def _on_model_combo_activated(self, index: int) -> None:
        model_id = self.model_combo.itemData(index)
        if model_id and not self.models.is_loaded(model_id):
            self.models.select(model_id)

    def _on_models_selection_changed(self, model_id: str) -> None:
        self.chat.model_id = model_id or None
        index = self.model_combo.findData(model_id)
        if index < 0:
            self._fill_model_combo()
            index = self.model_combo.findData(model_id)
        self.model_combo.setCurrentIndex(index)
        selected = self.models.selected
        self.demo_note.setVisible(bool(selected and selected.is_demo))
        self._update_remote_notice()
        self._update_welcome_model()

    def _update_remote_notice(self) -> None:
        ref, server = self.models.selected_remote, self.models.remote_server
        if ref is None or server is None:
            self.remote_notice.hide()
            return
        self.remote_notice.setText(self.tr(
            "Replies come from {model} on {server} ({host}): your messages are sent "
            "there.").format(model=ref.model, server=server.name, host=server_host(server)))
        self.remote_notice.show()

    def _update_api_label(self, *_args: object) -> None:
        server = self.api_server
        running = server is not None and server.state == ApiServerState.RUNNING
        self.api_label.setVisible(running)
        if server is not None and running:
            self.api_label.setText(self.tr("API requests: {n}").format(n=server.request_count))
            self.api_label.setToolTip(plain_tooltip(self.tr(
                "Hearth's API server is running at {address}").format(address=server.address)))

    def _on_models_state_changed(self, state: ModelState, text: str) -> None:
        self.model_status.setText(text)
        if state == ModelState.FAILED:
            self.banner.show_message(text)

    def _on_models_settings_changed(self, settings: Settings) -> None:
        self.chat.default_system_prompt = settings.default_system_prompt
        self.chat.default_params = settings.default_params

    def _on_models_ready(self, loaded: ModelLoaded) -> None:
        if self.models.selected_remote is not None:
            # GPU layers and load time mean nothing for a model on another computer.
            context = (self.tr("{n} tokens").format(n=loaded.n_ctx) if loaded.n_ctx
                       else self.tr("not stated by the server"))
            self.model_status.setToolTip(plain_tooltip(self.tr(
                "Server: {device}\nContext: {context}\nPrompt format: the server's own").format(
                    device=loaded.device, context=context)))
            return
        tip = self.tr("Prompt format: {fmt}\nDevice: {device}\nGPU layers: {layers}\n"
                      "Loaded in {s:.1f} s").format(fmt=loaded.chat_format, device=loaded.device,
                                                    layers=loaded.n_gpu_layers,
                                                    s=loaded.load_seconds)
        if loaded.cpu_variant == cpu_backend.BUILT_IN:
            tip += "\n" + self.tr("CPU kernels: built into llama.cpp")
        elif loaded.cpu_variant:
            tip += "\n" + self.tr("CPU kernels: {variant} (chosen for this CPU at start)").format(
                variant=loaded.cpu_variant)
        if loaded.notice:
            tip += "\n" + translated(loaded.notice)
        self.model_status.setToolTip(plain_tooltip(tip))

    # ---- window state ----------------------------------------------------------

    def restore_geometry_from(self, encoded: str) -> None:
        if encoded:
            self.restoreGeometry(QByteArray.fromBase64(encoded.encode("ascii")))

    def encoded_geometry(self) -> str:
        return bytes(self.saveGeometry().toBase64().data()).decode("ascii")

    def closeEvent(self, event: QCloseEvent) -> None:
        # A reply still streaming is stopped and saved as it stands.
        self.chat.stop()
        super().closeEvent(event)

