"""The main window: conversations on the left, the chat on the right.

It only arranges widgets and forwards user actions to the controllers it is
given; the logic lives in :class:`ChatController` and :class:`ModelController`.
"""

from __future__ import annotations

import copy

from PySide6.QtCore import QByteArray, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QTextOption
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.engine.api import ModelLoaded, ReplyStats, Role
from desktop_app.core.settings import Settings
from desktop_app.core.storage.chat_store import MessageState
from desktop_app.ui.chat.chat_controller import ChatController
from desktop_app.ui.chat.chat_model import ChatModel
from desktop_app.ui.chat.chat_view import ChatView, can_continue
from desktop_app.ui.chat.composer import LONG_LINE_CHARS, Composer
from desktop_app.ui.chat.conversation_list import CONVERSATION_ID_ROLE, ConversationListModel
from desktop_app.ui.chat.conversation_settings_dialog import ConversationSettingsDialog
from desktop_app.ui.chat.message_delegate import format_stats, is_shortened
from desktop_app.ui.chat.welcome import WelcomePanel
from desktop_app.ui.common.untrusted_text import as_rich_text, make_plain, plain_tooltip
from desktop_app.ui.models.model_controller import ModelController, ModelState
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

    Signals:
        models_page_requested(): the user asked for the Models window (button or Ctrl+M).
        download_requested(object): the welcome's Download for a suggested CatalogEntry.
    """

    models_page_requested = Signal()
    download_requested = Signal(object)

    def __init__(self, chat: ChatController, chat_model: ChatModel, models: ModelController,
                 conversations: ConversationListModel) -> None:
        super().__init__()
        self.chat = chat
        self.models = models
        self.conversations = conversations
        self.setWindowTitle("Hearth")
        self.resize(1100, 760)

        # ---- sidebar
        self.new_chat_button = QPushButton(self.tr("New chat"))
        self.new_chat_button.setObjectName("newChatButton")
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("Search conversations"))
        self.search_edit.setClearButtonEnabled(True)
        self.conversation_view = QListView()
        self.conversation_view.setObjectName("conversationList")
        self.conversation_view.setModel(conversations)
        self.conversation_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.conversation_view.setUniformItemSizes(True)
        sidebar = QWidget()
        sidebar.setObjectName("sidebar")
        side_layout = QVBoxLayout(sidebar)
        side_layout.setContentsMargins(10, 10, 6, 10)
        side_layout.addWidget(self.new_chat_button)
        side_layout.addWidget(self.search_edit)
        side_layout.addWidget(self.conversation_view, 1)

        # ---- chat area
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("modelCombo")
        self.model_combo.setMinimumWidth(280)
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
        top.addWidget(self.models_button)
        top.addWidget(self.model_status, 1)
        self.demo_note = QLabel(self.tr(
            "Demo model: a tiny base model that shows Hearth works end to end. It is not a good "
            "assistant; download a chat model for real conversations."))
        self.demo_note.setObjectName("demoNote")
        self.demo_note.setWordWrap(True)
        self.demo_note.hide()
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

        # ---- wiring
        self.new_chat_button.clicked.connect(chat.new_conversation)
        self.search_edit.textChanged.connect(conversations.set_filter)
        self.conversation_view.clicked.connect(self._on_conversation_clicked)
        self.conversation_view.customContextMenuRequested.connect(self._on_conversation_menu)
        self.composer.send_requested.connect(self._on_composer_send)
        self.composer.stop_requested.connect(chat.stop)
        self.chat_view.context_menu_requested.connect(self._on_message_menu)
        self.chat_view.edit_requested.connect(self.edit_message)
        self.chat_view.regenerate_requested.connect(chat.regenerate)
        self.chat_view.continue_requested.connect(chat.continue_reply)
        self.composer.edit_last_requested.connect(self._on_composer_edit_last)
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
        chat.conversations_changed.connect(conversations.refresh)
        chat.conversation_opened.connect(self._on_chat_conversation_opened)
        chat.reply_stats.connect(self._on_chat_reply_stats)
        models.state_changed.connect(self._on_models_state_changed)
        models.selection_changed.connect(self._on_models_selection_changed)
        models.models_changed.connect(self._fill_model_combo)
        models.model_ready.connect(self._on_models_ready)
        models.error_occurred.connect(self.banner.show_message)
        models.settings_changed.connect(self._on_models_settings_changed)
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
        entries = [(m.id, m.display_name, m.trained_context) for m in self.models.models()]
        current = self.models.selected.id if self.models.selected is not None else None
        return SettingsDialog(self.models.settings, entries, self, current_model_id=current)

    def open_settings(self) -> None:
        dialog = self.settings_dialog()
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.models.apply_settings(dialog.result_settings())

    def chat_settings_dialog(self) -> ConversationSettingsDialog:
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
        if self.chat.send(text):
            self.composer.clear()
            self.banner.hide()

    def _on_welcome_prompt_chosen(self, text: str) -> None:
        # Sent as it is; whatever the user was typing stays in the box.
        if self.chat.send(text):
            self.banner.hide()

    def _on_conversation_clicked(self, index: QModelIndex) -> None:
        self.chat.open_conversation(index.data(CONVERSATION_ID_ROLE))

    def _on_chat_conversation_opened(self, conversation_id: int) -> None:
        row = self.conversations.row_of(conversation_id)
        if row is None:
            self.conversation_view.clearSelection()
        else:
            self.conversation_view.setCurrentIndex(self.conversations.index(row, 0))
        self.composer.edit.setFocus()

    def _on_conversation_menu(self, pos: QPoint) -> None:
        index = self.conversation_view.indexAt(pos)
        if not index.isValid():
            return
        conversation_id = index.data(CONVERSATION_ID_ROLE)
        menu = QMenu(self)
        rename = menu.addAction(self.tr("Rename…"))
        delete = menu.addAction(self.tr("Delete…"))
        chosen = menu.exec(self.conversation_view.viewport().mapToGlobal(pos))
        if chosen is rename:
            title, ok = QInputDialog.getText(self, self.tr("Rename conversation"),
                                             self.tr("Title:"), text=index.data())
            if ok and title.strip():
                self.chat.rename_conversation(conversation_id, title)
        elif chosen is delete:
            answer = QMessageBox.question(
                self, self.tr("Delete conversation"),
                as_rich_text(self.tr("Delete “{title}” and all its messages? This cannot be "
                                     "undone.").format(title=index.data())))
            if answer == QMessageBox.StandardButton.Yes:
                self.chat.delete_conversation(conversation_id)

    def _on_message_menu(self, row: int, global_pos: QPoint) -> None:
        model = self.chat_view.chat_model()
        item = model.item(row)
        menu = QMenu(self)
        copy_action = menu.addAction(self.tr("Copy text"))
        copy_markdown = menu.addAction(self.tr("Copy as Markdown"))
        edit = None
        if item.role == Role.USER and not self.chat.busy:
            edit = menu.addAction(self.tr("Edit and resend"))
        reasoning = None
        if item.thinking.strip():
            expanded = self.chat_view.message_delegate().reasoning_expanded(item)
            reasoning = menu.addAction(self.tr("Hide reasoning") if expanded
                                       else self.tr("Show reasoning"))
        whole = menu.addAction(self.tr("Show the whole message…")) if is_shortened(item) else None
        is_last = row == model.rowCount() - 1
        regenerate = cont = None
        if item.role == Role.ASSISTANT and not item.notice and is_last and not self.chat.busy:
            regenerate = menu.addAction(self.tr("Regenerate"))
            if can_continue(item):
                cont = menu.addAction(self.tr("Continue"))
        chosen = menu.exec(global_pos)
        if chosen is None:
            return
        if chosen is copy_action:
            self.chat_view.copy_message(row)
        elif chosen is copy_markdown:
            self.chat_view.copy_message(row, as_markdown=True)
        elif chosen is edit:
            self.edit_message(row)
        elif chosen is reasoning:
            self.chat_view.toggle_reasoning(row)
        elif chosen is whole:
            self.text_dialog(self.tr("Message"), item.content).exec()
        elif chosen is regenerate:
            self.chat.regenerate()
        elif chosen is cont:
            self.chat.continue_reply()

    def edit_message(self, row: int) -> None:
        """Edit a message of the user's: its text goes into the box, to change and send again.

        The one place an edit starts. The controller has no "resend from this
        message" yet (it is being built on the history branch); once it has,
        this is where to call it, so the reply is replaced rather than added.
        """
        item = self.chat_view.chat_model().item(row)
        if item.role != Role.USER:
            return
        self.composer.set_text(item.content)
        self.composer.edit.setFocus()

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
        self.welcome.set_model(selected.display_name if selected is not None else None,
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
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for model in self.models.models():
            self.model_combo.addItem(model.display_name, model.id)
        if self.models.selected is not None:
            self.model_combo.setCurrentIndex(self.model_combo.findData(self.models.selected.id))
        if self.model_combo.count() == 0:
            self.model_combo.addItem(self.tr("No model yet"), "")
        self.model_combo.blockSignals(False)

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
        self._update_welcome_model()

    def _on_models_state_changed(self, state: ModelState, text: str) -> None:
        self.model_status.setText(text)
        if state == ModelState.FAILED:
            self.banner.show_message(text)

    def _on_models_settings_changed(self, settings: Settings) -> None:
        self.chat.default_system_prompt = settings.default_system_prompt
        self.chat.default_params = settings.default_params

    def _on_models_ready(self, loaded: ModelLoaded) -> None:
        tip = self.tr("Prompt format: {fmt}\nDevice: {device}\nGPU layers: {layers}\n"
                      "Loaded in {s:.1f} s").format(fmt=loaded.chat_format, device=loaded.device,
                                                    layers=loaded.n_gpu_layers,
                                                    s=loaded.load_seconds)
        if loaded.notice:
            tip += "\n" + loaded.notice
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

