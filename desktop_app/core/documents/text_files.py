"""Opening a file the user named, and reading text of unknown encoding as a stream.

Documents are untrusted, names and contents alike. Two things follow here:

* A path may name a FIFO, a device or a socket (``/dev/zero``, a named pipe
  a hostile archive unpacked). Opening a FIFO for reading blocks until a
  writer appears, so :func:`open_regular_file` opens without blocking and
  checks, on the open descriptor (no check-then-open race), that it is a
  regular file before reading a byte.
* There is no size cap but the disk, so text is never read whole: it is
  decoded block by block with an incremental decoder (:func:`iter_text`),
  which also keeps a multi-byte character cut by a block boundary intact.

The encoding is decided once, from the first block: a byte-order mark wins
(UTF-8, UTF-16); then strict UTF-8; then GB18030 (a superset of GBK and
GB2312, what Chinese Windows writes); a NUL byte in a file without a UTF-16
mark means binary, which is refused rather than indexed as noise. Bytes that
turn out invalid later in the file are replaced (U+FFFD), never fatal: one bad
byte in a 2 GB log should not lose the rest.
"""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserFacingError, user_text

BLOCK_BYTES = 1 << 20
"""How much is read and decoded at a time: big enough to amortise Python, small in memory."""


class UnreadableDocument(UserFacingError):
    """A document that cannot be read at all; it fails alone, with this as its reason."""


def open_regular_file(path: Path) -> BinaryIO:
    """Open ``path`` for binary reading, refusing anything but a regular file.

    ``O_NONBLOCK`` makes opening a FIFO return at once instead of waiting for
    a writer; ``fstat`` on the descriptor then tells what was opened.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnreadableDocument(user_text(
            "documents.open_failed", QT_TRANSLATE_NOOP("core", "{name} cannot be opened: {why}"),
            name=path.name, why=exc.strerror or str(exc))) from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnreadableDocument(user_text(
                "documents.not_a_file",
                QT_TRANSLATE_NOOP("core", "{name} is not a regular file (a device, pipe or "
                                          "folder), so Hearth does not read it"),
                name=path.name))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def detect_encoding(sample: bytes, *, whole_file: bool) -> str | None:
    """The codec to read a file starting with ``sample`` with; None if it looks binary.

    ``whole_file`` says the sample is the entire file, so a multi-byte
    character cut at its end is an error rather than a block boundary.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        return None
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=whole_file)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"  # decodes anything; a last resort for old Western files


def iter_text(stream: BinaryIO, name: str, *, size: int | None = None,
              block_bytes: int = BLOCK_BYTES) -> Iterator[tuple[str, float]]:
    """Decode ``stream`` block by block: yields ``(text, fraction of the file read)``.

    ``size`` is the file's size for the fraction (0 when unknown). Raises
    :class:`UnreadableDocument` for a binary file.
    """
    first = stream.read(block_bytes)
    nxt = stream.read(block_bytes) if first else b""
    encoding = detect_encoding(first, whole_file=not nxt)
    if encoding is None:
        raise UnreadableDocument(user_text(
            "documents.binary", QT_TRANSLATE_NOOP(
                "core", "{name} looks like a binary file, not text, so it was not indexed"),
            name=name))
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    done = 0
    block = first
    while block:
        done += len(block)
        text = decoder.decode(block, final=not nxt)
        if text:
            yield text, (done / size if size else 0.0)
        block, nxt = nxt, (stream.read(block_bytes) if nxt else b"")
