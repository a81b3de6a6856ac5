"""The local llama.cpp engine, running in a child process.

llama.cpp can abort or segfault (a malformed file, a CPU kernel, a GPU
driver). Running it in its own process means such a crash costs the current
reply, never the window or the history. :class:`LocalEngine` implements the
:class:`~desktop_app.core.engine.api.Engine` interface on the parent side:
it starts the child lazily, forwards commands over a pipe, and turns the
child's death into an :class:`EngineCrashed` event naming the signal. The next
``load`` or ``generate`` starts a fresh child and reloads the last model.

A child can also stop answering without dying: stopped (SIGSTOP, a
debugger), or stuck. Two parent-side timers catch that, so nothing queued
behind it waits forever:

* **the watchdog**: while a load or a reply is outstanding, the child sends
  a heartbeat every second (see ``runner``); when it has been silent for
  ``LoadOptions.watchdog_seconds``, the parent kills it, reports the reply
  that was running as interrupted, starts a new child, reloads the model and
  sends it whatever was queued behind;
* **the cancel grace**: a reply the user stopped must end within
  ``cancel_grace`` seconds (one token normally); if it does not (a stopped
  child, a prefill of a long prompt), the child is killed and restarted the
  same way.

Commands go to the child through a sender thread, so a child that stopped
reading (its pipe buffer full) can never block the caller, and the timers
keep running.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from desktop_app.core.engine.api import (
    DEFAULT_WATCHDOG_SECONDS,
    NO_MODEL_LOADED,
    EngineCrashed,
    EngineEvent,
    GenerateRequest,
    GenerationFailed,
    LoadFailed,
    LoadOptions,
    ModelLoaded,
    ReplyFinished,
)
from desktop_app.core.engine.child_entry import serve  # not runner's: see child_entry
from desktop_app.core.engine.protocol import Cancel, Command, Heartbeat, Phase, Shutdown, Unload
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserText, user_text

log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 5.0
CANCEL_GRACE = 5.0
"""Seconds a stopped reply may take to end before the engine is killed and restarted."""

_Work = LoadOptions | GenerateRequest
_TEMPLATE_ADVICE = user_text("engine.template_advice", QT_TRANSLATE_NOOP(
    "core", "This model's chat template is the likely cause, and it would do the same again: "
    "choose the built-in prompt format in the model's settings."))


def describe_exit(exitcode: int | None) -> UserText:
    """A readable cause of death for a child process's exit code."""
    if exitcode is None:
        return user_text("engine.exit.silent", QT_TRANSLATE_NOOP("core", "stopped responding"))
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        if name == "SIGKILL":
            return user_text("engine.exit.sigkill", QT_TRANSLATE_NOOP(
                "core", "was terminated by {signal} — possibly killed by the system for lack "
                "of memory"), signal=name)
        if name == "SIGSEGV":
            return user_text("engine.exit.sigsegv", QT_TRANSLATE_NOOP(
                "core", "was terminated by {signal} — a crash inside llama.cpp"), signal=name)
        if name == "SIGABRT":
            return user_text("engine.exit.sigabrt", QT_TRANSLATE_NOOP(
                "core", "was terminated by {signal} — llama.cpp aborted"), signal=name)
        return user_text("engine.exit.signal", QT_TRANSLATE_NOOP(
            "core", "was terminated by {signal}"), signal=name)
    return user_text("engine.exit.code", QT_TRANSLATE_NOOP(
        "core", "exited unexpectedly with code {code}"), code=exitcode)


