"""Take the README's screenshot: the real window, the real engine, a real reply.

Usage (headless): ``xvfb-run -a .venv/bin/python scripts/screenshot.py [OUT.png] [--lang zh_CN]
[--theme dark]``.
It uses a throwaway ``HEARTH_HOME`` so your own conversations never appear.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUESTIONS = ("Why is the sky blue?", "What is the capital of France?")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="resources/screenshot.png")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--theme", default="light", choices=("light", "dark"))
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="hearth-shot-")
    os.environ["HEARTH_HOME"] = home

    from PySide6.QtWidgets import QApplication

    from desktop_app.core.engine.api import SamplingParams
    from desktop_app.core.paths import AppPaths
    from desktop_app.ui.app import build_app, install_translators
    from desktop_app.ui.common.look import Look

    paths = AppPaths.from_environment().ensure()
    app = QApplication(sys.argv[:1])
    install_translators(app, args.lang)
    Look(app, args.theme)
    hearth = build_app(paths)
    hearth.window.resize(1100, 720)
    hearth.window.show()
    hearth.start()

    def wait(done: object, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done():  # type: ignore[operator]
            if time.monotonic() > deadline:
                raise TimeoutError
            app.processEvents()
            time.sleep(0.01)

    wait(lambda: hearth.models.state.value == "ready", 300)
    # A fixed seed makes the picture reproducible; short replies keep it readable.
    hearth.chat.update_conversation_settings("", SamplingParams(max_tokens=80, seed=3))
    for question in QUESTIONS:
        hearth.chat.send(question)
        wait(lambda: not hearth.chat.busy, 300)
    hearth.chat.send("Tell me a story about the sea.")
    wait(lambda: len(hearth.window.chat_view.model().item(5).content) > 60, 300)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    hearth.window.grab().save(args.out)
    hearth.chat.stop()
    hearth.window.close()
    hearth.shutdown()
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
