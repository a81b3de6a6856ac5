"""A hung, runaway or failing engine is caught: hostile templates, a suspended child,
a Stop that is not acknowledged, and an engine whose parent dies.

The timings asserted here are generous upper bounds (the machine running the
suite may be a loaded 2-core VM); the figures measured on such a machine are
in the engine's commit message.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.engine.api import (
    ChatMessage,
    EngineCrashed,
    GenerateRequest,
    GenerationFailed,
    LoadFailed,
    LoadOptions,
    ModelLoaded,
    ReplyFinished,
    Role,
    TokenChunk,
)
from desktop_app.core.engine.process import CANCEL_GRACE, LocalEngine
from tests.conftest import REPO_ROOT, _with_chat_template
from tests.core.engine.engine_driver import collect, finished, request

pytestmark = pytest.mark.slow

HOSTILE = {
    "nested-range": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ '' }}{% endfor %}"
        "{% endfor %}", "still running after"),
    "range-over-limit": ("{% for i in range(10**7) %}{{ i }}{% endfor %}", "OverflowError"),
    "type-error": ("{{ bos_token }}{{ messages[0]['content'] + 1 }}", "TypeError"),
    "gigabytes": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ 'x' * 1000 }}{% endfor %}"
        "{% endfor %}{{ 'x' * 10**9 }}", "characters of prompt"),
}


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    eng = LocalEngine()
    yield eng
    eng.shutdown()


def _load(engine: LocalEngine, path: Path, **options: object) -> ModelLoaded:
    engine.load(LoadOptions(model_path=str(path), **options))  # type: ignore[arg-type]
    events = collect(engine, lambda e: isinstance(e, ModelLoaded | LoadFailed))
    assert isinstance(events[-1], ModelLoaded), events[-1]
    return events[-1]


def _gone(pid: int) -> bool:
    """The process no longer runs (gone, or a zombie waiting for whoever adopted it)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_template_fails_fast_and_the_builtin_format_works(
        engine: LocalEngine, demo_model_path: Path, name: str) -> None:
    template, reason = HOSTILE[name]
    path = _with_chat_template(demo_model_path, template, f"hostile-{name}")
    loaded = _load(engine, path, n_ctx=512)
    assert loaded.chat_format == "Template from the model"
    pid = engine.pid
    started = time.monotonic()
    engine.generate(request(1, "Hi"))
    events = collect(engine, lambda e: isinstance(e, GenerationFailed | ReplyFinished
                                                  | EngineCrashed), timeout=60)
    elapsed = time.monotonic() - started
    failed = events[-1]
    assert isinstance(failed, GenerationFailed), failed
    assert str(failed.message).startswith("This model's chat template failed: ")
    assert reason in str(failed.message)
    assert "built-in prompt format in the model's settings" in str(failed.message)
    assert elapsed < 30, elapsed  # the render budget is 3 s
    # The engine survived, and the same file answers with the built-in format.
    assert engine.pid == pid
    loaded = _load(engine, path, n_ctx=512, builtin_prompt_format=True)
    assert loaded.chat_format.startswith("Gemma (built-in; chosen instead of the model's")
    engine.generate(request(2, "Hi"))
    end = collect(engine, finished(2))[-1]
    assert isinstance(end, ReplyFinished)
    assert end.stats.completion_tokens > 0
    assert engine.pid == pid


def test_a_bug_in_a_command_fails_that_command_not_the_engine(
        engine: LocalEngine, demo_model_path: Path) -> None:
    """An uncaught exception used to end the engine with exit code 1 on every message."""
    _load(engine, demo_model_path, n_ctx=512)
    pid = engine.pid
    broken = GenerateRequest(request_id=1, conversation_id=1, messages=(
        ChatMessage(Role.USER, "Hi"), ChatMessage(Role.ASSISTANT, None),  # type: ignore[arg-type]
        ChatMessage(Role.USER, "Hi")))
    engine.generate(broken)
    failed = collect(engine, lambda e: isinstance(e, GenerationFailed | ReplyFinished
                                                  | EngineCrashed))[-1]
    assert isinstance(failed, GenerationFailed), failed
    assert str(failed.message).startswith("The engine hit an unexpected error: TypeError")
    engine.generate(request(2, "Hi"))
    assert isinstance(collect(engine, finished(2))[-1], ReplyFinished)
    assert engine.pid == pid


