"""The local llama.cpp engine, running in a child process.

llama.cpp can abort or segfault (a malformed file, a CPU kernel, a GPU
driver). Running it in its own process means such a crash costs the current
reply, never the window or the history. :class:`LocalEngine` implements the
:class:`~desktop_app.core.engine.api.Engine` interface on the parent side:
it starts the child lazily, forwards commands over a pipe, and turns the
child's death into an :class:`EngineCrashed` event naming the signal. The next
``load`` or ``generate`` starts a fresh child and reloads the last model.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from desktop_app.core.engine.api import (
    EngineCrashed,
    EngineEvent,
    GenerateRequest,
    GenerationFailed,
    LoadFailed,
    LoadOptions,
    ModelLoaded,
    ReplyFinished,
)
from desktop_app.core.engine.protocol import Cancel, Command, Shutdown, Unload
from desktop_app.core.engine.runner import serve

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 5.0


def describe_exit(exitcode: int | None) -> str:
    """A readable cause of death for a child process's exit code."""
    if exitcode is None:
        return "stopped responding"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hints = {"SIGKILL": " — possibly killed by the system for lack of memory",
                 "SIGSEGV": " — a crash inside llama.cpp",
                 "SIGABRT": " — llama.cpp aborted"}
        return f"was terminated by {name}{hints.get(name, '')}"
    return f"exited unexpectedly with code {exitcode}"


