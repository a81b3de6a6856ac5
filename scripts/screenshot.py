"""Take the README's screenshot: the real window, the real engine, a real reply.

Usage (headless): ``xvfb-run -a .venv/bin/python scripts/screenshot.py [OUT.png] [--lang zh_CN]
[--theme dark] [--sample [--branches] [--no-hover] | --welcome]``.
It uses a throwaway ``HEARTH_HOME`` so your own conversations never appear.

``--sample`` shows a stored conversation instead of a live reply: Markdown
with a table, a highlighted code block with a long line, a link, reasoning
and (with ``--lang zh_CN``) Chinese text, with the pointer's live message and
its actions on the last reply. ``--branches`` (with ``--sample``) has the
model write the last reply again, then goes back to the stored one, so the
version switcher "‹ 1/2 ›" shows in its action bar; ``--no-hover`` leaves
no live message, to see the rows as painted. ``--welcome`` shows the
first-run welcome.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUESTIONS = ("What is the capital of France?",
             "Write a Python function that reverses a string.")

SAMPLE_REPLY = """## Reversing a string

Python slices do it in one step: `text[::-1]` walks the string backwards.

```python
def reverse(text: str) -> str:
    \"\"\"Return the characters of text in reverse order, e.g. "abc" -> "cba".\"\"\"
    return text[::-1]  # a slice with step -1 copies the string backwards, \
which is O(n) in time and memory
```

| approach | speed | notes |
|---|---|---|
| `text[::-1]` | fastest | idiomatic |
| `"".join(reversed(text))` | fast | works on any iterable |

> Strings are immutable, so every approach builds a new string.

- [x] works with Unicode
- [ ] keeps grapheme clusters together (see [the docs](https://docs.python.org/3/))
"""

SAMPLE_REPLY_ZH = """## 反转字符串

在 Python 中，切片 `text[::-1]` 可以一步反转字符串。中文文本同样适用，每个汉字都是一个字符，\
所以“你好世界”反转后是“界世好你”。这一段故意写得比较长，用来检查中文在阅读栏里是否能正确换行，\
标点符号是否避开行首，以及与英文单词 mixed with English words 混排时的行距是否舒适。

```python
print("你好世界"[::-1])  # 界世好你
```
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="resources/screenshot.png")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--theme", default="light", choices=("light", "dark"))
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--sample", action="store_true", help="a stored Markdown conversation")
    mode.add_argument("--welcome", action="store_true", help="the first-run welcome")
    parser.add_argument("--branches", action="store_true",
                        help="with --sample: regenerate the last reply so it has two versions")
    parser.add_argument("--no-hover", action="store_true",
                        help="with --sample: no live message, only painted rows")
    args = parser.parse_args()
    if (args.branches or args.no_hover) and not args.sample:
        parser.error("--branches and --no-hover go with --sample")
    home = tempfile.mkdtemp(prefix="hearth-shot-")
    os.environ["HEARTH_HOME"] = home

    from PySide6.QtWidgets import QApplication

    from desktop_app.core.engine.api import SamplingParams
    from desktop_app.core.paths import AppPaths
    from desktop_app.core.settings import SettingsStore
    from desktop_app.ui.app import build_app, install_translators
    from desktop_app.ui.common.look import Look
    from scripts.qt_waits import wait_until

    paths = AppPaths.from_environment().ensure()
    app = QApplication(sys.argv[:1])
    install_translators(app, args.lang)
    look = Look(app, args.theme)
    if args.sample:
        store_sample(paths, chinese=args.lang.startswith("zh"))
    settings_store = SettingsStore(paths.settings_path)
    settings, warnings = settings_store.load()
    settings.theme = args.theme
    hearth = build_app(paths, loaded_settings=(settings, warnings), look=look)
    hearth.window.resize(1100, 720)
    hearth.window.show()
    hearth.start()

    wait = functools.partial(wait_until, app)

    wait(lambda: hearth.models.state.value == "ready", 300)
    if args.sample or args.welcome:
        view = hearth.window.chat_view
        for _ in range(40):
            app.processEvents()
            time.sleep(0.02)
        if args.branches:
            last = view.model().rowCount() - 1
            hearth.chat.update_conversation_settings("", SamplingParams(max_tokens=40, seed=3))
            hearth.chat.regenerate()
            wait(lambda: not hearth.chat.busy, 300)
            # Back to the stored reply (the richer one): "‹ 1/2 ›".
            view.switch_branch(last, -1)
            for _ in range(20):
                app.processEvents()
                time.sleep(0.02)
        if args.sample and not args.no_hover:
            view.open_editor(view.model().rowCount() - 1)
            for _ in range(10):
                app.processEvents()
                time.sleep(0.02)
        hearth.window.grab().save(args.out)
        hearth.window.close()
        hearth.shutdown()
        print(args.out)
        return 0
    # Greedy decoding makes the picture reproducible; the replies are the model's own.
    hearth.chat.update_conversation_settings(
        hearth.chat.default_system_prompt,
        SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=200, seed=3))
    for question in QUESTIONS:
        hearth.chat.send(question)
        wait(lambda: not hearth.chat.busy, 300)
    view = hearth.window.chat_view
    view.open_editor(view.model().rowCount() - 1)  # the pointer's live reply and its actions
    for _ in range(30):
        app.processEvents()
        time.sleep(0.02)
    hearth.window.grab().save(args.out)
    hearth.window.close()
    hearth.shutdown()
    print(args.out)
    return 0


def store_sample(paths: object, *, chinese: bool) -> None:
    """A conversation with every kind of Markdown a reply shows, opened at start."""
    from desktop_app.core.engine.api import Role, SamplingParams
    from desktop_app.core.settings import SettingsStore
    from desktop_app.core.storage.chat_store import ChatStore, MessageState

    store = ChatStore.open(paths.database_path)  # type: ignore[attr-defined]
    try:
        conversation = store.create_conversation(model_id=None, system_prompt="",
                                                 params=SamplingParams())
        exchanges = [("How do I reverse a string in Python?", SAMPLE_REPLY, "")]
        if chinese:
            exchanges.append(("怎样在 Python 里反转中文字符串？", SAMPLE_REPLY_ZH,
                              "用户想反转中文字符串。切片按字符工作，所以直接可用。"))
        else:
            exchanges.insert(0, ("What is 17 × 23?", "17 × 23 = **391**.",
                                 "17 × 20 = 340, 17 × 3 = 51, 340 + 51 = 391."))
        for question, answer, thinking in exchanges:
            store.add_message(conversation.id, Role.USER, question)
            message = store.begin_reply(conversation.id)
            store.finish_reply(message.id, answer, thinking=thinking,
                               state=MessageState.COMPLETE, stats=None)
    finally:
        store.close()
    settings_store = SettingsStore(paths.settings_path)  # type: ignore[attr-defined]
    settings, _ = settings_store.load()
    settings.last_conversation_id = conversation.id
    settings_store.save(settings)


if __name__ == "__main__":
    sys.exit(main())
