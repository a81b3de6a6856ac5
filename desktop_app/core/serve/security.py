"""The API server's guards, as plain ASGI middleware, outermost first.

1. :class:`RequestLog`: every request, answered or refused, is logged with
   method, path, status, duration, client address and token counts, never
   with a body, a header or the key; and the GUI's callback gets the record.
2. :class:`HostGuard`: the Host header must name this server (421 otherwise).
   A web page can make a browser resolve its own domain to 127.0.0.1 ("DNS
   rebinding") and then talk to the server as same-origin; the browser still
   sends the attacker's domain as Host, which this refuses.
3. Starlette's ``CORSMiddleware``, only when origins are configured (added
   by ``app``): browsers may then call from exactly those origins. It comes
   before the key check, because a CORS preflight carries no key.
4. :class:`ApiKeyGuard`: ``Authorization: Bearer <key>`` on every route,
   compared in constant time (401 otherwise).
5. :class:`BodyLimit`: a body over the limit is refused with 413, by its
   Content-Length before anything is read, and while reading a chunked body.

Pure ASGI rather than ``BaseHTTPMiddleware``: that one buffers and wraps
streaming responses, which would cost latency per token and hide a client's
disconnect from the stream.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from desktop_app.core.serve.openai_format import error_body

log = logging.getLogger("desktop_app.core.serve.requests")

MAX_LOGGED_PATH = 80
USAGE_KEY = "hearth_usage"
"""Where a handler leaves its token counts in ``scope["state"]`` for the request log."""


@dataclass(frozen=True)
class RequestRecord:
    """One finished request as the log and the GUI see it: no content, no key."""

    method: str
    path: str
    status: int
    duration: float  # seconds
    client: str      # "address:port", or "" when unknown
    prompt_tokens: int = 0
    completion_tokens: int = 0


async def send_error(send: Send, status: int, message: str, type_: str,
                     code: str | None = None, headers: Collection[tuple[bytes, bytes]] = ()
                     ) -> None:
    body = json.dumps(error_body(message, type_, code)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


class RequestLog:
    """Logs each HTTP request when it ends and passes its record to ``on_record``.

    ``on_start``/``on_record`` also let the server count requests in flight.
    """

    def __init__(self, app: ASGIApp, on_start: Callable[[], None],
                 on_record: Callable[[RequestRecord], None]) -> None:
        self.app = app
        self.on_start = on_start
        self.on_record = on_record

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 500  # if the app fails before it answers
        usage: dict[str, int] = {}
        scope.setdefault("state", {})[USAGE_KEY] = usage

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        self.on_start()
        try:
            await self.app(scope, receive, send_logged)
        finally:
            client = scope.get("client")
            path = str(scope.get("path", ""))[:MAX_LOGGED_PATH]
            record = RequestRecord(
                method=str(scope.get("method", ""))[:16], path=path, status=status,
                duration=time.monotonic() - started,
                client=f"{client[0]}:{client[1]}" if client else "",
                prompt_tokens=usage.get("prompt_tokens", 0),
                completion_tokens=usage.get("completion_tokens", 0))
            # %r: a hostile path cannot forge log lines with newlines.
            log.info("%s %r %d %.3fs from %s tokens %d+%d", record.method, record.path,
                     record.status, record.duration, record.client or "?",
                     record.prompt_tokens, record.completion_tokens)
            self.on_record(record)


def loopback_hosts(port: int) -> frozenset[str]:
    """The Host values that always name a server on this computer's loopback at ``port``."""
    names = ("127.0.0.1", "localhost", "[::1]")
    return frozenset({*names, *(f"{name}:{port}" for name in names)})


def allowed_hosts(bind_host: str, port: int, extra: Collection[str]) -> frozenset[str]:
    """Every Host value the server answers to: loopback names, the bind address, ``extra``.

    Each is accepted with the server's port and without (a client on port 80
    leaves it out); entries in ``extra`` that carry a port are taken as given.
    """
    host = f"[{bind_host}]" if ":" in bind_host and not bind_host.startswith("[") else bind_host
    hosts = set(loopback_hosts(port)) | {host, f"{host}:{port}"}
    for entry in extra:
        entry = entry.strip().lower()
        if not entry:
            continue
        hosts.add(entry)
        if entry.endswith("]") or ":" not in entry:  # no port given: add the server's
            hosts.add(f"{entry}:{port}")
    return frozenset(h.lower() for h in hosts)


class HostGuard:
    """421 Misdirected Request unless the Host header is one of ``hosts`` (see the module)."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1008})
            return
        host = _header(scope, b"host")
        if host is None or host.decode("latin-1").strip().lower() not in self.hosts:
            await send_error(send, 421, "This server does not answer to that Host name. Add it "
                             "to the server's allowed hosts if it is yours.",
                             "invalid_request_error", "misdirected_request")
            return
        await self.app(scope, receive, send)


class ApiKeyGuard:
    """401 unless ``Authorization: Bearer <key>`` carries the server's key."""

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        if not api_key:
            raise ValueError("the API server needs a key")
        self.app = app
        self._expected = f"Bearer {api_key}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"authorization") or b""
        if not hmac.compare_digest(given, self._expected):
            await send_error(send, 401, "A valid API key is required: send it as "
                             "'Authorization: Bearer <key>'.", "invalid_request_error",
                             "invalid_api_key", headers=[(b"www-authenticate", b"Bearer")])
            return
        await self.app(scope, receive, send)


class BodyLimit:
    """413 for a request body over ``max_bytes``, declared or streamed.

    The body is read here, counted chunk by chunk, before the app sees the
    request; the app then gets it as one message. Bodies are small (a few MB
    at most), and a limit checked inside the app would come too late: its own
    error handling would have answered 500 already.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await send_error(send, 400, "Invalid Content-Length.", "invalid_request_error")
                return
            if length > self.max_bytes:
                await self._too_large(send)
                return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left before sending its body
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        await send_error(send, 413, f"The request body is larger than this server's limit of "
                         f"{self.max_bytes} bytes.", "invalid_request_error",
                         "request_too_large", headers=[(b"connection", b"close")])


def usage_slot(scope: Scope) -> dict[str, int]:
    """The dict :class:`RequestLog` reads token counts from (a throwaway one outside it)."""
    state = scope.setdefault("state", {})
    slot: dict[str, int] = state.setdefault(USAGE_KEY, {})
    return slot
