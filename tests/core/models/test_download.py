"""Downloads against the fake Hub: verify, resume, reject, and fail cleanly."""

from __future__ import annotations

import errno
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest

from desktop_app.core.models import download as download_module
from desktop_app.core.models.download import (
    DiskFullError,
    DownloadControl,
    Downloader,
    DownloadError,
    DownloadInterruptedError,
    DownloadPaused,
    DownloadProgress,
    ProgressMeter,
    UnsafeFileNameError,
    VerificationError,
    check_filename,
)
from desktop_app.core.models.hub import (
    GatedError,
    HubClient,
    NotFoundError,
    OfflineError,
    RateLimitError,
)
from desktop_app.core.models.library import ModelLibrary
from desktop_app.core.paths import AppPaths
from tests.core.models.fake_hub import FakeHub, make_gguf, sha256

REPO = "tester/Tiny-GGUF"
FILE = "Tiny-Q8_0.gguf"
CHUNK = 8192


@pytest.fixture
def model_bytes(tmp_path: Path) -> bytes:
    return make_gguf(tmp_path / "built.gguf")


@pytest.fixture
def hub(fake_hub: FakeHub, model_bytes: bytes) -> FakeHub:
    fake_hub.add_repo(REPO, {FILE: model_bytes, "README.md": b"# Tiny"})
    return fake_hub


@pytest.fixture
def library(app_paths: AppPaths) -> ModelLibrary:
    return ModelLibrary(app_paths.models_dir)


def make_downloader(paths: AppPaths, library: ModelLibrary, **options: Any) -> Downloader:
    settings: dict[str, Any] = {"chunk_size": CHUNK, "retries": 0, "retry_delay": 0.0,
                                "progress_interval": 0.0}
    return Downloader(paths, library, **(settings | options))


@pytest.fixture
def downloader(app_paths: AppPaths, library: ModelLibrary) -> Downloader:
    return make_downloader(app_paths, library)


def partial_files(paths: AppPaths) -> list[Path]:
    return sorted(paths.downloads_dir.iterdir())


def target(paths: AppPaths, name: str = FILE) -> Path:
    return paths.models_dir / "tester" / "Tiny-GGUF" / name


# ---- the happy path ---------------------------------------------------------------


def test_download_verifies_moves_and_registers(hub: FakeHub, downloader: Downloader,
                                               app_paths: AppPaths, library: ModelLibrary,
                                               model_bytes: bytes) -> None:
    events: list[DownloadProgress] = []
    model = downloader.download(REPO, FILE, on_progress=events.append)

    assert target(app_paths).read_bytes() == model_bytes
    assert model.id == f"{REPO}/{FILE}"
    assert model.repo == REPO
    assert model.info.architecture == "llama"
    assert library.get(model.id).path == target(app_paths)
    assert partial_files(app_paths) == []
    done = [e.done for e in events]
    assert done == sorted(done)
    assert events[-1].done == events[-1].total == len(model_bytes)
    assert len(events) > 3
    # All requests pin the commit the listing reported, so parts cannot mix revisions.
    commit = hub.repos[REPO].commit
    assert [r.path for r in hub.downloads()] == [f"/{REPO}/resolve/{commit}/{FILE}"]
    assert "range" not in hub.downloads()[0].headers


def test_the_token_never_goes_to_the_cdn(hub: FakeHub, app_paths: AppPaths,
                                         library: ModelLibrary) -> None:
    hub.cdn_redirect = True
    downloader = make_downloader(app_paths, library, hub=HubClient(token="hf_secret"))
    downloader.download(REPO, FILE)
    resolve = [r for r in hub.requests if "/resolve/" in r.path]
    cdn = [r for r in hub.requests if r.path.startswith("/cdn/")]
    assert resolve
    assert all(r.headers.get("authorization") == "Bearer hf_secret" for r in resolve)
    assert len(cdn) == 1
    assert cdn[0].host.startswith("localhost")
    assert "authorization" not in cdn[0].headers


