"""The Models window in the real app window, against the fake Hub.

The whole app is built by the composition root (``make_app``) with the fake
engine; the demo model is registered in place so no test assembles it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop_app.core.memory_estimate import Fit, ModelShape, estimate
from desktop_app.core.models.catalog import CatalogEntry
from desktop_app.core.models.download_queue import JobState
from desktop_app.core.models.hub import RepoDetails
from desktop_app.core.models.quant import RemoteFile, group_models
from desktop_app.ui.app import HearthApp
from desktop_app.ui.models.hub_models import CatalogModel, HubRole, RepoFilesModel
from desktop_app.ui.models.library_model import LibraryRole
from desktop_app.ui.models.model_controller import ModelState
from desktop_app.ui.models.models_page import ModelsPage
from tests.core.models.fake_hub import FakeHub, make_gguf
from tests.ui.conftest import AppFactory

pytestmark = pytest.mark.usefixtures("registered_demo")

REPO = "tester/Tiny-GGUF"
FILE = "Tiny-Q8_0.gguf"
GiB = 1 << 30


@pytest.fixture
def model_bytes(tmp_path: Path) -> bytes:
    return make_gguf(tmp_path / "built.gguf")


@pytest.fixture
def hub(fake_hub: FakeHub, model_bytes: bytes) -> FakeHub:
    fake_hub.add_repo(REPO, {FILE: model_bytes, "README.md": b"# Tiny"}, downloads=10,
                      gguf={"total": 600_000_000, "architecture": "llama",
                            "context_length": 2048})
    fake_hub.add_repo("tester/Other-GGUF", {"Other-Q4_K_M.gguf": b"x" * 1000}, downloads=5)
    fake_hub.add_repo("tester/not-a-gguf-repo", {"model.safetensors": b"x"},
                      tags=["safetensors"])
    return fake_hub


def ready_app(qtbot: QtBot, make_app: AppFactory) -> HearthApp:
    hearth = make_app()
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    return hearth


def open_page(qtbot: QtBot, hearth: HearthApp) -> ModelsPage:
    hearth.window.models_button.click()
    page = hearth.models_page
    assert page.isVisible()
    return page


def wait_text(qtbot: QtBot, text: Callable[[], str], wanted: str, timeout: int = 10_000) -> str:
    qtbot.waitUntil(lambda: wanted in text(), timeout=timeout)
    return text()


def choose_repo(qtbot: QtBot, page: ModelsPage, query: str, repo_id: str) -> None:
    search = page.search
    search.query_edit.setText(query)
    search.search_button.click()
    qtbot.waitUntil(lambda: search.results.rowCount() > 0, timeout=10_000)
    row = next(r for r in range(search.results.rowCount())
               if search.results.item(r).repo_id == repo_id)
    search.results_view.selectRow(row)
    qtbot.waitUntil(lambda: search.files.details is not None
                    or "not" in search.repo_status.text(), timeout=10_000)


# ---- opening -----------------------------------------------------------------------


def test_button_and_menu_entry_open_the_page(qtbot: QtBot, make_app: AppFactory) -> None:
    hearth = make_app()
    page = open_page(qtbot, hearth)
    assert not page.isModal()
    page.close()
    assert hearth.window.models_action.shortcut() == QKeySequence("Ctrl+M")
    hearth.window.models_action.trigger()
    assert page.isVisible()
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == \
        ["Recommended", "Search Hugging Face", "Downloads", "On this computer"]


def test_recommended_tab_lists_the_catalog_with_fit_badges(
        qtbot: QtBot, qtmodeltester: Any, make_app: AppFactory) -> None:
    hearth = make_app()
    model = hearth.models_page.recommended.model
    assert model.rowCount() >= 8
    assert model.item(0).repo
    assert model.index(0, 2).data().endswith("MB")
    qtbot.waitUntil(lambda: model.index(0, 0).data(HubRole.FIT) is not None, timeout=10_000)
    assert model.index(0, CatalogModel.FIT_COLUMN).data() in ("Fits", "Tight", "Won't fit")
    qtmodeltester.check(model)


# ---- search and files ------------------------------------------------------------


def test_search_shows_results_from_the_hub(qtbot: QtBot, qtmodeltester: Any, hub: FakeHub,
                                           make_app: AppFactory) -> None:
    page = open_page(qtbot, make_app())
    search = page.search
    search.query_edit.setText("tester")
    qtbot.keyClick(search.query_edit, Qt.Key.Key_Return)
    assert search.status.text() == "Searching…"
    qtbot.waitUntil(lambda: search.results.rowCount() == 2, timeout=10_000)
    assert [search.results.index(r, 0).data() for r in range(2)] == [REPO, "tester/Other-GGUF"]
    assert "2 repositories" in search.status.text()
    (request,) = [r for r in hub.requests if r.path == "/api/models"]
    assert request.query["search"] == ["tester"]
    assert request.query["filter"] == ["gguf"]
    qtmodeltester.check(search.results)

    search.query_edit.setText("nothing-like-this")
    search.search_button.click()
    wait_text(qtbot, search.status.text, "No GGUF models found")
    assert search.results.rowCount() == 0


def test_choosing_a_repo_lists_files_by_quant_with_fit_and_recommended(
        qtbot: QtBot, qtmodeltester: Any, fake_hub: FakeHub, make_app: AppFactory) -> None:
    files = {"M-Q8_0.gguf": b"8" * 80_000, "M-Q2_K.gguf": b"2" * 20_000,
             "M-F16.gguf": b"f" * 160_000, "M-Q4_K_M.gguf": b"4" * 40_000,
             "M-Q6_K-00002-of-00002.gguf": b"b" * 30_000,
             "M-Q6_K-00001-of-00002.gguf": b"a" * 30_000,
             "mmproj-M-F16.gguf": b"p" * 100, "README.md": b"hi"}
    fake_hub.add_repo("tester/M-GGUF", files, license="mit",
                      gguf={"total": 1_500_000_000, "architecture": "qwen3",
                            "context_length": 40960})
    hearth = make_app()
    page = open_page(qtbot, hearth)
    # Exactly enough memory that Q8_0 (and larger) are tight while Q6_K fits comfortably.
    models = group_models(RemoteFile(name, len(data)) for name, data in files.items())
    q8 = next(m for m in models if m.quant == "Q8_0")
    needed = estimate(ModelShape(file_size=q8.size or 0, context_length=40960), 4096).total_bytes
    page.search.available_memory = lambda: int(needed / 0.75) - 1
    choose_repo(qtbot, page, "M-GGUF", "tester/M-GGUF")

    search = page.search
    rows = search.files.rowCount()
    quants = [search.files.index(r, 0).data() for r in range(rows)]
    assert quants == ["Q2_K", "Q4_K_M", "Q6_K", "Q8_0", "F16"]  # mmproj and README left out
    split_row = quants.index("Q6_K")
    assert "+1 parts" in search.files.index(split_row, 3).data()
    assert search.files.index(split_row, 1).data() == "60.0 kB"
    fits = [search.files.index(r, 0).data(HubRole.FIT) for r in range(rows)]
    assert fits == [Fit.FITS, Fit.FITS, Fit.FITS, Fit.TIGHT, Fit.TIGHT]
    badges = [search.files.index(r, RepoFilesModel.FIT_COLUMN).data() for r in range(rows)]
    assert badges == ["Fits", "Fits", "Fits · recommended", "Tight", "Tight"]
    assert [search.files.index(r, 0).data(HubRole.RECOMMENDED) for r in range(rows)] == \
        [False, False, True, False, False]
    assert search.files_view.selectionModel().selectedRows()[0].row() == split_row
    assert search.download_button.isEnabled()
    facts = search.facts.text()
    for fact in ("1.5B parameters", "architecture qwen3", "context 40960 tokens", "licence mit"):
        assert fact in facts
    assert "Recommended for this computer: Q6_K" in search.repo_status.text()
    qtmodeltester.check(search.files)

    # On a machine with almost no free memory nothing fits and nothing is recommended.
    page.search.available_memory = lambda: 1
    search.open_repo("tester/M-GGUF")
    wait_text(qtbot, search.repo_status.text, "None of these files fits")
    assert {search.files.index(r, 0).data(HubRole.FIT) for r in range(rows)} == {Fit.WONT_FIT}


def test_fit_badges_in_the_files_model_cover_all_three_verdicts(qtmodeltester: Any) -> None:
    files = [RemoteFile("A-Q2_K.gguf", 1 * GiB), RemoteFile("A-Q4_K_M.gguf", 2 * GiB),
             RemoteFile("A-Q8_0.gguf", 4 * GiB), RemoteFile("A-F16.gguf", 8 * GiB),
             RemoteFile("A-Q5_K_M.gguf", None)]
    details = RepoDetails("a/A", "c0ffee", tuple(files), models=tuple(group_models(files)))
    model = RepoFilesModel()
    model.set_details(details, 6 * GiB)
    verdicts = {model.index(r, 0).data(): model.index(r, 0).data(HubRole.FIT)
                for r in range(model.rowCount())}
    assert verdicts == {"Q2_K": Fit.FITS, "Q4_K_M": Fit.FITS, "Q5_K_M": None,
                        "Q8_0": Fit.TIGHT, "F16": Fit.WONT_FIT}
    assert model.recommended is not None
    assert model.recommended.quant == "Q4_K_M"
    unknown = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == "Q5_K_M")
    assert model.index(unknown, 1).data() == "unknown"
    assert model.index(unknown, RepoFilesModel.FIT_COLUMN).data() == "Unknown"
    qtmodeltester.check(model)


# ---- downloading -----------------------------------------------------------------


def test_download_from_the_page_lands_in_the_library_and_the_combo(
        qtbot: QtBot, qtmodeltester: Any, hub: FakeHub, make_app: AppFactory,
        model_bytes: bytes) -> None:
    hearth = ready_app(qtbot, make_app)
    page = open_page(qtbot, hearth)
    choose_repo(qtbot, page, "Tiny", REPO)
    page.search.files_view.selectRow(0)
    with qtbot.waitSignal(hearth.downloads.model_downloaded, timeout=10_000) as done:
        page.search.download_button.click()
        assert "Downloads tab" in page.search.download_message.text()
    model_id = done.args[0].id
    assert model_id == f"{REPO}/{FILE}"

    qtbot.waitUntil(lambda: hearth.window.model_combo.findData(model_id) >= 0, timeout=5000)
    library = page.local.model
    row = library.row_of(model_id)
    assert row is not None
    assert library.index(row, 1).data() == "F32"
    assert library.index(row, 3).data().endswith(FILE)
    assert Path(library.index(row, 3).data()).read_bytes() == model_bytes
    downloads = page.downloads_tab
    assert downloads.model.job(0).state is JobState.DONE
    assert downloads.model.index(0, 2).data().startswith("Done")
    qtmodeltester.check(library)
    qtmodeltester.check(downloads.model)

    # "Use" in the Downloads tab loads it, and the library marks it in use.
    assert downloads.use_button.isEnabled()
    downloads.use_button.click()
    assert hearth.models.is_loaded(model_id)
    assert library.index(library.row_of(model_id) or 0, 0).data(LibraryRole.IN_USE)


@pytest.fixture
def big_hub(fake_hub: FakeHub, tmp_path: Path) -> tuple[FakeHub, bytes]:
    """A 3 MB model: the app's downloader reads 1 MB chunks, so it stops between chunks."""
    data = make_gguf(tmp_path / "big.gguf", n_floats=768 * 1024)
    fake_hub.add_repo(REPO, {FILE: data})
    fake_hub.knobs.stall_after = 1_500_000
    return fake_hub, data


