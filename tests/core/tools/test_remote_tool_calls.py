"""Remote OpenAI-compatible servers: tools sent in the API's fields, streamed tool_calls joined."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from desktop_app.core.engine.api import (
    ChatMessage,
    GenerateRequest,
    ReplyFinished,
    Role,
    TokenChunk,
    ToolCall,
    ToolCallRequested,
    ToolSpec,
)
from desktop_app.core.remote.engine import RemoteEngine
from desktop_app.core.tools.formats import frame_result
from tests.core.remote.conftest import FAST, config_for, load, wait_for
from tests.core.remote.fault_server import FaultServer, Handler, chunk

CALC = ToolSpec("calculator", "Arithmetic.",
                '{"type": "object", "properties": {"expression": {"type": "string"}}}')


def _call_delta(index: int, *, id: str | None = None, name: str | None = None,
                arguments: str | None = None) -> dict[str, Any]:
    fragment: dict[str, Any] = {"index": index}
    if id is not None:
        fragment["id"] = id
        fragment["type"] = "function"
    function: dict[str, str] = {}
    if name is not None:
        function["name"] = name
    if arguments is not None:
        function["arguments"] = arguments
    fragment["function"] = function
    return {"object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"tool_calls": [fragment]},
                         "finish_reason": None}]}


class ToolHandler(Handler):
    """The fault server, plus models that answer with streamed tool calls."""

    def stream(self, model: str, completions: bool) -> None:
        if model == "tools":
            self._event(chunk("Let me check."))
            self._event(_call_delta(0, id="call_a", name="calculator", arguments=""))
            for piece in ('{"expr', 'ession": ', '"17*', '23"}'):
                self._event(_call_delta(0, arguments=piece))
            self._event(_call_delta(1, id="call_b", name="calculator",
                                    arguments='{"expression": "1+'))
            self._event(_call_delta(1, arguments='1"}'))
            self._event(chunk(finish="tool_calls"))
            self._end_stream()
        elif model == "badtools":
            self._event(_call_delta(0, id="call_x", name="calculator", arguments='{"a": '))
            self._event(chunk(finish="tool_calls"))
            self._end_stream()
        else:
            super().stream(model, completions)


@pytest.fixture
def remote() -> Iterator[tuple[RemoteEngine, FaultServer]]:
    with FaultServer() as server:
        server.RequestHandlerClass = ToolHandler
        engine = RemoteEngine(config_for(server.base_url), None, timeouts=FAST)
        try:
            yield engine, server
        finally:
            engine.shutdown()


def _ask(engine: RemoteEngine, model: str, messages: tuple[ChatMessage, ...]) -> list[Any]:
    load(engine)
    engine._model = model
    engine.generate(GenerateRequest(request_id=5, conversation_id=1, messages=messages,
                                    tools=(CALC,)))
    return wait_for(engine, ReplyFinished, request_id=5)


def test_streamed_tool_calls_are_joined(remote: tuple[RemoteEngine, FaultServer]) -> None:
    engine, server = remote
    events = _ask(engine, "tools", (ChatMessage(Role.USER, "17*23 and 1+1?"),))
    text = "".join(e.text for e in events if isinstance(e, TokenChunk))
    assert text == "Let me check."
    [requested] = [e for e in events if isinstance(e, ToolCallRequested)]
    assert [(c.id, c.name, json.loads(c.arguments)) for c in requested.calls] == [
        ("call_a", "calculator", {"expression": "17*23"}),
        ("call_b", "calculator", {"expression": "1+1"})]
    assert events.index(requested) < len(events) - 1  # before ReplyFinished
    body = server.requests[-1]
    assert body["tools"] == [{"type": "function", "function": {
        "name": "calculator", "description": "Arithmetic.",
        "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}}}}]


def test_history_with_calls_and_results_uses_the_api_layout(
        remote: tuple[RemoteEngine, FaultServer]) -> None:
    engine, server = remote
    call = ToolCall("call_a", "calculator", '{"expression": "17*23"}')
    broken = ToolCall("call_b", "calculator", "{}", error="malformed JSON")
    history = (ChatMessage(Role.USER, "17*23?"),
               ChatMessage(Role.ASSISTANT, "", tool_calls=(call, broken)),
               ChatMessage(Role.TOOL, frame_result("calculator", "391"), tool_call_id="call_a",
                           name="calculator"))
    _ask(engine, "ok", history)
    messages = server.requests[-1]["messages"]
    assert messages[1] == {"role": "assistant", "content": "", "tool_calls": [
        {"id": "call_a", "type": "function",
         "function": {"name": "calculator", "arguments": '{"expression": "17*23"}'}}]}
    assert messages[2]["role"] == "tool"
    assert messages[2]["tool_call_id"] == "call_a"
    assert "391" in messages[2]["content"]


def test_malformed_streamed_arguments_become_a_failed_call(
        remote: tuple[RemoteEngine, FaultServer]) -> None:
    engine, _ = remote
    events = _ask(engine, "badtools", (ChatMessage(Role.USER, "?"),))
    [requested] = [e for e in events if isinstance(e, ToolCallRequested)]
    [call] = requested.calls
    assert call.error == "malformed JSON arguments"
    assert call.raw == '{"a":'


def test_no_tools_no_tools_field(remote: tuple[RemoteEngine, FaultServer]) -> None:
    engine, server = remote
    load(engine)
    engine.generate(GenerateRequest(request_id=6, conversation_id=1,
                                    messages=(ChatMessage(Role.USER, "Hi"),)))
    events = wait_for(engine, ReplyFinished, request_id=6)
    assert "tools" not in server.requests[-1]
    assert not any(isinstance(e, ToolCallRequested) for e in events)


def test_a_required_call_is_asked_of_the_server(remote: tuple[RemoteEngine, FaultServer]) -> None:
    engine, server = remote
    load(engine)
    engine._model = "tools"
    engine.generate(GenerateRequest(request_id=7, conversation_id=1, tools=(CALC,),
                                    tool_choice="required",
                                    messages=(ChatMessage(Role.USER, "17*23"),)))
    wait_for(engine, ReplyFinished, request_id=7)
    assert server.requests[-1]["tool_choice"] == "required"
    _ask(engine, "tools", (ChatMessage(Role.USER, "again"),))
    assert "tool_choice" not in server.requests[-1]  # "auto" is the API's default
