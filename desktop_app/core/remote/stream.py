"""One streamed reply from an OpenAI-compatible server, turned into engine events.

A :class:`ReplyStream` posts ``/chat/completions`` (or ``/completions`` for a
raw :attr:`GenerateRequest.prompt`) with ``stream: true`` and reads the
server-sent events with ``httpx-sse``. It emits the same events as the local
engine: :class:`TokenChunk` (reasoning text from ``delta.reasoning_content`` /
``delta.reasoning`` and ``<think>…</think>`` blocks inside the content marked
as thinking), then exactly one :class:`ReplyFinished` or
:class:`GenerationFailed`.

Statistics come from the stream's ``usage`` (asked for with
``stream_options.include_usage``); time to first token and tokens/s are
measured here, on the client, because no server reports them the same way
(llama.cpp's ``timings`` is used when present). When ``usage`` is missing the
completion tokens are counted as streamed chunks (one token each on every
common server).

Failures keep the text already shown: a dropped connection, an ``error``
object inside the stream, malformed JSON or a stream that ends before the
reply does all emit :class:`GenerationFailed` after whatever arrived.

Continuing a reply (``continue_reply``) sends the partial assistant message
last. vLLM is asked explicitly to continue it (``continue_final_message``);
llama.cpp's own server (``llama-server``) continues a trailing assistant
message by itself; other servers (llama-cpp-python's, the cloud APIs) may
start a new assistant turn instead, which is the best an OpenAI-compatible API
allows. Context trimming is the server's business: a prompt that does not fit
comes back as the server's own error, in words.

Sampling: every server gets the standard fields (temperature, top_p,
max_tokens, seed, stop). Servers on the user's own machine or network
(presets marked ``local``) also get top_k, min_p and the repeat penalty, in the
extra body fields those servers accept; cloud APIs get only the standard ones.

Tools: a request that offers tools sends them as the API's ``tools``, and
history turns with calls or results as ``tool_calls`` / ``role: tool``
messages. Streamed ``delta.tool_calls`` fragments (``function.arguments``
arrives in pieces, keyed by ``index``) are joined and sent as one
:class:`ToolCallRequested` before :class:`ReplyFinished`, as the local engine does.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from httpx_sse import SSEError, connect_sse

from desktop_app.core.engine.api import (
    ChatMessage,
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
from desktop_app.core.engine.thinking import ThinkingSplitter
from desktop_app.core.remote.client import (
    MAX_ERROR_BODY,
    Connection,
    RemoteClient,
    RemoteError,
    _read_limited,
    http_error,
    malformed,
    message_of,
    transport_error,
)
from desktop_app.core.remote.servers import Preset
from desktop_app.core.tools.formats import new_call_id, template_tools
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserText, user_text

log = logging.getLogger(__name__)

MAX_COUNT = 10_000_000
"""Token counts in ``usage`` above this are not believed."""


def sampling_body(request: GenerateRequest, preset: Preset) -> tuple[dict[str, Any], int | None]:
    """The sampling fields for ``preset``'s kind of server, and the seed sent (if any)."""
    params = request.params
    body: dict[str, Any] = {"temperature": params.temperature, "top_p": params.top_p}
    if preset.id == "openai" and request.prompt is None:
        body["max_completion_tokens"] = params.max_tokens
    else:
        body["max_tokens"] = params.max_tokens
    seed = params.seed
    if seed is None and preset.local:
        seed = secrets.randbelow(2**31)  # reported in the stats, so a reply can be redone
    if seed is not None:
        body["seed"] = seed
    if params.stop:
        body["stop"] = list(params.stop)
    if preset.local:
        body["top_k"] = params.top_k
        body["min_p"] = params.min_p
        if preset.id in ("vllm", "sglang"):
            body["repetition_penalty"] = params.repeat_penalty
        else:  # llama.cpp's server, llama-cpp-python, Ollama, LM Studio
            body["repeat_penalty"] = params.repeat_penalty
    return body, seed


