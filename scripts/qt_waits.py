"""Waiting inside a script's Qt event loop, for the screenshot scripts.

Waiting by running the loop (not by sleeping) is what lets the engine
worker's queued signals reach the window, exactly as in the running app.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication


def wait_until(app: QCoreApplication, done: Callable[[], object],
               timeout: float = 300.0) -> None:
    """Run ``app``'s events until ``done()`` is true; TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError
        app.processEvents()
        time.sleep(0.01)


def settle(app: QCoreApplication, rounds: int = 30) -> None:
    """Let layouts, paints and queued signals run out before a screenshot (about 0.6 s)."""
    for _ in range(rounds):
        app.processEvents()
        time.sleep(0.02)
