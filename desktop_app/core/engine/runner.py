"""The engine child process: receives commands over a pipe, runs llama.cpp, sends events.

This is the only place llama-cpp-python is imported in Hearth. If llama.cpp
aborts or segfaults, only this process dies; the parent notices through the
process sentinel and reports it.

While a reply streams, the loop checks the pipe after every token, so a
cancel takes effect within one token. Other commands arriving meanwhile are
kept in order and run after the reply.

Tokens go to the parent in small batches (:class:`_Outbox`): a reply's first
text at once, then at most one message per :func:`token_batch_seconds`. One
pickled message per token cost the parent a wake-up of two threads per token
(the broker's and the GUI worker's), on the same cores as llama.cpp.

Two more duties keep a stuck engine from going unnoticed or outliving Hearth:

* **Heartbeats.** The parent restarts an engine that stays silent too long
  while busy (``process``). A heartbeat thread says "alive" every second
  while llama.cpp works (loading, prefill, decoding), which legitimately
  takes minutes on a big model; those calls release the GIL, so the thread
  runs. It does *not* beat while the model's chat template renders: that is
  untrusted Python, bounded by its own budget, and only the end of each
  render counts as a sign of life. So silence means the process is stopped
  (SIGSTOP, a debugger) or stuck, never merely slow.
* **Dying with the parent.** On Linux the kernel kills this process when
  the parent dies (``PR_SET_PDEATHSIG``); everywhere, a thread watching the
  parent's sentinel ends it too, even in the middle of a render or a reply.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection, wait

from desktop_app.core import hardware
from desktop_app.core.engine.api import (
    NO_MODEL_LOADED,
    EngineEvent,
    GenerateRequest,
    GenerationFailed,
    LoadFailed,
    LoadOptions,
    ParameterError,
    TokenChunk,
)
from desktop_app.core.engine.loader import LoadError, load_model, threads_for
from desktop_app.core.engine.protocol import Cancel, Command, Heartbeat, Phase, Shutdown, Unload
from desktop_app.core.engine.session import GenerationError, Session
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, user_text

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 1.0
TOKEN_BATCH_SECONDS = 0.05
"""After a reply's first text, at most one message of its text per this many seconds.

The pace at which the window repaints a streaming reply (its worker sends the
GUI at most one batch per 50 ms, ``ui.common.engine_worker``), so every message
becomes one repaint; fewer messages would hold text back from the screen, more
would wake the parent's threads (pipe, broker, worker) for nothing. A model
slower than one token per batch is not slowed at all: a token that comes after
a pause this long goes out at once.
"""
BUSY_TOKEN_BATCH_SECONDS = 0.1
"""The same when llama.cpp's threads take every CPU the process may use (a 2-core laptop).

Then each repaint is taken from a llama.cpp thread, and ggml's other threads
wait for it at their next barrier: the parent's CPU comes off the decode rate
one for one. On 2 cores, 100 ms instead of 50 cut the parent's CPU per token
by 30 % (``bench_chat_view.py --pipe-cost``); ten updates a second still read
as a stream. A machine with a CPU to spare keeps the smoother pace.
"""


def token_batch_seconds(n_threads: int, cpus: int) -> float:
    """The batch interval for a model decoding on ``n_threads`` of the process's ``cpus``."""
    return BUSY_TOKEN_BATCH_SECONDS if n_threads >= cpus else TOKEN_BATCH_SECONDS


_BEATING = frozenset({Phase.LOADING, Phase.GENERATING})
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def merge_chunks(chunks: list[TokenChunk]) -> list[TokenChunk]:
    """Consecutive chunks of one request and kind (answer or thinking) joined into one."""
    merged: list[TokenChunk] = []
    for chunk in chunks:
        last = merged[-1] if merged else None
        if last is not None and (last.request_id, last.thinking) == (chunk.request_id,
                                                                     chunk.thinking):
            merged[-1] = replace(last, text=last.text + chunk.text)
        else:
            merged.append(chunk)
    return merged


