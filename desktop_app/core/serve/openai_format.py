"""OpenAI's request and response shapes, and how their parameters map onto Hearth's.

Request bodies are untrusted: every field is type-checked here, and a wrong
one becomes :class:`ApiError` (HTTP 400 with OpenAI's error shape), never an
exception from deep inside. Fields Hearth does not implement but that do not
change the shape of the answer (``user``, ``logit_bias``, ``tools`` without a
tool call, ...) are ignored, as llama.cpp's server does; fields that would
change it (``n`` > 1, ``echo``, ``logprobs``) are refused.

Parameter decisions (documented for API users in ``ApiServer``):

* Unset sampling parameters take Hearth's defaults (:class:`SamplingParams`),
  the same as a new chat in the window, not OpenAI's (temperature 1, no
  top-k/min-p), which suit small local models badly.
* ``top_k``, ``min_p`` and ``repeat_penalty`` are accepted as extensions (as
  llama.cpp's server does). OpenAI's ``frequency_penalty`` (-2..2, 0 = off)
  maps to ``repeat_penalty = 1 + frequency_penalty / 2`` (0..2, 1 = off) when
  ``repeat_penalty`` is not given; ``presence_penalty`` is accepted and ignored.
* ``max_tokens`` (or ``max_completion_tokens``) above the server's
  ``max_tokens_limit`` is refused with 400 rather than clamped, so a client
  never silently gets a shorter answer than it asked for; unset means the limit.
"""

from __future__ import annotations

import math
import time
import uuid
from base64 import b64encode
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from desktop_app.core.engine.api import (
    ChatMessage,
    ParameterError,
    ReplyStats,
    Role,
    SamplingParams,
    StopReason,
)

MAX_STOP_STRINGS = 16
MAX_STOP_CHARS = 256


class ApiError(Exception):
    """An answer other than 200, in OpenAI's error shape."""

    def __init__(self, status: int, message: str, type_: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        return error_body(self.message, self.type, self.code, self.param)


def error_body(message: str, type_: str, code: str | None = None,
               param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "code": code, "param": param}}


def _bad(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, message, code="invalid_parameter" if param else None, param=param)


@dataclass(frozen=True)
class CompletionJob:
    """One parsed request: what to generate and how to answer."""

    model: str | None
    params: SamplingParams
    stream: bool
    include_usage: bool
    messages: tuple[ChatMessage, ...] = ()
    system_prompt: str = ""
    continue_reply: bool = False
    prompt: str | None = None


# ---- parsing ------------------------------------------------------------------------


