"""The agent loop: the model calls tools, the user approves, results go back, the model goes on.

It is a state machine, not a thread. The GUI already has a worker that sends
engine requests and receives engine events; the loop plugs into that: the
driver feeds it what happened (:meth:`AgentLoop.on_event`,
:meth:`~AgentLoop.on_approval`, :meth:`~AgentLoop.on_tool_result`,
:meth:`~AgentLoop.stop`) and does what it answers, a list of actions:

==================  ==========================================================
``Generate``        send this request to the engine
``AskApproval``     show the call and ask the user (answer with ``on_approval``)
``RunTool``         run the call off the GUI thread (``ToolBox.run``), answer
                    with ``on_tool_result``
``CancelReply``     cancel this engine request (Stop while it streams)
``Finished``        the loop is over: why, and a message for the user if any
==================  ==========================================================

So nothing blocks, a modal dialog or a slow tool never holds the engine
worker, and Stop works at every point: while the model writes, while a
dialog is open, while a tool runs (the driver cancels its future; a late
result is ignored). :func:`run_blocking` drives the loop on one thread with
an engine and a callback, for tests, benchmarks and the CLI.

Approval is decided outside the model's reach. :class:`ApprovalPolicy` is
changed only by :meth:`AgentLoop.on_approval`, which only the driver calls,
with the user's choice; nothing a model writes and nothing a tool returns
is ever read as a decision. Tool output goes back to the model fenced as
data (:func:`~desktop_app.core.tools.formats.frame_result`). A call that was
denied, that could not be read or that names no tool is answered with a
result saying so, and the model continues.

Every model turn is a :class:`AgentStep` with its tokens (the engine's
stats), its time, and its calls with their decision, result and duration.
At most ``max_steps`` turns may call tools; a model that still asks after
that is stopped with :data:`STEP_LIMIT_TEXT`.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from desktop_app.core.engine.api import (
    ChatMessage,
    ContextTrimmed,
    Engine,
    EngineCrashed,
    EngineEvent,
    GenerateRequest,
    GenerationFailed,
    ReplyFinished,
    ReplyStats,
    Role,
    StopReason,
    TokenChunk,
    ToolCall,
    ToolCallRequested,
)
from desktop_app.core.tools.formats import frame_result
from desktop_app.core.tools.toolbox import ToolBox, ToolResult
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserText, user_text

DEFAULT_MAX_STEPS = 8

STEP_LIMIT_TEXT = QT_TRANSLATE_NOOP(
    "core", "Stopped after {steps} rounds of tool calls, the limit for one message. "
            "Send another message to let the model continue.")
DENIED_RESULT = "The user denied this tool call. Do not try it again; answer without it."


class Decision(StrEnum):
    ALLOW_ONCE = "allow_once"
    ALLOW_CHAT = "allow_chat"      # this tool, for the rest of this conversation
    ALLOW_ALWAYS = "allow_always"  # this tool, from now on (the GUI saves the policy)
    DENY = "deny"


class Outcome(StrEnum):
    ANSWERED = "answered"      # the model gave a final answer
    STOPPED = "stopped"        # the user pressed Stop
    STEP_LIMIT = "step_limit"
    FAILED = "failed"          # the engine failed or crashed


class ApprovalPolicy:
    """Which tools run without asking: always (saved by the GUI), or for one conversation.

    The default is to ask. Only :meth:`record`, called with the user's own
    choice, ever widens it.
    """

    def __init__(self, always: Iterable[str] = ()) -> None:
        self._always = set(always)
        self._per_chat: dict[int, set[str]] = collections.defaultdict(set)
        self._lock = threading.Lock()

    @property
    def always(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._always)

    def allows(self, conversation_id: int, tool: str) -> bool:
        with self._lock:
            return tool in self._always or tool in self._per_chat.get(conversation_id, ())

    def record(self, conversation_id: int, tool: str, decision: Decision) -> None:
        with self._lock:
            if decision == Decision.ALLOW_ALWAYS:
                self._always.add(tool)
            elif decision == Decision.ALLOW_CHAT:
                self._per_chat[conversation_id].add(tool)

    def revoke(self, tool: str) -> None:
        """Ask again for ``tool`` (the settings page's "always allowed" list)."""
        with self._lock:
            self._always.discard(tool)
            for tools in self._per_chat.values():
                tools.discard(tool)


# ---- actions -----------------------------------------------------------------


@dataclass(frozen=True)
class Generate:
    request: GenerateRequest


@dataclass(frozen=True)
class AskApproval:
    call: ToolCall
    source: str  # "Hearth" or the MCP server's name, for the card


@dataclass(frozen=True)
class RunTool:
    call: ToolCall


@dataclass(frozen=True)
class CancelReply:
    request_id: int


@dataclass(frozen=True)
class Finished:
    outcome: Outcome
    message: UserText | str | None = None


Action = Generate | AskApproval | RunTool | CancelReply | Finished


# ---- the record ----------------------------------------------------------------


@dataclass
class CallRecord:
    """One call in a step: what the user decided, what came back, and how long it took."""

    call: ToolCall
    source: str = ""
    decision: Decision | None = None   # None: allowed by the policy, or never run
    result: ToolResult | None = None


@dataclass
class AgentStep:
    """One model turn of the loop."""

    request_id: int
    started: float
    seconds: float = 0.0
    stats: ReplyStats | None = None
    text: str = ""
    calls: list[CallRecord] = field(default_factory=list)


class _State(StrEnum):
    IDLE = "idle"
    GENERATING = "generating"
    APPROVING = "approving"
    RUNNING = "running"
    DONE = "done"


class AgentLoop:
    """One user message's agent run (see the module docstring).

    ``request`` is the message's request (its ``request_id`` is replaced by one
    from ``next_request_id`` per step); ``toolbox`` gives the tools (their
    specs go into every request unless ``request.tools`` already names a
    budgeted selection); ``first_call_required``: the first turn must call a
    tool (the user picked "use tools" for this message; small models rarely
    decide to by themselves); ``clock`` is for tests.
    """

    def __init__(self, request: GenerateRequest, toolbox: ToolBox, policy: ApprovalPolicy, *,
                 next_request_id: Callable[[], int], max_steps: int = DEFAULT_MAX_STEPS,
                 first_call_required: bool = False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._base = request if request.tools else replace(request, tools=toolbox.specs)
        self._toolbox = toolbox
        self._policy = policy
        self._next_id = next_request_id
        self._max_steps = max_steps
        self._first_call_required = first_call_required
        self._clock = clock
        self._state = _State.IDLE
        self.steps: list[AgentStep] = []
        self.new_messages: list[ChatMessage] = []
        """The turns this run added after the user's message: calls, results, the answer."""
        self.finished: Finished | None = None
        self._pending: collections.deque[CallRecord] = collections.deque()
        self._current: CallRecord | None = None
        self._calls: tuple[ToolCall, ...] = ()

    # ---- inputs ------------------------------------------------------------------

    @property
    def request_id(self) -> int | None:
        """The engine request now streaming, if any."""
        return self.steps[-1].request_id if self._state == _State.GENERATING else None

    @property
    def tool_rounds(self) -> int:
        return sum(1 for step in self.steps if step.calls)

    def start(self) -> list[Action]:
        assert self._state == _State.IDLE, "an agent loop runs once"
        return [self._generate()]

    def on_event(self, event: EngineEvent) -> list[Action]:
        """An engine event; events of other requests (or after the end) are ignored."""
        if self._state != _State.GENERATING or getattr(event, "request_id", None) != \
                self.steps[-1].request_id:
            return []
        step = self.steps[-1]
        match event:
            case TokenChunk(thinking=False, text=text):
                step.text += text
            case ToolCallRequested(calls=calls):
                self._calls += calls
            case ContextTrimmed():
                pass
            case ReplyFinished(stats=stats):
                step.stats = stats
                step.seconds = self._clock() - step.started
                return self._reply_finished(step, stats)
            case GenerationFailed(message=message) | EngineCrashed(message=message):
                step.seconds = self._clock() - step.started
                return self._finish(Outcome.FAILED, message)
        return []

    def on_approval(self, call_id: str, decision: Decision) -> list[Action]:
        """The user's answer to an :class:`AskApproval`."""
        record = self._current
        if self._state != _State.APPROVING or record is None or record.call.id != call_id:
            return []
        record.decision = decision
        self._policy.record(self._base.conversation_id, record.call.name, decision)
        if decision == Decision.DENY:
            return self._settle(record, ToolResult(DENIED_RESULT, is_error=True))
        self._state = _State.RUNNING
        return [RunTool(record.call)]

    def on_tool_result(self, call_id: str, result: ToolResult) -> list[Action]:
        """A :class:`RunTool` finished (late results, after Stop, are ignored)."""
        record = self._current
        if self._state != _State.RUNNING or record is None or record.call.id != call_id:
            return []
        return self._settle(record, result)

    def stop(self) -> list[Action]:
        """The user pressed Stop: end now, cancelling the reply if one streams."""
        if self._state == _State.DONE:
            return []
        actions: list[Action] = []
        if self._state == _State.GENERATING:
            step = self.steps[-1]
            step.seconds = self._clock() - step.started
            actions.append(CancelReply(step.request_id))
            if step.text.strip():
                self.new_messages.append(ChatMessage(Role.ASSISTANT, step.text))
        return actions + self._finish(Outcome.STOPPED)

    # ---- transitions -----------------------------------------------------------------

    def _generate(self) -> Generate:
        required = self._first_call_required and not self.steps
        request = replace(self._base, request_id=self._next_id(),
                          messages=self._base.messages + tuple(self.new_messages),
                          tool_choice="required" if required else self._base.tool_choice)
        self.steps.append(AgentStep(request.request_id, self._clock()))
        self._calls = ()
        self._state = _State.GENERATING
        return Generate(request)

    def _reply_finished(self, step: AgentStep, stats: ReplyStats) -> list[Action]:
        calls = self._calls
        if stats.stop_reason == StopReason.CANCELLED:
            if step.text.strip():
                self.new_messages.append(ChatMessage(Role.ASSISTANT, step.text))
            return self._finish(Outcome.STOPPED)
        if not calls:
            self.new_messages.append(ChatMessage(Role.ASSISTANT, step.text))
            return self._finish(Outcome.ANSWERED)
        if self.tool_rounds >= self._max_steps:
            if step.text.strip():
                self.new_messages.append(ChatMessage(Role.ASSISTANT, step.text))
            return self._finish(Outcome.STEP_LIMIT, user_text(
                "agent.step_limit", STEP_LIMIT_TEXT, steps=self._max_steps))
        self.new_messages.append(ChatMessage(Role.ASSISTANT, step.text, tool_calls=calls))
        for call in calls:
            tool = self._toolbox.get(call.name)
            record = CallRecord(call, tool.source if tool is not None else "")
            step.calls.append(record)
            self._pending.append(record)
        return self._next_call()

    def _next_call(self) -> list[Action]:
        while self._pending:
            record = self._pending.popleft()
            self._current = record
            call = record.call
            if call.error or self._toolbox.get(call.name) is None:
                # Nothing would run: the toolbox's answer says what was wrong, no approval needed.
                self._settle_quietly(record, self._toolbox.run(call))
                continue
            if self._policy.allows(self._base.conversation_id, call.name):
                self._state = _State.RUNNING
                return [RunTool(call)]
            self._state = _State.APPROVING
            return [AskApproval(call, record.source)]
        self._current = None
        return [self._generate()]

    def _settle_quietly(self, record: CallRecord, result: ToolResult) -> None:
        record.result = result
        self.new_messages.append(ChatMessage(
            Role.TOOL, frame_result(record.call.name, result.text, error=result.is_error),
            tool_call_id=record.call.id, name=record.call.name))

    def _settle(self, record: CallRecord, result: ToolResult) -> list[Action]:
        self._settle_quietly(record, result)
        return self._next_call()

    def _finish(self, outcome: Outcome, message: UserText | str | None = None) -> list[Action]:
        self._state = _State.DONE
        self._pending.clear()
        self._current = None
        self.finished = Finished(outcome, message)
        return [self.finished]


def run_blocking(loop: AgentLoop, engine: Engine, toolbox: ToolBox,
                 approve: Callable[[AskApproval], Decision], *,
                 stop: threading.Event | None = None, timeout: float = 300.0,
                 tool_timeout: float = 60.0,
                 on_event: Callable[[EngineEvent], None] = lambda _event: None) -> Finished:
    """Drive ``loop`` to its end on this thread (tests, benchmarks, the CLI).

    ``approve`` answers each approval; ``stop`` set from another thread is
    the Stop button; ``on_event`` sees every engine event (to print tokens).
    """
    stop = stop or threading.Event()
    deadline = time.monotonic() + timeout
    actions = collections.deque(loop.start())
    while True:
        while actions:
            action = actions.popleft()
            match action:
                case Generate(request=request):
                    engine.generate(request)
                case AskApproval():
                    actions += loop.on_approval(action.call.id, approve(action))
                case RunTool(call=call):
                    actions += loop.on_tool_result(call.id, toolbox.run(call, tool_timeout))
                case CancelReply(request_id=rid):
                    engine.cancel(rid)
                case Finished():
                    return action
            if stop.is_set():
                actions += loop.stop()
        if stop.is_set():
            actions += loop.stop()
            continue
        if time.monotonic() > deadline:
            actions += loop.stop()
            continue
        for event in engine.poll_events(0.05):
            on_event(event)
            actions += loop.on_event(event)