def request_body(request: GenerateRequest, model: str,
                 preset: Preset) -> tuple[str, dict[str, Any], int | None]:
    """``(path, JSON body, seed)`` of the streamed request for ``request``."""
    sampling, seed = sampling_body(request, preset)
    body: dict[str, Any] = {"model": model, "stream": True,
                            "stream_options": {"include_usage": True}}
    if request.prompt is not None:
        body["prompt"] = request.prompt
        body.update(sampling)
        return "completions", body, seed
    messages: list[dict[str, Any]] = []
    if request.system_prompt:
        messages.append({"role": "system", "content": request.system_prompt})
    messages += [_message(m) for m in request.messages]
    body["messages"] = messages
    body.update(sampling)
    if request.tools:
        body["tools"] = template_tools(request.tools)
        if request.tool_choice == "required":
            body["tool_choice"] = "required"
    if request.continue_reply and preset.id == "vllm":
        body["continue_final_message"] = True
        body["add_generation_prompt"] = False
    return "chat/completions", body, seed


def _message(m: ChatMessage) -> dict[str, Any]:
    """One history turn in the API's layout (a failed call is not sent; its result says why)."""
    entry: dict[str, Any] = {"role": m.role.value, "content": m.content}
    calls = [c for c in m.tool_calls if not c.error]
    if calls:
        entry["tool_calls"] = [{"id": c.id, "type": "function",
                                "function": {"name": c.name, "arguments": c.arguments}}
                               for c in calls]
    if m.role == Role.TOOL:
        entry["tool_call_id"] = m.tool_call_id
    return entry


class _CallPieces:
    """One streamed tool call being assembled from its ``delta.tool_calls`` fragments."""

    def __init__(self) -> None:
        self.id = ""
        self.name = ""
        self.arguments: list[str] = []

    def add(self, fragment: dict[str, Any]) -> None:
        if isinstance(fragment.get("id"), str) and fragment["id"]:
            self.id = fragment["id"]
        function = fragment.get("function")
        if isinstance(function, dict):
            if isinstance(function.get("name"), str):
                self.name += function["name"]
            if isinstance(function.get("arguments"), str):
                self.arguments.append(function["arguments"])

    def call(self) -> ToolCall:
        text = "".join(self.arguments).strip() or "{}"
        call_id = self.id or new_call_id()
        try:
            value = json.loads(text)
        except ValueError:
            return ToolCall(call_id, self.name, "{}", error="malformed JSON arguments",
                            raw=text[:2000])
        if not isinstance(value, dict):
            return ToolCall(call_id, self.name, "{}", error="the arguments are not an object",
                            raw=text[:2000])
        if not self.name:
            return ToolCall(call_id, "", "{}", error="the call has no tool name", raw=text[:2000])
        return ToolCall(call_id, self.name, json.dumps(value, ensure_ascii=False))


MAX_TOOL_CALLS = 64
"""More parallel calls than this in one reply are not believed (a runaway stream)."""


class _StreamFailed(Exception):
    def __init__(self, text: UserText | str) -> None:
        super().__init__(text)
        self.text = text


