"""A queue of model downloads run one at a time in a background thread.

Plain threading and callbacks, no Qt: the GUI wraps it in a thin adapter that
turns :attr:`on_update` calls into queued signals, the CLI uses
:class:`~desktop_app.core.models.download.Downloader` directly. One download
at a time, because parallel downloads share the same bandwidth and disk and
finish later each.

Jobs move QUEUED → RUNNING → DONE / FAILED / PAUSED / CANCELLED. A paused or
failed job keeps its partial file and can be resumed (it goes back to QUEUED
in its original place); cancelling deletes the partial.
"""

from __future__ import annotations

import itertools
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Protocol

from desktop_app.core.models.download import (
    DownloadCancelled,
    DownloadControl,
    DownloadPaused,
    DownloadProgress,
    ProgressCallback,
)
from desktop_app.core.models.hub import HubError
from desktop_app.core.user_text import UserText


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = frozenset({JobState.DONE, JobState.CANCELLED})
"""States a job never leaves."""


@dataclass(frozen=True)
class DownloadJob:
    """A snapshot of one queued download; the queue hands out copies, never live objects.

    ``result`` is what the library registered (a ``LocalModel``) once DONE;
    ``error`` the message shown for FAILED.
    """

    job_id: int
    repo_id: str
    filename: str
    revision: str | None = None
    state: JobState = JobState.QUEUED
    done: int = 0
    total: int = 0
    speed: float = 0.0
    eta: float | None = None
    error: UserText | str = ""
    result: Any = None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


class Fetcher(Protocol):
    """What the queue needs from :class:`~desktop_app.core.models.download.Downloader`."""

    def download(self, repo_id: str, filename: str, *, revision: str | None = None,
                 on_progress: ProgressCallback | None = None,
                 control: DownloadControl | None = None) -> Any: ...

    def discard(self, repo_id: str, filename: str) -> int: ...


UpdateCallback = Callable[[DownloadJob], None]


