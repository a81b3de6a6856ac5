"""The data folder's lock: one holder at a time, and a killed holder never blocks the next."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.core.storage.instance_lock import DataFolderInUse, DataFolderLock, LockHolder

REPO_ROOT = Path(__file__).resolve().parents[3]

_HOLD = """
import sys, time
from pathlib import Path
from desktop_app.core.storage.instance_lock import DataFolderLock
if __name__ == "__main__":
    lock = DataFolderLock(Path(sys.argv[1]), "a test holder")
    lock.acquire()
    print("held", flush=True)
    time.sleep(60)
"""


def test_second_holder_is_refused_with_who_holds_it(tmp_path: Path) -> None:
    first = DataFolderLock(tmp_path, "the Hearth window")
    first.acquire()
    try:
        with pytest.raises(DataFolderInUse) as info:
            DataFolderLock(tmp_path, "hearth models rm").acquire()
        assert info.value.holder == LockHolder(os.getpid(), "the Hearth window")
        assert str(tmp_path) in str(info.value)
        assert f"the Hearth window (process {os.getpid()})" in str(info.value)
    finally:
        first.release()
    with DataFolderLock(tmp_path, "hearth models rm") as second:
        assert second.held
    assert not second.held


def test_a_killed_holder_leaves_no_lock_behind(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(tmp_path)], cwd=REPO_ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DataFolderInUse) as info:
            DataFolderLock(tmp_path, "me").acquire()
        assert info.value.holder == LockHolder(holder.pid, "a test holder")
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)
        if holder.stdout is not None:
            holder.stdout.close()
    assert (tmp_path / "hearth.lock").exists()  # the file stays; the lock died with it
    lock = DataFolderLock(tmp_path, "me")
    lock.acquire()  # no retry needed: the kernel dropped the lock when the process died
    assert lock.held
    lock.release()


def test_unreadable_note_still_refuses(tmp_path: Path) -> None:
    first = DataFolderLock(tmp_path, "x")
    first.acquire()
    try:
        (tmp_path / "hearth.lock").write_text("not json")
        with pytest.raises(DataFolderInUse, match="in use by another Hearth") as info:
            DataFolderLock(tmp_path, "y").acquire()
        assert info.value.holder is None
    finally:
        first.release()
