"""The download queue: order, pause/resume/cancel, failures, and a real download through it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from desktop_app.core.models.download import (
    DownloadCancelled,
    DownloadControl,
    Downloader,
    DownloadPaused,
    DownloadProgress,
    ProgressCallback,
)
from desktop_app.core.models.download_queue import DownloadJob, DownloadQueue, JobState
from desktop_app.core.models.hub import NotFoundError
from desktop_app.core.models.library import ModelLibrary
from desktop_app.core.paths import AppPaths
from tests.core.models.fake_hub import FakeHub, make_gguf

TIMEOUT = 10


class ScriptedFetcher:
    """Stands in for Downloader: ``steps`` progress reports, each waiting for ``gate``."""

    def __init__(self, steps: int = 4) -> None:
        self.steps = steps
        self.gate = threading.Event()
        self.gate.set()
        self.started: list[str] = []
        self.discarded: list[tuple[str, str]] = []
        self.failures: dict[str, BaseException] = {}
        self.running = threading.Event()

    def download(self, repo_id: str, filename: str, *, revision: str | None = None,
                 on_progress: ProgressCallback | None = None,
                 control: DownloadControl | None = None) -> Any:
        assert control is not None
        assert on_progress is not None
        self.started.append(filename)
        self.running.set()
        failure = self.failures.pop(filename, None)
        if failure is not None:
            raise failure
        for step in range(1, self.steps + 1):
            assert self.gate.wait(TIMEOUT)
            if control.stop_requested:
                if control.cancelled:
                    raise DownloadCancelled(filename)
                raise DownloadPaused(filename)
            on_progress(DownloadProgress(repo_id, filename, step * 10, self.steps * 10,
                                         5.0, 1.0))
        return f"model:{filename}"

    def discard(self, repo_id: str, filename: str) -> int:
        self.discarded.append((repo_id, filename))
        return 1


@pytest.fixture
def fetcher() -> ScriptedFetcher:
    return ScriptedFetcher()


@pytest.fixture
def updates() -> list[DownloadJob]:
    return []


@pytest.fixture
def queue(fetcher: ScriptedFetcher, updates: list[DownloadJob]) -> Any:
    q = DownloadQueue(fetcher, on_update=updates.append)
    yield q
    fetcher.gate.set()
    q.close()


def test_jobs_run_in_order_and_report_progress(queue: DownloadQueue, fetcher: ScriptedFetcher,
                                               updates: list[DownloadJob]) -> None:
    first = queue.enqueue("o/r", "a.gguf")
    second = queue.enqueue("o/r", "b.gguf")
    assert queue.wait_idle(TIMEOUT)
    assert fetcher.started == ["a.gguf", "b.gguf"]
    assert queue.job(first).state is JobState.DONE
    assert queue.job(first).result == "model:a.gguf"
    assert queue.job(second).fraction == 1.0
    states = [u.state for u in updates if u.job_id == first]
    assert states[:2] == [JobState.QUEUED, JobState.RUNNING]
    assert states[-1] is JobState.DONE
    progress = [u.done for u in updates if u.job_id == first and u.state is JobState.RUNNING]
    assert progress == [0, 10, 20, 30, 40]


def test_pause_and_resume_a_running_job(queue: DownloadQueue, fetcher: ScriptedFetcher) -> None:
    fetcher.gate.clear()
    job = queue.enqueue("o/r", "a.gguf")
    assert fetcher.running.wait(TIMEOUT)
    queue.pause(job)
    fetcher.gate.set()
    assert queue.wait_idle(TIMEOUT)
    assert queue.job(job).state is JobState.PAUSED
    queue.resume(job)
    assert queue.wait_idle(TIMEOUT)
    assert queue.job(job).state is JobState.DONE
    assert fetcher.started == ["a.gguf", "a.gguf"]


def test_paused_queued_job_is_skipped_until_resumed(queue: DownloadQueue,
                                                    fetcher: ScriptedFetcher) -> None:
    fetcher.gate.clear()
    first = queue.enqueue("o/r", "a.gguf")
    second = queue.enqueue("o/r", "b.gguf")
    third = queue.enqueue("o/r", "c.gguf")
    queue.pause(second)
    assert queue.job(second).state is JobState.PAUSED
    fetcher.gate.set()
    assert queue.wait_idle(TIMEOUT)
    assert fetcher.started == ["a.gguf", "c.gguf"]
    assert [queue.job(j).state for j in (first, second, third)] == [
        JobState.DONE, JobState.PAUSED, JobState.DONE]
    queue.resume(second)
    assert queue.wait_idle(TIMEOUT)
    assert queue.job(second).state is JobState.DONE


def test_cancel_running_and_waiting_jobs(queue: DownloadQueue, fetcher: ScriptedFetcher) -> None:
    fetcher.gate.clear()
    running = queue.enqueue("o/r", "a.gguf")
    waiting = queue.enqueue("o/r", "b.gguf")
    assert fetcher.running.wait(TIMEOUT)
    queue.cancel(waiting)
    assert queue.job(waiting).state is JobState.CANCELLED
    assert fetcher.discarded == [("o/r", "b.gguf")]  # the waiting job's partial goes too
    queue.cancel(running)
    fetcher.gate.set()
    assert queue.wait_idle(TIMEOUT)
    assert queue.job(running).state is JobState.CANCELLED
    assert fetcher.started == ["a.gguf"]
    queue.resume(running)  # a cancelled job stays cancelled
    assert queue.job(running).state is JobState.CANCELLED
    queue.remove_finished()
    assert queue.jobs() == []


def test_hub_error_fails_the_job_and_it_can_be_retried(queue: DownloadQueue,
                                                       fetcher: ScriptedFetcher) -> None:
    fetcher.failures["a.gguf"] = NotFoundError("a.gguf was not found on Hugging Face.")
    job = queue.enqueue("o/r", "a.gguf")
    assert queue.wait_idle(TIMEOUT)
    assert queue.job(job).state is JobState.FAILED
    assert str(queue.job(job).error) == "a.gguf was not found on Hugging Face."
    queue.resume(job)
    assert queue.wait_idle(TIMEOUT)
    assert queue.job(job).state is JobState.DONE
    assert queue.job(job).error == ""


def test_a_bug_is_reported_not_swallowed(queue: DownloadQueue, fetcher: ScriptedFetcher,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    reported: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: reported.append(args.exc_value))
    fetcher.failures["a.gguf"] = ZeroDivisionError("oops")
    job = queue.enqueue("o/r", "a.gguf")
    after = queue.enqueue("o/r", "b.gguf")
    assert queue.wait_idle(TIMEOUT)
    assert queue.job(job).state is JobState.FAILED
    assert "oops" in str(queue.job(job).error)
    assert [type(e) for e in reported] == [ZeroDivisionError]
    assert queue.job(after).state is JobState.DONE  # the worker survived


def test_close_pauses_the_running_job(fetcher: ScriptedFetcher) -> None:
    queue = DownloadQueue(fetcher)
    fetcher.gate.clear()
    job = queue.enqueue("o/r", "a.gguf")
    assert fetcher.running.wait(TIMEOUT)
    closer = threading.Thread(target=queue.close)
    closer.start()
    fetcher.gate.set()
    closer.join(TIMEOUT)
    assert not closer.is_alive()
    assert queue.job(job).state is JobState.PAUSED
    with pytest.raises(RuntimeError, match="closed"):
        queue.enqueue("o/r", "b.gguf")


# ---- with the real downloader and the fake Hub ----------------------------------------


REPO, FILE, CHUNK = "tester/Tiny-GGUF", "Tiny-Q8_0.gguf", 8192


@pytest.fixture
def real_setup(fake_hub: FakeHub, app_paths: AppPaths,
               tmp_path: Path) -> tuple[FakeHub, Downloader, ModelLibrary, bytes]:
    data = make_gguf(tmp_path / "m.gguf")
    fake_hub.add_repo(REPO, {FILE: data})
    library = ModelLibrary(app_paths.models_dir)
    downloader = Downloader(app_paths, library, chunk_size=CHUNK, retries=0,
                            progress_interval=0.0)
    return fake_hub, downloader, library, data


def test_real_download_paused_then_resumed_through_the_queue(
        real_setup: tuple[FakeHub, Downloader, ModelLibrary, bytes],
        app_paths: AppPaths) -> None:
    hub, downloader, library, data = real_setup
    holder: dict[str, DownloadQueue] = {}

    def on_update(job: DownloadJob) -> None:  # runs on the worker thread
        if job.state is JobState.RUNNING and job.done >= 4 * CHUNK and not holder.get("paused"):
            holder["paused"] = holder["queue"]  # pause once
            holder["queue"].pause(job.job_id)

    queue = DownloadQueue(downloader, on_update=on_update)
    holder["queue"] = queue
    try:
        job = queue.enqueue(REPO, FILE)
        assert queue.wait_idle(TIMEOUT)
        paused = queue.job(job)
        assert paused.state is JobState.PAUSED
        assert 4 * CHUNK <= paused.done < len(data)
        assert [p.name for p in app_paths.downloads_dir.glob("*.part")]

        queue.resume(job)
        assert queue.wait_idle(TIMEOUT)
        done = queue.job(job)
        assert done.state is JobState.DONE
        assert done.result.id == f"{REPO}/{FILE}"
        assert library.get(done.result.id).path.read_bytes() == data
        assert hub.downloads()[-1].headers["range"] == f"bytes={paused.done}-"
    finally:
        queue.close()


def test_real_download_cancelled_deletes_the_partial(
        real_setup: tuple[FakeHub, Downloader, ModelLibrary, bytes],
        app_paths: AppPaths) -> None:
    _hub, downloader, library, _data = real_setup
    holder: dict[str, DownloadQueue] = {}

    def on_update(job: DownloadJob) -> None:
        if job.state is JobState.RUNNING and job.done >= 2 * CHUNK:
            holder["queue"].cancel(job.job_id)

    queue = DownloadQueue(downloader, on_update=on_update)
    holder["queue"] = queue
    try:
        job = queue.enqueue(REPO, FILE)
        assert queue.wait_idle(TIMEOUT)
        assert queue.job(job).state is JobState.CANCELLED
        assert list(app_paths.downloads_dir.iterdir()) == []
        assert library.models() == []
    finally:
        queue.close()
