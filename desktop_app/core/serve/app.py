"""The ASGI app: OpenAI's ``/v1/models``, chat and text completions, and ``/v1/embeddings``.

Each request becomes one :class:`GenerateRequest` handed to the
:class:`~desktop_app.core.serve.pump.EnginePump`; the engine's events come
back on the request's own asyncio queue. Streaming answers are Server-Sent
Events (``data: {...}`` chunks, ``data: [DONE]`` at the end, a usage chunk
first when ``stream_options.include_usage`` asks). A streaming answer starts
only when the first event is in, so a prompt the engine refuses (too long for
the context, no model loaded) still gets a proper HTTP error; a reply that
fails after its first text streams that text and ends with an error event. Whatever
happens, a request that ends early (the client disconnected, or went away
while it waited) cancels its reply in the engine.

The model's id is its GGUF file's stem (``SmolLM2-135M-Instruct.Q4_1``):
unique, stable and free of spaces, where library display names are neither
unique nor convenient to type; the server's owner may name it otherwise
(``model_name``). A request naming another model gets 404; one naming none
gets the loaded model.

``/v1/embeddings`` is answered by the bundled multilingual encoder (the
documents' default embedder, :data:`EMBEDDING_MODEL` to clients), not by
the chat model: it needs no model loaded and no turn at the engine, and its
vectors are the ones Hearth's own collections use (English and Chinese alike).
Embedding is CPU work of up to seconds, so it runs on a worker thread, never
on uvicorn's event loop (which must keep streaming other replies), and at
most :data:`MAX_EMBEDDING_JOBS` at once. The guards (key, Host, CORS, body
size) are middleware around every route, this one included.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Protocol, runtime_checkable

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from desktop_app.core.documents.embedders import Embedder, Vectors
from desktop_app.core.engine.api import (
    NO_MODEL_LOADED,
    EngineCrashed,
    EngineEvent,
    GenerateRequest,
    GenerationFailed,
    ModelLoaded,
    ReplyFinished,
    ReplyStats,
    TokenChunk,
)
from desktop_app.core.engine.session import TOO_LONG_CODE
from desktop_app.core.serve.config import ApiServerSettings
from desktop_app.core.serve.openai_format import (
    Answer,
    ApiError,
    CompletionJob,
    embeddings_answer,
    finish_reason,
    parse_chat,
    parse_completion,
    parse_embeddings,
)
from desktop_app.core.serve.pump import EnginePump
from desktop_app.core.serve.security import (
    ApiKeyGuard,
    BodyLimit,
    HostGuard,
    RequestLog,
    RequestRecord,
    usage_slot,
)
from desktop_app.core.user_text import UserText

log = logging.getLogger(__name__)

API_CONVERSATION_ID = 0
"""The engine conversation every API request shares (the broker keeps it apart from the chat's)."""

MAX_WAITING_REQUESTS = 32
"""Replies the server accepts at once; more get 503, so a flood cannot pile up without end."""


MAX_EMBEDDING_JOBS = 2
"""Embedding requests worked on at once (each may take the encoder's threads); more get 503."""
EMBEDDING_MODEL = "universal-sentence-encoder-multilingual-3"
"""The id API clients use for the bundled encoder."""


@runtime_checkable
class TokenCounter(Protocol):
    """An embedder that can say how many tokens it read (the bundled encoder can)."""

    def count_tokens(self, texts: Sequence[str]) -> int: ...


def model_id(loaded: ModelLoaded, override: str | None) -> str:
    """The id API clients use for the loaded model (see the module docstring)."""
    return override or PurePath(loaded.model_path.replace("\\", "/")).stem


@dataclass
class _Context:
    pump: EnginePump
    settings: ApiServerSettings
    model_name: str | None
    embedder: Embedder | None = None
    waiting: int = 0
    embedding: int = 0


class _Reply:
    """One request's reply in the engine, seen from the event loop."""

    def __init__(self, context: _Context, request: GenerateRequest, receive: Receive) -> None:
        loop = asyncio.get_running_loop()
        self._context = context
        self._queue: asyncio.Queue[EngineEvent | None] = asyncio.Queue()  # None: client left

        def sink(event: EngineEvent) -> None:
            # RuntimeError: the server's loop is gone, nobody waits for this reply any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._queue.put_nowait, event)

        self.ended = False
        self._closed = False
        context.waiting += 1
        self._request_id = context.pump.submit(request, sink)
        self._watcher: asyncio.Task[None] | None = asyncio.create_task(self._watch(receive))

    async def _watch(self, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self._queue.put_nowait(None)
                return

    def stop_watching(self) -> None:
        """Starlette's streaming response listens for the disconnect itself from here on."""
        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None

    async def next_batch(self) -> list[EngineEvent] | None:
        """The next events (all that are ready, at least one), or None if the client left."""
        items = [await self._queue.get()]
        while not self._queue.empty():
            items.append(self._queue.get_nowait())
        events = [i for i in items if i is not None]
        if len(events) < len(items):
            return None
        if any(isinstance(e, ReplyFinished | GenerationFailed | EngineCrashed) for e in events):
            self.ended = True
        return events

    def close(self) -> None:
        """Cancel the reply unless it ended, and stop watching; once, whoever calls first."""
        self.stop_watching()
        if self._closed:
            return
        self._closed = True
        self._context.waiting -= 1
        if not self.ended:
            self.ended = True
            self._context.pump.cancel(self._request_id)


class _EventStream(StreamingResponse):
    """An SSE response that closes its reply however the response ends.

    If the client is gone before the stream starts, Starlette cancels the
    response without ever starting the generator, whose ``finally`` then
    never runs: the reply would go on in the engine for nobody.
    """

    def __init__(self, content: AsyncIterator[bytes], reply: _Reply) -> None:
        super().__init__(content, media_type="text/event-stream",
                         headers={"cache-control": "no-cache", "x-accel-buffering": "no"})
        self._reply = reply

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._reply.close()


def _failure(event: GenerationFailed | EngineCrashed) -> ApiError:
    message = event.message
    code = message.code if isinstance(message, UserText) else ""
    if code == TOO_LONG_CODE:
        return ApiError(400, str(message), code="context_length_exceeded")
    if code == NO_MODEL_LOADED.code:
        return ApiError(503, str(message), "server_error", "model_not_loaded")
    if isinstance(event, EngineCrashed):
        return ApiError(500, str(message), "server_error", "engine_crashed")
    return ApiError(500, str(message), "server_error", "generation_failed")


def _fold(events: Sequence[EngineEvent]) -> tuple[str, str, EngineEvent | None]:
    """(answer text, reasoning text, the event that ended the reply if one did)."""
    text, reasoning = [], []
    end: EngineEvent | None = None
    for event in events:
        match event:
            case TokenChunk(thinking=True):
                reasoning.append(event.text)
            case TokenChunk():
                text.append(event.text)
            case ReplyFinished() | GenerationFailed() | EngineCrashed():
                end = event
    return "".join(text), "".join(reasoning), end


def _sse(data: dict[str, Any] | str) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False,
                                                            separators=(",", ":"))
    return f"data: {payload}\n\n".encode()


def _error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status)


