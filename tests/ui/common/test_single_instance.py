"""One window per data folder, with real processes: a second launch wakes the first and exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.core.paths import AppPaths
from desktop_app.core.storage.instance_lock import DataFolderInUse, DataFolderLock
from desktop_app.ui.common.single_instance import (
    WINDOW_OWNER,
    SingleInstance,
    activate_running,
    server_name,
)

REPO_ROOT = Path(__file__).resolve().parents[3]

# The real main() with a scripted engine (no llama.cpp process). It reports on
# stdout when the window is up and when it is asked to come to the front, then quits.
_FIRST = """
import sys
from desktop_app.ui import app
from tests.ui.fake_engine import FakeEngine

def started(self, original=app.HearthApp.start):
    original(self)
    print("started", flush=True)

def bring_to_front(window, original=app.bring_to_front):
    original(window)
    print("activated", flush=True)
    app.QApplication.quit()

if __name__ == "__main__":
    app.LocalEngine = lambda **kwargs: FakeEngine()
    app.HearthApp.start = started
    app.bring_to_front = bring_to_front
    sys.exit(app.main([]))
"""


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "HEARTH_HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
            "PYTHONPATH": str(REPO_ROOT)}


def _start_first(home: Path) -> subprocess.Popen[str]:
    first = subprocess.Popen([sys.executable, "-c", _FIRST], cwd=REPO_ROOT, env=_env(home),
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert first.stdout is not None
    assert first.stdout.readline().strip() == "started"
    return first


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(30)
    if process.stdout is not None:
        process.stdout.close()


@pytest.mark.slow
@pytest.mark.usefixtures("registered_demo")
def test_second_launch_brings_the_first_to_the_front_and_exits(isolated_home: Path) -> None:
    first = _start_first(isolated_home)
    try:
        second = subprocess.run([sys.executable, "-m", "desktop_app"], cwd=REPO_ROOT,
                                env=_env(isolated_home), capture_output=True, text=True,
                                timeout=60)
        assert second.returncode == 0, second.stderr
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "activated"
        assert first.wait(60) == 0  # and it shuts down cleanly afterwards
    finally:
        _stop(first)


@pytest.mark.slow
@pytest.mark.usefixtures("registered_demo")
def test_a_killed_window_does_not_block_the_next_start(qtbot: QtBot, isolated_home: Path) -> None:
    first = _start_first(isolated_home)
    try:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    finally:
        _stop(first)
    data_dir = AppPaths.from_environment().data_dir
    assert (data_dir / "hearth.lock").exists()  # left behind, but no longer locked
    instance = SingleInstance(data_dir)
    instance.claim()
    try:
        assert instance.listening  # the dead window's socket was cleared away
    finally:
        instance.release()


def test_activation_message_reaches_the_owner(qtbot: QtBot, tmp_path: Path) -> None:
    owner = SingleInstance(tmp_path)
    owner.claim()
    try:
        with pytest.raises(DataFolderInUse) as info:
            DataFolderLock(tmp_path, "second launch").acquire()
        assert info.value.holder is not None
        assert info.value.holder.owner == WINDOW_OWNER
        with qtbot.waitSignal(owner.activation_requested, timeout=5000):
            assert activate_running(tmp_path, info.value)
    finally:
        owner.release()


def test_a_command_holding_the_folder_is_not_asked_to_activate(tmp_path: Path) -> None:
    with DataFolderLock(tmp_path, "hearth models download"):
        with pytest.raises(DataFolderInUse) as info:
            SingleInstance(tmp_path).claim()
        assert not activate_running(tmp_path, info.value)  # no waiting for a window


def test_two_data_folders_run_side_by_side(qtbot: QtBot, tmp_path: Path) -> None:
    one, two = SingleInstance(tmp_path / "a"), SingleInstance(tmp_path / "b")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert one.name != two.name
    one.claim()
    two.claim()
    try:
        assert one.listening
        assert two.listening
    finally:
        one.release()
        two.release()


def test_server_name_is_short_and_stable(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 200) / "data"
    assert server_name(deep) == server_name(deep / ".." / "data")
    assert len(server_name(deep)) <= 32  # Unix socket paths are limited to ~100 bytes
