"""One writer per data folder: an OS file lock on ``hearth.lock`` in the data folder.

Two Hearth windows on the same folder each believed they owned the history:
one marked the other's live reply interrupted and Regenerate deleted the
other's newer messages. So the window takes this lock for its whole life, and
``hearth`` commands that write (the model library, settings) take it for
theirs; whoever finds it taken does not write.

The lock is the operating system's (``fcntl.flock`` on POSIX, ``msvcrt.locking``
on Windows), not a pid written in a file: it dies with the process that holds
it, so a crash or ``kill -9`` never leaves a lock that blocks the next start.
The file stays behind (deleting it would race with the next holder); it holds
the holder's pid and what it is, for the message the others show.

Qt-free on purpose: the ``hearth`` command takes the same lock without Qt, and
the window adds a ``QLocalServer`` only to be brought to the front.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

LOCK_NAME = "hearth.lock"

# Windows locks are mandatory: a locked byte range cannot be read by others.
# Locking one byte far past the holder's note keeps the note readable.
_WINDOWS_LOCK_OFFSET = 1 << 20


@dataclass(frozen=True)
class LockHolder:
    """Who holds the lock, as it wrote in the lock file (best effort)."""

    pid: int
    owner: str


class DataFolderInUse(Exception):
    """Another process holds the data folder's lock. ``holder`` is None if it wrote no note."""

    def __init__(self, folder: Path, holder: LockHolder | None) -> None:
        who = (f"{holder.owner} (process {holder.pid})" if holder is not None
               else "another Hearth")
        super().__init__(f"Hearth's data folder {folder} is in use by {who}. Close it and "
                         "try again.")
        self.folder = folder
        self.holder = holder


class DataFolderLock:
    """The exclusive lock on one data folder, held from :meth:`acquire` to :meth:`release`.

    ``owner`` says who holds it in other processes' messages ("the Hearth
    window", "hearth models download"). Usable as a context manager.
    """

    def __init__(self, folder: Path, owner: str) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.owner = owner
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> None:
        """Take the lock without waiting; DataFolderInUse if another process has it.

        OSError if the lock file cannot be created (an unwritable folder).
        """
        if self._file is not None:
            return
        # "a+" creates the file without truncating the current holder's note.
        stream = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held until release)
        try:
            if not _try_lock(stream):
                holder = _read_holder(stream)
                raise DataFolderInUse(self.folder, holder)
            stream.seek(0)
            stream.truncate()
            stream.write(json.dumps({"pid": os.getpid(), "owner": self.owner}))
            stream.flush()
        except BaseException:
            stream.close()
            raise
        self._file = stream

    def release(self) -> None:
        """Let the lock go (closing the file releases it). No error if not held."""
        stream, self._file = self._file, None
        if stream is not None:
            _unlock(stream)
            stream.close()

    def __enter__(self) -> DataFolderLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def _read_holder(stream: IO[str]) -> LockHolder | None:
    try:
        stream.seek(0)
        data = json.loads(stream.read(4096) or "null")
        return LockHolder(int(data["pid"]), str(data["owner"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None  # the holder is still writing it, or an old or foreign file


if sys.platform == "win32":
    import msvcrt

    def _try_lock(stream: IO[str]) -> bool:
        stream.seek(_WINDOWS_LOCK_OFFSET)
        try:
            msvcrt.locking(stream.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(stream: IO[str]) -> None:
        stream.seek(_WINDOWS_LOCK_OFFSET)
        with contextlib.suppress(OSError):  # closing the file releases it anyway
            msvcrt.locking(stream.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(stream: IO[str]) -> bool:
        # flock, not fcntl/lockf: flock locks belong to the open file, so a
        # second open in the same process conflicts too (tests rely on it),
        # and closing an unrelated descriptor of the file does not drop it.
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(stream: IO[str]) -> None:
        fcntl.flock(stream.fileno(), fcntl.LOCK_UN)
