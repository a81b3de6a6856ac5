"""The GUI's side of the download queue: Qt signals on the GUI thread, resume after restarts.

:class:`~desktop_app.core.models.download_queue.DownloadQueue` is plain
threading and calls ``on_update`` on its worker thread. Item models may only
be touched from the GUI thread (Qt's model/view rule), so this adapter
re-emits every update through a queued signal and keeps the GUI thread's view
of the jobs; nothing else crosses threads. Updates made by the GUI thread's
own calls are applied at once (see :meth:`DownloadManager._relay`).

A download interrupted by a quit or a crash leaves a partial file and a
sidecar in the downloads folder. :meth:`DownloadManager.restore_partials` lists
them at start-up as paused rows; resuming one queues the same file again at
the commit it started from, and the downloader continues from the bytes on
disk (HTTP Range).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, QThread, Signal

from desktop_app.core.models.download import Downloader, Sidecar
from desktop_app.core.models.download_queue import DownloadJob, DownloadQueue, JobState
from desktop_app.core.models.split_files import first_part_name

log = logging.getLogger(__name__)

ACTIVE = frozenset({JobState.QUEUED, JobState.RUNNING})
JobKey = tuple[str, str]
"""(repo id, file name): one row per model file, whichever job last fetched it."""


def job_key(job: DownloadJob) -> JobKey:
    return (job.repo_id, job.filename)


class DownloadManager(QObject):
    """Queues model downloads and reports them on the GUI thread.

    Jobs restored from partial files at start-up have negative ids until they
    are resumed; the queue only knows jobs it runs.

    Signals:
        job_changed(DownloadJob): a job was added or changed (state, progress, error).
        model_downloaded(LocalModel): a download finished, verified and registered.
    """

    job_changed = Signal(object)
    model_downloaded = Signal(object)
    _job_updated = Signal(object)  # emitted on the queue's worker thread

    def __init__(self, downloader: Downloader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._downloader = downloader
        self._jobs: dict[JobKey, DownloadJob] = {}
        self._restored_ids = -1
        self._job_updated.connect(self._on_queue_job_updated, Qt.ConnectionType.QueuedConnection)
        self._queue = DownloadQueue(downloader, on_update=self._relay)

    # ---- queries ---------------------------------------------------------------

    def jobs(self) -> list[DownloadJob]:
        """The latest snapshot of every job, as the GUI thread has seen them."""
        return list(self._jobs.values())

    def job(self, repo_id: str, filename: str) -> DownloadJob | None:
        return self._jobs.get((repo_id, filename))

    def active_count(self) -> int:
        return sum(job.state in ACTIVE for job in self._jobs.values())

    # ---- commands --------------------------------------------------------------

    def download(self, repo_id: str, filename: str, revision: str | None = None) -> DownloadJob:
        """Queue a download, or resume the one already listed for this file."""
        existing = self._jobs.get((repo_id, filename))
        if existing is not None:
            if existing.state in ACTIVE:
                return existing
            if existing.state in (JobState.PAUSED, JobState.FAILED):
                return self.resume(existing.job_id)
        self._queue.enqueue(repo_id, filename, revision=revision)
        return self._jobs[(repo_id, filename)]  # reported by the queue on this thread

    def pause(self, job_id: int) -> None:
        if job_id > 0:
            self._queue.pause(job_id)

    def resume(self, job_id: int) -> DownloadJob:
        """Continue a paused or failed job from its partial file."""
        job = self._find(job_id)
        if job_id > 0:
            self._queue.resume(job_id)
        else:  # restored at start-up: the queue has never seen it
            self._queue.enqueue(job.repo_id, job.filename, revision=job.revision)
        return self._jobs[job_key(job)]

    def cancel(self, job_id: int) -> None:
        """Stop a job and delete its partial file."""
        job = self._find(job_id)
        if job_id > 0:
            self._queue.cancel(job_id)
            return
        self._downloader.discard(job.repo_id, job.filename)
        self._remember(DownloadJob(job_id, job.repo_id, job.filename, job.revision,
                                   state=JobState.CANCELLED, total=job.total))

    def restore_partials(self) -> list[DownloadJob]:
        """List unfinished downloads left on disk as paused jobs (call once at start-up)."""
        grouped: dict[JobKey, list[Sidecar]] = {}
        for sidecar in self._downloader.partials():
            key = (sidecar.repo_id, first_part_name(sidecar.filename))
            grouped.setdefault(key, []).append(sidecar)
        restored = []
        for (repo_id, filename), sidecars in grouped.items():
            if (repo_id, filename) in self._jobs:
                continue
            job = DownloadJob(
                self._restored_ids, repo_id, filename, revision=sidecars[0].commit,
                state=JobState.PAUSED,
                done=sum(self._downloader.partial_size(s) for s in sidecars),
                total=sum(s.size for s in sidecars))
            self._restored_ids -= 1
            restored.append(self._remember(job))
        return restored

    def close(self, timeout: float = 10.0) -> None:
        """Pause the running download (its partial stays for next time) and stop the worker."""
        self._queue.close(timeout)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until the queue has nothing queued or running (tests and shutdown)."""
        return self._queue.wait_idle(timeout)

    # ---- internals -------------------------------------------------------------

    def _find(self, job_id: int) -> DownloadJob:
        for job in self._jobs.values():
            if job.job_id == job_id:
                return job
        raise KeyError(job_id)

    def _remember(self, job: DownloadJob) -> DownloadJob:
        self._jobs[job_key(job)] = job
        self.job_changed.emit(job)
        return job

    def _relay(self, job: DownloadJob) -> None:
        """The queue's ``on_update``: apply at once on the GUI thread, else post to it.

        Updates made by our own calls (enqueue, resume, pause of a waiting job)
        must not be queued behind the worker's: the worker may start a new job
        and post RUNNING before ``enqueue`` reports QUEUED, and a queued QUEUED
        arriving last would leave the row stuck on "Waiting…". Applied at once,
        a GUI-thread update is never newer than a worker update still in flight
        for the same job.
        """
        if QThread.currentThread() == self.thread():
            self._on_queue_job_updated(job)
        else:
            self._job_updated.emit(job)

    def _on_queue_job_updated(self, job: DownloadJob) -> None:
        current = self._jobs.get(job_key(job))
        # Updates of an older job for the same file (cancelled, then downloaded again) are stale.
        if current is not None and current.job_id > job.job_id > 0 and current.job_id > 0:
            return
        self._remember(job)
        if job.state is JobState.DONE and job.result is not None:
            self.model_downloaded.emit(job.result)
