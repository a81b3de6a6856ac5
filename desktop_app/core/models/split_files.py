"""Split models: llama.cpp's ``name-00001-of-00003.gguf`` naming, in one place.

Large models are published as several GGUF parts that llama.cpp loads as one
model when pointed at the first. The Hub listing, the downloader, the
download queue and the local library all need to recognise such names, so
they all parse them here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_SPLIT_RE = re.compile(r"^(?P<stem>.+)-(?P<index>\d{5})-of-(?P<count>\d{5})\.gguf$",
                       re.IGNORECASE)


@dataclass(frozen=True)
class SplitName:
    """Where a file sits in a ``-0000i-of-0000n.gguf`` set."""

    stem: str      # the path without the ``-00001-of-00003.gguf`` tail
    index: int     # 1-based
    count: int

    def part(self, index: int) -> str:
        """The name of part ``index`` (1-based) of this set."""
        return f"{self.stem}-{index:05d}-of-{self.count:05d}.gguf"

    @property
    def names(self) -> list[str]:
        """Every part's name, first to last."""
        return [self.part(i) for i in range(1, self.count + 1)]


def split_name(path: str) -> SplitName | None:
    """Parse a split-file name, or ``None`` for a single-file model (or a nonsensical index)."""
    match = _SPLIT_RE.match(path)
    if not match:
        return None
    index, count = int(match["index"]), int(match["count"])
    if count < 1 or not 1 <= index <= count:
        return None
    return SplitName(match["stem"], index, count)


def first_part_name(path: str) -> str:
    """The name a split model is known by (its first part); other names unchanged."""
    split = split_name(path)
    return split.part(1) if split is not None else path


def without_split_suffix(path: str) -> str:
    """``path`` without a ``-0000i-of-0000n.gguf`` tail; other names unchanged."""
    split = split_name(path)
    return split.stem if split is not None else path


def part_paths(path: Path) -> list[Path]:
    """Every file of the model ``path`` names (any part of a split set), or ``[path]``."""
    split = split_name(path.name)
    if split is None:
        return [path]
    return [path.with_name(name) for name in split.names]