class _Outbox:
    """The pipe's sending end, shared by the main thread and the heartbeat thread.

    A ``Connection`` is not safe for two threads sending at once (messages
    could interleave), hence the lock. ``phase`` is what the main thread is
    doing; setting it sends a heartbeat at once, so the parent knows.

    Text is held back briefly and sent merged, for ``batch_seconds`` (see
    :func:`token_batch_seconds`; the runner sets it for each model it loads);
    only the main thread sends text, so what is held needs no lock. Nothing is
    held past the reply: any other event (the reply's end, a failure, tool
    calls) sends the held text first, and :meth:`tick`, called after every
    token the model makes, sends it once it is due even while no new text
    comes (a tool call's markup, which is never shown, can take many tokens).
    """

    def __init__(self, conn: Connection, batch_seconds: float = TOKEN_BATCH_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self.phase = Phase.IDLE
        self.batch_seconds = batch_seconds
        self._clock = clock
        self._held: list[TokenChunk] = []
        self._due = 0.0  # when the held text must go
        self._started: set[int] = set()  # replies whose first text has gone out

    def send(self, message: EngineEvent) -> None:
        """Send an event from the main thread; text may wait a little (class docstring)."""
        if isinstance(message, TokenChunk):
            self._held.append(message)
            if message.request_id not in self._started:
                self._started.add(message.request_id)
                self.flush()  # the first text at once: time to first token is unchanged
            elif self._clock() >= self._due:
                self.flush()
            return
        self.flush()
        self._send(message)

    def tick(self) -> None:
        """Send the held text if it is due (the main thread calls this after every token)."""
        if self._held and self._clock() >= self._due:
            self.flush()

    def flush(self) -> None:
        """Send the held text now."""
        if not self._held:
            return
        held, self._held = self._held, []
        with self._lock:
            for chunk in merge_chunks(held):
                self._conn.send(chunk)
        self._due = self._clock() + self.batch_seconds

    def end(self, request_id: int) -> None:
        """The reply is over (whatever its end): nothing of it may stay held."""
        self.flush()
        self._started.discard(request_id)

    def _send(self, message: EngineEvent | Heartbeat) -> None:
        with self._lock:
            self._conn.send(message)

    def beat(self) -> None:
        """A heartbeat for the current phase (the heartbeat thread's call; never sends text)."""
        self._send(Heartbeat(self.phase))

    def set_phase(self, phase: Phase) -> None:
        self.phase = phase
        self._send(Heartbeat(phase))


def _beat(outbox: _Outbox, stop: threading.Event) -> None:
    """The heartbeat thread: a beat a second while llama.cpp works (see the module docstring)."""
    while not stop.wait(HEARTBEAT_INTERVAL):
        if outbox.phase in _BEATING:
            try:
                outbox.beat()
            except (OSError, ValueError):
                return  # the pipe is gone: the parent is, too


class Runner:
    """Dispatches commands in the child. One model at a time."""

    def __init__(self, conn: Connection, batch_seconds: float | None = None) -> None:
        """``batch_seconds``: the text batch interval; None chooses it for each model
        loaded, from its threads and the CPUs (:func:`token_batch_seconds`)."""
        self._conn = conn
        self._out = _Outbox(conn, TOKEN_BATCH_SECONDS if batch_seconds is None else batch_seconds)
        self._fixed_batches = batch_seconds is not None
        self._inbox: deque[Command] = deque()
        self._session: Session | None = None
        self._llama_closer: object | None = None
        self._shutdown = False

    def loop(self) -> None:
        stop_beating = threading.Event()
        beater = threading.Thread(target=_beat, args=(self._out, stop_beating),
                                  name="hearth-engine-heartbeat", daemon=True)
        beater.start()
        try:
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
        finally:
            stop_beating.set()

    def _dispatch(self, command: Command) -> None:
        """Run one command. A bug anywhere below costs that command, not the process:
        an uncaught exception used to end the engine with exit code 1 on every message."""
        try:
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
        except (BrokenPipeError, ConnectionError, EOFError):
            raise  # the pipe itself failed: the parent is gone, nobody to report to
        except Exception as exc:
            self._report_bug(command, exc)
        finally:
            with contextlib.suppress(OSError):
                self._out.set_phase(Phase.IDLE)

    def _report_bug(self, command: Command, exc: Exception) -> None:
        log.exception("engine command %s failed", type(command).__name__)
        message = user_text("engine.bug", QT_TRANSLATE_NOOP(
            "core", "The engine hit an unexpected error: {error}"),
            error=f"{type(exc).__name__}: {exc}")
        match command:
            case LoadOptions(model_path=path):
                with contextlib.suppress(Exception):
                    self._unload()
                self._out.send(LoadFailed(path, message))
            case GenerateRequest(request_id=rid):
                self._out.send(GenerationFailed(rid, message))

    def _load(self, options: LoadOptions) -> None:
        self._out.set_phase(Phase.LOADING)
        self._unload()
        try:
            model = load_model(options)
        except LoadError as exc:
            self._out.send(LoadFailed(options.model_path, exc.text))
            return
        self._session = Session(model, options.draft_model_path, options.draft_candidates)
        self._llama_closer = model.llama
        if not self._fixed_batches:
            self._out.batch_seconds = token_batch_seconds(threads_for(options),
                                                          hardware.logical_cpus())
        self._out.send(model.event)

    def _unload(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        llama, self._llama_closer = self._llama_closer, None
        close = getattr(llama, "close", None)
        if close is not None:
            close()

    def _generate(self, request: GenerateRequest) -> None:
        # Restoring a saved KV cache comes before the prompt is rendered: llama.cpp's work.
        self._out.set_phase(Phase.GENERATING)
        if self._session is None:
            self._out.send(GenerationFailed(request.request_id, NO_MODEL_LOADED))
            return

        def cancelled() -> bool:
            self._out.tick()
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
            self._session.generate(request, self._out.send, cancelled, self._out.set_phase)
        except GenerationError as exc:
            self._out.send(GenerationFailed(request.request_id, exc.text))
        except ParameterError as exc:
            self._out.send(GenerationFailed(request.request_id, str(exc)))
        finally:
            self._out.end(request.request_id)


def _redirect_stderr(path: str) -> None:
    """Send this process's stderr (llama.cpp's own messages and any abort text) to ``path``.

    llama.cpp writes straight to file descriptor 2, so the redirect is done on
    the descriptor, not on ``sys.stderr``. The parent reads the end of the file
    when this process dies, so a crash report can say what llama.cpp said last.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)


def _die_with_parent() -> None:
    """End this process as soon as its parent dies, whatever it is doing.

    After ``hearth chat`` was killed, its engine went on rendering a hostile
    template at 90% CPU as an orphan. The pipe's EOF is only noticed between
    commands, so two guards that need no cooperation from the main thread:

    * Linux: ``PR_SET_PDEATHSIG`` makes the kernel send SIGKILL when the
      parent *thread* that started us exits (the engine worker thread, which
      lives as long as the engine). If the parent died before the call took
      effect, ``getppid`` has already changed: exit now.
    * Everywhere: a thread waits on the parent's sentinel (a pipe or process
      handle that becomes ready when the parent is gone) and calls
      ``os._exit``, which skips cleanup that could block on a stuck main thread.
    """
    parent = multiprocessing.parent_process()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
                log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
        except (OSError, AttributeError) as exc:
            log.warning("prctl(PR_SET_PDEATHSIG) is not available: %s", exc)
        if parent is not None and parent.pid is not None and os.getppid() != parent.pid:
            os._exit(1)
    if parent is None:
        return
    sentinel = parent.sentinel

    def watch() -> None:
        wait([sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="hearth-engine-parent-watch", daemon=True).start()


def serve(conn: Connection, log_level: int = logging.WARNING,
          stderr_path: str | None = None) -> None:
    """The child process's entry point (a module-level function so ``spawn`` can pickle it)."""
    _die_with_parent()
    if stderr_path is not None:
        _redirect_stderr(stderr_path)
    logging.basicConfig(level=log_level, format="engine %(levelname)s %(name)s: %(message)s")
    try:
        Runner(conn).loop()
    finally:
        conn.close()
