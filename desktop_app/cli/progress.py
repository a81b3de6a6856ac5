"""Download progress for the terminal: a redrawn bar on a TTY, plain lines otherwise.

A bar redrawn with ``\\r`` is unreadable in a log file or a CI transcript, so
when the stream is not a terminal the printer writes one line per 10% instead.
Progress goes to stderr so ``--json`` output on stdout stays parseable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from desktop_app.core.formatting import format_duration, format_size
from desktop_app.core.models.download import DownloadProgress

_BAR_WIDTH = 28
_REDRAW_INTERVAL = 0.1
_LINE_STEP = 10  # percent


class ProgressPrinter:
    """Shows the progress of one download on ``stream``; pass :meth:`update` as the callback."""

    def __init__(self, label: str, stream: TextIO, *, is_tty: bool | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._label = label
        self._stream = stream
        self._tty = stream.isatty() if is_tty is None else is_tty
        self._clock = clock
        self._last_draw = float("-inf")
        self._next_step = 0
        self._drawn = False
        self._last: DownloadProgress | None = None

    def update(self, progress: DownloadProgress) -> None:
        self._last = progress
        if self._tty:
            now = self._clock()
            if now - self._last_draw >= _REDRAW_INTERVAL or progress.done >= progress.total:
                self._last_draw = now
                self._draw(progress)
            return
        percent = _percent(progress)
        if percent >= self._next_step:
            self._next_step = (percent // _LINE_STEP + 1) * _LINE_STEP
            self._stream.write(f"{self._label}: {percent}% ({_details(progress)})\n")
            self._stream.flush()

    def finish(self) -> None:
        """End the bar's line so the next output starts on a fresh one."""
        if self._tty and self._drawn:
            if self._last is not None:
                self._draw(self._last)
            self._stream.write("\n")
            self._stream.flush()

    def _draw(self, progress: DownloadProgress) -> None:
        percent = _percent(progress)
        filled = _BAR_WIDTH * percent // 100
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        self._stream.write(f"\r{self._label} [{bar}] {percent:3d}% {_details(progress)}\x1b[K")
        self._stream.flush()
        self._drawn = True


def _percent(progress: DownloadProgress) -> int:
    if progress.total <= 0:
        return 0
    return min(100, progress.done * 100 // progress.total)


def _details(progress: DownloadProgress) -> str:
    parts = [f"{format_size(progress.done)} of {format_size(progress.total)}"]
    if progress.speed > 0:
        parts.append(f"{format_size(progress.speed)}/s")
        parts.append(f"ETA {format_duration(progress.eta)}")
    if progress.parts > 1:
        parts.append(f"part {progress.part}/{progress.parts}")
    return ", ".join(parts)