def test_pause_and_resume_with_the_downloads_buttons(
        qtbot: QtBot, big_hub: tuple[FakeHub, bytes], make_app: AppFactory) -> None:
    hub, data = big_hub
    hearth = make_app()
    page = open_page(qtbot, hearth)
    page.start_download(REPO, FILE)
    tab = page.downloads_tab
    assert page.tabs.tabText(2) == "Downloads (1)"
    qtbot.waitUntil(lambda: tab.model.job(0).state is JobState.RUNNING
                    and tab.model.job(0).done > 0, timeout=10_000)
    assert tab.pause_button.isEnabled()
    assert not tab.resume_button.isEnabled()
    assert " left" in tab.model.index(0, 2).data()
    tab.pause_button.click()
    hub.unstall.set()
    qtbot.waitUntil(lambda: tab.model.job(0).state is JobState.PAUSED, timeout=10_000)
    paused = tab.model.job(0)
    assert 0 < paused.done < len(data)
    assert tab.model.index(0, 2).data().startswith("Paused")
    assert tab.resume_button.isEnabled()
    assert not tab.pause_button.isEnabled()
    assert page.tabs.tabText(2) == "Downloads"

    with qtbot.waitSignal(hearth.downloads.model_downloaded, timeout=10_000) as done:
        tab.resume_button.click()
    resumed_at = int(hub.downloads()[-1].headers["range"].removeprefix("bytes=").rstrip("-"))
    assert paused.done <= resumed_at < len(data)
    assert len(hub.downloads()) == 2
    assert done.args[0].path.read_bytes() == data
    assert tab.model.rowCount() == 1


