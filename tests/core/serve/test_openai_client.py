"""The official ``openai`` client against the API server on the real starter model.

One server for the module: loading the model and starting uvicorn once keeps
these end-to-end checks lean on a small machine.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Iterator

import openai
import pytest

from desktop_app.core.engine.api import (
    ChatMessage,
    GenerateRequest,
    ReplyFinished,
    Role,
    SamplingParams,
    TokenChunk,
)
from desktop_app.core.engine.process import LocalEngine
from desktop_app.core.models.starter_model import starter_path
from desktop_app.core.serve.app import EMBEDDING_MODEL
from tests.core.serve.serve_stack import KEY, Stack, serve_stack

pytestmark = pytest.mark.slow

MODEL = starter_path().stem
QUESTION = [{"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is the capital of France?"}]
GREEDY = {"temperature": 0, "seed": 42, "max_tokens": 24, "frequency_penalty": 0}


@pytest.fixture(autouse=True)
def no_engine_process_left_behind() -> Iterator[None]:
    """The module's engine lives across its tests: checked once at the end (``stack``)."""
    return


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with serve_stack(LocalEngine(), str(starter_path()), n_ctx=2048) as stack:
        yield stack
    leftover = [p for p in multiprocessing.active_children() if p.name == "hearth-engine"]
    assert not leftover, f"engine processes left running: {leftover}"


@pytest.fixture(scope="module")
def client(stack: Stack) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=stack.server.address, api_key=KEY, max_retries=0,
                       timeout=60) as client:
        yield client


def test_models_lists_the_loaded_model(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == [MODEL, EMBEDDING_MODEL]


def test_chat_completion_answers_and_is_deterministic(client: openai.OpenAI) -> None:
    first = client.chat.completions.create(model=MODEL, messages=QUESTION,  # type: ignore[arg-type]
                                           **GREEDY)
    choice = first.choices[0]
    assert "Paris" in (choice.message.content or "")
    assert choice.message.role == "assistant"
    assert choice.finish_reason in ("stop", "length")
    assert first.usage is not None
    assert first.usage.completion_tokens > 0
    assert first.usage.total_tokens == first.usage.prompt_tokens + first.usage.completion_tokens
    again = client.chat.completions.create(model=MODEL, messages=QUESTION,  # type: ignore[arg-type]
                                           **GREEDY)
    assert again.choices[0].message.content == choice.message.content


def test_streamed_chat_matches_and_ends_with_usage(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(model=MODEL, messages=QUESTION,  # type: ignore[arg-type]
                                           **GREEDY).choices[0].message.content
    stream = client.chat.completions.create(
        model=MODEL, messages=QUESTION, stream=True,  # type: ignore[arg-type]
        stream_options={"include_usage": True}, **GREEDY)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole
    assert chunks[0].choices[0].delta.role == "assistant"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] in ("stop", "length")
    assert not any(finishes[:-1])
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens > 0


def test_max_tokens_ends_with_length(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Tell me a long story."}],
        temperature=0, seed=1, max_tokens=5)
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage is not None
    assert reply.usage.completion_tokens == 5


def test_raw_completions_stream_and_not(client: openai.OpenAI) -> None:
    whole = client.completions.create(model=MODEL, prompt="The capital of France is",
                                      temperature=0, seed=5, max_tokens=8)
    assert "Paris" in whole.choices[0].text
    assert whole.usage is not None
    assert whole.usage.prompt_tokens <= 7
    streamed = client.completions.create(model=MODEL, prompt="The capital of France is",
                                         temperature=0, seed=5, max_tokens=8, stream=True)
    assert "".join(c.choices[0].text for c in streamed if c.choices) == whole.choices[0].text


def test_errors_reach_the_client_as_openai_errors(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=QUESTION)  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError, match="Temperature"):
        client.chat.completions.create(model=MODEL, messages=QUESTION,  # type: ignore[arg-type]
                                       temperature=7)
    with pytest.raises(openai.BadRequestError, match="too long"):
        client.completions.create(model=MODEL, prompt="word " * 5000, max_tokens=4)
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=client.base_url, api_key="wrong", max_retries=0).models.list()


def test_the_chat_and_an_api_request_share_the_engine_fairly(stack: Stack,
                                                             client: openai.OpenAI) -> None:
    """A GUI-style broker client and API requests run at once; all of them complete."""
    api_texts: list[str] = []

    def api_call() -> None:
        reply = client.chat.completions.create(
            model=MODEL, messages=QUESTION, temperature=0, seed=2,  # type: ignore[arg-type]
            max_tokens=32)
        api_texts.append(reply.choices[0].message.content or "")

    threads = [threading.Thread(target=api_call) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)  # the API's requests go first; the chat's must not wait for all three
    stack.gui.generate(GenerateRequest(
        request_id=1, conversation_id=9, messages=(ChatMessage(Role.USER, "Say hello."),),
        params=SamplingParams(temperature=0, seed=3, max_tokens=16)))
    gui_text: list[str] = []
    deadline = time.monotonic() + 120
    gui_done_at = None
    while gui_done_at is None and time.monotonic() < deadline:
        for event in stack.gui.poll_events(0.2):
            if isinstance(event, TokenChunk):
                gui_text.append(event.text)
            elif isinstance(event, ReplyFinished):
                gui_done_at = len(api_texts)
    for thread in threads:
        thread.join(120)
    assert gui_done_at is not None
    assert "".join(gui_text)
    assert gui_done_at < 3, "the chat waited for every API request"
    assert len(api_texts) == 3
    assert all("Paris" in t for t in api_texts)
