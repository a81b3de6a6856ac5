"""The real starter model (SmolLM2 135M, ChatML) with tools, through the real engine process.

A 135M model is no reliable tool user; what must hold whatever it writes:
its template gets the tools (by the fallback convention, as its ChatML
template ignores ``tools``), the engine's parser turns any call it makes into
a ToolCallRequested and never shows call markup as text, and the agent loop
runs to an end with every step counted.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from desktop_app.core.engine.api import (
    ChatMessage,
    GenerateRequest,
    LoadFailed,
    LoadOptions,
    ModelLoaded,
    Role,
    SamplingParams,
    TokenChunk,
    ToolCallRequested,
)
from desktop_app.core.engine.process import LocalEngine
from desktop_app.core.engine.prompt import ChatFormatter
from desktop_app.core.models.gguf import read_model_info
from desktop_app.core.models.starter_model import starter_path
from desktop_app.core.tools.agent import AgentLoop, ApprovalPolicy, Decision, Outcome, run_blocking
from desktop_app.core.tools.builtin.calculator import Calculator
from desktop_app.core.tools.builtin.clock import Clock
from desktop_app.core.tools.formats import FALLBACK_OPEN, ToolFormat
from desktop_app.core.tools.toolbox import ToolBox
from tests.core.engine.engine_driver import collect

pytestmark = pytest.mark.slow

QUESTION = "Use the calculator tool to compute 1234 * 5678."


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    eng = LocalEngine()
    eng.load(LoadOptions(model_path=str(starter_path()), n_ctx=2048))
    loaded = collect(eng, lambda e: isinstance(e, ModelLoaded | LoadFailed))[-1]
    assert isinstance(loaded, ModelLoaded), loaded
    yield eng
    eng.shutdown()


def test_its_template_gets_the_tools() -> None:
    info = read_model_info([starter_path()])
    formatter = ChatFormatter(model_name="SmolLM2", template=info.chat_template,
                              architecture=info.architecture)
    assert formatter.tool_format == ToolFormat.FALLBACK
    box = ToolBox([Calculator(), Clock()])
    text = formatter.render([ChatMessage(Role.USER, QUESTION)], "You are a helpful assistant.",
                            tools=box.specs).text
    assert text.startswith("<|im_start|>system\nYou are a helpful assistant.\n\nYou can use "
                           "tools.")
    assert '{"name": "calculator", "description": "Evaluate an arithmetic' in text
    assert text.endswith("<|im_start|>user\n" + QUESTION + "<|im_end|>\n<|im_start|>assistant\n")


def test_agent_loop_with_the_real_model(engine: LocalEngine) -> None:
    box = ToolBox([Calculator(), Clock()])
    request = GenerateRequest(
        request_id=0, conversation_id=1, messages=(ChatMessage(Role.USER, QUESTION),),
        params=SamplingParams(temperature=0.0, max_tokens=96, repeat_penalty=1.0),
        system_prompt="You are a helpful assistant.")
    ids = itertools.count(1)
    loop = AgentLoop(request, box, ApprovalPolicy(), next_request_id=lambda: next(ids),
                     max_steps=2)
    events: list[object] = []
    finished = run_blocking(loop, engine, box, lambda ask: Decision.ALLOW_ONCE, timeout=240,
                            on_event=events.append)
    assert finished.outcome in (Outcome.ANSWERED, Outcome.STEP_LIMIT), finished
    shown = "".join(e.text for e in events if isinstance(e, TokenChunk))
    assert FALLBACK_OPEN not in shown
    assert "<tool_call>" not in shown
    requested = [e for e in events if isinstance(e, ToolCallRequested)]
    assert len(loop.steps) == 1 + len(requested)
    for step in loop.steps:
        assert step.stats is not None
        assert step.stats.completion_tokens > 0
        assert step.stats.prompt_tokens > 200  # the tool instructions are in every prompt
        assert step.seconds > 0
    for step, calls in zip(loop.steps, requested, strict=False):
        assert [r.call for r in step.calls] == list(calls.calls)
        assert all(r.result is not None for r in step.calls)  # every call was answered


def test_a_required_call_is_grammar_constrained_and_runs(engine: LocalEngine) -> None:
    """Even the 135M model makes a valid call when the grammar allows nothing else, and the
    loop then feeds the result back for an answer."""
    box = ToolBox([Calculator(), Clock()])
    request = GenerateRequest(
        request_id=0, conversation_id=1, messages=(ChatMessage(Role.USER, QUESTION),),
        params=SamplingParams(temperature=0.0, max_tokens=96, repeat_penalty=1.0),
        system_prompt="You are a helpful assistant.")
    ids = itertools.count(1)
    loop = AgentLoop(request, box, ApprovalPolicy(), next_request_id=lambda: next(ids),
                     max_steps=1, first_call_required=True)
    events: list[object] = []
    asked: list[str] = []

    def approve(ask: object) -> Decision:
        asked.append(ask.call.name)  # type: ignore[attr-defined]
        return Decision.ALLOW_ONCE

    finished = run_blocking(loop, engine, box, approve, timeout=240, on_event=events.append)
    first = loop.steps[0]
    assert first.text == ""  # the call is not shown as text
    [record] = first.calls
    assert not record.call.error, record.call
    assert record.call.name in ("calculator", "get_current_time")
    assert asked == [record.call.name]
    assert record.result is not None
    # The result went back to the model, which then answered (or asked again: the limit).
    assert finished.outcome in (Outcome.ANSWERED, Outcome.STEP_LIMIT)
    assert len(loop.steps) == 2
    tool_turns = [m for m in loop.new_messages if m.role == Role.TOOL]
    assert tool_turns[0].tool_call_id == record.call.id