def test_suspended_engine_is_caught_by_the_watchdog_and_restarted(
        engine: LocalEngine, demo_model_path: Path) -> None:
    _load(engine, demo_model_path, n_ctx=1024, watchdog_seconds=5)
    engine.generate(request(1, "Tell me a long story.", max_tokens=400))
    collect(engine, lambda e: isinstance(e, TokenChunk))
    pid = engine.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    stopped_at = time.monotonic()
    events = collect(engine, lambda e: isinstance(e, EngineCrashed), timeout=90)
    detected = time.monotonic() - stopped_at
    crash = events[-1]
    assert isinstance(crash, EngineCrashed)
    assert crash.request_id == 1
    assert crash.restarting
    assert "suspended" in str(crash.message)
    assert "text shown so far is kept" in str(crash.message)
    assert 4 < detected < 60, detected
    assert _gone(pid)
    # A new engine loads the model again by itself, and the next message works.
    events = collect(engine, lambda e: isinstance(e, ModelLoaded))
    assert engine.pid not in (None, pid)
    engine.generate(request(2, "Hello again."))
    assert isinstance(collect(engine, finished(2))[-1], ReplyFinished)


def test_stop_not_acknowledged_restarts_within_the_grace_and_queued_work_runs(
        engine: LocalEngine, demo_model_path: Path) -> None:
    _load(engine, demo_model_path, n_ctx=1024)  # the default 60 s watchdog
    engine.generate(request(1, "Tell me a long story.", max_tokens=400))
    collect(engine, lambda e: isinstance(e, TokenChunk))
    pid = engine.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    engine.cancel(1)
    stopped_at = time.monotonic()
    # The user's next message is queued behind the reply that will not stop.
    engine.generate(request(2, "Hello again.", max_tokens=8))
    events = collect(engine, lambda e: isinstance(e, EngineCrashed), timeout=60)
    killed = time.monotonic() - stopped_at
    crash = events[-1]
    assert isinstance(crash, EngineCrashed)
    assert crash.request_id == 1
    assert f"did not stop within {CANCEL_GRACE:g} s after Stop" in str(crash.message)
    assert CANCEL_GRACE - 0.5 < killed < CANCEL_GRACE + 20, killed
    assert _gone(pid)
    events = collect(engine, finished(2))
    assert any(isinstance(e, ModelLoaded) for e in events)
    assert isinstance(events[-1], ReplyFinished)
    assert engine.pid not in (None, pid)


ORPHAN_PARENT = textwrap.dedent("""
    import sys, time
    from desktop_app.core.engine.api import LoadOptions
    from desktop_app.core.engine.process import LocalEngine
    from tests.core.engine.engine_driver import request

    engine = LocalEngine()
    engine.load(LoadOptions(model_path=sys.argv[1], n_ctx=20000))
    # A prompt of about 16,000 tokens: minutes of prefill, during which the engine
    # sends nothing and reads nothing, so it would not notice the pipe closing.
    engine.generate(request(1, "word " * 16000, max_tokens=8))
    print(engine.pid, flush=True)
    time.sleep(600)
""")


def test_engine_exits_when_its_parent_is_killed_mid_work(demo_model_path: Path) -> None:
    parent = subprocess.Popen([sys.executable, "-c", ORPHAN_PARENT, str(demo_model_path)],
                              cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        time.sleep(4)  # the engine starts, loads the model and begins the prefill
        assert not _gone(child)
        parent.kill()
        parent.wait(10)
        killed_at = time.monotonic()
        while not _gone(child) and time.monotonic() - killed_at < 15:
            time.sleep(0.1)
        assert _gone(child), "the engine outlived its parent"
    finally:
        parent.kill()
        parent.wait(10)
        if parent.stdout is not None:
            parent.stdout.close()
        if not _gone(child):
            os.kill(child, signal.SIGKILL)
