"""One Hearth window per data folder; a second launch brings the first to the front.

Ownership is the core :class:`DataFolderLock` (an OS lock, so a crash never
leaves it stale, and the ``hearth`` command honours it without Qt). This
module only adds the message: the owner listens on a ``QLocalServer`` and a
second launch that finds the lock taken sends ``activate`` and exits.

The server name is derived from the data folder's resolved path, so two
``HEARTH_HOME`` folders run side by side, and is a short hash because Unix
socket paths are limited to about 100 bytes (Qt puts the socket in the
temporary folder). The socket left by a crashed owner is removed before
listening; that is safe only because the lock proves no owner is alive.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

from desktop_app.core.storage.instance_lock import DataFolderInUse, DataFolderLock

log = logging.getLogger(__name__)

WINDOW_OWNER = "the Hearth window"
"""How the window names itself in the lock file (and so in others' messages)."""

ACTIVATE = b"activate\n"
CONNECT_TIMEOUT_MS = 1000
STARTUP_GRACE_SECONDS = 5.0
"""How long a second launch keeps trying to reach a window that holds the lock
but is not listening yet (it takes the lock a moment before it listens)."""


def server_name(data_dir: Path) -> str:
    """The local server's name for this data folder: short, and the same in every process."""
    digest = hashlib.sha256(str(Path(data_dir).resolve()).encode("utf-8")).hexdigest()
    return f"hearth-{digest[:16]}"


class SingleInstance(QObject):
    """Owns the data folder for the window's lifetime and answers later launches.

    Signals:
        activation_requested(): another launch asked this window to come to the front.
    """

    activation_requested = Signal()

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(data_dir)
        self.lock = DataFolderLock(Path(data_dir), WINDOW_OWNER)
        self._server: QLocalServer | None = None

    def claim(self) -> None:
        """Take the data folder and start listening.

        Raises DataFolderInUse when another process has it (then call
        :func:`activate_running`), OSError when the lock file can't be made.
        """
        self.lock.acquire()
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        QLocalServer.removeServer(self.name)  # a crashed owner's socket; we hold the lock
        if not server.listen(self.name):
            # Hearth still works; only "bring to front" is lost. Say why in the log.
            log.warning("cannot listen on %s: %s", self.name, server.errorString())
            return
        server.newConnection.connect(self._on_server_new_connection)
        self._server = server

    @property
    def listening(self) -> bool:
        """Whether later launches can reach this window (False only if listen failed)."""
        return self._server is not None

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self.lock.release()

    def _on_server_new_connection(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.setParent(self)
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)
            self._read(socket)  # the client may have written and left already

    def _read(self, socket: QLocalSocket) -> None:
        if socket.canReadLine() and bytes(socket.readLine().data()) == ACTIVATE:
            self.activation_requested.emit()
            socket.disconnectFromServer()


def activate_running(data_dir: Path, in_use: DataFolderInUse) -> bool:
    """Ask the window that owns ``data_dir`` to come to the front; True if it was told.

    False when the owner is not a window (a ``hearth`` command) or does not
    answer within :data:`STARTUP_GRACE_SECONDS`.
    """
    if in_use.holder is not None and in_use.holder.owner != WINDOW_OWNER:
        return False
    name = server_name(data_dir)
    deadline = time.monotonic() + STARTUP_GRACE_SECONDS
    while True:
        socket = QLocalSocket()
        socket.connectToServer(name)
        if socket.waitForConnected(CONNECT_TIMEOUT_MS):
            socket.write(ACTIVATE)
            sent = socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
            socket.disconnectFromServer()
            return sent
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def bring_to_front(window: QWidget) -> None:
    """Show ``window`` un-minimised and on top, as far as the window manager allows."""
    if window.isMinimized():
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()
