"""The engine child process: receives commands over a pipe, runs llama.cpp, sends events.

This is the only place llama-cpp-python is imported in Hearth. If llama.cpp
aborts or segfaults, only this process dies; the parent notices through the
process sentinel and reports it.

While a reply streams, the loop checks the pipe after every token, so a
cancel takes effect within one token. Other commands arriving meanwhile are
kept in order and run after the reply.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from multiprocessing.connection import Connection

from desktop_app.core.engine.api import (
    GenerateRequest,
    GenerationFailed,
    LoadFailed,
    LoadOptions,
    ParameterError,
)
from desktop_app.core.engine.loader import LoadError, load_model
from desktop_app.core.engine.protocol import Cancel, Command, Shutdown, Unload
from desktop_app.core.engine.session import GenerationError, Session

log = logging.getLogger(__name__)


class Runner:
    """Dispatches commands in the child. One model at a time."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._inbox: deque[Command] = deque()
        self._session: Session | None = None
        self._llama_closer: object | None = None
        self._shutdown = False

    def loop(self) -> None:
        while not self._shutdown:
            if self._inbox:
                command = self._inbox.popleft()
            else:
                try:
                    command = self._conn.recv()
                except (EOFError, OSError):
                    return  # the parent is gone
            self._dispatch(command)
        self._unload()

    def _dispatch(self, command: Command) -> None:
        match command:
            case LoadOptions():
                self._load(command)
            case GenerateRequest():
                self._generate(command)
            case Unload():
                self._unload()
            case Shutdown():
                self._shutdown = True
            case Cancel():
                pass  # the reply it names has already ended

    def _load(self, options: LoadOptions) -> None:
        self._unload()
        try:
            model = load_model(options)
        except LoadError as exc:
            self._conn.send(LoadFailed(options.model_path, str(exc)))
            return
        self._session = Session(model)
        self._llama_closer = model.llama
        self._conn.send(model.event)

    def _unload(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        llama, self._llama_closer = self._llama_closer, None
        close = getattr(llama, "close", None)
        if close is not None:
            close()

    def _generate(self, request: GenerateRequest) -> None:
        if self._session is None:
            self._conn.send(GenerationFailed(request.request_id,
                                             "No model is loaded. Choose a model first."))
            return

        def cancelled() -> bool:
            stop = False
            while self._conn.poll():
                command = self._conn.recv()
                if isinstance(command, Cancel) and command.request_id == request.request_id:
                    stop = True
                elif isinstance(command, Shutdown):
                    self._shutdown = True
                    stop = True
                else:
                    self._inbox.append(command)
            return stop

        try:
            self._session.generate(request, self._conn.send, cancelled)
        except (GenerationError, ParameterError) as exc:
            self._conn.send(GenerationFailed(request.request_id, str(exc)))


def _redirect_stderr(path: str) -> None:
    """Send this process's stderr (llama.cpp's own messages and any abort text) to ``path``.

    llama.cpp writes straight to file descriptor 2, so the redirect is done on
    the descriptor, not on ``sys.stderr``. The parent reads the end of the file
    when this process dies, so a crash report can say what llama.cpp said last.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)


def serve(conn: Connection, log_level: int = logging.WARNING,
          stderr_path: str | None = None) -> None:
    """The child process's entry point (a module-level function so ``spawn`` can pickle it)."""
    if stderr_path is not None:
        _redirect_stderr(stderr_path)
    logging.basicConfig(level=log_level, format="engine %(levelname)s %(name)s: %(message)s")
    try:
        Runner(conn).loop()
    finally:
        conn.close()
