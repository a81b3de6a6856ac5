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


def format_size(count: float) -> str:
    """A byte count in decimal units, as the Hugging Face Hub shows sizes.

    ``"999 B"``, ``"1.5 kB"``, ``"812.3 MB"``, ``"4.37 GB"``: the one size
    format of the CLI, the GUI and every message, so a size the Hub lists
    reads the same everywhere in Hearth.
    """
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            digits = 2 if unit in ("TB", "GB") else 1
            return f"{count / scale:.{digits}f} {unit}"
    return f"{int(count)} B"
