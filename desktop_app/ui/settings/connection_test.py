""""Test connection": ask a server for its models off the GUI thread and say what happened.

Used by the Servers tab (the selected server) and the add/edit dialog (the
server as typed, before it is saved). The outcome goes into a plain-text
label: model names and error messages come from the server and are untrusted.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QAbstractButton, QLabel

from desktop_app.core.keychain import KeychainError
from desktop_app.core.remote.servers import ServerConfig
from desktop_app.ui.common.background import BackgroundJobs
from desktop_app.ui.common.remote_access import ProbeOutcome, RemoteAccess
from desktop_app.ui.common.user_text import translated

MODELS_SHOWN = 12
"""How many model names a successful test lists before "and N more"."""


class ConnectionTest(QObject):
    """Runs one test at a time; an answer to an older test (or after the widgets are gone)
    is dropped.

    Signals:
        finished(bool): the test ended, successfully or not.
    """

    finished = Signal(bool)

    def __init__(self, access: RemoteAccess, jobs: BackgroundJobs, label: QLabel,
                 button: QAbstractButton) -> None:
        super().__init__(label)
        self._access = access
        self._jobs = jobs
        self._label = label
        self._button = button
        self._number = 0
        self.running = False

    def run(self, server: ServerConfig, key: str | None = None) -> None:
        """Test ``server`` with ``key`` (None: the key in the keyring, read off the GUI thread)."""
        self._number += 1
        number = self._number
        access = self._access
        self.running = True
        self._button.setEnabled(False)
        self._label.setText(self.tr("Connecting to {name}…").format(name=server.name))
        self._jobs.run(lambda: access.probe(server, key),
                       lambda result: self._on_done(number, server, result),
                       lambda exc: self._on_failed(number, server, exc))

    def _current(self, number: int) -> bool:
        if not shiboken6.isValid(self) or not shiboken6.isValid(self._label) \
                or number != self._number:
            return False
        self.running = False
        self._button.setEnabled(True)
        return True

    def _on_done(self, number: int, server: ServerConfig, result: ProbeOutcome) -> None:
        if not self._current(number):
            return
        names = [model.id for model in result.models]
        ms = round(result.latency_seconds * 1000)
        if not names:
            text = self.tr("{name} answered in {ms} ms but serves no models.").format(
                name=server.name, ms=ms)
        else:
            shown = ", ".join(names[:MODELS_SHOWN])
            if len(names) > MODELS_SHOWN:
                shown += self.tr(" and {n} more").format(n=len(names) - MODELS_SHOWN)
            text = self.tr("{name} answered in {ms} ms. Models ({n}): {models}").format(
                name=server.name, ms=ms, n=len(names), models=shown)
        self._label.setText("✓ " + text)
        self.finished.emit(True)

    def _on_failed(self, number: int, server: ServerConfig, exc: BaseException) -> None:
        if not self._current(number):
            return
        reason = translated(exc)
        if isinstance(exc, KeychainError):
            reason = self.tr("The key could not be read: {reason}").format(reason=reason)
        self._label.setText("✗ " + self.tr("{name}: {reason}").format(
            name=server.name, reason=reason))
        self.finished.emit(False)
