"""Take the documents screenshots: the Documents window, and a chat answer with its sources.

Usage (headless): ``xvfb-run -a .venv/bin/python scripts/screenshot_documents.py OUT.png
(--page | --chat) [--theme dark] [--lang zh_CN]``.
It uses a throwaway ``HEARTH_HOME``, writes a few small documents (Markdown,
Word, HTML, Chinese text), indexes them with the bundled embedder, and then:

* ``--page`` shows the Documents window with the test-retrieval box in use;
* ``--chat`` attaches the collection to a new chat and asks the starter model
  a question answered by one document, greedily (a reproducible picture; the
  reply is the model's own), then opens the reply's Sources list and source
  [1]'s passage in the side panel. The 135M starter model answers from the
  source but writes no ``[1]`` of its own (it copies the passage, then goes on
  copying the next sources' headings, hence the 50-token cap); the clickable
  citation in a reply is shown by the tests with a scripted engine.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUESTION = "How long is the Great Wall of China?"
TEST_QUESTION = "Which river floods every summer?"

DOCUMENTS = {
    "great-wall.md": (
        "# The Great Wall of China\n\n"
        "The Great Wall of China is 21,196 kilometres long, counting all of its branches. "
        "Most of the wall that stands today was built during the Ming dynasty, between "
        "1368 and 1644.\n\n## Visiting\n\nThe best-known section is Badaling, near Beijing. "
        "It is crowded in summer; Mutianyu is quieter.\n"),
    "rivers.html": (
        "<html><head><title>Rivers</title></head><body><h1>Rivers of China</h1>"
        "<p>The Yangtze is the longest river in Asia, about 6,300 kilometres long.</p>"
        "<p>The Yellow River floods every summer and carries more silt than any other "
        "large river.</p></body></html>"),
    "熊猫.txt": ("大熊猫主要生活在四川、陕西和甘肃的山区，以竹子为食。"
               "一只成年大熊猫每天要吃十几公斤竹子。\n"),
}


def _write_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Travel notes", level=1)
    document.add_paragraph("The night train from Beijing to Xi'an takes about eleven hours.")
    document.add_paragraph("In Xi'an, the Terracotta Army has more than 8,000 soldiers.")
    document.save(str(path))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--page", action="store_true")
    mode.add_argument("--chat", action="store_true")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--theme", default="light", choices=("light", "dark"))
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="hearth-shot-"))
    os.environ["HEARTH_HOME"] = str(home)

    from PySide6.QtWidgets import QApplication

    from desktop_app.core.engine.api import SamplingParams
    from desktop_app.core.paths import AppPaths
    from desktop_app.core.settings import SettingsStore
    from desktop_app.ui.app import build_app, install_translators
    from desktop_app.ui.chat.citations import SourceKey
    from desktop_app.ui.common.look import Look
    from scripts.qt_waits import settle as settle_events
    from scripts.qt_waits import wait_until

    paths = AppPaths.from_environment().ensure()
    app = QApplication(sys.argv[:1])
    install_translators(app, args.lang)
    look = Look(app, args.theme)
    settings, warnings = SettingsStore(paths.settings_path).load()
    settings.theme = args.theme
    hearth = build_app(paths, loaded_settings=(settings, warnings), look=look)
    feature = hearth.documents
    assert feature is not None
    hearth.window.resize(1280, 800)
    hearth.window.show()
    hearth.start()

    wait = functools.partial(wait_until, app)
    settle = functools.partial(settle_events, app)

    folder = home / "My documents"
    folder.mkdir()
    for name, text in DOCUMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    _write_docx(folder / "travel-notes.docx")

    page = feature.page
    page.ask_name = lambda *_args: "China trip"
    page.new_collection()
    wait(lambda: page.current is not None)
    page.add_paths([folder])
    wait(lambda: len(page.table.documents()) == len(DOCUMENTS) + 1
         and all(d.state == "ready" for d in page.table.documents())
         and not feature.ingest.running and feature.service.pending == 0)

    if args.page:
        page.resize(1100, 720)
        page.open_page()
        page.retrieval.question.setText(TEST_QUESTION)
        page.retrieval.search()
        wait(lambda: page.retrieval.model.rowCount() > 0)
        page.table_view.selectRow(0)
        settle()
        page.grab().save(args.out)
    else:
        wait(lambda: hearth.models.state.value == "ready")
        collection = page.current
        assert collection is not None
        feature.chat.set_attached([collection.id])
        hearth.chat.update_conversation_settings(
            hearth.chat.default_system_prompt,
            SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=50, seed=3))
        hearth.chat.send(QUESTION)
        wait(lambda: not hearth.chat.busy)
        view = hearth.window.chat_view
        row = view.model().rowCount() - 1
        reply = view.chat_model().item(row)
        print("reply:", reply.content)
        view.message_delegate().toggle_sources(reply)
        view.sources_changed()
        settle()
        view.open_editor(row)
        feature.chat.request_passage(reply.message_id, SourceKey(number=1))
        wait(lambda: feature.source_panel.isVisible())
        settle()
        hearth.window.grab().save(args.out)
    hearth.window.close()
    hearth.shutdown()
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