def _number(body: Mapping[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(f"'{name}' must be a number.", name)
    return float(value)


def _integer(body: Mapping[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"'{name}' must be an integer.", name)
    return value


def _stops(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    stops = [value] if isinstance(value, str) else value
    if (not isinstance(stops, list) or len(stops) > MAX_STOP_STRINGS
            or not all(isinstance(s, str) and 0 < len(s) <= MAX_STOP_CHARS for s in stops)):
        raise _bad(f"'stop' must be a non-empty string or a list of at most {MAX_STOP_STRINGS} "
                   f"non-empty strings of at most {MAX_STOP_CHARS} characters.", "stop")
    return tuple(stops)


def sampling_params(body: Mapping[str, Any], max_tokens_limit: int,
                    *, chat: bool) -> SamplingParams:
    """Map OpenAI's sampling fields onto :class:`SamplingParams` (see the module docstring)."""
    base = SamplingParams()
    max_tokens = _integer(body, "max_tokens")
    if chat and max_tokens is None:
        max_tokens = _integer(body, "max_completion_tokens")
    if max_tokens is None:
        max_tokens = max_tokens_limit
    elif max_tokens > max_tokens_limit:
        raise _bad(f"'max_tokens' is {max_tokens}; this server allows at most "
                   f"{max_tokens_limit}.", "max_tokens")
    repeat_penalty = _number(body, "repeat_penalty")
    if repeat_penalty is None:
        frequency = _number(body, "frequency_penalty")
        if frequency is not None:
            if not -2.0 <= frequency <= 2.0:
                raise _bad("'frequency_penalty' must be between -2 and 2.", "frequency_penalty")
            repeat_penalty = 1.0 + frequency / 2
    _number(body, "presence_penalty")  # type-checked, then ignored
    top_k = _integer(body, "top_k")

    def given(value: float | None, default: float) -> float:
        return default if value is None else value

    params = SamplingParams(
        temperature=given(_number(body, "temperature"), base.temperature),
        top_k=base.top_k if top_k is None else top_k,
        top_p=given(_number(body, "top_p"), base.top_p),
        min_p=given(_number(body, "min_p"), base.min_p),
        repeat_penalty=given(repeat_penalty, base.repeat_penalty),
        max_tokens=max_tokens, seed=_integer(body, "seed"), stop=_stops(body.get("stop")))
    try:
        return params.validate()
    except ParameterError as exc:
        raise _bad(str(exc)) from exc


def _common(body: object) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise _bad("The request body must be a JSON object.")
    n = _integer(body, "n")
    if n not in (None, 1):
        raise _bad("Only 'n' = 1 is supported.", "n")
    if body.get("logprobs") not in (None, False) or body.get("top_logprobs") is not None:
        raise _bad("'logprobs' is not supported.", "logprobs")
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise _bad("'model' must be a string.", "model")
    if not isinstance(body.get("stream", False), bool):
        raise _bad("'stream' must be true or false.", "stream")
    options = body.get("stream_options")
    if options is not None and not isinstance(options, Mapping):
        raise _bad("'stream_options' must be an object.", "stream_options")
    return body


def _include_usage(body: Mapping[str, Any]) -> bool:
    options = body.get("stream_options") or {}
    value = options.get("include_usage", False)
    if not isinstance(value, bool):
        raise _bad("'stream_options.include_usage' must be true or false.", "stream_options")
    return value


def _content(message: Mapping[str, Any], index: int) -> str:
    """A message's text: a string, or a list of text parts (images are refused)."""
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if not isinstance(part, Mapping) or part.get("type") != "text" \
                    or not isinstance(part.get("text"), str):
                raise _bad(f"messages[{index}]: only text content parts are supported.",
                           "messages")
            texts.append(part["text"])
        return "".join(texts)
    raise _bad(f"messages[{index}].content must be a string or a list of parts.", "messages")


_ROLES = {"system": Role.SYSTEM, "developer": Role.SYSTEM, "user": Role.USER,
          "assistant": Role.ASSISTANT}


def parse_chat(body: object, max_tokens_limit: int) -> CompletionJob:
    """A ``/v1/chat/completions`` body. System (and developer) messages form the system prompt;
    a conversation ending with an assistant message is continued from its text."""
    body = _common(body)
    raw_messages = body.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise _bad("'messages' must be a non-empty list.", "messages")
    system: list[str] = []
    turns: list[ChatMessage] = []
    for i, message in enumerate(raw_messages):
        if not isinstance(message, Mapping):
            raise _bad(f"messages[{i}] must be an object.", "messages")
        role = _ROLES.get(message.get("role"))  # type: ignore[arg-type]
        if role is None:
            raise _bad(f"messages[{i}].role must be one of system, developer, user, assistant.",
                       "messages")
        text = _content(message, i)
        if role == Role.SYSTEM:
            system.append(text)
        else:
            turns.append(ChatMessage(role, text))
    if not turns:
        raise _bad("'messages' must contain a user message.", "messages")
    return CompletionJob(
        model=body.get("model"), params=sampling_params(body, max_tokens_limit, chat=True),
        stream=bool(body.get("stream", False)), include_usage=_include_usage(body),
        messages=tuple(turns), system_prompt="\n\n".join(system),
        continue_reply=turns[-1].role == Role.ASSISTANT)


def parse_completion(body: object, max_tokens_limit: int) -> CompletionJob:
    """A ``/v1/completions`` body: one text prompt, continued as is."""
    body = _common(body)
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise _bad("'prompt' must be a string (one prompt per request).", "prompt")
    if body.get("echo"):
        raise _bad("'echo' is not supported.", "echo")
    if body.get("suffix"):
        raise _bad("'suffix' is not supported.", "suffix")
    best_of = _integer(body, "best_of")
    if best_of not in (None, 1):
        raise _bad("Only 'best_of' = 1 is supported.", "best_of")
    return CompletionJob(
        model=body.get("model"), params=sampling_params(body, max_tokens_limit, chat=False),
        stream=bool(body.get("stream", False)), include_usage=_include_usage(body),
        prompt=prompt)


# ---- answers --------------------------------------------------------------------------


def finish_reason(stats: ReplyStats) -> str:
    return "length" if stats.stop_reason == StopReason.LENGTH else "stop"


def usage(stats: ReplyStats) -> dict[str, int]:
    return {"prompt_tokens": stats.prompt_tokens, "completion_tokens": stats.completion_tokens,
            "total_tokens": stats.prompt_tokens + stats.completion_tokens}


class Answer:
    """Builds the response objects of one request (its id and timestamp are fixed once)."""

    def __init__(self, model: str, *, chat: bool) -> None:
        self.model = model
        self.chat = chat
        self.id = f"{'chatcmpl' if chat else 'cmpl'}-{uuid.uuid4().hex}"
        self.created = int(time.time())

    def _envelope(self, object_: str, choices: list[dict[str, Any]]) -> dict[str, Any]:
        return {"id": self.id, "object": object_, "created": self.created, "model": self.model,
                "system_fingerprint": None, "choices": choices}

    def complete(self, text: str, reasoning: str, stats: ReplyStats) -> dict[str, Any]:
        """The non-streaming answer."""
        if self.chat:
            message: dict[str, Any] = {"role": "assistant", "content": text}
            if reasoning:
                message["reasoning_content"] = reasoning
            choice = {"index": 0, "message": message, "logprobs": None,
                      "finish_reason": finish_reason(stats)}
            body = self._envelope("chat.completion", [choice])
        else:
            body = self._envelope("text_completion", [{
                "index": 0, "text": text, "logprobs": None,
                "finish_reason": finish_reason(stats)}])
        body["usage"] = usage(stats)
        return body

    def chunk(self, text: str = "", reasoning: str = "", *, first: bool = False,
              finish: str | None = None, with_usage_field: bool = False) -> dict[str, Any]:
        """One streamed chunk (``with_usage_field``: ``"usage": null``, as OpenAI sends when
        the client asked for a usage chunk at the end)."""
        if self.chat:
            delta: dict[str, Any] = {}
            if first:
                delta["role"] = "assistant"
            if text or first:
                delta["content"] = text
            if reasoning:
                delta["reasoning_content"] = reasoning
            body = self._envelope("chat.completion.chunk", [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}])
        else:
            body = self._envelope("text_completion", [
                {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}])
        if with_usage_field:
            body["usage"] = None
        return body

    def usage_chunk(self, stats: ReplyStats) -> dict[str, Any]:
        body = self._envelope("chat.completion.chunk" if self.chat else "text_completion", [])
        body["usage"] = usage(stats)
        return body


# ---- embeddings -------------------------------------------------------------------------

MAX_EMBEDDING_INPUTS = 256
"""Texts per ``/v1/embeddings`` request (OpenAI allows 2048; a laptop embeds ~100 a second)."""
MAX_EMBEDDING_CHARS = 1_000_000
"""Characters of all texts of one request together: about ten seconds of embedding."""


@dataclass(frozen=True)
class EmbeddingJob:
    """A parsed ``/v1/embeddings`` request."""

    model: str | None
    inputs: tuple[str, ...]
    base64: bool


def parse_embeddings(body: object, dims: int) -> EmbeddingJob:
    """A ``/v1/embeddings`` body: ``input`` a string or a list of strings.

    Token arrays (lists of integers) are refused: they are some other
    model's tokens, which mean nothing to this encoder. ``dimensions`` may
    only repeat the encoder's own (its vectors cannot be shortened). Too many
    inputs is 400; too much text in all is 413, like a body over the limit.
    """
    if not isinstance(body, Mapping):
        raise _bad("The request body must be a JSON object.")
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise _bad("'model' must be a string.", "model")
    raw = body.get("input")
    texts = [raw] if isinstance(raw, str) else raw
    if not isinstance(texts, list) or not texts:
        raise _bad("'input' must be a string or a non-empty list of strings.", "input")
    if not all(isinstance(text, str) for text in texts):
        raise _bad("'input' must hold strings; token arrays are not supported.", "input")
    if len(texts) > MAX_EMBEDDING_INPUTS:
        raise _bad(f"'input' has {len(texts)} texts; this server embeds at most "
                   f"{MAX_EMBEDDING_INPUTS} per request.", "input")
    total = sum(len(text) for text in texts)
    if total > MAX_EMBEDDING_CHARS:
        raise ApiError(413, f"'input' has {total} characters in all; this server embeds at "
                       f"most {MAX_EMBEDDING_CHARS} per request.", code="request_too_large",
                       param="input")
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        raise _bad("'encoding_format' must be 'float' or 'base64'.", "encoding_format")
    wanted = _integer(body, "dimensions")
    if wanted is not None and wanted != dims:
        raise _bad(f"This model's vectors have {dims} dimensions and cannot be shortened.",
                   "dimensions")
    return EmbeddingJob(model, tuple(texts), encoding == "base64")


def embeddings_answer(model: str, vectors: npt.ArrayLike, tokens: int,
                      *, base64: bool) -> dict[str, Any]:
    """The ``/v1/embeddings`` answer: one ``embedding`` object per input, in order.

    ``base64`` is the float32 little-endian bytes of each vector, as OpenAI
    sends it (its Python client asks for it by default and decodes it).
    """
    matrix = np.asarray(vectors, dtype="<f4")
    data = [{"object": "embedding", "index": index,
             "embedding": b64encode(row.tobytes()).decode("ascii") if base64
             else [float(value) for value in row]}
            for index, row in enumerate(matrix)]
    return {"object": "list", "data": data, "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