class DownloadQueue:
    """Runs queued downloads in order on one worker thread.

    ``on_update(job)`` is called with a fresh snapshot whenever a job changes
    (state or progress). It runs on the worker thread for progress and
    results, and on the calling thread for changes made by :meth:`pause` and
    :meth:`cancel` of jobs that are not running; adapters must hop threads.

    Unexpected exceptions in a download (bugs) mark the job FAILED and are
    passed to ``threading.excepthook`` so they are reported, not swallowed.
    """

    def __init__(self, fetcher: Fetcher, *, on_update: UpdateCallback | None = None) -> None:
        self._fetcher = fetcher
        self._on_update = on_update
        self._jobs: dict[int, DownloadJob] = {}
        self._controls: dict[int, DownloadControl] = {}
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None

    # ---- commands (any thread) ---------------------------------------------------

    def enqueue(self, repo_id: str, filename: str, *, revision: str | None = None) -> int:
        """Add a download; returns its job id. Starts the worker on first use."""
        with self._cond:
            if self._closing:
                raise RuntimeError("the download queue is closed")
            job = DownloadJob(next(self._ids), repo_id, filename, revision)
            self._jobs[job.job_id] = job
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="hearth-downloads",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()
        self._notify(job)
        return job.job_id

    def pause(self, job_id: int) -> None:
        """Stop a job but keep its partial file. A running job stops within one chunk."""
        with self._cond:
            job = self._jobs[job_id]
            if job.state is JobState.RUNNING:
                self._controls[job_id].pause()
                return
            if job.state is not JobState.QUEUED:
                return
            job = self._set(job, state=JobState.PAUSED)
        self._notify(job)

    def resume(self, job_id: int) -> None:
        """Queue a paused or failed job again; it continues from its partial file."""
        with self._cond:
            job = self._jobs[job_id]
            if job.state not in (JobState.PAUSED, JobState.FAILED):
                return
            job = self._set(job, state=JobState.QUEUED, error="", speed=0.0, eta=None)
            self._cond.notify_all()
        self._notify(job)

    def cancel(self, job_id: int) -> None:
        """Stop a job and delete its partial file."""
        with self._cond:
            job = self._jobs[job_id]
            if job.state is JobState.RUNNING:
                self._controls[job_id].cancel()
                return
            if job.state in FINISHED:
                return
            job = self._set(job, state=JobState.CANCELLED, speed=0.0, eta=None)
        self._fetcher.discard(job.repo_id, job.filename)
        self._notify(job)

    def remove_finished(self) -> None:
        """Forget DONE and CANCELLED jobs (the list in the UI gets long)."""
        with self._cond:
            for job_id in [j.job_id for j in self._jobs.values() if j.state in FINISHED]:
                del self._jobs[job_id]

    def close(self, timeout: float = 10.0) -> None:
        """Pause the running job (its partial is kept for next time) and stop the worker."""
        with self._cond:
            self._closing = True
            for control in self._controls.values():
                control.pause()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    # ---- queries -----------------------------------------------------------------

    def jobs(self) -> list[DownloadJob]:
        with self._cond:
            return list(self._jobs.values())

    def job(self, job_id: int) -> DownloadJob:
        with self._cond:
            return self._jobs[job_id]

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is queued or running; False on timeout."""
        with self._cond:
            return self._cond.wait_for(self._idle, timeout)

    def _idle(self) -> bool:
        return not any(j.state in (JobState.QUEUED, JobState.RUNNING)
                       for j in self._jobs.values())

    # ---- worker ------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closing or self._next() is not None)
                job = self._next()
                if self._closing or job is None:
                    return
                control = DownloadControl()
                self._controls[job.job_id] = control
                job = self._set(job, state=JobState.RUNNING)
            self._notify(job)
            self._notify(self._execute(job, control))

    def _next(self) -> DownloadJob | None:
        return next((j for j in self._jobs.values() if j.state is JobState.QUEUED), None)

    def _execute(self, job: DownloadJob, control: DownloadControl) -> DownloadJob:
        changes: dict[str, Any] = {"speed": 0.0, "eta": None}
        try:
            result = self._fetcher.download(job.repo_id, job.filename, revision=job.revision,
                                            on_progress=lambda p: self._progress(job.job_id, p),
                                            control=control)
        except DownloadPaused:
            changes["state"] = JobState.PAUSED
        except DownloadCancelled:
            changes |= {"state": JobState.CANCELLED, "done": 0}
        except HubError as exc:
            changes |= {"state": JobState.FAILED, "error": exc.text}
        except Exception as exc:
            changes |= {"state": JobState.FAILED, "error": f"Unexpected error: {exc}"}
            threading.excepthook(threading.ExceptHookArgs(
                (type(exc), exc, exc.__traceback__, threading.current_thread())))
        else:
            changes |= {"state": JobState.DONE, "result": result}
            if self._jobs[job.job_id].total:
                changes["done"] = self._jobs[job.job_id].total
        with self._cond:
            self._controls.pop(job.job_id, None)
            updated = self._set(self._jobs[job.job_id], **changes)
            self._cond.notify_all()
        return updated

    def _progress(self, job_id: int, progress: DownloadProgress) -> None:
        with self._cond:
            job = self._set(self._jobs[job_id], done=progress.done, total=progress.total,
                            speed=progress.speed, eta=progress.eta)
        self._notify(job)

    def _set(self, job: DownloadJob, **changes: Any) -> DownloadJob:
        """Replace a job's snapshot; call with the lock held."""
        updated = replace(job, **changes)
        self._jobs[job.job_id] = updated
        return updated

    def _notify(self, job: DownloadJob) -> None:
        if self._on_update is None:
            return
        try:
            self._on_update(job)
        except Exception:
            # A broken listener must not kill the worker; report it like any thread error.
            threading.excepthook(threading.ExceptHookArgs(
                (*sys.exc_info(), threading.current_thread())))
