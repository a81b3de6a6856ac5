"""Talking to one OpenAI-compatible server over HTTP: model discovery and errors in words.

:class:`RemoteClient` wraps ``httpx`` (sync) for one :class:`ServerConfig`:
TLS verification is always on (the system's and certifi's authorities, plus
the server's own ``ca_file`` when set), the proxy is the server's, and every
failure becomes a :class:`RemoteError` whose :class:`UserText` says what went
wrong (wrong key, unknown model, rate limit, certificate, …) in words.

Everything a server sends is untrusted: model ids, error messages and
context lengths are bounded and cleaned before they reach a window or a log.
The API key only ever goes into the ``Authorization`` header; it is never put
in a message, a log line or an exception.

Streaming replies (``stream.py``) borrow connections from the client with
:meth:`RemoteClient.connection`, which hands out an ``httpx.Client`` together
with a :class:`Connection` handle whose :meth:`~Connection.abort` shuts the
socket from any thread, so Stop closes the HTTP stream at once, even while
the server is still evaluating the prompt.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import socket
import ssl
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from desktop_app.core.remote.servers import PRESETS_BY_ID, Preset, ServerConfig
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserFacingError, UserText, user_text

# httpx (~50 ms) is imported at the first request, not with the window, which imports this
# module for its types and the server list.
if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

MAX_MODELS = 500
"""At most this many models are taken from a server's ``/models`` list."""
MAX_MODEL_ID = 256
"""A longer model id is not a model name: it is left out."""
MAX_CONTEXT_LENGTH = 100_000_000
MAX_SERVER_MESSAGE = 300
"""A server's own error message is cut to this many characters."""
MAX_ERROR_BODY = 64 * 1024
"""At most this much of an error reply is read."""
MAX_MODELS_BODY = 8 * 1024 * 1024
"""At most this much of a ``/models`` reply is read."""


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait: to connect, and for each piece of a reply (between streamed chunks)."""

    connect: float = 10.0
    read: float = 120.0
    write: float = 30.0

    def httpx(self) -> httpx.Timeout:
        import httpx

        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write,
                             pool=self.connect)


@dataclass(frozen=True)
class RemoteModelInfo:
    """A model a server offers. ``context_length``: its context window, when the server says."""

    id: str
    context_length: int | None = None


@dataclass(frozen=True)
class ProbeResult:
    models: list[RemoteModelInfo]
    latency_seconds: float  # the /models round trip


class RemoteError(UserFacingError):
    """A request to a remote server failed; the message says why in words.

    ``status``: the HTTP status when there was one. ``retry_after``: seconds the
    server asked to wait (429), when it said.
    """

    def __init__(self, text: UserText | str, *, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.retry_after = retry_after


# ---- cleaning untrusted text ---------------------------------------------------------

def clean_text(text: object, limit: int = MAX_SERVER_MESSAGE) -> str:
    """``text`` as one line of plain printable text, at most ``limit`` characters."""
    if not isinstance(text, str):
        text = json.dumps(text, ensure_ascii=False, default=str) if text is not None else ""
    out: list[str] = []
    for ch in text[: limit * 4]:
        category = unicodedata.category(ch)
        if ch in "\t\r\n":
            out.append(" ")
        elif category[0] == "C" or category in ("Zl", "Zp"):
            continue  # control, format (bidi overrides), unassigned, private use
        else:
            out.append(ch)
    cleaned = " ".join("".join(out).split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def _valid_model_id(value: object) -> str | None:
    if not isinstance(value, str) or not value or len(value) > MAX_MODEL_ID:
        return None
    if value != value.strip():
        return None
    if any(unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp")
           for ch in value):
        return None  # a name with control or bidi characters is not a model to offer
    return value


def _context_length(entry: dict[str, Any]) -> int | None:
    candidates: list[object] = [entry.get("max_model_len"), entry.get("context_length"),
                                entry.get("context_window"), entry.get("max_context_length")]
    meta = entry.get("meta")
    if isinstance(meta, dict):
        candidates += [meta.get("n_ctx_train"), meta.get("n_ctx"), meta.get("context_length")]
    for value in candidates:
        if isinstance(value, bool):
            continue
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and 0 < value <= MAX_CONTEXT_LENGTH:
            return value
    return None


def parse_models(data: object) -> list[RemoteModelInfo]:
    """The models in a ``/models`` reply (OpenAI's ``{"data": [...]}``), cleaned and bounded.

    Raises :class:`ValueError` if the reply is not such a list at all.
    """
    entries = data.get("data") if isinstance(data, dict) else None
    if entries is None and isinstance(data, dict):
        entries = data.get("models")  # some servers (Ollama's native API) name it so
    if not isinstance(entries, list):
        raise ValueError("no model list")
    models: list[RemoteModelInfo] = []
    seen: set[str] = set()
    for entry in entries:
        if len(models) >= MAX_MODELS:
            break
        if not isinstance(entry, dict):
            continue
        model_id = _valid_model_id(entry.get("id", entry.get("name")))
        if model_id is None or model_id in seen:
            continue
        seen.add(model_id)
        models.append(RemoteModelInfo(model_id, _context_length(entry)))
    return models


# ---- errors in words ----------------------------------------------------------------

def server_message(body: bytes) -> str:
    """The server's own short error message from an error reply body, cleaned; or ``""``."""
    try:
        data = json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        return ""
    return message_of(data)


def message_of(data: object) -> str:
    """The message of an OpenAI-style error object (``{"error": {"message": …}}`` and kin)."""
    for _ in range(3):
        if isinstance(data, dict):
            if "error" in data and data["error"] not in (None, ""):
                data = data["error"]
                continue
            for key in ("message", "detail", "msg"):
                if isinstance(data.get(key), str | list):
                    return clean_text(data[key])
            return ""
        if isinstance(data, str):
            return clean_text(data)
        return ""
    return ""


def retry_after_seconds(value: str | None) -> float | None:
    """The ``Retry-After`` header in seconds (a number or an HTTP date), if usable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, min(seconds, 86_400.0))


def http_error(config: ServerConfig, status: int, body: bytes, headers: httpx.Headers,
               *, model: str = "") -> RemoteError:
    """A failed reply (status ≥ 400) in words."""
    name = config.name
    detail = server_message(body)
    if status in (401, 403):
        text = user_text("remote.unauthorized", QT_TRANSLATE_NOOP(
            "core", "{server} refused the request ({status}): the API key is wrong or missing. "
            "Check the key in the server's settings."), server=name, status=status)
    elif status == 404:
        if model:
            text = user_text("remote.not_found_model", QT_TRANSLATE_NOOP(
                "core", "{server} does not know the model “{model}”, or the server address "
                "is wrong (404)."), server=name, model=clean_text(model, 120))
        else:
            text = user_text("remote.not_found", QT_TRANSLATE_NOOP(
                "core", "{server} answered 404 (not found): check the server address; it "
                "usually ends in /v1."), server=name)
    elif status == 429:
        wait = retry_after_seconds(headers.get("retry-after"))
        if wait is not None:
            text = user_text("remote.rate_limited_wait", QT_TRANSLATE_NOOP(
                "core", "{server} is rate limiting requests: try again in {seconds} seconds."),
                server=name, seconds=max(1, math.ceil(wait)))
        else:
            text = user_text("remote.rate_limited", QT_TRANSLATE_NOOP(
                "core", "{server} is rate limiting requests: wait a little and try again."),
                server=name)
        return RemoteError(text, status=status, retry_after=wait)
    elif status >= 500:
        if detail:
            text = user_text("remote.server_error_detail", QT_TRANSLATE_NOOP(
                "core", "{server} had an internal error ({status}): {detail}"),
                server=name, status=status, detail=detail)
        else:
            text = user_text("remote.server_error", QT_TRANSLATE_NOOP(
                "core", "{server} had an internal error ({status}). Try again later."),
                server=name, status=status)
    elif detail:
        text = user_text("remote.rejected_detail", QT_TRANSLATE_NOOP(
            "core", "{server} rejected the request ({status}): {detail}"),
            server=name, status=status, detail=detail)
    else:
        text = user_text("remote.rejected", QT_TRANSLATE_NOOP(
            "core", "{server} rejected the request ({status})."), server=name, status=status)
    return RemoteError(text, status=status)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def transport_error(config: ServerConfig, exc: Exception,
                    read_timeout: float = Timeouts.read) -> RemoteError:
    """A failure below HTTP (timeout, refused, DNS, TLS, dropped) in words."""
    import httpx

    name = config.name
    host = urlsplit(config.base_url).hostname or config.base_url
    chain = list(_chain(exc))
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or any(
            "CERTIFICATE_VERIFY_FAILED" in str(e) for e in chain):
        reason = next((e.verify_message for e in chain
                       if isinstance(e, ssl.SSLCertVerificationError) and e.verify_message), "")
        return RemoteError(user_text("remote.certificate", QT_TRANSLATE_NOOP(
            "core", "The certificate of {server} ({host}) could not be verified ({reason}). "
            "If the server uses a company or self-signed certificate authority, set its CA "
            "file in the server's settings."), server=name, host=host,
            reason=clean_text(reason or "not trusted", 120)))
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return RemoteError(user_text("remote.tls", QT_TRANSLATE_NOOP(
            "core", "A secure (TLS) connection to {server} ({host}) could not be set up. "
            "Check that the address starts with the right http:// or https://."),
            server=name, host=host))
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return RemoteError(user_text("remote.connect_timeout", QT_TRANSLATE_NOOP(
            "core", "{server} ({host}) did not accept the connection in time. Check the "
            "address and that the server is running."), server=name, host=host))
    if isinstance(exc, httpx.TimeoutException):
        return RemoteError(user_text("remote.read_timeout", QT_TRANSLATE_NOOP(
            "core", "{server} stopped answering (no data for {seconds} seconds)."),
            server=name, seconds=max(1, round(read_timeout))))
    if isinstance(exc, httpx.ProxyError):
        return RemoteError(user_text("remote.proxy", QT_TRANSLATE_NOOP(
            "core", "The proxy refused the connection to {server}: check the proxy setting."),
            server=name))
    if isinstance(exc, httpx.ConnectError):
        if any(isinstance(e, socket.gaierror) for e in chain) or any(
                "Name or service not known" in str(e) or "getaddrinfo" in str(e)
                or "nodename nor servname" in str(e) for e in chain):
            return RemoteError(user_text("remote.dns", QT_TRANSLATE_NOOP(
                "core", "The address of {server} ({host}) could not be found. Check the "
                "server address and the network connection."), server=name, host=host))
        return RemoteError(user_text("remote.refused", QT_TRANSLATE_NOOP(
            "core", "Could not connect to {server} ({host}): the connection was refused. "
            "Check that the server is running and the address is right."),
            server=name, host=host))
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError
                  | httpx.CloseError):
        return RemoteError(user_text("remote.dropped", QT_TRANSLATE_NOOP(
            "core", "The connection to {server} was lost."), server=name))
    return RemoteError(user_text("remote.network", QT_TRANSLATE_NOOP(
        "core", "Could not reach {server} ({host}): {cause}."), server=name, host=host,
        cause=type(exc).__name__))


def malformed(config: ServerConfig, what: str = "") -> RemoteError:
    return RemoteError(user_text("remote.malformed", QT_TRANSLATE_NOOP(
        "core", "{server} sent a reply Hearth could not read{what}. Is this an "
        "OpenAI-compatible server address (usually ending in /v1)?"),
        server=config.name, what=f" ({what})" if what else ""))


# ---- TLS ------------------------------------------------------------------------------

def ssl_context(config: ServerConfig) -> ssl.SSLContext:
    """Verification always on: the system's authorities and certifi's, plus ``ca_file``."""
    context = ssl.create_default_context()
    try:
        import certifi

        context.load_verify_locations(cafile=certifi.where())
    except (ImportError, OSError, ssl.SSLError):
        pass
    if config.ca_file:
        try:
            context.load_verify_locations(cafile=config.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise RemoteError(user_text("remote.bad_ca_file", QT_TRANSLATE_NOOP(
                "core", "The CA file “{path}” of {server} could not be read as PEM "
                "certificates ({cause})."), path=config.ca_file, server=config.name,
                cause=type(exc).__name__)) from exc
    return context


# ---- connections ----------------------------------------------------------------------

class Connection:
    """One borrowed HTTP connection; :meth:`abort` shuts its socket from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: list[Any] = []  # httpcore network streams this client opened
        self.aborted = False

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's ``trace`` extension: remember each socket as it is connected."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            if stream is not None:
                with self._lock:
                    if event == "connection.connect_tcp.complete":
                        self._streams = []  # one connection per client: the old one is gone
                    self._streams.append(stream)
                    abort_now = self.aborted
                if abort_now:
                    _shutdown(stream)

    def abort(self) -> None:
        """Close the connection now: a blocked read or connect in another thread ends at once."""
        with self._lock:
            self.aborted = True
            streams = list(self._streams)
        for stream in streams:
            _shutdown(stream)


def _shutdown(stream: Any) -> None:
    try:
        sock = stream.get_extra_info("socket")
    except Exception:  # any backend without sockets
        return
    if sock is None:
        return
    # The plain socket's shutdown, also for an SSLSocket: the reader thread's
    # blocked recv returns at once, and the SSL object stays for it to fail cleanly.
    with suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


@dataclass
class _Pooled:
    client: httpx.Client
    connection: Connection


class RemoteClient:
    """HTTP to one OpenAI-compatible server. Thread-safe; :meth:`close` when done."""

    def __init__(self, config: ServerConfig, api_key: str | None,
                 timeouts: Timeouts | None = None) -> None:
        self.config = config
        self.timeouts = timeouts or Timeouts()
        self._api_key = api_key or None
        self._base = config.base_url.rstrip("/")
        self._ssl: ssl.SSLContext | None = None
        self._lock = threading.Lock()
        self._idle: list[_Pooled] = []
        self._busy: dict[int, _Pooled] = {}
        self._closed = False

    def __repr__(self) -> str:  # never the key
        return f"RemoteClient({self.config.name!r}, {self._base!r})"

    @property
    def preset(self) -> Preset:
        return PRESETS_BY_ID.get(self.config.preset, PRESETS_BY_ID["custom"])

    @property
    def host(self) -> str:
        parts = urlsplit(self._base)
        return parts.netloc.rpartition("@")[2] or self._base

    def url(self, path: str) -> str:
        return f"{self._base}/{path.lstrip('/')}"

    def headers(self) -> dict[str, str]:
        headers = {"User-Agent": "Hearth", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _new_client(self) -> _Pooled:
        import httpx

        if self._ssl is None:
            self._ssl = ssl_context(self.config)
        connection = Connection()
        client = httpx.Client(
            verify=self._ssl, proxy=self.config.proxy or None, timeout=self.timeouts.httpx(),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            follow_redirects=False)
        return _Pooled(client, connection)

    @contextmanager
    def connection(self) -> Iterator[tuple[httpx.Client, Connection]]:
        """Borrow an HTTP client with one connection, kept alive for the next request.

        Pass ``extensions={"trace": connection.trace}`` on its requests so that
        :meth:`Connection.abort` can reach the socket. An aborted or failed
        connection is closed instead of returned.
        """
        with self._lock:
            if self._closed:
                raise RemoteError(user_text("remote.closed", QT_TRANSLATE_NOOP(
                    "core", "The connection to {server} was closed."), server=self.config.name))
            pooled = self._idle.pop() if self._idle else None
        if pooled is None:
            pooled = self._new_client()
        pooled.connection.aborted = False
        with self._lock:
            self._busy[id(pooled)] = pooled
        ok = False
        try:
            yield pooled.client, pooled.connection
            ok = not pooled.connection.aborted
        finally:
            with self._lock:
                self._busy.pop(id(pooled), None)
                keep = ok and not self._closed and len(self._idle) < 4
                if keep:
                    self._idle.append(pooled)
            if not keep:
                pooled.client.close()

    def _get_json(self, path: str, limit: int) -> object:
        return self.request_json("GET", path, limit)

    def request_json(self, method: str, path: str, limit: int, *,
                     body: object = None, model: str = "") -> object:
        """One request with a JSON reply of at most ``limit`` bytes; its JSON, parsed.

        ``body`` is sent as JSON when given; ``model`` names the model a 404
        is about. Every failure is a :class:`RemoteError` in words (HTTP
        status, transport, a reply that is not JSON).
        """
        import httpx

        options: dict[str, Any] = {} if body is None else {"json": body}
        try:
            with self.connection() as (client, conn), client.stream(
                    method, self.url(path), headers=self.headers(),
                    extensions={"trace": conn.trace}, **options) as response:
                data = _read_limited(response, limit)
                if response.status_code >= 400:
                    raise http_error(self.config, response.status_code, data, response.headers,
                                     model=model)
        except httpx.HTTPError as exc:
            raise transport_error(self.config, exc, self.timeouts.read) from None
        if response.status_code >= 300:
            raise malformed(self.config, f"HTTP {response.status_code}")
        try:
            return json.loads(data)
        except ValueError:
            raise malformed(self.config, "not JSON") from None

    def list_models(self) -> list[RemoteModelInfo]:
        """The server's models (``GET /models``). Raises :class:`RemoteError`."""
        data = self._get_json("models", MAX_MODELS_BODY)
        try:
            return parse_models(data)
        except ValueError:
            raise malformed(self.config, "no model list") from None

    def probe(self) -> ProbeResult:
        """Check the server answers: its models and the round trip's time."""
        started = time.perf_counter()
        models = self.list_models()
        return ProbeResult(models, time.perf_counter() - started)

    def abort_all(self) -> None:
        """Shut every connection in use now (shutdown)."""
        with self._lock:
            busy = list(self._busy.values())
        for pooled in busy:
            pooled.connection.abort()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        self.abort_all()
        for pooled in idle:
            pooled.client.close()


def _read_limited(response: httpx.Response, limit: int) -> bytes:
    data = bytearray()
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) > limit:
            break
    return bytes(data[:limit])
