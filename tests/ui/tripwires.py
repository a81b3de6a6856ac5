"""Tripwires that show whether the GUI opened something it was only meant to display.

* :class:`FifoTripwire`: a FIFO no one may open. A watcher process keeps
  opening its write end without blocking; that succeeds only while a reader
  has it open (otherwise ``ENXIO``), so any read of it is seen. Opening and
  closing the write end also releases a reader stuck in ``open()``, so a
  failing test reports instead of hanging.
* :class:`PortTripwire`: a listening socket on 127.0.0.1 that counts connections.
* :class:`ResourceRecorder`: the names :class:`SafeTextDocument` was asked to load.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage

from desktop_app.ui.common.untrusted_text import SafeTextDocument

_FIFO_WATCHER = """
import errno, os, sys, time
fifo, report, done, parent = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
opened, reported = 0, False
while not os.path.exists(done) and os.getppid() == parent:
    asked = os.path.exists(report)
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        # ENXIO: no reader, the expected answer; ENOENT: removed after a read.
        if exc.errno not in (errno.ENXIO, errno.ENOENT):
            raise
    else:
        opened += 1
        os.close(fd)
        os.unlink(fifo)  # caught once is enough: later reads fail at once, nothing hangs
    if asked and not reported:
        print(opened, flush=True)
        reported = True
    time.sleep(0.002)
"""


class FifoTripwire:
    """A FIFO at ``path``; :meth:`close` says how many times someone opened it to read.

    The watcher is a separate process, not a thread: a GUI thread blocked in
    ``open()`` inside Qt holds Python's GIL, so a watcher thread would never
    run to see (and release) it. After the first read it removes the FIFO, so
    a broken build that reads it again and again (every repaint) fails fast
    instead of hanging; it keeps watching until the test process exits.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        os.mkfifo(path)
        self._report = path.with_name(path.name + ".report")
        self._done = path.with_name(path.name + ".done")
        self._watcher = subprocess.Popen(
            [sys.executable, "-c", _FIFO_WATCHER, str(path), str(self._report), str(self._done),
             str(os.getpid())], stdout=subprocess.PIPE, text=True)
        self._opened: int | None = None
        atexit.register(self._finish)

    def close(self) -> int:
        """How often the FIFO was opened for reading, after one last look."""
        if self._opened is None:
            self._report.touch()
            assert self._watcher.stdout is not None
            self._opened = int(self._watcher.stdout.readline())
        return self._opened

    def _finish(self) -> None:
        self._done.touch()
        self._watcher.communicate(timeout=30)


class PortTripwire:
    """A TCP listener on 127.0.0.1; :attr:`connections` counts who connected."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(8)
        self._socket.settimeout(0.05)
        self.port: int = self._socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> int:
        """Stop listening and return the connections, including any not yet accepted."""
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.setblocking(False)
        while True:
            try:
                conn, _ = self._socket.accept()
            except OSError:
                break
            self.connections += 1
            conn.close()
        self._socket.close()
        return self.connections


class ResourceRecorder:
    """Records every name :class:`SafeTextDocument` is asked for, and what it answered."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, Any]] = []
        original = SafeTextDocument.loadResource

        def recording(doc: SafeTextDocument, kind: int, name: QUrl) -> Any:
            result = original(doc, kind, name)
            self.calls.append((name.toString(), result))
            return result

        monkeypatch.setattr(SafeTextDocument, "loadResource", recording)

    def names(self) -> set[str]:
        return {name for name, _ in self.calls}

    def all_denied(self) -> bool:
        """Every answer was the placeholder: an image made here, never read from the name."""
        return all(result == b"" or (isinstance(result, QImage) and result.width() <= 16)
                   for _, result in self.calls)


class Tripwires:
    """A FIFO (also reachable as ``x.png`` in the working directory) and a port, together."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        # The FIFO is named x.png and the test runs in its folder, so a relative
        # image name ("x.png") points at it too.
        monkeypatch.chdir(tmp_path)
        self.fifo = FifoTripwire(tmp_path / "x.png")
        self.port = PortTripwire()
        self.resources = ResourceRecorder(monkeypatch)
        self._result: tuple[int, int] | None = None

    def __enter__(self) -> Tripwires:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> tuple[int, int]:
        """(FIFO opens, port connections): both 0 when nothing was touched. Idempotent."""
        if self._result is None:
            self._result = (self.fifo.close(), self.port.close())
        return self._result