def _is_suspended(pid: int) -> bool:
    """Whether ``pid`` is stopped by a signal or a debugger (Linux; False elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state in ("T", "t")


def _pump(conn: Connection, outbox: queue.SimpleQueue[Command | None]) -> None:
    """The sender thread: writes commands to the child until told to stop or the pipe breaks.

    A write blocks while the child is not reading and the pipe is full;
    only this thread waits then, and killing the child breaks the write.
    """
    while (command := outbox.get()) is not None:
        try:
            conn.send(command)
        except (OSError, ValueError):
            log.warning("engine pipe broke while sending %s", type(command).__name__)
            return


class LocalEngine:
    """:class:`Engine` backed by llama-cpp-python in a child process.

    All methods except :meth:`wakeup` must be called from one thread (the
    GUI's worker thread, the CLI, a benchmark). ``cancel_grace``: see the
    module docstring; the watchdog's limit comes with each model's
    :class:`LoadOptions`.
    """

    def __init__(self, log_level: int = logging.WARNING, stderr_path: Path | None = None,
                 cancel_grace: float = CANCEL_GRACE) -> None:
        """``stderr_path``: a file for the child's stderr (llama.cpp's messages); None inherits."""
        self._ctx = multiprocessing.get_context("spawn")
        self._log_level = log_level
        self._stderr_path = stderr_path
        self._stderr_start = 0  # where the current child's output begins in that file
        self._cancel_grace = cancel_grace
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._outbox: queue.SimpleQueue[Command | None] = queue.SimpleQueue()
        self._sender: threading.Thread | None = None
        self._wake_r, self._wake_w = self._ctx.Pipe(duplex=False)
        self._wake_lock = threading.Lock()
        self._last_load: LoadOptions | None = None
        self._active_request: int | None = None
        self._loaded = False
        self._pending: list[EngineEvent] = []
        # Watchdog state: work sent and not yet answered (in the order the child does it),
        # when the child was last heard from, what it said it was doing, and Stop deadlines.
        self._inflight: list[_Work] = []
        self._last_heard = time.monotonic()
        self._phase = Phase.IDLE
        self._cancel_deadlines: dict[int, float] = {}

    # ---- process management ----------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The child's process id (tests kill it to simulate crashes)."""
        return self._process.pid if self._process is not None else None

    def _ensure_process(self) -> None:
        if self._process is not None and self._conn is not None and self._process.is_alive():
            return
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
        self._outbox = queue.SimpleQueue()
        self._sender = threading.Thread(target=_pump, args=(parent, self._outbox),
                                        name="hearth-engine-sender", daemon=True)
        self._sender.start()
        self._loaded = False
        self._phase = Phase.IDLE

    def _send(self, command: Command) -> None:
        self._ensure_process()
        if isinstance(command, LoadOptions | GenerateRequest):
            if not self._inflight:
                self._last_heard = time.monotonic()  # the silence is counted from here
            self._inflight.append(command)
        self._outbox.put(command)

    def _close_child(self, *, kill: bool) -> int | None:
        """Forget the current child (killing it first if asked); return its exit code."""
        process, conn, sender = self._process, self._conn, self._sender
        self._process = self._conn = self._sender = None
        self._loaded = False
        self._inflight = []
        self._cancel_deadlines.clear()
        self._phase = Phase.IDLE
        self._outbox.put(None)
        exitcode: int | None = None
        if process is not None:
            if kill and process.is_alive():
                process.kill()
            process.join(timeout=2.0)
            exitcode = process.exitcode
        if sender is not None:
            sender.join(timeout=2.0)  # the kill broke any write it was blocked in
        if conn is not None:
            conn.close()
        if process is not None and exitcode is not None:
            process.close()
        return exitcode

    def _reap(self) -> EngineCrashed:
        """The child is gone: collect it and describe what happened."""
        phase = self._phase
        exitcode = self._close_child(kill=False)
        rid, self._active_request = self._active_request, None
        cause = describe_exit(exitcode)
        if phase == Phase.RENDERING:
            doing = user_text("engine.doing.template", QT_TRANSLATE_NOOP(
                "core", "while it rendered this model's chat template"))
            then = user_text("engine.then.template", QT_TRANSLATE_NOOP(
                "core", "Everything up to the crash is saved. {advice}"), advice=_TEMPLATE_ADVICE)
        else:
            doing = user_text("engine.doing.reply", QT_TRANSLATE_NOOP(
                "core", "while generating a reply")) if rid is not None else user_text(
                "engine.doing.idle", QT_TRANSLATE_NOOP("core", "while idle or loading"))
            then = user_text("engine.then.reload", QT_TRANSLATE_NOOP(
                "core", "Everything up to the crash is saved; the model will be loaded again "
                "when you send the next message."))
        message = user_text("engine.crashed", QT_TRANSLATE_NOOP(
            "core", "The engine process {cause} {doing}. {then}"),
            cause=cause, doing=doing, then=then)
        last_words = self._stderr_tail()
        if last_words and exitcode == -signal.SIGABRT:
            # An abort usually prints its reason (e.g. a GGML_ASSERT) just before.
            message = user_text("engine.crashed.last_words", QT_TRANSLATE_NOOP(
                "core", "{message} llama.cpp's last message: {line}"),
                message=message, line=last_words[-1])
        log.error("engine process %s (exit code %s); end of its output:\n%s", cause, exitcode,
                  "\n".join(last_words))
        return EngineCrashed(message, rid)

    def _restart(self, stuck_for: float, cancelled: bool) -> list[EngineEvent]:
        """Kill a child that stopped answering, report what it was doing, and start anew.

        The work that was running is reported (the reply as crashed, with the
        text shown so far kept by the GUI; a load as failed). Work queued
        behind it goes to a fresh child, after the last model is loaded again,
        so a message sent or a model chosen meanwhile is not lost.
        """
        pid, phase = self.pid, self._phase
        suspended = pid is not None and _is_suspended(pid)
        inflight, cancels = self._inflight, set(self._cancel_deadlines)
        self._close_child(kill=True)
        stuck, queued = (inflight[0], inflight[1:]) if inflight else (None, [])
        seconds = round(stuck_for)
        if cancelled:
            what = user_text("engine.stuck.cancel", QT_TRANSLATE_NOOP(
                "core", "did not stop within {seconds} s after Stop"),
                seconds=f"{self._cancel_grace:g}")
        elif suspended:
            what = user_text("engine.stuck.suspended", QT_TRANSLATE_NOOP(
                "core", "was suspended (stopped by a signal or a debugger) and gave no sign of "
                "life for {seconds} s"), seconds=seconds)
        else:
            what = user_text("engine.stuck.silent", QT_TRANSLATE_NOOP(
                "core", "gave no sign of life for {seconds} s"), seconds=seconds)
        log.error("engine process %s %s (phase %s); killed it", pid, what, phase)
        reload = self._last_load if self._last_load is not stuck else None
        events: list[EngineEvent] = []
        if isinstance(stuck, LoadOptions):
            name = Path(stuck.model_path).name
            events.append(LoadFailed(stuck.model_path, user_text(
                "engine.stuck.loading", QT_TRANSLATE_NOOP(
                    "core", "The engine {what} while loading {name}, so Hearth stopped it. If "
                    "the model is very large, raise “Restart a silent engine after” in its "
                    "settings."), what=what, name=name)))
        else:
            rid = stuck.request_id if stuck is not None else self._active_request
            if phase == Phase.RENDERING:
                then = user_text("engine.kept.template", QT_TRANSLATE_NOOP(
                    "core", "The text shown so far is kept. {advice}"), advice=_TEMPLATE_ADVICE)
            elif reload is not None:
                then = user_text("engine.kept.reload", QT_TRANSLATE_NOOP(
                    "core", "The text shown so far is kept; the model is being loaded again."))
            else:
                then = user_text("engine.kept", QT_TRANSLATE_NOOP(
                    "core", "The text shown so far is kept."))
            events.append(EngineCrashed(user_text(
                "engine.restarted", QT_TRANSLATE_NOOP(
                    "core", "The engine {what}, so Hearth restarted it. {then}"),
                what=what, then=then), rid, restarting=reload is not None))
        self._active_request = None
        if reload is not None:
            self._send(reload)
        for work in queued:
            match work:
                case GenerateRequest(request_id=rid) if rid in cancels:
                    events.append(GenerationFailed(rid, user_text(
                        "engine.stopped_early", QT_TRANSLATE_NOOP(
                            "core", "Stopped before it started."))))
                case GenerateRequest() if reload is None:
                    events.append(GenerationFailed(work.request_id, NO_MODEL_LOADED))
                case GenerateRequest():
                    self._active_request = work.request_id
                    self._send(work)
                case LoadOptions():
                    pass  # the latest load is ``reload``, already sent
        return events

    def _watchdog(self) -> list[EngineEvent]:
        """Restart the child if it has been silent too long while busy, or ignored a Stop."""
        if not self._inflight or self._process is None:
            return []
        now = time.monotonic()
        silence = now - self._last_heard
        limit = (self._last_load.watchdog_seconds if self._last_load is not None
                 else DEFAULT_WATCHDOG_SECONDS)
        if silence > limit:
            return self._restart(silence, cancelled=False)
        if any(now > deadline for deadline in self._cancel_deadlines.values()):
            return self._restart(silence, cancelled=True)
        return []

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
            self._pending.append(GenerationFailed(request.request_id, NO_MODEL_LOADED))
            return
        if crashed_before and self._last_load is not None:
            self._send(self._last_load)  # a fresh child: reload the last model first
        self._active_request = request.request_id
        self._send(request)

    def cancel(self, request_id: int) -> None:
        if self._conn is None:
            return
        if any(isinstance(w, GenerateRequest) and w.request_id == request_id
               for w in self._inflight):
            self._cancel_deadlines.setdefault(request_id,
                                              time.monotonic() + self._cancel_grace)
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
                message = conn.recv()
                self._last_heard = time.monotonic()
                if isinstance(message, Heartbeat):
                    self._phase = message.phase
                else:
                    events.append(self._track(message))
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
        events += self._watchdog()
        return events

    def _track(self, event: EngineEvent) -> EngineEvent:
        match event:
            case ReplyFinished(request_id=rid) | GenerationFailed(request_id=rid):
                if rid == self._active_request:
                    self._active_request = None
                self._cancel_deadlines.pop(rid, None)
                self._inflight = [w for w in self._inflight
                                  if not (isinstance(w, GenerateRequest) and w.request_id == rid)]
            case ModelLoaded() | LoadFailed():
                self._loaded = isinstance(event, ModelLoaded)
                first_load = next((i for i, w in enumerate(self._inflight)
                                   if isinstance(w, LoadOptions)), None)
                if first_load is not None:
                    del self._inflight[first_load]
        return event

    def wakeup(self) -> None:
        with self._wake_lock:
            if not self._wake_w.closed:
                self._wake_w.send_bytes(b"")

    def shutdown(self, grace: float = SHUTDOWN_GRACE) -> None:
        """End the child: ask it to exit, kill it if it has not within ``grace`` seconds."""
        process = self._process
        if process is not None and self._conn is not None:
            self._outbox.put(Shutdown())
            process.join(grace)
            if process.is_alive():
                log.warning("engine process did not exit; killing it")
        self._close_child(kill=True)
        self._wake_r.close()
        with self._wake_lock:
            self._wake_w.close()
