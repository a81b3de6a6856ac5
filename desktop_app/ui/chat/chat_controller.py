"""Runs conversations: stores messages, asks the engine for replies, feeds the chat model.

The order of operations is what keeps text safe: the user's message is
committed to SQLite before a reply is requested, the reply row exists before
its first token, the streaming text is checkpointed at least once a second,
and every way a reply can end (finished, stopped, failed, engine crashed)
writes its final text and state.

A write can fail (a full disk, a drive unplugged) while the text is safe on
screen. Then the text stays in memory: a failed checkpoint is simply retried
by the next one (each writes the whole text), and a failed final write is
kept in ``_unsaved`` and retried every :data:`SAVE_RETRY_MS`, after any
later successful write, and once more at shutdown, until it is on disk.

Messages form a tree (see :mod:`~desktop_app.core.storage.chat_store`): the
chat model holds the path the store shows; editing a message and Regenerate
add branches, :meth:`ChatController.switch_branch` shows a sibling's, and
deleting a branch or a conversation can be undone (:meth:`ChatController.undo`)
from the rows the store hands back. Changing the path while a reply streams
is refused: the streaming row must stay on screen until it ends.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from desktop_app.core.engine.api import (
    ChatMessage,
    GenerateRequest,
    ReplyStats,
    Role,
    SamplingParams,
    StopReason,
)
from desktop_app.core.storage.chat_store import (
    CURRENT,
    ChatStore,
    Conversation,
    MessageState,
    ParentChoice,
    Snapshot,
)
from desktop_app.core.storage.database import StorageError
from desktop_app.core.storage.export import ExportFormat, export, write_text_atomically
from desktop_app.core.storage.importers import ImportProblem, import_file
from desktop_app.core.user_text import UserText
from desktop_app.ui.chat.chat_model import ChatItem, ChatModel
from desktop_app.ui.chat.tool_card import ToolCard, cards_to_json
from desktop_app.ui.chat.tool_runner import ToolRunner
from desktop_app.ui.common.engine_worker import EngineWorker
from desktop_app.ui.common.user_text import translated

log = logging.getLogger(__name__)

CHECKPOINT_INTERVAL = 1.0
SAVE_RETRY_MS = 5000
UNDO_DEPTH = 20
"""How many deletions :meth:`ChatController.undo` can take back, newest first."""

RequestPreparer = Callable[[GenerateRequest, int, Callable[[GenerateRequest], None]], None]
"""Given a request, the id of its reply's message and a function that sends a request:
calls the function with the request to send, now or later (from the GUI thread). The
reply shows as started meanwhile; Stop before it is sent means it is never sent."""


@dataclass
class _ActiveReply:
    request_id: int
    conversation_id: int
    message_id: int
    prefix: str = ""  # text already there when continuing a reply
    thinking_prefix: str = ""
    parts: list[str] = field(default_factory=list)
    thinking: list[str] = field(default_factory=list)
    last_checkpoint: float = field(default_factory=time.monotonic)
    save_failed: bool = False  # the last checkpoint failed; the error was shown once
    tool_cards: tuple[ToolCard, ...] = ()  # the tools it called so far

    @property
    def content(self) -> str:
        return self.prefix + "".join(self.parts)

    @property
    def all_thinking(self) -> str:
        return self.thinking_prefix + "".join(self.thinking)


@dataclass(frozen=True)
class _UnsavedReply:
    """A reply's final write that failed, kept until it succeeds."""

    content: str
    thinking: str
    state: MessageState
    stats: ReplyStats | None
    error: str
    tool_calls: str = ""  # JSON (tool_card.cards_to_json)


