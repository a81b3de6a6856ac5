"""Fixtures for the documents GUI: the real embedder (loaded once), a Documents window, a corpus."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.core.documents.embedders import EmbedderCache
from desktop_app.core.paths import AppPaths
from desktop_app.ui import app as app_module
from desktop_app.ui.app import HearthApp
from desktop_app.ui.documents.documents_feature import DocumentsFeature
from desktop_app.ui.documents.documents_page import DocumentsPage
from desktop_app.ui.documents.documents_service import DocumentsService
from desktop_app.ui.documents.folder_watcher import FolderWatcher
from desktop_app.ui.documents.ingest_bridge import IngestBridge
from tests.core.documents.samples import make_docx, shared_use
from tests.ui.chat_driver import wait_ready
from tests.ui.conftest import AppFactory
from tests.ui.fake_engine import FakeEngine

WALL = ("# The Great Wall\n\nThe Great Wall of China is about 21,196 kilometres long, "
        "counting every branch. Most of what stands today was built during the Ming "
        "dynasty.\n")
CHINESE = "长城是中国古代的军事防御工程。\n\n大熊猫主要生活在四川的山区，以竹子为食。\n"


@pytest.fixture
def embedders() -> EmbedderCache:
    """An embedder cache holding the real multilingual embedder, loaded once per session."""
    cache = EmbedderCache()
    cache.add(shared_use())
    return cache


@dataclass
class PageParts:
    page: DocumentsPage
    service: DocumentsService
    ingest: IngestBridge
    watcher: FolderWatcher


@pytest.fixture
def documents(qtbot: QtBot, app_paths: AppPaths, embedders: EmbedderCache
              ) -> Iterator[PageParts]:
    """A Documents window on this test's data folder, with its thread and indexer."""
    service = DocumentsService(app_paths.data_dir, embedders)
    ingest = IngestBridge(app_paths.data_dir, embedders, batch_chunks=2)
    watcher = FolderWatcher(service, ingest, settle_ms=100)
    page = DocumentsPage(service, ingest, watcher)
    qtbot.addWidget(page)
    yield PageParts(page, service, ingest, watcher)
    ingest.close()
    service.close()


def create_collection(qtbot: QtBot, page: DocumentsPage, name: str) -> None:
    """Make a collection through the New… button, answering the name dialog."""
    page.ask_name = lambda *_args: name
    with qtbot.waitSignal(page.collections_changed, timeout=5000,
                          check_params_cb=lambda found: name in [c.name for c in found]):
        page.new_button.click()
    assert page.current is not None
    assert page.current.name == name


def corpus(folder: Path) -> Path:
    """A small Markdown file, a Chinese text and a DOCX report in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "wall.md").write_text(WALL, encoding="utf-8")
    (folder / "中文.txt").write_text(CHINESE, encoding="utf-8")
    make_docx(folder / "report.docx")
    return folder


def indexed_app(qtbot: QtBot, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch,
                embedders: EmbedderCache, engine: FakeEngine, folder: Path, *,
                attach: bool = True) -> HearthApp:
    """The window with ``engine``, a collection of ``folder`` indexed, attached to the new chat."""
    monkeypatch.setattr(app_module, "EmbedderCache", lambda **_options: embedders)
    hearth = make_app(engine_factory=lambda: engine)
    feature = hearth.documents
    assert feature is not None
    page = feature.page
    create_collection(qtbot, page, "Facts & figures")
    files = sum(1 for f in folder.iterdir() if f.is_file())
    # The run's own end: the window's start-up run (nothing pending) may end meanwhile.
    with qtbot.waitSignal(feature.ingest.run_finished, timeout=30_000,
                          check_params_cb=lambda end: end.progress.documents_done == files):
        page.add_paths([folder])
    if attach:
        attach_collection(feature)
    wait_ready(qtbot, hearth)
    return hearth


def attach_collection(feature: DocumentsFeature) -> int:
    """Tick the page's current collection in the header's Documents menu; returns its id."""
    collection = feature.page.current
    assert collection is not None
    feature.attach_button.actions_by_collection()[collection.id].setChecked(True)
    assert feature.chat.attached == [collection.id]
    assert collection.name.replace("&", "&&") in feature.attach_button.text()
    return collection.id
