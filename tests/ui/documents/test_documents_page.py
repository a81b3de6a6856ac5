"""The Documents window: collections, a folder indexed to "ready", failures, cancel, retrieval."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from desktop_app.core.documents.store import documents_dir
from desktop_app.ui.documents.document_table import DocumentTableModel
from tests.core.documents.samples import make_pdf
from tests.ui.documents.conftest import PageParts, corpus, create_collection


def _cell(parts: PageParts, name: str, column: int,
          role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> object:
    table = parts.page.table
    for row in range(table.rowCount()):
        if table.item(row).name == name:
            return table.data(table.index(row, column), role)
    raise AssertionError(f"{name} is not in the table")


def _index(qtbot: QtBot, parts: PageParts, paths: list[Path]) -> None:
    with qtbot.waitSignal(parts.ingest.run_finished, timeout=30_000):
        parts.page.add_paths(paths)
    # The page lists the documents again (with page counts) once the run ends.
    qtbot.waitUntil(lambda: parts.service.pending == 0, timeout=5000)


def test_a_dropped_folder_is_indexed_and_a_broken_file_says_why(
        qtbot: QtBot, qtmodeltester: ModelTester, documents: PageParts, tmp_path: Path) -> None:
    page = documents.page
    create_collection(qtbot, page, "Notes")
    folder = corpus(tmp_path / "corpus")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not really a PDF\n")
    make_pdf(folder / "bees.pdf", ["A honey bee colony has one queen.", None,
                                   "Workers gather nectar."])
    progress: list[object] = []
    documents.ingest.progress_changed.connect(progress.append)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    drop = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(documents.ingest.run_finished, timeout=30_000):
        page.dropEvent(drop)
    qtbot.waitUntil(lambda: documents.service.pending == 0, timeout=5000)

    names = sorted(d.name for d in page.table.documents())
    assert names == ["bees.pdf", "broken.pdf", "report.docx", "wall.md", "中文.txt"]
    for name in ("bees.pdf", "report.docx", "wall.md", "中文.txt"):
        assert _cell(documents, name, DocumentTableModel.STATE) == "Ready"
        assert int(str(_cell(documents, name, DocumentTableModel.CHUNKS))) >= 1
    assert _cell(documents, "bees.pdf", DocumentTableModel.PAGES) == "2"  # page 2 is empty
    assert _cell(documents, "bees.pdf", DocumentTableModel.NOTES) == "page 2 has no text (a scan?)"
    assert _cell(documents, "wall.md", DocumentTableModel.PAGES) == ""
    assert _cell(documents, "broken.pdf", DocumentTableModel.STATE) == "Failed"
    reason = str(_cell(documents, "broken.pdf", DocumentTableModel.NOTES))
    assert "broken.pdf" in reason
    assert reason in str(_cell(documents, "broken.pdf", DocumentTableModel.NOTES,
                               Qt.ItemDataRole.ToolTipRole))
    assert progress
    qtmodeltester.check(page.table)
    assert not page.progress_bar.isVisible()


def test_cancel_stops_after_a_batch_and_resume_finishes(
        qtbot: QtBot, documents: PageParts, tmp_path: Path) -> None:
    page = documents.page
    page.show()
    create_collection(qtbot, page, "Many")
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(12):
        (folder / f"note{n:02}.txt").write_text(
            "\n\n".join(f"Note {n}, paragraph {p}: " + "words and more words " * 30
                        for p in range(6)), encoding="utf-8")

    def embedding(document: object) -> bool:
        return getattr(document, "state", "") == "embedding"

    with qtbot.waitSignal(documents.ingest.document_changed, timeout=30_000,
                          check_params_cb=embedding):
        page.add_paths([folder])
    assert page.cancel_button.isVisible()
    with qtbot.waitSignal(documents.ingest.run_finished, timeout=30_000) as finished:
        page.cancel_button.click()
    assert finished.args[0].cancelled
    qtbot.waitUntil(lambda: documents.service.pending == 0, timeout=5000)
    states = [d.state for d in page.table.documents()]
    assert len(states) == 12
    assert states.count("ready") < 12
    assert "paused" in page.message.text()

    with qtbot.waitSignal(documents.ingest.run_finished, timeout=60_000):
        documents.ingest.resume()
    qtbot.waitUntil(lambda: documents.service.pending == 0, timeout=5000)
    assert [d.state for d in page.table.documents()] == ["ready"] * 12


def test_test_retrieval_finds_the_passage_across_languages(
        qtbot: QtBot, qtmodeltester: ModelTester, documents: PageParts, tmp_path: Path) -> None:
    page = documents.page
    create_collection(qtbot, page, "Mixed")
    _index(qtbot, documents, [corpus(tmp_path / "corpus")])
    box = page.retrieval
    model = box.model
    for question, document, words in (("How long is the Great Wall?", "wall.md", "21,196"),
                                      ("What do giant pandas eat?", "中文.txt", "竹子")):
        box.question.setText(question)
        with qtbot.waitSignal(box.searched, timeout=10_000):
            box.search_button.click()
        assert model.rowCount() >= 1
        assert model.data(model.index(0, model.DOCUMENT)) == document
        assert words in str(model.data(model.index(0, model.TEXT)))
        assert 0 < float(str(model.data(model.index(0, model.SCORE)))) <= 1
        qtmodeltester.check(model)
    # Keywords find the exact word, in its own language only.
    box.mode.setCurrentIndex(box.mode.findData("keyword"))
    box.question.setText("Ming dynasty")
    with qtbot.waitSignal(box.searched, timeout=10_000):
        box.search_button.click()
    assert [model.data(model.index(r, model.DOCUMENT)) for r in range(model.rowCount())] == [
        "wall.md"]
    chunks = sum(d.chunk_count for d in page.table.documents())
    assert chunks >= 3
    assert page.title.text() == (f"Mixed · 3 document(s) · {chunks} chunk(s) · "
                                 "bundled multilingual encoder · watching 1 folder(s)")


def test_rename_and_delete_a_collection_deletes_its_index(
        qtbot: QtBot, documents: PageParts, tmp_path: Path) -> None:
    page = documents.page
    create_collection(qtbot, page, "Old name")
    _index(qtbot, documents, [corpus(tmp_path / "corpus") / "wall.md"])
    collection = page.current
    assert collection is not None
    folder = documents_dir(documents.service.data_dir) / "collections" / str(collection.id)
    assert folder.is_dir()
    page.ask_name = lambda *_args: "New name"
    with qtbot.waitSignal(page.collections_changed, timeout=5000):
        page.rename_button.click()
    assert [c.name for c in page.collections] == ["New name"]

    questions: list[str] = []

    def answer(_parent: object, _title: str, text: str) -> bool:
        questions.append(text)
        return len(questions) > 1  # no the first time, yes the second

    page.confirm = answer
    page.delete_button.click()
    qtbot.waitUntil(lambda: documents.service.pending == 0, timeout=5000)
    assert [c.name for c in page.collections] == ["New name"]
    assert folder.is_dir()
    with qtbot.waitSignal(page.collections_changed, timeout=5000):
        page.delete_button.click()
    assert "index" in questions[0]
    assert "New name" in questions[0]
    assert page.collections == []
    assert not folder.exists()
    assert not page.add_files_button.isEnabled()


def test_reindexing_documents_and_a_whole_collection(
        qtbot: QtBot, documents: PageParts, tmp_path: Path) -> None:
    page = documents.page
    create_collection(qtbot, page, "Again")
    _index(qtbot, documents, [corpus(tmp_path / "corpus")])
    before = {d.name: d.chunk_count for d in page.table.documents()}
    assert not page.reindex_button.isEnabled()
    page.table_view.selectAll()
    assert page.reindex_button.isEnabled()
    queued: list[str] = []
    documents.ingest.document_changed.connect(lambda d: queued.append(f"{d.name} {d.state}"))
    with qtbot.waitSignal(documents.ingest.run_finished, timeout=30_000):
        page.reindex_button.click()
    assert sorted(q for q in queued if q.endswith("embedding")) == sorted(
        f"{name} embedding" for name in before)  # indexed again though unchanged

    page.confirm = lambda *_args: True
    with qtbot.waitSignal(documents.ingest.run_finished, timeout=30_000):
        page.reindex_collection_action.trigger()
    qtbot.waitUntil(lambda: documents.service.pending == 0, timeout=5000)
    assert {d.name: d.chunk_count for d in page.table.documents()} == before
    assert {d.state for d in page.table.documents()} == {"ready"}

    page.table_view.selectRow(0)
    removed = page.table.item(0).name
    page.remove_button.click()
    qtbot.waitUntil(lambda: len(page.table.documents()) == 2, timeout=5000)
    assert removed not in [d.name for d in page.table.documents()]


def test_a_watched_folder_follows_its_files(
        qtbot: QtBot, documents: PageParts, tmp_path: Path) -> None:
    page = documents.page
    create_collection(qtbot, page, "Live")
    folder = corpus(tmp_path / "live")
    _index(qtbot, documents, [folder])
    assert documents.watcher.folders(page.current.id if page.current else 0) == [folder]

    def ready(name: str) -> object:
        return lambda d: d.name == name and d.state == "ready"

    with qtbot.waitSignal(documents.ingest.document_changed, timeout=20_000,
                          check_params_cb=ready("new.md")):
        (folder / "new.md").write_text("# Tea\n\nGreen tea is not fermented.\n",
                                       encoding="utf-8")
    wall = (folder / "wall.md").read_text(encoding="utf-8")
    with qtbot.waitSignal(documents.ingest.document_changed, timeout=20_000,
                          check_params_cb=ready("wall.md")):
        (folder / "wall.md").write_text(wall + "\nIt became a World Heritage Site in 1987.\n",
                                        encoding="utf-8")
    (folder / "中文.txt").unlink()
    qtbot.waitUntil(lambda: sorted(d.name for d in page.table.documents()) == [
        "new.md", "report.docx", "wall.md"], timeout=20_000)

    page.unwatch_action.trigger()
    qtbot.waitUntil(lambda: documents.service.pending == 0, timeout=5000)
    assert "watching" not in page.title.text()


def test_watching_a_folder_just_added_does_not_queue_its_files_twice(
        qtbot: QtBot, documents: PageParts, tmp_path: Path) -> None:
    # add_paths hands the folder to the indexer and watches it; the watcher's first
    # look may come before the indexer's thread has recorded the files, so only the
    # indexer may queue them (twice, they were indexed twice, and counted so).
    page = documents.page
    create_collection(qtbot, page, "Once")
    assert page.current is not None
    folder = corpus(tmp_path / "once")
    with qtbot.assertNotEmitted(documents.ingest.document_changed, wait=500), \
            qtbot.waitSignal(documents.watcher.synced, timeout=5000):
        documents.watcher.watch(page.current.id, folder)  # the watcher alone, first
    assert documents.watcher.folders(page.current.id) == [folder]
