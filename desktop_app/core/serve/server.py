"""``ApiServer``: Hearth's OpenAI-compatible API on uvicorn, in its own thread.

The socket is bound here, before uvicorn starts, so the errors a user can
fix (the port is taken, the address is not this computer's, a port below
1024 needs privileges) come back from :meth:`ApiServer.start` in words, and
port 0 (any free port, for tests) shows its real number in :attr:`address`.

The server owns the engine it is given: in the window that is a broker
client of its own (``broker.client("api", can_load=False)``), in ``hearth
serve`` too. :meth:`ApiServer.stop` ends the requests in flight and shuts
that engine down, which for a broker client means leaving the broker. A
server runs once: make a new one (with a new client) to start again.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import socket
import threading
import time
from collections.abc import Callable

import uvicorn

from desktop_app.core.documents.embedders import Embedder, UniversalSentenceEncoder
from desktop_app.core.engine.api import Engine
from desktop_app.core.serve.app import build_app
from desktop_app.core.serve.config import ApiServerSettings
from desktop_app.core.serve.pump import EnginePump
from desktop_app.core.serve.security import RequestRecord, allowed_hosts
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserFacingError, user_text

log = logging.getLogger(__name__)

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
GRACEFUL_SECONDS = 3
"""Seconds open connections get to finish when the server stops."""
MAX_CONNECTIONS = 64
"""Open connections at once; uvicorn answers 503 beyond (a flood costs little)."""


class ServeError(UserFacingError):
    """The server could not start; the message says why and what to do."""


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or ServeError in words."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise ServeError(user_text("serve.bad_address", QT_TRANSLATE_NOOP(
            "core", "The API server cannot listen on “{host}”: it is not an address of this "
            "computer ({reason})."), host=host, reason=str(exc))) from exc
    # "localhost" may resolve to ::1 first; clients mostly try 127.0.0.1.
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        if hasattr(socket, "SO_REUSEADDR") and not hasattr(socket, "SO_EXCLUSIVEADDRUSE"):
            # POSIX: restart at once after a stop (TIME_WAIT), still refusing a port in use.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(128)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise _bind_error(host, port, exc) from exc
    return sock


def _bind_error(host: str, port: int, exc: OSError) -> ServeError:
    if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
        return ServeError(user_text("serve.port_in_use", QT_TRANSLATE_NOOP(
            "core", "Port {port} is already in use by another program. Choose another port "
            "for the API server."), port=port))
    if exc.errno in (errno.EACCES, errno.EPERM):
        return ServeError(user_text("serve.port_denied", QT_TRANSLATE_NOOP(
            "core", "The system does not allow listening on port {port} (ports below 1024 need "
            "administrator rights). Choose a port from 1024 to 65535."), port=port))
    if exc.errno in (errno.EADDRNOTAVAIL, getattr(errno, "WSAEADDRNOTAVAIL", -1)):
        return ServeError(user_text("serve.address_unavailable", QT_TRANSLATE_NOOP(
            "core", "The API server cannot listen on {host}: it is not an address of this "
            "computer."), host=host))
    return ServeError(user_text("serve.cannot_listen", QT_TRANSLATE_NOOP(
        "core", "The API server cannot listen on {host} port {port}: {reason}"),
        host=host, port=port, reason=exc.strerror or str(exc)))


class ApiServer:
    """The OpenAI-compatible API over ``engine`` (see the module docstring).

    ``model_name``: the id clients use for whatever model is loaded; None (the
    default) gives the loaded file's stem, which follows a model switch in the
    window (see ``app``). ``embedder`` answers ``/v1/embeddings``: the bundled
    multilingual encoder unless given (the window passes the documents' own,
    so it is loaded once). ``settings.enabled`` is the caller's business: a
    server that is started serves.

    Attributes:
        on_request: called from a server thread with each finished request's
            :class:`RequestRecord` (no content, no key); the GUI shows a live count.
    """

    def __init__(self, engine: Engine, settings: ApiServerSettings, api_key: str,
                 model_name: str | None = None, embedder: Embedder | None = None) -> None:
        if not api_key:
            raise ValueError("the API server needs a key")
        self.on_request: Callable[[RequestRecord], None] | None = None
        self._settings = settings
        self._api_key = api_key
        self._model_name = model_name
        # The bundled encoder loads on the first /v1/embeddings request, not here.
        self._embedder = embedder if embedder is not None else UniversalSentenceEncoder()
        self._pump = EnginePump(engine)
        self._lock = threading.Lock()
        self._request_count = 0
        self._active = 0
        self._port = settings.port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._failure: BaseException | None = None

    # ---- state ----------------------------------------------------------------------

    @property
    def address(self) -> str:
        """The base URL clients use, e.g. ``http://127.0.0.1:8765/v1`` (the real port)."""
        host = self._settings.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self._port}/v1"

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.started and \
            self._thread is not None and self._thread.is_alive()

    @property
    def request_count(self) -> int:
        """Requests answered since the start (refused ones included)."""
        with self._lock:
            return self._request_count

    @property
    def active_requests(self) -> int:
        """Requests being answered now."""
        with self._lock:
            return self._active

    # ---- life -----------------------------------------------------------------------

    def start(self) -> None:
        """Listen, or raise :class:`ServeError`; returns once requests are accepted."""
        if self._server is not None:
            raise RuntimeError("an ApiServer starts once; make a new one")
        try:
            # Port 0 (any free port) is for tests; the settings form never offers it.
            dataclasses.replace(self._settings, port=self._settings.port or 1).validate()
            sock = _bind(self._settings.host, self._settings.port)
        except ValueError as exc:
            self._pump.stop()  # the engine (client) is this server's, started or not
            raise ServeError(str(exc)) from exc
        except ServeError:
            self._pump.stop()
            raise
        self._socket = sock
        self._port = sock.getsockname()[1]
        app = build_app(self._pump, self._settings, self._api_key,
                        hosts=allowed_hosts(self._settings.host, self._port,
                                            self._settings.allowed_hosts),
                        model_name=self._model_name, embedder=self._embedder,
                        on_start=self._request_started, on_record=self._request_ended)
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off",
                                server_header=False, proxy_headers=False,
                                limit_concurrency=MAX_CONNECTIONS,
                                timeout_graceful_shutdown=GRACEFUL_SECONDS)
        self._server = server = uvicorn.Server(config)
        self._pump.start()
        self._thread = threading.Thread(target=self._serve, args=(server, sock),
                                        name="hearth-api-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ServeError(user_text("serve.failed", QT_TRANSLATE_NOOP(
                    "core", "The API server did not start: {reason}"),
                    reason=str(self._failure or "it did not answer in time")))
            time.sleep(0.01)  # start-up only
        log.info("API server listening on %s", self.address)

    def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported by start(), or logged when running
            self._failure = exc
            log.exception("the API server stopped on an error")

    def stop(self) -> None:
        """Stop listening, end the requests in flight, shut the engine (client) down."""
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
        # First the replies (each ends with an error its request passes on), so the
        # server's graceful shutdown has no stream left to wait for.
        self._pump.stop()
        if thread is not None:
            thread.join(STOP_TIMEOUT + GRACEFUL_SECONDS)
            if thread.is_alive():
                log.error("the API server thread did not stop")
        if self._socket is not None:
            self._socket.close()
        log.info("API server stopped after %d requests", self.request_count)

    # ---- request accounting (server threads) --------------------------------------------

    def _request_started(self) -> None:
        with self._lock:
            self._active += 1

    def _request_ended(self, record: RequestRecord) -> None:
        with self._lock:
            self._active -= 1
            self._request_count += 1
        callback = self.on_request
        if callback is not None:
            try:
                callback(record)
            except Exception:  # the GUI's bug must not fail the request
                log.exception("on_request callback failed")