def _record_usage(request: Request, stats: ReplyStats) -> None:
    usage_slot(request.scope).update(prompt_tokens=stats.prompt_tokens,
                                     completion_tokens=stats.completion_tokens)


class _Routes:
    def __init__(self, context: _Context) -> None:
        self.context = context

    def _loaded_id(self) -> str:
        loaded = self.context.pump.loaded
        if loaded is None:
            raise ApiError(503, "No model is loaded in Hearth. Load one, then try again.",
                           "server_error", "model_not_loaded")
        return model_id(loaded, self.context.model_name)

    async def models(self, _request: Request) -> Response:
        loaded = self.context.pump.loaded
        ids = [] if loaded is None else [model_id(loaded, self.context.model_name)]
        if self.context.embedder is not None:
            ids.append(EMBEDDING_MODEL)
        return JSONResponse({"object": "list", "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": "hearth"}
            for name in ids]})

    async def embeddings(self, request: Request) -> Response:
        context = self.context
        embedder = context.embedder
        try:
            if embedder is None:
                raise ApiError(404, "This server has no embedding model.",
                               code="model_not_found", param="model")
            try:
                body = json.loads(await request.body())
            except (ValueError, UnicodeDecodeError):
                raise ApiError(400, "The request body is not valid JSON.") from None
            job = parse_embeddings(body, embedder.dims)
            if job.model not in (None, EMBEDDING_MODEL):
                raise ApiError(404, f"The model {job.model[:100]!r} does not make embeddings "
                               f"here; use {EMBEDDING_MODEL!r}.", code="model_not_found",
                               param="model")
            if context.embedding >= MAX_EMBEDDING_JOBS:
                raise ApiError(503, "The server is busy embedding; try again shortly.",
                               "server_error", "server_busy")
        except ApiError as error:
            return _error_response(error)
        context.embedding += 1
        try:
            vectors, tokens = await asyncio.to_thread(_embed, embedder, job.inputs)
        except Exception:  # the encoder's bug: a 500 with words, the details in the log
            log.exception("embedding failed")
            return _error_response(ApiError(500, "The texts could not be embedded; see "
                                            "Hearth's log.", "server_error",
                                            "embedding_failed"))
        finally:
            context.embedding -= 1
        usage_slot(request.scope).update(prompt_tokens=tokens)
        return JSONResponse(embeddings_answer(EMBEDDING_MODEL, vectors, tokens,
                                              base64=job.base64))

    async def chat(self, request: Request) -> Response:
        return await self._complete(request, parse_chat, chat=True)

    async def completions(self, request: Request) -> Response:
        return await self._complete(request, parse_completion, chat=False)

    async def _complete(self, request: Request, parse: Callable[[object, int], CompletionJob],
                        *, chat: bool) -> Response:
        try:
            try:
                body = json.loads(await request.body())
            except (ValueError, UnicodeDecodeError):
                raise ApiError(400, "The request body is not valid JSON.") from None
            job = parse(body, self.context.settings.max_tokens_limit)
            name = self._loaded_id()
            if job.model not in (None, name):
                raise ApiError(404, f"The model {job.model[:100]!r} is not loaded; this server "
                               f"serves {name!r}.", code="model_not_found", param="model")
            if self.context.waiting >= MAX_WAITING_REQUESTS:
                raise ApiError(503, "The server is busy; try again shortly.", "server_error",
                               "server_busy")
        except ApiError as error:
            return _error_response(error)
        engine_request = GenerateRequest(
            request_id=0, conversation_id=API_CONVERSATION_ID, messages=job.messages,
            params=job.params, system_prompt=job.system_prompt,
            continue_reply=job.continue_reply, prompt=job.prompt)
        reply = _Reply(self.context, engine_request, request.receive)
        answer = Answer(name, chat=chat)
        handed_over = False
        try:
            first = await reply.next_batch()
            if first is None:
                return Response(status_code=499)  # nobody reads it
            text, reasoning, end = _fold(first)
            # A reply that fails before any text gets an HTTP error. One that made text
            # first streams it and ends with an error event, however the engine's events
            # happened to be batched (a crash can arrive with the first tokens).
            if isinstance(end, GenerationFailed | EngineCrashed) and not (
                    job.stream and (text or reasoning)):
                return _error_response(_failure(end))
            if job.stream:
                reply.stop_watching()
                handed_over = True
                return _EventStream(
                    self._stream(request, reply, first, answer, job.include_usage), reply)
            return await self._collect(request, reply, first, answer)
        finally:
            if not handed_over:
                reply.close()

    async def _collect(self, request: Request, reply: _Reply, first: list[EngineEvent],
                       answer: Answer) -> Response:
        texts: list[str] = []
        reasonings: list[str] = []
        batch: list[EngineEvent] | None = first
        while batch is not None:
            text, reasoning, end = _fold(batch)
            texts.append(text)
            reasonings.append(reasoning)
            if isinstance(end, ReplyFinished):
                _record_usage(request, end.stats)
                return JSONResponse(answer.complete("".join(texts), "".join(reasonings),
                                                    end.stats))
            if isinstance(end, GenerationFailed | EngineCrashed):
                return _error_response(_failure(end))
            batch = await reply.next_batch()
        return Response(status_code=499)  # the client left

    async def _stream(self, request: Request, reply: _Reply, first: list[EngineEvent],
                      answer: Answer, include_usage: bool) -> AsyncIterator[bytes]:
        try:
            if answer.chat:
                yield _sse(answer.chunk(first=True, with_usage_field=include_usage))
            batch: list[EngineEvent] | None = first
            while batch is not None:
                text, reasoning, end = _fold(batch)
                if text or reasoning:
                    yield _sse(answer.chunk(text, reasoning, with_usage_field=include_usage))
                if isinstance(end, ReplyFinished):
                    _record_usage(request, end.stats)
                    yield _sse(answer.chunk(finish=finish_reason(end.stats),
                                            with_usage_field=include_usage))
                    if include_usage:
                        yield _sse(answer.usage_chunk(end.stats))
                    yield _sse("[DONE]")
                    return
                if isinstance(end, GenerationFailed | EngineCrashed):
                    yield _sse(_failure(end).body())
                    return
                batch = await reply.next_batch()
        finally:
            reply.close()  # a disconnect cancels this generator: the engine stops too


