"""Choosing a collection's embedder: the dialog's three kinds, and re-indexing with a server's."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from desktop_app.core.documents.embedders import USE_NAME, EmbedderCache, embedder_for
from desktop_app.core.documents.store import Collection, DocumentStore
from desktop_app.core.keychain import MemoryKeyStore
from desktop_app.core.paths import AppPaths
from desktop_app.core.remote.client import RemoteClient
from desktop_app.core.remote.resolver import settings_resolver
from desktop_app.core.remote.servers import ServerConfig
from desktop_app.core.settings import Settings
from desktop_app.ui.common.background import BackgroundJobs
from desktop_app.ui.common.remote_access import RemoteAccess
from desktop_app.ui.documents.documents_page import DocumentsPage
from desktop_app.ui.documents.documents_service import DocumentsService
from desktop_app.ui.documents.embedder_dialog import EmbedderChoices, EmbedderDialog
from desktop_app.ui.documents.folder_watcher import FolderWatcher
from desktop_app.ui.documents.ingest_bridge import IngestBridge
from tests.core.documents.samples import shared_use
from tests.core.remote.fault_server import FaultServer
from tests.ui.documents.conftest import WALL, create_collection

SERVER_ID = "srv-emb"


@dataclass(frozen=True)
class _Info:
    architecture: str
    metadata: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class _Model:
    display_name: str
    path: Path
    info: _Info


class _Library:
    def __init__(self, *models: _Model) -> None:
        self._models = list(models)

    def models(self) -> list[_Model]:
        return self._models


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as fault:
        fault.models = {"data": [{"id": "chat-7b"}, {"id": "bge-m3-embed"}]}
        yield fault


@pytest.fixture
def settings(server: FaultServer) -> Settings:
    return Settings(servers=[ServerConfig(SERVER_ID, "Embed box", server.base_url)])


@pytest.fixture
def jobs() -> Iterator[BackgroundJobs]:
    background = BackgroundJobs()
    yield background
    background.wait()


def _choices(settings: Settings, jobs: BackgroundJobs, library: object = None
             ) -> EmbedderChoices:
    return EmbedderChoices(library, lambda: settings.servers,  # type: ignore[arg-type]
                           lambda: settings.offline, RemoteAccess(MemoryKeyStore(), RemoteClient),
                           jobs)


def test_the_dialog_offers_the_encoder_library_models_and_a_servers_models(
        qtbot: QtBot, settings: Settings, jobs: BackgroundJobs, tmp_path: Path) -> None:
    library = _Library(
        _Model("Chatty 1B · Q4_K_M", tmp_path / "chatty.gguf", _Info("llama")),
        _Model("bge-m3 · F16", tmp_path / "bge.gguf", _Info("bert")),
        _Model("Qwen3 Embedding · Q8_0", tmp_path / "qe.gguf",
               _Info("qwen3", {"qwen3.pooling_type": 3})))
    dialog = EmbedderDialog(_choices(settings, jobs, library), USE_NAME)
    qtbot.addWidget(dialog)
    assert dialog.use_button.isChecked()
    assert dialog.chosen() == USE_NAME
    labels = [dialog.gguf_combo.itemText(i) for i in range(dialog.gguf_combo.count())]
    assert labels == ["bge-m3 · F16", "Qwen3 Embedding · Q8_0", "Chatty 1B · Q4_K_M (chat model)"]
    dialog.gguf_button.setChecked(True)
    assert dialog.chosen() == f"gguf:{tmp_path / 'bge.gguf'}"

    dialog.server_button.setChecked(True)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # no model named yet
    dialog.list_button.click()
    qtbot.waitUntil(lambda: dialog.model_combo.count() == 2, timeout=5000)
    assert dialog.model_combo.itemText(0) == "bge-m3-embed"  # embedding models first
    assert dialog.chosen() == f"openai:{SERVER_ID}#bge-m3-embed"
    dialog.model_combo.setEditText("my-own-embedder")  # a model the server does not list
    assert ok.isEnabled()
    assert dialog.chosen() == f"openai:{SERVER_ID}#my-own-embedder"

    again = EmbedderDialog(_choices(settings, jobs), f"openai:{SERVER_ID}#e5")
    qtbot.addWidget(again)
    assert again.server_button.isChecked()  # opens on the collection's current embedder
    assert again.model_combo.currentText() == "e5"
    assert not again.gguf_button.isEnabled()  # the library is empty
    settings.offline = True
    offline = EmbedderDialog(_choices(settings, jobs), USE_NAME)
    qtbot.addWidget(offline)
    assert "offline mode" in offline.server_note.text()


def test_changing_the_embedder_asks_then_reindexes_with_the_servers_model(
        qtbot: QtBot, app_paths: AppPaths, server: FaultServer, settings: Settings,
        jobs: BackgroundJobs, tmp_path: Path) -> None:
    resolve = settings_resolver(lambda: settings, MemoryKeyStore())
    embedders = EmbedderCache(factory=functools.partial(embedder_for, resolve=resolve))
    embedders.add(shared_use())
    service = DocumentsService(app_paths.data_dir, embedders)
    ingest = IngestBridge(app_paths.data_dir, embedders)
    page = DocumentsPage(service, ingest, FolderWatcher(service, ingest), None,
                         choices=_choices(settings, jobs))
    qtbot.addWidget(page)
    try:
        create_collection(qtbot, page, "Walls")
        (tmp_path / "wall.md").write_text(WALL, encoding="utf-8")
        with qtbot.waitSignal(ingest.run_finished, timeout=30_000):
            page.add_paths([tmp_path / "wall.md"])
        remote = f"openai:{SERVER_ID}#emb"
        page.ask_embedder = lambda _parent, current: remote
        asked: list[str] = []
        page.confirm = lambda _parent, _title, text: asked.append(text) is not None
        page.choose_embedder()  # declined: nothing changes
        assert "Index every document of “Walls” again with emb on a server" in asked[0]
        assert page.current is not None
        assert page.current.embedder == USE_NAME

        settings.offline = True  # the server cannot be asked for its dimensions
        page.confirm = lambda *_args: True
        page.choose_embedder()
        qtbot.waitUntil(lambda: "offline mode" in page.message.text(), timeout=5000)
        assert page.current.embedder == USE_NAME

        settings.offline = False
        with qtbot.waitSignal(ingest.run_finished, timeout=30_000):
            page.choose_embedder()
        qtbot.waitUntil(lambda: service.pending == 0, timeout=5000)

        def read(store: DocumentStore, _r: object) -> tuple[Collection, list[str]]:
            collection = store.collection_named("Walls")
            assert collection is not None
            return collection, [d.state for d in store.documents(collection.id)]

        found: list[tuple[Collection, list[str]]] = []
        service.call(read, found.append)
        qtbot.waitUntil(lambda: bool(found), timeout=5000)
        collection, states = found[0]
        assert (collection.embedder, collection.dims) == (remote, 16)
        assert states == ["ready"]
        assert next(r["input"] for r in server.requests if r.get("model") == "emb") == [
            "dimensions"]  # asked once for the vectors' length, then the chunks
        assert len(server.requests) >= 2
        assert "emb on a server" in page.title.text()
    finally:
        ingest.close()
        service.close()
        embedders.close()
