"""Drives the agent loop of a reply from the GUI thread: the model calls tools, the user approves.

The loop itself (:class:`~desktop_app.core.tools.agent.AgentLoop`) is a state
machine with no thread; this runner is its driver in the window. It takes the
engine events of the reply's steps from the worker's signals, shows every
call as a :class:`ToolCard`, asks the user through ``approval_requested``,
and runs the calls in a small thread pool so a slow tool never freezes the
window. A tool's result comes back to the GUI thread through a queued signal,
where the loop (which only the GUI thread touches) takes it.

The chat controller keeps the reply: it hands the first request to
:meth:`ToolRunner.start`, asks :meth:`ToolRunner.reply_finished` whether a
finished step was the end of the reply, and calls :meth:`ToolRunner.stop` on
Stop. Which tools a chat gets, and whether it gets any, is decided by the
callables passed in, built once in the composition root (``ui/app.py``).
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Signal

from desktop_app.core.engine.api import (
    GenerateRequest,
    ReplyFinished,
    ReplyStats,
    TokenChunk,
    ToolCall,
    ToolCallRequested,
)
from desktop_app.core.tools.agent import (
    Action,
    AgentLoop,
    ApprovalPolicy,
    AskApproval,
    CallRecord,
    CancelReply,
    Decision,
    Finished,
    Generate,
    RunTool,
)
from desktop_app.core.tools.budget import fit_budget
from desktop_app.core.tools.toolbox import DEFAULT_TIMEOUT, ToolBox, ToolResult
from desktop_app.ui.chat.cancellable_tools import CallScope, cancellable
from desktop_app.ui.chat.tool_card import CardStatus, ToolCard, pretty_arguments

log = logging.getLogger(__name__)

DEFAULT_TOOL_BUDGET = 1000
"""Tokens the tool descriptions may take in every prompt, unless the user sets another budget."""


ToolBoxFor = Callable[[int], ToolBox | None]
"""Conversation id -> the tools its replies may call, or None when tools are off for it."""


@dataclass
class _Run:
    """One reply's loop and what the runner knows beyond it (which call waits, which runs)."""

    loop: AgentLoop
    toolbox: ToolBox
    message_id: int
    send: Callable[[GenerateRequest], None]
    scope: CallScope
    waiting: str = ""
    running: str = ""
    future: concurrent.futures.Future[ToolResult] | None = None