def _embed(embedder: Embedder, texts: Sequence[str]) -> tuple[Vectors, int]:
    """Vectors and the token count of ``texts`` (on a worker thread, see the module)."""
    vectors = embedder.embed(texts)
    if isinstance(embedder, TokenCounter):
        return vectors, embedder.count_tokens(texts)
    return vectors, sum(max(1, len(text) // 4) for text in texts)  # a rough count


def build_app(pump: EnginePump, settings: ApiServerSettings, api_key: str, *,
              hosts: frozenset[str], model_name: str | None,
              on_start: Callable[[], None],
              on_record: Callable[[RequestRecord], None],
              embedder: Embedder | None = None) -> ASGIApp:
    """The whole ASGI stack: the guards of :mod:`security` around the routes.

    ``embedder`` answers ``/v1/embeddings`` (none: that route says 404).
    """
    routes = _Routes(_Context(pump, settings, model_name, embedder))
    app: ASGIApp = Starlette(routes=[
        Route("/v1/models", routes.models, methods=["GET"]),
        Route("/v1/chat/completions", routes.chat, methods=["POST"]),
        Route("/v1/completions", routes.completions, methods=["POST"]),
        Route("/v1/embeddings", routes.embeddings, methods=["POST"]),
    ])
    app = BodyLimit(app, settings.max_body_bytes)
    app = ApiKeyGuard(app, api_key)
    if settings.cors_origins:
        app = CORSMiddleware(app, allow_origins=list(settings.cors_origins),
                             allow_methods=["GET", "POST"],
                             allow_headers=["authorization", "content-type"])
    app = HostGuard(app, hosts)
    return RequestLog(app, on_start, on_record)