class ChatController(QObject):
    """The chat's logic, between the widgets, the store and the engine worker.

    Signals:
        busy_changed(bool): a reply started (True) or ended (False).
        conversation_opened(int): the conversation now shown, 0 for a new empty chat.
        conversations_changed(): titles or the list of conversations changed.
        error_occurred(str): a message for the user.
        reply_stats(object): ReplyStats of the reply that just ended.
        path_changed(int): the open conversation (id) now shows another branch;
            the chat model was reset to it and :meth:`siblings` has its numbers.
        message_revealed(int): the row of the chat model to scroll to (a search result).
        undo_available(str): something was deleted; the text says what, :meth:`undo`
            brings it back.
    """

    busy_changed = Signal(bool)
    conversation_opened = Signal(int)
    conversations_changed = Signal()
    error_occurred = Signal(str)
    reply_stats = Signal(object)
    path_changed = Signal(int)
    message_revealed = Signal(int)
    undo_available = Signal(str)

    def __init__(self, store: ChatStore, worker: EngineWorker, model: ChatModel,
                 *, default_system_prompt: str = "",
                 default_params: SamplingParams | None = None,
                 read_only: bool = False,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self.read_only = read_only
        """The history can't be written (a newer Hearth's): nothing is sent or changed."""
        self._worker = worker
        self._model = model
        self.default_system_prompt = default_system_prompt
        self.default_params = default_params or SamplingParams()
        self.model_id: str | None = None
        self.prepare_request: RequestPreparer | None = None
        """Changes each request before it is sent (sources from documents), maybe later."""
        self.tool_runner: ToolRunner | None = None
        """Runs replies that may call tools (:meth:`use_tools`); None: no tools at all."""
        self._conversation: Conversation | None = None
        # Settings chosen for a new chat before its first message creates it.
        self._new_chat_settings: tuple[str, SamplingParams] | None = None
        self._active: _ActiveReply | None = None
        # Stopped replies awaiting the engine's statistics: request id -> the reply as stopped.
        self._stopped: dict[int, _ActiveReply] = {}
        self._request_ids = itertools.count(1)
        # Final writes that failed, by message id; see the module docstring.
        self._unsaved: dict[int, _UnsavedReply] = {}
        # message id -> (index among its siblings, count) for the open conversation.
        self._siblings: dict[int, tuple[int, int]] = {}
        # What the last deletions removed, newest last, for undo().
        self._undo: list[tuple[str, Snapshot]] = []
        self._retry_timer = QTimer(self)
        self._retry_timer.setInterval(SAVE_RETRY_MS)
        self._retry_timer.timeout.connect(self._on_retry_timer_timeout)
        worker.chunks_received.connect(self._on_worker_chunks)
        worker.reply_finished.connect(self._on_worker_finished)
        worker.generation_failed.connect(self._on_worker_failed)
        worker.engine_crashed.connect(self._on_worker_crashed)
        worker.context_trimmed.connect(self._on_worker_trimmed)

    def use_tools(self, runner: ToolRunner) -> None:
        """Let replies call tools: ``runner`` decides per chat and drives each reply's loop."""
        self.tool_runner = runner
        self._worker.chunks_received.connect(self._on_worker_chunks_for_tools)
        self._worker.tool_calls_requested.connect(runner.on_tool_calls)
        runner.cards_changed.connect(self._on_tool_cards)

    def detach(self) -> None:
        """Stop listening to the engine worker (at shutdown, before the store closes)."""
        worker = self._worker
        if self.tool_runner is not None:
            worker.chunks_received.disconnect(self._on_worker_chunks_for_tools)
            worker.tool_calls_requested.disconnect(self.tool_runner.on_tool_calls)
            self.tool_runner.cards_changed.disconnect(self._on_tool_cards)
        worker.chunks_received.disconnect(self._on_worker_chunks)
        worker.reply_finished.disconnect(self._on_worker_finished)
        worker.generation_failed.disconnect(self._on_worker_failed)
        worker.engine_crashed.disconnect(self._on_worker_crashed)
        worker.context_trimmed.disconnect(self._on_worker_trimmed)
        self._stopped.clear()
        self._retry_timer.stop()

    @property
    def unsaved_replies(self) -> int:
        """How many replies are shown in full but not yet stored in full."""
        return len(self._unsaved)

    def save_unsaved(self) -> bool:
        """Try the failed final writes again; True when none is left.

        Called by the retry timer, after a later write succeeds, and at shutdown.
        """
        for message_id, reply in list(self._unsaved.items()):
            try:
                self._store.finish_reply(message_id, reply.content, thinking=reply.thinking,
                                         state=reply.state, stats=reply.stats,
                                         error=reply.error, tool_calls=reply.tool_calls)
            except StorageError as exc:
                log.info("reply %d still not saved: %s", message_id, exc)
                return False
            del self._unsaved[message_id]
            log.info("reply %d saved after an earlier failure", message_id)
        if self._retry_timer.isActive():
            self._retry_timer.stop()
            self.error_occurred.emit(self.tr("The reply is saved now."))
        return True

    # ---- state -------------------------------------------------------------

    @property
    def store(self) -> ChatStore:
        """The history, for readers (search, export); writes go through the controller."""
        return self._store

    @property
    def conversation(self) -> Conversation | None:
        return self._conversation

    @property
    def busy(self) -> bool:
        return self._active is not None

    # ---- conversations -----------------------------------------------------

    def conversation_settings(self) -> tuple[str, SamplingParams]:
        """The system prompt and sampling parameters the open (or new) chat uses."""
        if self._conversation is not None:
            return self._conversation.system_prompt, self._conversation.params
        if self._new_chat_settings is not None:
            return self._new_chat_settings
        return self.default_system_prompt, self.default_params

    def update_conversation_settings(self, system_prompt: str, params: SamplingParams) -> None:
        """Change the open chat's settings; the next reply uses them."""
        if self._conversation is None:
            self._new_chat_settings = (system_prompt, params)
            return
        if self.read_only:
            self.error_occurred.emit(read_only_message())
            return
        try:
            self._conversation = self._store.update_conversation_settings(
                self._conversation.id, system_prompt=system_prompt, params=params)
        except (KeyError, StorageError) as exc:
            self.error_occurred.emit(self.tr("The chat settings were not saved: {e}").format(e=exc))

    def new_conversation(self) -> None:
        """Show an empty chat; the conversation is created with its first message."""
        self._conversation = None
        self._new_chat_settings = None
        self._siblings = {}
        self._model.set_items([])
        self.conversation_opened.emit(0)

    def open_conversation(self, conversation_id: int) -> None:
        """Show the conversation's current branch."""
        if self._load(conversation_id):
            self.conversation_opened.emit(conversation_id)

    def _load(self, conversation_id: int) -> bool:
        """Fill the chat model with the conversation's shown path; False (said) if it failed."""
        try:
            conversation = self._store.get_conversation(conversation_id)
            messages = self._store.messages(conversation_id)
            self._siblings = self._store.sibling_positions(conversation_id)
        except (KeyError, StorageError) as exc:
            self.error_occurred.emit(self.tr("Could not open the conversation: {e}").format(e=exc))
            return False
        self._conversation = conversation
        items = [ChatItem.from_stored(m) for m in messages]
        active = self._active
        if active is not None and active.conversation_id == conversation_id:
            # The database holds the last checkpoint; the live text is newer.
            for item in items:
                if item.message_id == active.message_id:
                    item.content = active.content
                    item.state = MessageState.STREAMING
        for item in items:
            unsaved = self._unsaved.get(item.message_id)
            if unsaved is not None:  # shown as it ended, not as the disk has it
                item.content, item.thinking, item.state, item.stats, item.error = (
                    unsaved.content, unsaved.thinking, unsaved.state, unsaved.stats,
                    unsaved.error)
        self._model.set_items(items)
        return True

    def delete_conversation(self, conversation_id: int) -> None:
        """Delete the conversation; :meth:`undo` brings it back (``undo_available`` says so)."""
        if self.read_only:
            self.error_occurred.emit(read_only_message())
            return
        if self._active is not None and self._active.conversation_id == conversation_id:
            self.stop()
        try:
            snapshot = self._store.delete_conversation(conversation_id)
        except StorageError as exc:
            self.error_occurred.emit(str(exc))
            return
        if self._conversation is not None and self._conversation.id == conversation_id:
            self.new_conversation()
        self.conversations_changed.emit()
        if snapshot is not None:
            title = (snapshot.conversation or {}).get("title") or self.tr("New chat")
            self._offer_undo(self.tr("Deleted “{title}”.").format(title=title), snapshot)

    def duplicate_conversation(self, conversation_id: int) -> None:
        """Copy the conversation (every branch) and open the copy."""
        if self.read_only:
            self.error_occurred.emit(read_only_message())
            return
        try:
            original = self._store.get_conversation(conversation_id)
            title = self.tr("{title} (copy)").format(title=original.title or self.tr("New chat"))
            copy = self._store.duplicate_conversation(conversation_id, title)
        except (KeyError, StorageError) as exc:
            self.error_occurred.emit(str(exc))
            return
        self.conversations_changed.emit()
        self.open_conversation(copy.id)

    def set_pinned(self, conversation_id: int, pinned: bool) -> None:
        self._change_conversation(lambda: self._store.set_pinned(conversation_id, pinned))

    def set_folder(self, conversation_id: int, folder: str) -> None:
        self._change_conversation(lambda: self._store.set_folder(conversation_id, folder))

    def _change_conversation(self, change: Callable[[], None]) -> None:
        if self.read_only:
            self.error_occurred.emit(read_only_message())
            return
        try:
            change()
        except (KeyError, StorageError) as exc:
            self.error_occurred.emit(str(exc))
            return
        self.conversations_changed.emit()

    def folders(self) -> list[str]:
        """Folder names in use, for "Move to folder"."""
        try:
            return self._store.folders()
        except StorageError:
            return []

    def export_history(self, conversation_ids: list[int], path: Path,
                       fmt: ExportFormat) -> bool:
        """Write the conversations to ``path`` as Markdown or JSON; False (said) on failure."""
        try:
            text = export(self._store, conversation_ids, fmt)
            write_text_atomically(path, text)
        except (KeyError, StorageError, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.error_occurred.emit(self.tr("The export to {path} failed: {e}").format(
                path=path, e=reason))
            return False
        return True

    def import_history(self, path: Path) -> list[int]:
        """Import a Hearth or ChatGPT export; the new conversations' ids ([] and said if not)."""
        if self.read_only:
            self.error_occurred.emit(read_only_message())
            return []
        try:
            ids = import_file(self._store, path)
        except ImportProblem as exc:
            self.error_occurred.emit(translated(exc.text))
            return []
        except StorageError as exc:
            self.error_occurred.emit(str(exc))
            return []
        self.conversations_changed.emit()
        return ids

    # ---- branches -------------------------------------------------------------

    def siblings(self, message_id: int) -> tuple[int, int]:
        """(index, count) of the message among its siblings: "‹ index+1/count ›".

        (0, 1) for a message without siblings or one not in the open conversation.
        Answered from memory (filled when the path is loaded), so a view may
        ask for every row it paints.
        """
        return self._siblings.get(message_id, (0, 1))

    def switch_branch(self, message_id: int, direction: int) -> bool:
        """Show the branch of the sibling ``direction`` steps away (-1: previous, +1: next).

        Returns False when there is no such sibling or the switch was refused
        (a reply is streaming, the history is read-only); ``path_changed`` is
        emitted when it happened.
        """
        if self._conversation is None or not self._may_change_path():
            return False
        try:
            ids = self._store.siblings(message_id)
        except (KeyError, StorageError) as exc:
            self.error_occurred.emit(str(exc))
            return False
        target = ids.index(message_id) + direction
        if not 0 <= target < len(ids):
            return False
        return self._show_branch(ids[target])

    def _show_branch(self, message_id: int) -> bool:
        conversation = self._conversation
        assert conversation is not None
        try:
            self._store.show_branch(message_id)
        except (KeyError, StorageError) as exc:
            self.error_occurred.emit(str(exc))
            return False
        if self._load(conversation.id):
            self.path_changed.emit(conversation.id)
        return True

    def open_message(self, conversation_id: int, message_id: int) -> None:
        """Open the conversation on the branch holding the message, and reveal it.

        This is where a search result leads; if a reply is streaming the
        conversation opens on its current branch instead.
        """
        if self._active is None and not self.read_only:
            try:
                self._store.show_branch(message_id)
            except (KeyError, StorageError) as exc:
                self.error_occurred.emit(str(exc))
        self.open_conversation(conversation_id)
        row = self._model.row_of(message_id)
        if row is not None:
            self.message_revealed.emit(row)

    def edit_message(self, message_id: int, text: str) -> bool:
        """Send ``text`` in place of an earlier user message, as a new branch from there.

        The old message and everything after it stay (one step back with
        :meth:`switch_branch`). Returns False, with ``error_occurred``, when refused.
        """
        text = text.strip()
        conversation = self._conversation
        if not text or conversation is None or not self._may_change_path():
            return False
        if self.model_id is None:
            self.error_occurred.emit(self.tr("Choose a model first."))
            return False
        try:
            original = self._store.get_message(message_id)
            if original.role != Role.USER or original.conversation_id != conversation.id:
                return False
            self._store.add_message(conversation.id, Role.USER, text,
                                    parent_id=original.parent_id)
        except (KeyError, StorageError) as exc:
            self.error_occurred.emit(self.tr("Your message was not sent: {e}").format(e=exc))
            return False
        if self._load(conversation.id):
            self.path_changed.emit(conversation.id)
        self.conversations_changed.emit()
        self._start_reply()
        return True

    def delete_branch(self, message_id: int) -> None:
        """Delete the message and everything after it on every branch; :meth:`undo` restores."""
        conversation = self._conversation
        if conversation is None or not self._may_change_path():
            return
        try:
            snapshot = self._store.delete_branch(message_id)
        except StorageError as exc:
            self.error_occurred.emit(str(exc))
            return
        for row in snapshot.messages if snapshot else ():
            self._unsaved.pop(int(row["id"]), None)
        if self._load(conversation.id):
            self.path_changed.emit(conversation.id)
        if snapshot is not None:
            count = len(snapshot.messages)
            self._offer_undo(self.tr("Deleted %n message(s).", "", count), snapshot)

    def undo(self) -> bool:
        """Bring back what the last deletion removed; False when there is nothing to undo."""
        if not self._undo or self.read_only:
            return False
        text, snapshot = self._undo.pop()
        try:
            self._store.restore(snapshot)
        except StorageError as exc:
            self._undo.append((text, snapshot))
            self.error_occurred.emit(str(exc))
            return False
        self.conversations_changed.emit()
        conversation = self._conversation
        if snapshot.conversation is not None:
            self.open_conversation(snapshot.conversation_id)
        elif (conversation is not None and conversation.id == snapshot.conversation_id
              and self._active is None and self._load(conversation.id)):
            self.path_changed.emit(conversation.id)
        return True

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    def _offer_undo(self, text: str, snapshot: Snapshot) -> None:
        self._undo.append((text, snapshot))
        del self._undo[:-UNDO_DEPTH]
        self.undo_available.emit(text)

    def _may_change_path(self) -> bool:
        """Whether the shown path may change now; says why not when it may not."""
        if self.read_only:
            self.error_occurred.emit(read_only_message())
            return False
        if self._active is not None:
            self.error_occurred.emit(self.tr("Wait for the reply to finish, or press Stop."))
            return False
        return True

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        if self.read_only:
            self.error_occurred.emit(read_only_message())
            return
        try:
            self._store.rename_conversation(conversation_id, title.strip())
        except StorageError as exc:
            self.error_occurred.emit(str(exc))
            return
        self.conversations_changed.emit()

    # ---- sending -------------------------------------------------------------

    def send(self, text: str) -> bool:
        """Store the user's message and request a reply.

        Returns False, with ``error_occurred`` emitted, when the message could not
        be stored or sent; the caller then keeps the text in the input box.
        """
        text = text.strip()
        if not text:
            return False
        if self.read_only:
            self.error_occurred.emit(read_only_message())
            return False
        if self._active is not None:
            self.error_occurred.emit(self.tr("Wait for the reply to finish, or press Stop."))
            return False
        if self.model_id is None:
            self.error_occurred.emit(self.tr("Choose a model first."))
            return False
        try:
            if self._conversation is None:
                system_prompt, params = self.conversation_settings()
                self._conversation = self._store.create_conversation(
                    model_id=self.model_id, system_prompt=system_prompt, params=params)
                self._new_chat_settings = None
                self.conversation_opened.emit(self._conversation.id)
            message = self._store.add_message(self._conversation.id, Role.USER, text)
        except StorageError as exc:
            self.error_occurred.emit(self.tr("Your message was not sent: {e}").format(e=exc))
            return False
        self._model.append(ChatItem.from_stored(message))
        self.conversations_changed.emit()
        self._start_reply()
        return True

    def regenerate(self) -> None:
        """Sample another reply to the same history, as a sibling of the last one.

        The old reply stays, one step back in the branch switcher.
        """
        items = self._model.items()
        if self._active is not None or not items:
            return
        last = items[-1]
        if last.role != Role.ASSISTANT or last.message_id < 0:
            return
        if self.read_only:
            self.error_occurred.emit(read_only_message())
            return
        try:
            parent_id = self._store.get_message(last.message_id).parent_id
        except (KeyError, StorageError) as exc:
            self.error_occurred.emit(str(exc))
            return
        self._model.remove_from(len(items) - 1)
        self._start_reply(parent_id=parent_id)

    def continue_reply(self) -> None:
        """Continue the last reply where it stopped (e.g. at the length limit)."""
        items = [i for i in self._model.items() if not i.notice]
        if self._active is not None or not items or items[-1].role != Role.ASSISTANT:
            return
        if self.read_only:
            self.error_occurred.emit(read_only_message())
            return
        self._start_reply(continue_item=items[-1])

    def stop(self) -> None:
        """Stop the reply now. The engine confirms later with the reply's statistics."""
        active = self._active
        if active is None:
            return
        runner = self.tool_runner
        if runner is None or not runner.stop(active.message_id):
            self._worker.cancel(active.request_id)
            self._stopped[active.request_id] = active
        self._finish(MessageState.STOPPED, stats=None)

    # ---- engine events ---------------------------------------------------------

    def _on_worker_chunks(self, request_id: int, text: str, thinking: str) -> None:
        active = self._active
        if active is None or request_id != active.request_id:
            return
        active.parts.append(text)
        active.thinking.append(thinking)
        self._model.append_text(active.message_id, text, thinking)
        now = time.monotonic()
        if now - active.last_checkpoint >= CHECKPOINT_INTERVAL:
            active.last_checkpoint = now
            try:
                self._store.checkpoint_reply(active.message_id, active.content,
                                             active.all_thinking)
            except StorageError as exc:
                # The next checkpoint writes the whole text again; say so once.
                if not active.save_failed:
                    self.error_occurred.emit(str(exc))
                active.save_failed = True
            else:
                active.save_failed = False

    def _on_worker_finished(self, request_id: int, stats: ReplyStats) -> None:
        stopped = self._stopped.pop(request_id, None)
        if stopped is not None:
            self._record_stopped_stats(stopped, stats)
            return
        if self._active is None or request_id != self._active.request_id:
            return
        notice = ""
        if self.tool_runner is not None and self.tool_runner.owns(request_id):
            finished = self.tool_runner.reply_finished(request_id, stats)
            if finished is None:
                return  # the model called tools: the reply goes on after them
            notice = translated(finished.message) if finished.message else ""
        state = (MessageState.STOPPED if stats.stop_reason == StopReason.CANCELLED
                 else MessageState.COMPLETE)
        self._finish(state, stats=stats)
        if notice:
            self._model.append_notice(notice)

    def _on_worker_failed(self, request_id: int, failure: UserText | str) -> None:
        message = translated(failure)  # stored as the user read it, in their language
        self._stopped.pop(request_id, None)
        if self._active is None or request_id != self._active.request_id:
            return
        self._finish(MessageState.ERROR, stats=None, error=message)
        self.error_occurred.emit(message)

    def _on_worker_crashed(self, crash: UserText | str, request_id: int | None) -> None:
        message = translated(crash)
        if request_id is not None:
            self._stopped.pop(request_id, None)  # killed after Stop: no statistics will come
        active = self._active
        if active is not None and (request_id is None or request_id == active.request_id):
            self._finish(MessageState.INTERRUPTED, stats=None, error=message)
        self.error_occurred.emit(message)

    def _on_worker_chunks_for_tools(self, request_id: int, text: str, _thinking: str) -> None:
        if self.tool_runner is not None:
            self.tool_runner.on_chunks(request_id, text)

    def _on_tool_cards(self, message_id: int, cards: tuple[ToolCard, ...]) -> None:
        if self._active is not None and self._active.message_id == message_id:
            self._active.tool_cards = cards
        self._model.update_item(message_id, tool_cards=cards)

    def _on_worker_trimmed(self, request_id: int, dropped: int) -> None:
        if self._active is None or request_id != self._active.request_id:
            return
        row = self._model.row_of(self._active.message_id)
        notice = self.tr("{n} older messages no longer fit in the model's context window "
                         "and are not seen by the model.").format(n=dropped)
        if row is not None and row == self._model.rowCount() - 1:
            # Keep the notice above the reply it concerns.
            item = self._model.item(row)
            self._model.remove_from(row)
            self._model.append_notice(notice)
            self._model.append(item)
        else:
            self._model.append_notice(notice)

    # ---- internals ---------------------------------------------------------------

    def _history(self) -> tuple[ChatMessage, ...]:
        return tuple(
            ChatMessage(item.role, item.content)
            for item in self._model.items()
            if not item.notice and item.role in (Role.USER, Role.ASSISTANT) and item.content
        )

    def _start_reply(self, continue_item: ChatItem | None = None, *,
                     parent_id: ParentChoice = CURRENT) -> None:
        conversation = self._conversation
        if conversation is None or self.model_id is None:
            return
        try:
            if continue_item is None:
                message = self._store.begin_reply(conversation.id, parent_id=parent_id)
                item = ChatItem.from_stored(message)
                self._model.append(item)
                self._siblings = self._store.sibling_positions(conversation.id)
            else:
                item = continue_item
                # The continuation's writes carry the whole text, the unsaved part included.
                self._unsaved.pop(item.message_id, None)
                self._model.update_item(item.message_id, state=MessageState.STREAMING,
                                        error="", stats=None)
        except StorageError as exc:
            self.error_occurred.emit(str(exc))
            return
        request = GenerateRequest(
            request_id=next(self._request_ids),
            conversation_id=conversation.id,
            messages=self._history(),
            params=conversation.params,
            system_prompt=conversation.system_prompt,
            continue_reply=continue_item is not None,
        )
        self._active = _ActiveReply(request.request_id, conversation.id, item.message_id,
                                    prefix=continue_item.content if continue_item else "",
                                    thinking_prefix=continue_item.thinking if continue_item else "")
        if self.prepare_request is None:
            self._send_prepared(request)
        else:
            self.prepare_request(request, item.message_id, self._send_prepared)
        self.busy_changed.emit(True)

    def _send_prepared(self, request: GenerateRequest) -> None:
        """Send a request :attr:`prepare_request` finished, unless its reply ended meanwhile.

        With tools for the chat, the tool runner sends it (and the steps after it).
        """
        active = self._active
        if active is None or active.request_id != request.request_id:
            self._stopped.pop(request.request_id, None)  # stopped before it was sent
            return
        message_id = active.message_id
        if self.tool_runner is None or request.continue_reply or not self.tool_runner.start(
                request, message_id, lambda: next(self._request_ids),
                lambda step: self._send_step(step, message_id)):
            self._worker.generate(request)

    def _send_step(self, request: GenerateRequest, message_id: int) -> None:
        """Send a step of a reply's agent loop; its text goes on the same reply."""
        active = self._active
        if active is None or active.message_id != message_id:
            return
        active.request_id = request.request_id
        self._worker.generate(request)

    def _finish(self, state: MessageState, *, stats: ReplyStats | None, error: str = "") -> None:
        active = self._active
        if active is None:
            return
        self._active = None
        if self.tool_runner is not None:
            self.tool_runner.stop(active.message_id)  # a failed step ends its loop too
        content = active.content
        thinking = active.all_thinking
        self._store_final(active.message_id, _UnsavedReply(
            content, thinking, state, stats, error, cards_to_json(active.tool_cards)))
        self._model.update_item(active.message_id, content=content, state=state, stats=stats,
                                error=error)
        self.busy_changed.emit(False)
        if stats is not None:
            self.reply_stats.emit(stats)

    def _record_stopped_stats(self, reply: _ActiveReply, stats: ReplyStats) -> None:
        self._store_final(reply.message_id, _UnsavedReply(
            reply.content, reply.all_thinking, MessageState.STOPPED, stats, "",
            cards_to_json(reply.tool_cards)))
        self._model.update_item(reply.message_id, stats=stats)
        self.reply_stats.emit(stats)

    def _store_final(self, message_id: int, reply: _UnsavedReply) -> None:
        """Write a reply's final form; on failure keep it and retry (module docstring)."""
        try:
            self._store.finish_reply(message_id, reply.content, thinking=reply.thinking,
                                     state=reply.state, stats=reply.stats, error=reply.error,
                                     tool_calls=reply.tool_calls)
        except StorageError as exc:
            self._unsaved[message_id] = reply  # replaces an older unsaved form of it
            if not self._retry_timer.isActive():
                self.error_occurred.emit(self.tr(
                    "{e} The reply is kept on screen and saved as soon as that works again."
                ).format(e=exc))
                self._retry_timer.start()
            return
        self._unsaved.pop(message_id, None)
        if self._unsaved:
            self.save_unsaved()  # the disk works again: don't wait for the timer

    def _on_retry_timer_timeout(self) -> None:
        self.save_unsaved()


def read_only_message() -> str:
    """Why sending and editing are off; shown when the user tries anyway."""
    return QCoreApplication.translate(
        "ChatController",
        "This chat history is open read-only (it is from a newer Hearth): nothing can be sent "
        "or changed.")