def test_a_download_cut_short_by_quitting_is_listed_paused_and_resumes(
        qtbot: QtBot, big_hub: tuple[FakeHub, bytes], make_app: AppFactory) -> None:
    hub, data = big_hub
    first = make_app()
    first.models_page.start_download(REPO, FILE)
    qtbot.waitUntil(lambda: first.downloads.job(REPO, FILE).done > 0, timeout=10_000)
    # Quit while the download waits for bytes; the server goes on shortly after.
    timer = threading.Timer(0.3, hub.unstall.set)
    timer.start()
    first.shutdown()
    timer.join()

    second = make_app()
    tab = second.models_page.downloads_tab
    assert tab.model.rowCount() == 1
    restored = tab.model.job(0)
    assert restored.state is JobState.PAUSED
    assert 0 < restored.done < restored.total == len(data)
    assert tab.model.index(0, 2).data().startswith("Paused")
    assert tab.resume_button.isEnabled()
    with qtbot.waitSignal(second.downloads.model_downloaded, timeout=10_000) as done:
        tab.resume_button.click()
    assert hub.downloads()[-1].headers["range"] == f"bytes={restored.done}-"
    assert done.args[0].path.read_bytes() == data
    assert tab.model.rowCount() == 1


def test_gated_repo_shows_the_licence_message(qtbot: QtBot, fake_hub: FakeHub,
                                              model_bytes: bytes, make_app: AppFactory) -> None:
    fake_hub.add_repo("meta/Gated-GGUF", {"Gated-Q4_K_M.gguf": model_bytes}, gated=True)
    page = open_page(qtbot, make_app())
    choose_repo(qtbot, page, "Gated", "meta/Gated-GGUF")
    assert "(gated)" in page.search.results.index(0, 0).data()
    licence = "accept the licence on the model's page on huggingface.co/meta/Gated-GGUF"
    assert licence in page.search.repo_status.text()

    page.search.files_view.selectRow(0)
    page.search.download_button.click()
    tab = page.downloads_tab
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1
                    and tab.model.job(0).state is JobState.FAILED, timeout=10_000)
    assert licence in tab.error.text()
    assert licence in tab.model.index(0, 2).data()


