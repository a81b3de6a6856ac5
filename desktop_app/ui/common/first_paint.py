"""Run start-up work once the window has painted, instead of before.

Work the first frame does not need (background services, warm-ups) still
costs the GUI thread, or the GIL from another thread, while the window is
being shown. Queued behind the first paint, it runs while the user reads the
window rather than before they see it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

FALLBACK_MS = 2000
"""A window that never paints (started minimized, on another desktop) runs the work anyway."""


class _FirstPaint(QObject):
    def __init__(self, widget: QWidget, work: Callable[[], None]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._work: Callable[[], None] | None = work
        widget.installEventFilter(self)
        QTimer.singleShot(FALLBACK_MS, self, self._run)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._work is not None:
            # The next turn of the event loop, so the frame is flushed first.
            QTimer.singleShot(0, self, self._run)
        return False

    def _run(self) -> None:
        work, self._work = self._work, None
        if work is None:
            return
        self._widget.removeEventFilter(self)
        work()


def after_first_paint(widget: QWidget, work: Callable[[], None]) -> None:
    """Call ``work`` once, just after ``widget`` first paints (or after FALLBACK_MS)."""
    _FirstPaint(widget, work)