class LocalEngine:
    """:class:`Engine` backed by llama-cpp-python in a child process.

    All methods except :meth:`wakeup` must be called from one thread (the
    GUI's worker thread, the CLI, a benchmark).
    """

    def __init__(self, log_level: int = logging.WARNING, stderr_path: Path | None = None) -> None:
        """``stderr_path``: a file for the child's stderr (llama.cpp's messages); None inherits."""
        self._ctx = multiprocessing.get_context("spawn")
        self._log_level = log_level
        self._stderr_path = stderr_path
        self._stderr_start = 0  # where the current child's output begins in that file
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._wake_r, self._wake_w = self._ctx.Pipe(duplex=False)
        self._wake_lock = threading.Lock()
        self._last_load: LoadOptions | None = None
        self._active_request: int | None = None
        self._loaded = False
        self._pending: list[EngineEvent] = []

    # ---- process management ----------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The child's process id (tests kill it to simulate crashes)."""
        return self._process.pid if self._process is not None else None

    def _ensure_process(self) -> Connection:
        if self._process is not None and self._conn is not None and self._process.is_alive():
            return self._conn
        parent, child = self._ctx.Pipe(duplex=True)
        stderr = str(self._stderr_path) if self._stderr_path is not None else None
        if self._stderr_path is not None:
            try:
                self._stderr_start = self._stderr_path.stat().st_size
            except OSError:
                self._stderr_start = 0
        process = self._ctx.Process(target=serve, args=(child, self._log_level, stderr),
                                    name="hearth-engine", daemon=True)
        process.start()
        child.close()
        self._process, self._conn = process, parent
        self._loaded = False
        return parent

    def _send(self, command: Command) -> None:
        conn = self._ensure_process()
        try:
            conn.send(command)
        except (BrokenPipeError, ConnectionResetError, OSError):
            # The child died between the check and the send; poll_events reports it.
            log.warning("engine pipe broke while sending %s", type(command).__name__)

    def _reap(self) -> EngineCrashed:
        """The child is gone: collect it and describe what happened."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        self._loaded = False
        if conn is not None:
            conn.close()
        exitcode: int | None = None
        if process is not None:
            process.join(timeout=2.0)
            exitcode = process.exitcode
            if exitcode is not None:
                process.close()
        rid, self._active_request = self._active_request, None
        cause = describe_exit(exitcode)
        doing = "while generating a reply" if rid is not None else "while idle or loading"
        message = (f"The engine process {cause} {doing}. Everything up to the crash is saved; "
                   "the model will be loaded again when you send the next message.")
        last_words = self._stderr_tail()
        if last_words and exitcode == -signal.SIGABRT:
            # An abort usually prints its reason (e.g. a GGML_ASSERT) just before.
            message += f" llama.cpp's last message: {last_words[-1]}"
        log.error("engine process %s (exit code %s); end of its output:\n%s", cause, exitcode,
                  "\n".join(last_words))
        return EngineCrashed(message, rid)

    def _stderr_tail(self, max_bytes: int = 4096, lines: int = 12) -> list[str]:
        """The last lines the child wrote to its stderr file (empty if it has none)."""
        if self._stderr_path is None:
            return []
        try:
            with self._stderr_path.open("rb") as f:
                f.seek(0, os.SEEK_END)
                # Only what this child wrote: the file is shared by every run.
                f.seek(max(self._stderr_start, f.tell() - max_bytes))
                tail = f.read().decode("utf-8", "replace")
        except OSError:
            return []
        return [line.strip() for line in tail.splitlines() if line.strip()][-lines:]

    # ---- Engine interface ------------------------------------------------------

    def load(self, options: LoadOptions) -> None:
        self._last_load = options
        self._loaded = False
        self._send(options)

    def generate(self, request: GenerateRequest) -> None:
        crashed_before = self._process is None or not self._process.is_alive()
        if crashed_before and self._last_load is None:
            self._pending.append(GenerationFailed(request.request_id,
                                                  "No model is loaded. Choose a model first."))
            return
        if crashed_before and self._last_load is not None:
            self._send(self._last_load)  # a fresh child: reload the last model first
        self._active_request = request.request_id
        self._send(request)

    def cancel(self, request_id: int) -> None:
        if self._conn is not None:
            self._send(Cancel(request_id))

    def unload(self) -> None:
        self._last_load = None
        if self._conn is not None:
            self._send(Unload())

    def poll_events(self, timeout: float) -> list[EngineEvent]:
        events, self._pending = self._pending, []
        if events:
            timeout = 0.0
        waitables: list[object] = [self._wake_r]
        if self._conn is not None and self._process is not None:
            waitables += [self._conn, self._process.sentinel]
        ready = wait(waitables, timeout)  # type: ignore[arg-type]
        if self._wake_r in ready:
            while self._wake_r.poll():
                self._wake_r.recv_bytes()
        conn = self._conn
        if conn is None:
            return events
        try:
            while conn.poll():
                events.append(self._track(conn.recv()))
        except (EOFError, OSError):
            events.append(self._reap())
            return events
        except Exception:
            # A message cut off by the child's death (or otherwise unreadable)
            # leaves the pipe unusable: end the child and report it as a crash.
            log.exception("unreadable message from the engine process")
            if self._process is not None and self._process.is_alive():
                self._process.kill()
            events.append(self._reap())
            return events
        process = self._process
        if process is not None and process.sentinel in ready and not process.is_alive():
            events.append(self._reap())
        return events

    def _track(self, event: EngineEvent) -> EngineEvent:
        match event:
            case ReplyFinished(request_id=rid) | GenerationFailed(request_id=rid):
                if rid == self._active_request:
                    self._active_request = None
            case ModelLoaded():
                self._loaded = True
            case LoadFailed():
                self._loaded = False
        return event

    def wakeup(self) -> None:
        with self._wake_lock:
            if not self._wake_w.closed:
                self._wake_w.send_bytes(b"")

    def shutdown(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if process is not None and conn is not None:
            with contextlib.suppress(OSError):
                conn.send(Shutdown())
            process.join(SHUTDOWN_GRACE)
            if process.is_alive():
                log.warning("engine process did not exit; killing it")
                process.kill()
                process.join(2.0)
            conn.close()
            process.close()
        self._wake_r.close()
        with self._wake_lock:
            self._wake_w.close()
