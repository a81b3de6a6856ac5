"""An unusable data folder is a clear DataFolderUnwritable, never a PermissionError traceback.

The tests run as root, where permission bits do not stop writes (and
``os.access`` says yes to everything), so they block folders with files where
folders should be; the chmod case runs only for ordinary users.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from desktop_app.core.paths import AppPaths, DataFolderUnwritable
from desktop_app.core.storage.database import StorageError


def _paths(home: Path) -> AppPaths:
    return AppPaths.from_environment({"HEARTH_HOME": str(home)})


def test_home_below_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "usb-stick"
    blocker.write_text("a file")
    with pytest.raises(DataFolderUnwritable) as info:
        _paths(blocker / "Hearth").ensure()
    assert isinstance(info.value, StorageError)  # callers that catch StorageError see it
    assert info.value.path == blocker / "Hearth" / "config"
    message = str(info.value)
    assert str(info.value.path) in message
    assert "a file is in the way" in message
    assert "HEARTH_HOME" in message


def test_logs_folder_taken_by_a_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "logs").write_text("not a folder")
    with pytest.raises(DataFolderUnwritable, match="a file with that name is in the way") as info:
        _paths(home).ensure()
    assert info.value.path == home / "logs"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_read_only_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _paths(home).ensure()
    (home / "data").chmod(0o500)
    try:
        with pytest.raises(DataFolderUnwritable, match="Permission denied"):
            _paths(home).ensure()
    finally:
        (home / "data").chmod(0o700)


def test_the_write_test_leaves_nothing_behind(tmp_path: Path) -> None:
    paths = _paths(tmp_path / "home").ensure()
    assert list(paths.data_dir.glob(".hearth-write-test-*")) == []
    assert paths.models_dir.is_dir()
    assert paths.log_dir.is_dir()


def test_a_folder_that_exists_but_takes_no_file(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # What a read-only mount does even to root: the folder is there, writing fails.
    home = tmp_path / "home"
    _paths(home).ensure()

    def read_only_mount(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr("desktop_app.core.paths.tempfile.TemporaryFile", read_only_mount)
    with pytest.raises(DataFolderUnwritable, match="Read-only file system") as info:
        _paths(home).ensure()
    assert info.value.path == home / "config"
