"""Small text formats shared by the CLI and the GUI."""

from __future__ import annotations


def format_duration(seconds: float | None) -> str:
    """``"1:05"`` or ``"2:03:04"``; ``"--:--"`` when unknown (None, negative or NaN)."""
    if seconds is None or seconds < 0 or seconds != seconds:
        return "--:--"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