class ToolRunner(QObject):
    """Runs the agent loops of replies (see the module docstring). GUI thread only.

    Signals:
        cards_changed(int, object): message id and its ``tuple[ToolCard, ...]``, after any change.
        approval_requested(int, object): message id and the ``ToolCard`` to allow or deny;
            answer with :meth:`approve`.
    """

    cards_changed = Signal(int, object)
    approval_requested = Signal(int, object)
    _tool_done = Signal(int, str, object)  # message id, call id, ToolResult (from the pool)

    def __init__(self, toolbox_for: ToolBoxFor, policy: ApprovalPolicy, *,
                 budget: Callable[[], int] = lambda: DEFAULT_TOOL_BUDGET,
                 on_always: Callable[[str], None] = lambda _tool: None,
                 max_workers: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._toolbox_for = toolbox_for
        self.policy = policy
        self._budget = budget
        self._on_always = on_always
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers, thread_name_prefix="hearth-tool")
        self._runs: dict[int, _Run] = {}  # by message id
        self._in_pool: set[concurrent.futures.Future[ToolResult]] = set()
        self._tool_done.connect(self._on_tool_done)

    # ---- from the chat controller --------------------------------------------

    def start(self, request: GenerateRequest, message_id: int,
              next_request_id: Callable[[], int],
              send: Callable[[GenerateRequest], None]) -> bool:
        """Run ``request``'s reply as an agent loop; False when the chat has no tools."""
        toolbox = self._toolbox_for(request.conversation_id)
        if toolbox is None or not toolbox.specs:
            return False
        choice = fit_budget(toolbox.specs, self._budget())
        if choice.left_out:
            log.info("tools left out by the budget: %s", ", ".join(choice.left_out))
        first = [request.request_id]

        def ids() -> int:  # the first step keeps the controller's id, so it knows the reply
            return first.pop() if first else next_request_id()

        scope = CallScope()
        toolbox = cancellable(toolbox, scope)
        loop = AgentLoop(replace(request, tools=choice.specs), toolbox, self.policy,
                         next_request_id=ids)
        run = self._runs[message_id] = _Run(loop, toolbox, message_id, send, scope)
        self._do(run, loop.start())
        return True

    def owns(self, request_id: int) -> bool:
        return any(run.loop.request_id == request_id for run in self._runs.values())

    def on_chunks(self, request_id: int, text: str) -> None:
        for run in list(self._runs.values()):
            self._do(run, run.loop.on_event(TokenChunk(request_id, text)))

    def on_tool_calls(self, request_id: int, calls: tuple[ToolCall, ...]) -> None:
        for run in list(self._runs.values()):
            self._do(run, run.loop.on_event(ToolCallRequested(request_id, calls)))

    def reply_finished(self, request_id: int, stats: ReplyStats) -> Finished | None:
        """A step ended: the loop's end (the reply is over), or None while it goes on.

        Only for a request :meth:`owns`.
        """
        for run in list(self._runs.values()):
            if run.loop.request_id == request_id:
                self._do(run, run.loop.on_event(ReplyFinished(request_id, stats)))
                return run.loop.finished
        return None

    def stop(self, message_id: int) -> bool:
        """Stop (or forget, once the reply ended otherwise) the reply's loop.

        True when no engine request of it was running (it waited for the user or a
        tool), so there is no reply for the controller to cancel.
        """
        run = self._runs.pop(message_id, None)
        if run is None:
            return False
        between_steps = run.loop.request_id is None
        run.loop.stop()  # its CancelReply is the controller's to send: it cancels the reply
        run.scope.cancel()  # a running MCP call ends now, freeing its pool thread
        if run.future is not None:
            run.future.cancel()
        run.waiting = run.running = ""
        self._emit_cards(run)
        return between_steps

    def approve(self, message_id: int, call_id: str, decision: Decision) -> None:
        """The user's answer to ``approval_requested``."""
        run = self._runs.get(message_id)
        if run is None or run.waiting != call_id:
            return
        run.waiting = ""
        if decision == Decision.ALLOW_ALWAYS:
            name = next((r.call.name for r in self._records(run) if r.call.id == call_id), "")
            if name:
                self._on_always(name)
        self._do(run, run.loop.on_approval(call_id, decision))

    @property
    def calls_in_pool(self) -> int:
        """Tool calls still holding a pool thread (Stop frees MCP calls at once)."""
        return sum(1 for future in self._in_pool if not future.done())

    def cards(self, message_id: int) -> tuple[ToolCard, ...]:
        run = self._runs.get(message_id)
        return () if run is None else self._cards(run)

    def shutdown(self) -> None:
        """Abandon every loop and the pool's queued calls (Hearth is quitting)."""
        for message_id in list(self._runs):
            self.stop(message_id)
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ---- the loop's actions -------------------------------------------------------

    def _do(self, run: _Run, actions: list[Action]) -> None:
        if not actions:
            return
        for action in actions:
            match action:
                case Generate(request=request):
                    run.send(request)
                case AskApproval(call=call):
                    run.waiting = call.id
                    self._emit_cards(run)
                    card = next(c for c in self._cards(run) if c.call_id == call.id)
                    self.approval_requested.emit(run.message_id, card)
                case RunTool(call=call):
                    run.running = call.id
                    run.future = self._pool.submit(run.toolbox.run, call, DEFAULT_TIMEOUT)
                    self._in_pool = {f for f in self._in_pool if not f.done()} | {run.future}
                    run.future.add_done_callback(
                        functools.partial(self._report, message_id=run.message_id,
                                          call_id=call.id))
                case CancelReply():
                    pass  # only after stop(); the controller cancels the reply itself
                case Finished():
                    self._runs.pop(run.message_id, None)
                    run.waiting = run.running = ""
        self._emit_cards(run)

    def _report(self, future: concurrent.futures.Future[ToolResult], message_id: int,
                call_id: str) -> None:
        """In a pool thread: hand the result to the GUI thread (a queued signal)."""
        if future.cancelled():
            return
        exc = future.exception()
        result = future.result() if exc is None else ToolResult(
            f"The tool failed: {type(exc).__name__}: {exc}", True)
        self._tool_done.emit(message_id, call_id, result)

    def _on_tool_done(self, message_id: int, call_id: str, result: ToolResult) -> None:
        run = self._runs.get(message_id)
        if run is None or run.running != call_id:
            return  # stopped meanwhile: a late result is dropped
        run.running = ""
        run.future = None
        self._do(run, run.loop.on_tool_result(call_id, result))

    # ---- cards -------------------------------------------------------------------

    def _records(self, run: _Run) -> list[CallRecord]:
        return [record for step in run.loop.steps for record in step.calls]

    def _cards(self, run: _Run) -> tuple[ToolCard, ...]:
        return tuple(self._card(run, record) for record in self._records(run))

    def _card(self, run: _Run, record: CallRecord) -> ToolCard:
        call, result = record.call, record.result
        if result is None:
            status = CardStatus.RUNNING if call.id == run.running else CardStatus.WAITING
            text, seconds = "", 0.0
        else:
            status = (CardStatus.DENIED if record.decision == Decision.DENY
                      else CardStatus.FAILED if result.is_error else CardStatus.DONE)
            text, seconds = result.text, result.seconds
        return ToolCard(call.id, call.name, record.source, pretty_arguments(call), status,
                        text, seconds)

    def _emit_cards(self, run: _Run) -> None:
        self.cards_changed.emit(run.message_id, self._cards(run))