@pytest.mark.parametrize("how", ["setting", "environment"])
def test_offline_mode_makes_no_request_and_says_so(
        qtbot: QtBot, hub: FakeHub, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch,
        how: str) -> None:
    hearth = make_app()
    if how == "setting":
        hearth.models.settings.offline = True
    else:
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    page = open_page(qtbot, hearth)
    page.tabs.setCurrentWidget(page.search)
    assert "offline mode" in page.search.status.text()  # said before any search
    page.search.query_edit.setText("tester")
    page.search.search_button.click()
    assert "offline mode" in page.search.status.text()
    page.search.open_repo(REPO)
    assert "offline mode" in page.search.repo_status.text()
    page.recommended.view.selectRow(0)
    page.recommended.download_button.click()
    assert "offline mode" in page.recommended.message.text()
    assert page.downloads_tab.model.rowCount() == 0
    qtbot.wait(200)  # nothing asynchronous may sneak a request out either
    assert hub.requests == []


def test_hub_errors_are_shown_inline(qtbot: QtBot, hub: FakeHub, make_app: AppFactory,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    page = open_page(qtbot, make_app())
    # Repository listings are not retried by huggingface_hub (searches are, with backoff).
    hub.knobs.api_status = 429
    hub.knobs.retry_after = 30
    page.search.open_repo(REPO)
    assert page.search.repo_status.text() == "Loading the file list…"
    text = wait_text(qtbot, page.search.repo_status.text, "rate limiting")
    assert "30 seconds" in text
    hub.knobs.api_status = None
    page.search.open_repo("nobody/nothing")
    wait_text(qtbot, page.search.repo_status.text, "not found")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{probe.getsockname()[1]}")
    page.search.open_repo(REPO)
    wait_text(qtbot, page.search.repo_status.text, "Could not reach")


def test_catalog_download_then_use(qtbot: QtBot, hub: FakeHub, make_app: AppFactory) -> None:
    hearth = ready_app(qtbot, make_app)
    entry = CatalogEntry("tiny", "Tiny Test", REPO, FILE, 200_000, "12K", "apache-2.0",
                         "A tiny test model.")
    page = ModelsPage(hearth.models, hearth.library, hearth.downloads, hearth.models_page.hub,
                      hearth.jobs, [entry], lambda: 8 * GiB, hearth.window)
    qtbot.waitUntil(lambda: page.recommended.model.index(0, 0).data(HubRole.FIT) == Fit.FITS,
                    timeout=5000)
    page.recommended.view.selectRow(0)
    assert "A tiny test model." in page.recommended.description.text()
    with qtbot.waitSignal(hearth.downloads.model_downloaded, timeout=10_000):
        page.recommended.download_button.click()
    qtbot.waitUntil(lambda: page.recommended.model.index(0, 5).data() == "Downloaded",
                    timeout=5000)
    assert page.recommended.download_button.text() == "Use"
    page.recommended.download_button.click()
    assert hearth.models.is_loaded(f"{REPO}/{FILE}")


# ---- the library -----------------------------------------------------------------


def _forbid_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("no confirmation should be asked")
    monkeypatch.setattr(QMessageBox, "question", fail)


def test_delete_refuses_the_model_in_use(qtbot: QtBot, make_app: AppFactory,
                                         registered_demo: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    hearth = ready_app(qtbot, make_app)
    page = open_page(qtbot, hearth)
    local = page.local
    row = local.model.row_of(registered_demo)
    assert row is not None
    assert local.model.index(row, 0).data().endswith("(in use)")
    _forbid_dialogs(monkeypatch)
    local.view.selectRow(row)
    assert not local.use_button.isEnabled()
    local.delete_button.click()
    assert "cannot be deleted" in local.message.text()
    assert "Choose another model" in local.message.text()
    assert hearth.library.get(registered_demo).path.exists()
    assert local.model.row_of(registered_demo) is not None


def test_import_rejects_a_file_that_is_not_gguf(qtbot: QtBot, make_app: AppFactory,
                                                tmp_path: Path) -> None:
    page = open_page(qtbot, make_app())
    bogus = tmp_path / "notes.gguf"
    bogus.write_text("these are my notes, not a model\n" * 10)
    before = page.local.model.rowCount()
    page.local.import_file(str(bogus), "copy")
    text = wait_text(qtbot, page.local.message.text, "cannot be used")
    assert "not a GGUF file: it does not start with 'GGUF'" in text
    assert page.local.model.rowCount() == before
    assert page.local.import_button.isEnabled()


def test_import_copy_then_delete_with_confirmation(qtbot: QtBot, make_app: AppFactory,
                                                   tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    hearth = ready_app(qtbot, make_app)
    page = open_page(qtbot, hearth)
    source = tmp_path / "Mine-Q8_0.gguf"
    make_gguf(source, name="Mine")
    page.local.import_file(str(source), "copy")
    wait_text(qtbot, page.local.message.text, "Added")
    model_id = "local/Mine-Q8_0.gguf"
    row = page.local.model.row_of(model_id)
    assert row is not None
    assert hearth.window.model_combo.findData(model_id) >= 0
    copied = hearth.library.get(model_id).path

    asked: list[str] = []

    def yes(_parent: object, _title: str, text: str, *_args: object) -> Any:
        asked.append(text)
        return QMessageBox.StandardButton.Yes
    monkeypatch.setattr(QMessageBox, "question", yes)
    page.local.view.selectRow(row)
    page.local.delete_button.click()
    assert "Delete Mine" in asked[0]
    assert not copied.exists()
    assert source.exists()
    assert page.local.model.row_of(model_id) is None
    assert hearth.window.model_combo.findData(model_id) < 0


def test_models_found_elsewhere_can_be_used_in_place(
        qtbot: QtBot, make_app: AppFactory, tmp_path: Path) -> None:
    snapshot = tmp_path / "hf-home" / "hub" / "models--x--Found-GGUF" / "snapshots" / "abc"
    snapshot.mkdir(parents=True)
    make_gguf(snapshot / "Found-Q8_0.gguf", name="Found")
    hearth = make_app()
    page = open_page(qtbot, hearth)
    page.tabs.setCurrentWidget(page.local)
    qtbot.waitUntil(lambda: page.local.external.rowCount() == 1, timeout=10_000)
    assert page.local.external.index(0, 0).data() == "Found-Q8_0.gguf"
    page.local.external_view.selectRow(0)
    page.local.use_in_place_button.click()
    wait_text(qtbot, page.local.message.text, "Added")
    model = next(m for m in hearth.library.models() if m.path.name == "Found-Q8_0.gguf")
    assert model.in_place
    assert hearth.window.model_combo.findData(model.id) >= 0
    assert page.local.external.rowCount() == 0
