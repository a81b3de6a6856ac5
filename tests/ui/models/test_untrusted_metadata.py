"""Hub data and GGUF metadata are untrusted: the Models window shows them as text.

Model names, repo ids, licences, file names and errors carrying ``<img src=…>``
reach every table, label, tooltip and dialog of the Models window; tripwires
(a FIFO, a listening port) prove that nothing they name was opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop_app.core.models.download_queue import DownloadJob, JobState
from desktop_app.core.models.hub import RepoDetails, RepoSummary
from desktop_app.core.models.quant import RemoteFile
from desktop_app.ui.models.model_controller import ModelState
from tests.core.models.fake_hub import make_gguf
from tests.data import hostile_strings as hostile
from tests.ui.conftest import AppFactory
from tests.ui.tripwires import Tripwires
from tests.ui.untrusted_checks import assert_labels_plain, model_tooltips

pytestmark = pytest.mark.usefixtures("registered_demo")


@pytest.fixture
def wires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tripwires]:
    with Tripwires(tmp_path, monkeypatch) as wires:
        yield wires


def test_hostile_metadata_in_the_models_window_is_shown_as_text(
        qtbot: QtBot, make_app: AppFactory, wires: Tripwires, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    names = hostile.html_names(wires.fifo.path, wires.port.port)
    hearth = make_app()
    qtbot.waitUntil(lambda: hearth.models.state == ModelState.READY, timeout=10_000)
    hearth.window.models_button.click()
    page = hearth.models_page

    # A local model whose GGUF name and file name are HTML.
    source = tmp_path / "models-in" / '<img src="x.png">-Q8_0.gguf'
    source.parent.mkdir()
    make_gguf(source, name=names[0])
    page.local.import_file(str(source), "in_place")
    qtbot.waitUntil(lambda: "Added" in page.local.message.text(), timeout=10_000)
    assert "<img" in page.local.message.text()

    # Hub search results and a repository with HTML in its id, licence and file names.
    page.search.results.set_results([RepoSummary(repo_id=name) for name in names])
    details = RepoDetails(repo_id=names[1], commit="abc",
                          files=(RemoteFile(f"{names[3]}-Q4_K_M.gguf", 1000),),
                          license=names[2], architecture=names[3])
    page.search._show_repo(details, available=1 << 40)
    assert "<img" in page.search.repo_title.text()
    assert "<img" in page.search.facts.text()
    # A failed download whose error quotes the server.
    page.downloads_tab.model.update_job(DownloadJob(
        job_id=99, repo_id=names[1], filename="x.gguf", state=JobState.FAILED,
        error=f"HTTP 500: {names[2]}"))
    page.downloads_tab.view.selectRow(page.downloads_tab.model.rowCount() - 1)
    assert "<img" in page.downloads_tab.error.text()
    # Errors quoting a path.
    page.local._on_scan_failed(OSError(f"cannot read {names[0]}"))
    assert "<img" in page.local.external_status.text()

    for tab in range(page.tabs.count()):
        page.tabs.setCurrentIndex(tab)
        page.grab()
    assert assert_labels_plain(page) >= 4

    tips = []
    for model in (page.local.model, page.search.results, page.search.files,
                  page.downloads_tab.model, page.recommended.model):
        tips += model_tooltips(model)
    assert any("&lt;img" in tip for tip in tips)  # hostile tooltips were there, escaped

    # The delete confirmation names the model: its text is escaped rich text.
    asked: list[str] = []

    def no(_parent: object, _title: str, text: str, *_args: object) -> Any:
        asked.append(text)
        return QMessageBox.StandardButton.No
    monkeypatch.setattr(QMessageBox, "question", no)
    row = next(r for r in range(page.local.model.rowCount())
               if "<img" in page.local.model.model(r).display_name)
    page.local.view.selectRow(row)
    page.local.delete_button.click()
    assert "&lt;img" in asked[0]
    assert "<img" not in asked[0]

    qtbot.wait(20)
    assert wires.close() == (0, 0)
    assert wires.resources.all_denied()
