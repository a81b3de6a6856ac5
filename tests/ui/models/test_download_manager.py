"""The GUI download adapter and the Downloads list against the fake Hub.

Real downloads (small GGUF files) go through the real Downloader and queue;
the checks are on what reaches the GUI thread and what the list shows.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QThread
from pytestqt.qtbot import QtBot

from desktop_app.core.models.download import Downloader
from desktop_app.core.models.download_queue import DownloadJob, DownloadQueue, JobState
from desktop_app.core.models.hub import HubClient, SettingsHubClient
from desktop_app.core.models.library import LocalModel, ModelLibrary
from desktop_app.core.paths import AppPaths
from desktop_app.ui.models.download_list_model import Column, DownloadListModel, DownloadRole
from desktop_app.ui.models.download_manager import DownloadManager
from tests.core.models.fake_hub import FakeHub, make_gguf, sha256

REPO = "tester/Tiny-GGUF"
FILE = "Tiny-Q8_0.gguf"
CHUNK = 16 * 1024


@pytest.fixture
def model_bytes(tmp_path: Path) -> bytes:
    return make_gguf(tmp_path / "built.gguf")


@pytest.fixture
def hub(fake_hub: FakeHub, model_bytes: bytes) -> FakeHub:
    fake_hub.add_repo(REPO, {FILE: model_bytes})
    return fake_hub


def make_manager(paths: AppPaths, library: ModelLibrary) -> DownloadManager:
    downloader = Downloader(paths, library, hub=HubClient(), chunk_size=CHUNK, retries=0,
                            retry_delay=0.0, progress_interval=0.0)
    return DownloadManager(downloader)


@pytest.fixture
def library(app_paths: AppPaths) -> ModelLibrary:
    return ModelLibrary(app_paths.models_dir)


@pytest.fixture
def manager(app_paths: AppPaths, library: ModelLibrary) -> Iterator[DownloadManager]:
    made = make_manager(app_paths, library)
    yield made
    made.close()


@pytest.fixture
def list_model(manager: DownloadManager) -> DownloadListModel:
    model = DownloadListModel()
    manager.job_changed.connect(model.update_job)
    return model


def wait_state(qtbot: QtBot, manager: DownloadManager, state: JobState,
               filename: str = FILE, timeout: int = 10_000) -> DownloadJob:
    def reached() -> bool:
        job = manager.job(REPO, filename)
        return job is not None and job.state is state
    qtbot.waitUntil(reached, timeout=timeout)
    job = manager.job(REPO, filename)
    assert job is not None
    return job


def test_download_reports_on_the_gui_thread_and_lists_the_model(
        qtbot: QtBot, qtmodeltester: Any, hub: FakeHub, manager: DownloadManager,
        list_model: DownloadListModel, library: ModelLibrary, model_bytes: bytes) -> None:
    threads: set[QThread] = set()
    states: list[JobState] = []

    def on_job(job: DownloadJob) -> None:
        threads.add(QThread.currentThread())
        states.append(job.state)

    manager.job_changed.connect(on_job)
    with qtbot.waitSignal(manager.model_downloaded, timeout=10_000) as done:
        manager.download(REPO, FILE)
    model = done.args[0]
    assert isinstance(model, LocalModel)
    assert model.path.read_bytes() == model_bytes
    assert library.get(model.id).repo == REPO
    gui_thread = QCoreApplication.instance().thread()
    assert threads == {gui_thread}
    assert states[0] is JobState.QUEUED
    assert JobState.RUNNING in states
    assert states[-1] is JobState.DONE
    assert list_model.rowCount() == 1
    assert list_model.index(0, Column.STATUS).data().startswith("Done")
    assert list_model.index(0, 0).data(DownloadRole.FRACTION) == 1.0
    qtmodeltester.check(list_model)


def test_pause_then_resume_continues_from_the_partial(
        qtbot: QtBot, hub: FakeHub, manager: DownloadManager, list_model: DownloadListModel,
        model_bytes: bytes) -> None:
    hub.knobs.stall_after = 4 * CHUNK
    job = manager.download(REPO, FILE)
    qtbot.waitUntil(lambda: (manager.job(REPO, FILE) or job).done >= 4 * CHUNK, timeout=10_000)
    manager.pause(job.job_id)
    hub.unstall.set()
    paused = wait_state(qtbot, manager, JobState.PAUSED)
    assert 4 * CHUNK <= paused.done < len(model_bytes)
    assert list_model.index(0, Column.STATUS).data().startswith("Paused")

    hub.knobs.stall_after = None
    with qtbot.waitSignal(manager.model_downloaded, timeout=10_000):
        manager.resume(paused.job_id)
    assert hub.downloads()[-1].headers["range"] == f"bytes={paused.done}-"
    assert list_model.rowCount() == 1  # the same row, not a second one
    assert list_model.job(0).state is JobState.DONE


def test_partials_are_listed_paused_after_a_restart_and_resume(
        qtbot: QtBot, hub: FakeHub, app_paths: AppPaths, model_bytes: bytes) -> None:
    hub.knobs.drop_after = 70_000
    first = make_manager(app_paths, ModelLibrary(app_paths.models_dir))
    first.download(REPO, FILE)
    failed = wait_state(qtbot, first, JobState.FAILED)
    assert "resume" in str(failed.error)
    first.close()
    kept = (app_paths.downloads_dir / f"{sha256(model_bytes)}.part").stat().st_size
    assert kept > 0

    # A new run of the app: nothing in the queue, a partial on disk.
    library = ModelLibrary(app_paths.models_dir)
    second = make_manager(app_paths, library)
    try:
        list_model = DownloadListModel()
        second.job_changed.connect(list_model.update_job)
        restored = second.restore_partials()
        assert [(j.repo_id, j.filename, j.state) for j in restored] == \
            [(REPO, FILE, JobState.PAUSED)]
        assert restored[0].done == kept
        assert restored[0].total == len(model_bytes)
        assert restored[0].revision == hub.repos[REPO].commit
        assert list_model.rowCount() == 1
        assert "Paused" in list_model.index(0, Column.STATUS).data()

        with qtbot.waitSignal(second.model_downloaded, timeout=10_000) as done:
            second.resume(restored[0].job_id)
        assert hub.downloads()[-1].headers["range"] == f"bytes={kept}-"
        assert done.args[0].path.read_bytes() == model_bytes
        assert list_model.rowCount() == 1
    finally:
        second.close()


def test_cancel_a_restored_partial_deletes_it(
        qtbot: QtBot, hub: FakeHub, app_paths: AppPaths, manager: DownloadManager) -> None:
    hub.knobs.drop_after = 50_000
    manager.download(REPO, FILE)
    wait_state(qtbot, manager, JobState.FAILED)
    assert list(app_paths.downloads_dir.glob("*.part"))
    fresh = make_manager(app_paths, ModelLibrary(app_paths.models_dir))
    try:
        (restored,) = fresh.restore_partials()
        fresh.cancel(restored.job_id)
        assert fresh.job(REPO, FILE).state is JobState.CANCELLED
        assert list(app_paths.downloads_dir.iterdir()) == []
    finally:
        fresh.close()


def test_a_failed_download_shows_its_error(qtbot: QtBot, hub: FakeHub, manager: DownloadManager,
                                           list_model: DownloadListModel) -> None:
    hub.knobs.download_status = 404
    manager.download(REPO, FILE)
    failed = wait_state(qtbot, manager, JobState.FAILED)
    assert "not found" in str(failed.error)
    status = list_model.index(0, Column.STATUS)
    assert status.data() == f"Failed: {failed.error}"
    assert status.data(0x03) == str(failed.error)  # the tooltip carries the whole message


def test_downloading_the_same_file_twice_keeps_one_job(
        qtbot: QtBot, hub: FakeHub, manager: DownloadManager) -> None:
    hub.knobs.stall_after = CHUNK
    first = manager.download(REPO, FILE)
    again = manager.download(REPO, FILE)
    assert again.job_id == first.job_id
    hub.unstall.set()
    wait_state(qtbot, manager, JobState.DONE)
    assert len(hub.downloads()) == 1


def test_a_job_the_worker_starts_before_enqueue_reports_is_not_left_waiting(
        qtbot: QtBot, app_paths: AppPaths, monkeypatch: pytest.MonkeyPatch) -> None:
    started, release = threading.Event(), threading.Event()

    class BlockingFetcher:
        def download(self, repo_id: str, filename: str, **_options: Any) -> str:
            started.set()
            release.wait(5)
            return "model"

        def discard(self, repo_id: str, filename: str) -> int:
            return 0

    original = DownloadQueue._notify

    def late_notify(queue: DownloadQueue, job: DownloadJob) -> None:
        # The GUI thread is preempted after enqueue() released its lock: the worker
        # takes the job and posts RUNNING before enqueue reports QUEUED.
        if job.state is JobState.QUEUED and threading.current_thread() is threading.main_thread():
            started.wait(5)
        original(queue, job)

    monkeypatch.setattr(DownloadQueue, "_notify", late_notify)
    manager = DownloadManager(BlockingFetcher())  # type: ignore[arg-type]
    try:
        manager.download(REPO, FILE)
        wait_state(qtbot, manager, JobState.RUNNING)
        qtbot.wait(100)  # every posted update has arrived
        assert manager.job(REPO, FILE).state is JobState.RUNNING
        release.set()
        wait_state(qtbot, manager, JobState.DONE)
    finally:
        release.set()
        manager.close()


def test_offline_setting_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    offline = {"on": False}
    client = SettingsHubClient(lambda: offline["on"])
    assert not client.offline
    offline["on"] = True
    assert client.offline
    offline["on"] = False
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert client.offline
