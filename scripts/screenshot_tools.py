"""Take the tools screenshot: a reply's tool cards, one done, one waiting for approval.

Usage (headless): ``xvfb-run -a -s "-screen 0 1280x900x24" .venv/bin/python
scripts/screenshot_tools.py OUT.png [--theme dark] [--lang zh_CN]``.

The model is the tests' scripted engine (``tests/core/tools/scripted_engine``):
the 135M starter model rarely decides to call a tool, and a screenshot must be
the same every time. Everything else is Hearth as it runs: the calculator
really runs, its card shows its result opened, and the second call (the clock)
waits with the approval dialog open. The whole screen is grabbed, as the
dialog is a window of its own.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODEL = ROOT / "resources" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--theme", default="light", choices=("light", "dark"))
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="hearth-shot-"))
    os.environ["HEARTH_HOME"] = str(home)

    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from desktop_app.core.engine.api import ToolCall
    from desktop_app.core.models.library import ModelLibrary
    from desktop_app.core.paths import AppPaths
    from desktop_app.core.settings import SettingsStore
    from desktop_app.core.tools.agent import Decision
    from desktop_app.ui.app import build_app, install_translators
    from desktop_app.ui.chat.message_delegate import MessageDelegate
    from desktop_app.ui.common.look import Look
    from desktop_app.ui.models.model_controller import ModelState
    from scripts.qt_waits import wait_until
    from tests.core.tools.scripted_engine import Reply, ScriptedEngine

    paths = AppPaths.from_environment().ensure()
    model = ModelLibrary(paths.models_dir).import_file(MODEL, mode="in_place")
    app = QApplication(sys.argv[:1])
    install_translators(app, args.lang)
    look = Look(app, args.theme)
    store = SettingsStore(paths.settings_path)
    settings, warnings = store.load()
    settings.theme = args.theme
    settings.last_model_id = model.id
    engine = ScriptedEngine(script=[
        Reply(("I will work it out with the calculator.",),
              (ToolCall("c1", "calculator", '{"expression": "17 * 23 + 4"}'),)),
        Reply((" 17 × 23 + 4 is 395. Let me check today's date as well.",),
              (ToolCall("c2", "get_current_time", "{}"),)),
        Reply(("Done.",)),
    ], token_interval=0.0)
    hearth = build_app(paths, engine_factory=lambda: engine,
                       loaded_settings=(settings, warnings), look=look)
    tools = hearth.tools
    assert tools is not None
    hearth.window.resize(1100, 760)
    hearth.window.show()
    hearth.start()

    wait = functools.partial(wait_until, app)

    wait(lambda: hearth.models.state == ModelState.READY)
    tools.button.setChecked(True)
    hearth.chat.error_occurred.connect(lambda text: print("error:", text, file=sys.stderr))
    if not hearth.chat.send("What is 17 × 23 + 4? And what day is it?"):
        raise RuntimeError("the message was not sent")
    wait(lambda: "c1" in tools.dialogs)
    tools.dialogs["c1"].answer(Decision.ALLOW_ONCE)
    wait(lambda: "c2" in tools.dialogs)
    view = hearth.window.chat_view
    item = view.chat_model().items()[-1]
    delegate = view.itemDelegate()
    assert isinstance(delegate, MessageDelegate)
    delegate.toggle_tool_result(item, 0)  # the calculator's result, opened
    view.scheduleDelayedItemsLayout()
    dialog = tools.dialogs["c2"]
    frame = hearth.window.frameGeometry()
    dialog.resize(560, 230)
    dialog.move(frame.right() - dialog.width() - 40, frame.top() + 440)
    for _ in range(40):
        app.processEvents()
        time.sleep(0.02)
    screen = QGuiApplication.primaryScreen()
    shot = screen.grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height())
    shot.save(args.out)
    dialog.answer(Decision.DENY)
    wait(lambda: not hearth.chat.busy)
    hearth.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