def _count(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT:
        return value
    return None


class ReplyStream:
    """One request's stream. :meth:`run` in a background thread; :meth:`cancel` from any."""

    def __init__(self, client: RemoteClient, model: str, request: GenerateRequest,
                 emit: Callable[[EngineEvent], None]) -> None:
        self.client = client
        self.model = model
        self.request = request
        self._emit = emit
        self._lock = threading.Lock()
        self._done = False
        self._cancelled = False
        self._connection: Connection | None = None
        self._splitter = ThinkingSplitter() if request.prompt is None else None
        # Statistics, filled while streaming.
        self._started = 0.0
        self._first_at: float | None = None
        self._last_at: float | None = None
        self._chunks = 0
        self._seed: int | None = None
        self._prompt_tokens: int | None = None
        self._cached_tokens = 0
        self._completion_tokens: int | None = None
        self._server_tps: float | None = None
        self._finish_reason: str | None = None
        self._any_text = False
        self._calls: dict[int, _CallPieces] = {}

    @property
    def done(self) -> bool:
        return self._done

    # ---- any thread ----------------------------------------------------------------

    def cancel(self) -> None:
        """Close the HTTP stream now (the server stops) and report the reply as cancelled."""
        with self._lock:
            self._cancelled = True
            connection = self._connection
        # The final event first: the stream's thread, woken by the closed socket, then
        # finds the reply already ended and adds nothing.
        self._finish(ReplyFinished(self.request.request_id, self._stats(StopReason.CANCELLED)))
        if connection is not None:
            connection.abort()

    def abort(self, message: UserText | str) -> None:
        """Close the stream and report ``message`` as the failure (shutdown)."""
        with self._lock:
            self._cancelled = True
            connection = self._connection
        self._finish(GenerationFailed(self.request.request_id, message))
        if connection is not None:
            connection.abort()

    def _finish(self, event: EngineEvent) -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
            self._emit(event)

    def _send_text(self, text: str, thinking: bool) -> None:
        if not text:
            return
        with self._lock:
            if self._done:
                return
            self._emit(TokenChunk(self.request.request_id, text, thinking=thinking))

    # ---- the stream's own thread ------------------------------------------------------

    def run(self) -> None:
        self._started = time.perf_counter()
        rid = self.request.request_id
        try:
            path, body, self._seed = request_body(self.request, self.model, self.client.preset)
            with self.client.connection() as (http, connection):
                with self._lock:
                    self._connection = connection
                    cancelled = self._cancelled
                if cancelled:
                    connection.abort()
                    return
                self._stream(http, connection, path, body)
        except _StreamFailed as exc:
            self._flush_splitter()
            self._finish(GenerationFailed(rid, exc.text))
        except RemoteError as exc:
            self._flush_splitter()
            self._finish(GenerationFailed(rid, self._lost(exc.text)))
        except httpx.HTTPError as exc:
            if not self._cancelled:
                log.info("remote stream failed: %s", type(exc).__name__)
                self._flush_splitter()
                self._finish(GenerationFailed(
                    rid, self._lost(transport_error(self.client.config, exc,
                                                  self.client.timeouts.read).text)))
        except Exception:  # a bug here must still end the reply
            log.exception("remote stream failed")
            self._finish(GenerationFailed(rid, user_text("remote.internal", QT_TRANSLATE_NOOP(
                "core", "The reply from {server} failed; see the log for details."),
                server=self.client.config.name)))
        finally:
            if self._cancelled:
                self._finish(ReplyFinished(rid, self._stats(StopReason.CANCELLED)))
            else:
                self._finish(GenerationFailed(rid, self._lost(malformed(self.client.config,
                                                                     "no end").text)))

    def _lost(self, cause: UserText | str) -> UserText | str:
        """``cause``, and that the text already shown is kept when there is some."""
        if not self._any_text:
            return cause
        return user_text("remote.lost_mid_reply", QT_TRANSLATE_NOOP(
            "core", "The reply stopped before it was complete: {cause} The text received so "
            "far is kept."), cause=cause)

    def _stream(self, http: httpx.Client, connection: Connection, path: str,
                body: dict[str, Any]) -> None:
        config = self.client.config
        with connect_sse(http, "POST", self.client.url(path), json=body,
                         headers=self.client.headers(),
                         extensions={"trace": connection.trace}) as source:
            response = source.response
            if response.status_code >= 400:
                raise http_error(config, response.status_code,
                                 _read_limited(response, MAX_ERROR_BODY), response.headers,
                                 model=self.model if response.status_code == 404 else "")
            if response.status_code >= 300:
                raise malformed(config, f"HTTP {response.status_code}")
            ended = False
            try:
                for event in source.iter_sse():
                    if self._cancelled:
                        return
                    if ended:
                        continue  # drain to the end, so the connection can be used again
                    data = event.data.strip()
                    if not data:
                        continue
                    if data == "[DONE]":
                        ended = True
                        self._end()
                        continue
                    try:
                        chunk = json.loads(data)
                    except ValueError:
                        raise _StreamFailed(self._lost(malformed(config, "bad JSON").text)) \
                            from None
                    self._chunk(chunk)
            except SSEError:
                raise malformed(config, "not an event stream") from None
            if self._cancelled:
                return
            if not ended:
                if self._finish_reason is not None:
                    self._end()  # finished, just without the [DONE] line
                else:
                    raise _StreamFailed(self._lost(user_text(
                        "remote.stream_cut", QT_TRANSLATE_NOOP(
                            "core", "{server} closed the connection before the reply ended."),
                        server=config.name)))

    def _chunk(self, chunk: object) -> None:
        if not isinstance(chunk, dict):
            raise _StreamFailed(self._lost(malformed(self.client.config, "bad chunk").text))
        error = chunk.get("error")
        if error:
            detail = message_of(chunk) or "unknown error"
            raise _StreamFailed(self._lost(user_text("remote.stream_error", QT_TRANSLATE_NOOP(
                "core", "{server} reported an error: {detail}"),
                server=self.client.config.name, detail=detail)))
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self._usage(usage)
        timings = chunk.get("timings")  # llama.cpp's server
        if isinstance(timings, dict):
            tps = timings.get("predicted_per_second")
            if isinstance(tps, int | float) and 0 < tps < 1e7:
                self._server_tps = float(tps)
        choices = chunk.get("choices")
        if not isinstance(choices, list) or not choices:
            return
        choice = choices[0]
        if not isinstance(choice, dict):
            return
        delta = choice.get("delta")
        texts: list[tuple[str, bool]] = []
        if isinstance(delta, dict):
            for key in ("reasoning_content", "reasoning"):
                value = delta.get(key)
                if isinstance(value, str) and value:
                    texts.append((value, True))
                    break
            content = delta.get("content")
            if isinstance(content, str) and content:
                texts.append((content, False))
            fragments = delta.get("tool_calls")
            if isinstance(fragments, list):
                self._tool_fragments(fragments)
        text = choice.get("text")  # /completions
        if isinstance(text, str) and text:
            texts.append((text, False))
        if texts:
            now = time.perf_counter()
            if self._first_at is None:
                self._first_at = now
            self._last_at = now
            self._chunks += 1
            self._any_text = True
            for value, thinking in texts:
                if thinking or self._splitter is None:
                    self._send_text(value, thinking)
                else:
                    answer, inner = self._splitter.feed(value)
                    self._send_text(inner, True)
                    self._send_text(answer, False)
        reason = choice.get("finish_reason")
        if isinstance(reason, str) and reason:
            self._finish_reason = reason

    def _tool_fragments(self, fragments: list[Any]) -> None:
        for position, fragment in enumerate(fragments):
            if not isinstance(fragment, dict):
                continue
            index = fragment.get("index", position)
            if not isinstance(index, int) or not 0 <= index < MAX_TOOL_CALLS:
                continue
            self._calls.setdefault(index, _CallPieces()).add(fragment)
        if self._first_at is None:
            self._first_at = time.perf_counter()

    def _usage(self, usage: dict[str, Any]) -> None:
        prompt = _count(usage.get("prompt_tokens"))
        completion = _count(usage.get("completion_tokens"))
        if prompt is not None:
            self._prompt_tokens = prompt
        if completion is not None:
            self._completion_tokens = completion
        details = usage.get("prompt_tokens_details")
        if isinstance(details, dict):
            cached = _count(details.get("cached_tokens"))
            if cached is not None:
                self._cached_tokens = cached

    def _flush_splitter(self) -> None:
        if self._splitter is not None:
            answer, thinking = self._splitter.flush()
            self._send_text(thinking, True)
            self._send_text(answer, False)

    def _end(self) -> None:
        self._flush_splitter()
        if self._calls:
            calls = tuple(self._calls[i].call() for i in sorted(self._calls))
            with self._lock:
                if not self._done:
                    self._emit(ToolCallRequested(self.request.request_id, calls))
        reason = StopReason.LENGTH if self._finish_reason == "length" else StopReason.END
        self._finish(ReplyFinished(self.request.request_id, self._stats(reason)))

    def _stats(self, reason: StopReason) -> ReplyStats:
        completion = self._completion_tokens if self._completion_tokens is not None \
            else self._chunks
        prompt = self._prompt_tokens or 0
        ttft = (self._first_at - self._started) if self._first_at is not None else 0.0
        tps = 0.0
        if self._server_tps is not None:
            tps = self._server_tps
        elif (self._first_at is not None and self._last_at is not None
              and self._last_at > self._first_at and completion > 1):
            tps = (completion - 1) / (self._last_at - self._first_at)
        return ReplyStats(prompt_tokens=prompt,
                          prompt_eval_tokens=max(0, prompt - min(self._cached_tokens, prompt)),
                          completion_tokens=completion, time_to_first_token=max(0.0, ttft),
                          tokens_per_second=tps, stop_reason=reason, seed=self._seed or 0)