def test_split_model_downloads_all_parts_as_one(fake_hub: FakeHub, downloader: Downloader,
                                                app_paths: AppPaths, tmp_path: Path) -> None:
    import gguf
    import numpy as np

    writer = gguf.GGUFWriter(str(tmp_path / "Big-Q8_0.gguf"), "llama", split_max_tensors=1)
    writer.add_context_length(2048)
    writer.add_block_count(1)
    writer.add_tensor("a", np.zeros((64, 64), np.float32))
    writer.add_tensor("b", np.ones((64, 64), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    names = ["Big-Q8_0-00001-of-00002.gguf", "Big-Q8_0-00002-of-00002.gguf"]
    fake_hub.add_repo(REPO, {name: (tmp_path / name).read_bytes() for name in names})

    events: list[DownloadProgress] = []
    model = downloader.download(REPO, names[1], on_progress=events.append)  # any part will do

    assert model.path == target(app_paths, names[0])
    assert model.parts == (target(app_paths, names[0]), target(app_paths, names[1]))
    for name in names:
        assert target(app_paths, name).read_bytes() == (tmp_path / name).read_bytes()
    assert {e.parts for e in events} == {2}
    assert events[-1].part == 2
    assert events[-1].done == events[-1].total == model.size_bytes


def test_a_file_already_in_place_is_not_fetched_again(hub: FakeHub, downloader: Downloader,
                                                       app_paths: AppPaths) -> None:
    downloader.download(REPO, FILE)
    downloader.download(REPO, FILE)
    assert len(hub.downloads()) == 1


# ---- resuming ----------------------------------------------------------------------


def test_dropped_connection_is_resumed_with_range(hub: FakeHub, app_paths: AppPaths,
                                                  library: ModelLibrary,
                                                  model_bytes: bytes) -> None:
    hub.knobs.drop_after = 50_000
    downloader = make_downloader(app_paths, library, retries=2)
    downloader.download(REPO, FILE)

    first, second = hub.downloads()
    assert "range" not in first.headers
    resumed_at = int(second.headers["range"].removeprefix("bytes=").removesuffix("-"))
    assert 0 < resumed_at <= 50_000
    assert target(app_paths).read_bytes() == model_bytes


def test_interrupted_download_resumes_after_a_restart(hub: FakeHub, app_paths: AppPaths,
                                                      model_bytes: bytes) -> None:
    hub.knobs.drop_after = 70_000
    first = make_downloader(app_paths, ModelLibrary(app_paths.models_dir))
    with pytest.raises(DownloadInterruptedError, match="interrupted") as caught:
        first.download(REPO, FILE)
    assert "resume" in str(caught.value)

    key = sha256(model_bytes)
    part = app_paths.downloads_dir / f"{key}.part"
    sidecar = json.loads((app_paths.downloads_dir / f"{key}.json").read_text())
    kept = part.stat().st_size
    assert 0 < kept <= 70_000
    assert sidecar["repo_id"] == REPO
    assert sidecar["filename"] == FILE
    assert sidecar["size"] == len(model_bytes)
    assert sidecar["sha256"] == key
    assert sidecar["etag"] == key
    assert sidecar["commit"] == hub.repos[REPO].commit
    assert [s.filename for s in first.partials()] == [FILE]

    # A new process: new library, new downloader, same folders.
    library = ModelLibrary(app_paths.models_dir)
    model = make_downloader(app_paths, library).download(REPO, FILE)
    assert hub.downloads()[-1].headers["range"] == f"bytes={kept}-"
    assert target(app_paths).read_bytes() == model_bytes
    assert library.get(model.id).size_bytes == len(model_bytes)
    assert partial_files(app_paths) == []


def test_server_ignoring_range_restarts_from_zero(hub: FakeHub, downloader: Downloader,
                                                  app_paths: AppPaths, model_bytes: bytes) -> None:
    hub.knobs.drop_after = 40_000
    with pytest.raises(DownloadInterruptedError):
        downloader.download(REPO, FILE)
    hub.knobs.ignore_range = True
    events: list[DownloadProgress] = []
    downloader.download(REPO, FILE, on_progress=events.append)

    assert hub.downloads()[-1].headers["range"].startswith("bytes=")
    assert target(app_paths).read_bytes() == model_bytes  # hashed from zero, so it verified
    assert events[-1].done == len(model_bytes)


def test_short_body_keeps_the_partial_for_later(hub: FakeHub, downloader: Downloader,
                                                app_paths: AppPaths, model_bytes: bytes) -> None:
    hub.knobs.short_body = 30_000
    with pytest.raises(DownloadInterruptedError, match="interrupted at"):
        downloader.download(REPO, FILE)
    (part,) = [p for p in partial_files(app_paths) if p.suffix == ".part"]
    assert part.stat().st_size == 30_000
    assert part.read_bytes() == model_bytes[:30_000]
    downloader.download(REPO, FILE)
    assert hub.downloads()[-1].headers["range"] == "bytes=30000-"
    assert target(app_paths).read_bytes() == model_bytes


# ---- rejecting ----------------------------------------------------------------------


def test_one_flipped_bit_is_rejected_and_deleted(hub: FakeHub, downloader: Downloader,
                                                 app_paths: AppPaths,
                                                 library: ModelLibrary) -> None:
    hub.knobs.flip_bit_at = 100_000
    with pytest.raises(VerificationError, match="corrupted") as caught:
        downloader.download(REPO, FILE)
    assert "deleted" in str(caught.value)
    assert partial_files(app_paths) == []
    assert not target(app_paths).exists()
    assert library.models() == []


@pytest.mark.parametrize("name", ["../evil.gguf", "/etc/evil.gguf", "a/../../evil.gguf",
                                  "C:evil.gguf", "sub\\..\\evil.gguf", "./x.gguf", ""])
def test_unsafe_file_names_write_nothing(hub: FakeHub, downloader: Downloader,
                                         app_paths: AppPaths, name: str) -> None:
    with pytest.raises(UnsafeFileNameError, match="Refusing"):
        downloader.download(REPO, name)
    assert hub.requests == []
    assert partial_files(app_paths) == []
    assert list(app_paths.models_dir.iterdir()) == []


def test_check_filename_accepts_subfolders() -> None:
    assert str(check_filename("Q4_K_M/model-Q4_K_M-00001-of-00002.gguf")) == \
        "Q4_K_M/model-Q4_K_M-00001-of-00002.gguf"


def test_a_verified_file_that_is_not_gguf_is_not_registered(
        fake_hub: FakeHub, downloader: Downloader, app_paths: AppPaths,
        library: ModelLibrary) -> None:
    fake_hub.add_repo(REPO, {"fake-Q4_0.gguf": b"not a model at all" * 100})
    with pytest.raises(DownloadError, match="not a usable model"):
        downloader.download(REPO, "fake-Q4_0.gguf")
    assert not target(app_paths, "fake-Q4_0.gguf").exists()
    assert library.models() == []


# ---- disk space -----------------------------------------------------------------------


def test_not_enough_space_fails_before_downloading(hub: FakeHub, downloader: Downloader,
                                                   app_paths: AppPaths,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def tiny_disk(path: Any) -> Any:
        return shutil._ntuple_diskusage(10 << 30, (10 << 30) - 1000, 1000)  # type: ignore[attr-defined]

    monkeypatch.setattr(download_module.shutil, "disk_usage", tiny_disk)
    with pytest.raises(DiskFullError, match="Not enough free disk space"):
        downloader.download(REPO, FILE)
    assert hub.downloads() == []
    assert partial_files(app_paths) == []


def test_disk_full_midway_keeps_the_partial(hub: FakeHub, downloader: Downloader,
                                            app_paths: AppPaths, model_bytes: bytes,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = download_module.write_chunk
    calls = {"n": 0}

    def filling_disk(out: IO[bytes], chunk: bytes) -> None:
        calls["n"] += 1
        if calls["n"] > 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(out, chunk)

    monkeypatch.setattr(download_module, "write_chunk", filling_disk)
    with pytest.raises(DiskFullError, match="disk is full") as caught:
        downloader.download(REPO, FILE)
    assert "resume" in str(caught.value)
    (part,) = [p for p in partial_files(app_paths) if p.suffix == ".part"]
    assert part.read_bytes() == model_bytes[:5 * CHUNK]

    monkeypatch.setattr(download_module, "write_chunk", real_write)
    downloader.download(REPO, FILE)
    assert hub.downloads()[-1].headers["range"] == f"bytes={5 * CHUNK}-"
    assert target(app_paths).read_bytes() == model_bytes


# ---- Hub answers ------------------------------------------------------------------------


def test_gated_repo_asks_to_accept_the_licence(fake_hub: FakeHub, model_bytes: bytes,
                                               app_paths: AppPaths,
                                               library: ModelLibrary) -> None:
    fake_hub.add_repo(REPO, {FILE: model_bytes}, gated=True)
    with pytest.raises(GatedError, match="accept the licence") as caught:
        make_downloader(app_paths, library).download(REPO, FILE)
    assert "log in" in str(caught.value)
    assert partial_files(app_paths) == []

    fake_hub.accepted_tokens.add("hf_ok")
    model = make_downloader(app_paths, library, hub=HubClient(token="hf_ok")).download(REPO, FILE)
    assert model.path.read_bytes() == model_bytes


def test_missing_file_and_repo_are_not_found(hub: FakeHub, downloader: Downloader,
                                             app_paths: AppPaths) -> None:
    with pytest.raises(NotFoundError, match=r"nope\.gguf"):
        downloader.download(REPO, "nope.gguf")
    with pytest.raises(NotFoundError, match="tester/absent"):
        downloader.download("tester/absent", FILE)
    assert hub.downloads() == []


def test_missing_split_part_is_not_found(fake_hub: FakeHub, downloader: Downloader) -> None:
    fake_hub.add_repo(REPO, {"m-00001-of-00002.gguf": b"x"})
    with pytest.raises(NotFoundError, match="missing parts: 2"):
        downloader.download(REPO, "m-00001-of-00002.gguf")


def test_rate_limited_download_says_when_to_retry(hub: FakeHub, downloader: Downloader,
                                                  app_paths: AppPaths) -> None:
    hub.knobs.download_status = 429
    hub.knobs.retry_after = 42
    with pytest.raises(RateLimitError, match="42 seconds"):
        downloader.download(REPO, FILE)
    assert partial_files(app_paths) == []


def test_offline_download_makes_no_request(hub: FakeHub, app_paths: AppPaths,
                                           library: ModelLibrary,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(OfflineError):
        make_downloader(app_paths, library, hub=HubClient(offline=True)).download(REPO, FILE)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OfflineError):
        make_downloader(app_paths, library).download(REPO, FILE)
    assert hub.requests == []


# ---- stopping ------------------------------------------------------------------------


def stop_after(bytes_done: int, action: Callable[[], None]) -> Callable[[DownloadProgress],
                                                                          None]:
    def on_progress(progress: DownloadProgress) -> None:
        if progress.done >= bytes_done:
            action()
    return on_progress


def test_pause_keeps_the_partial_and_cancel_deletes_it(hub: FakeHub, downloader: Downloader,
                                                       app_paths: AppPaths,
                                                       model_bytes: bytes) -> None:
    control = DownloadControl()
    with pytest.raises(DownloadPaused):
        downloader.download(REPO, FILE, control=control,
                            on_progress=stop_after(3 * CHUNK, control.pause))
    (part,) = [p for p in partial_files(app_paths) if p.suffix == ".part"]
    assert 3 * CHUNK <= part.stat().st_size < len(model_bytes)

    control = DownloadControl()
    with pytest.raises(download_module.DownloadCancelled):
        downloader.download(REPO, FILE, control=control,
                            on_progress=stop_after(6 * CHUNK, control.cancel))
    assert partial_files(app_paths) == []
    assert not target(app_paths).exists()


def test_discard_removes_a_paused_partial(hub: FakeHub, downloader: Downloader,
                                          app_paths: AppPaths) -> None:
    control = DownloadControl()
    with pytest.raises(DownloadPaused):
        downloader.download(REPO, FILE, control=control,
                            on_progress=stop_after(CHUNK, control.pause))
    assert downloader.discard("someone/else", FILE) == 0
    assert downloader.discard(REPO, FILE) == 1
    assert partial_files(app_paths) == []


# ---- progress arithmetic ------------------------------------------------------------------


def test_progress_meter_smooths_speed_and_estimates_eta() -> None:
    now = [0.0]
    meter = ProgressMeter(1000, interval=1.0, smoothing=0.5, clock=lambda: now[0])
    meter.add_resumed(200)  # bytes already on disk do not count as speed
    assert meter.eta is None
    now[0] = 1.0
    meter.advance(100)
    assert meter.speed == pytest.approx(100)
    assert meter.eta == pytest.approx(7.0)
    now[0] = 2.0
    meter.advance(300)
    assert meter.speed == pytest.approx(200)  # half the old speed, half the new
    assert meter.done == 600
    assert meter.due()
    assert not meter.due()
