"""Fixtures for the documents GUI: the real embedder (loaded once), a Documents window, a corpus."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.core.documents.embedders import EmbedderCache
from desktop_app.core.paths import AppPaths
from desktop_app.ui.documents.documents_page import DocumentsPage
from desktop_app.ui.documents.documents_service import DocumentsService
from desktop_app.ui.documents.ingest_bridge import IngestBridge
from tests.core.documents.samples import make_docx, shared_use

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


@pytest.fixture
def documents(qtbot: QtBot, app_paths: AppPaths, embedders: EmbedderCache
              ) -> Iterator[PageParts]:
    """A Documents window on this test's data folder, with its thread and indexer."""
    service = DocumentsService(app_paths.data_dir, embedders)
    ingest = IngestBridge(app_paths.data_dir, embedders, batch_chunks=2)
    page = DocumentsPage(service, ingest)
    qtbot.addWidget(page)
    yield PageParts(page, service, ingest)
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
