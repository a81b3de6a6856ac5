"""Read-only access to the folders the user granted: list them, read text files.

The model names paths; a prompt injection in a web page can make it name
``../../.ssh/id_rsa``. So every path is resolved here, not trusted:

* a relative path starts with a grant's name (``Notes/todo.md``), an absolute
  one must lie inside a grant; either is resolved with ``realpath``, which
  follows every symlink, and must still lie inside the grant's own real path,
  so ``..`` and links pointing out of the grant are refused;
* a file is opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked with ``fstat``
  on the open descriptor: a link swapped in after the check is not followed,
  and a FIFO or device is refused without ever blocking on it or reading it;
* at most :data:`MAX_READ_BYTES` are read and :data:`MAX_ENTRIES` listed, and a
  file with NUL bytes or that is not UTF-8 is refused as not text.

Nothing here writes, renames or deletes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_app.core.engine.api import ToolSpec
from desktop_app.core.tools.toolbox import BUILTIN_SOURCE, ToolError, ToolResult

MAX_READ_BYTES = 256 * 1024
MAX_ENTRIES = 500

LIST_SPEC = ToolSpec(
    name="list_folder",
    description="List the files and folders in a folder the user shared. An empty path lists "
                "the shared folders.",
    parameters='{"type": "object", "properties": {"path": {"type": "string", "description": '
               '"Folder path starting with a shared folder\'s name, e.g. Notes/2024"}}}')
READ_SPEC = ToolSpec(
    name="read_text_file",
    description="Read a text file in a folder the user shared (at most 256 KB from offset).",
    parameters='{"type": "object", "properties": {"path": {"type": "string", "description": '
               '"File path starting with a shared folder\'s name, e.g. Notes/todo.md"}, '
               '"offset": {"type": "integer", "minimum": 0, "description": "Byte to start at"}}, '
               '"required": ["path"]}')


@dataclass(frozen=True)
class Grant:
    """A folder the user shared, under the name the model uses for it."""

    name: str
    root: Path  # its real path, resolved once when granted


class FolderAccess:
    """The shared folders; :meth:`resolve` is the one gate every path goes through."""

    def __init__(self, folders: Sequence[Path]) -> None:
        grants: list[Grant] = []
        for folder in folders:
            root = Path(os.path.realpath(folder))
            name = root.name or str(root)
            taken = {g.name for g in grants}
            n = 2
            unique = name
            while unique in taken:
                unique, n = f"{name}-{n}", n + 1
            grants.append(Grant(unique, root))
        self.grants = tuple(grants)

    def resolve(self, path: str) -> tuple[Grant, Path]:
        """The grant and real path ``path`` names; :class:`ToolError` if outside every grant."""
        if "\0" in path:
            raise ToolError("The path contains a NUL character.")
        given = Path(path.strip())
        candidates: list[tuple[Grant, Path]] = []
        if given.is_absolute():
            candidates = [(g, given) for g in self.grants]
        else:
            parts = given.parts
            for grant in self.grants:
                if parts and parts[0] == grant.name:
                    candidates.append((grant, grant.root.joinpath(*parts[1:])))
        for grant, candidate in candidates:
            real = Path(os.path.realpath(candidate))
            if real == grant.root or grant.root in real.parents:
                return grant, real
        names = ", ".join(g.name for g in self.grants) or "none"
        raise ToolError(f"{path[:200]!r} is not inside a shared folder. Shared folders: {names}.")

    def display(self, grant: Grant, real: Path) -> str:
        """The path as the model should write it (grant name first)."""
        rest = real.relative_to(grant.root)
        return str(Path(grant.name, rest)) if rest.parts else grant.name


class ListFolder:
    spec = LIST_SPEC
    source = BUILTIN_SOURCE

    def __init__(self, access: FolderAccess) -> None:
        self._access = access

    def run(self, arguments: dict[str, Any], timeout: float) -> ToolResult:
        path = str(arguments.get("path") or "").strip()
        if not path:
            shared = "\n".join(f"{g.name}/" for g in self._access.grants)
            return ToolResult("Shared folders:\n" + (shared or "(none)"))
        grant, real = self._access.resolve(path)
        try:
            entries = sorted(os.scandir(real), key=lambda e: e.name)
        except NotADirectoryError:
            raise ToolError(f"{path[:200]!r} is a file, not a folder.") from None
        except OSError as exc:
            raise ToolError(f"{path[:200]!r} cannot be listed: {exc.strerror}.") from None
        lines = [_describe(entry) for entry in entries[:MAX_ENTRIES]]
        more = len(entries) - MAX_ENTRIES
        if more > 0:
            lines.append(f"… and {more} more entries not shown.")
        title = f"{self._access.display(grant, real)}/ ({len(entries)} entries)"
        return ToolResult("\n".join([title, *lines]))


def _describe(entry: os.DirEntry[str]) -> str:
    name = entry.name.replace("\n", " ")
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return f"{name} (unreadable)"
    if stat.S_ISLNK(info.st_mode):
        return f"{name} (link)"
    if stat.S_ISDIR(info.st_mode):
        return f"{name}/"
    if stat.S_ISREG(info.st_mode):
        return f"{name} ({info.st_size:,} bytes)"
    return f"{name} (special file)"


class ReadTextFile:
    spec = READ_SPEC
    source = BUILTIN_SOURCE

    def __init__(self, access: FolderAccess) -> None:
        self._access = access

    def run(self, arguments: dict[str, Any], timeout: float) -> ToolResult:
        path = str(arguments.get("path") or "")
        offset = arguments.get("offset", 0)
        if not isinstance(offset, int) or offset < 0:
            raise ToolError("offset must be a whole number of bytes, 0 or more.")
        _, real = self._access.resolve(path)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(real, flags)
        except OSError as exc:
            raise ToolError(f"{path[:200]!r} cannot be read: {exc.strerror}.") from None
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise ToolError(f"{path[:200]!r} is a folder; use list_folder.")
            if not stat.S_ISREG(info.st_mode):
                raise ToolError(f"{path[:200]!r} is not a regular file; it is not read.")
            os.lseek(fd, offset, os.SEEK_SET)
            data = os.read(fd, MAX_READ_BYTES)
        finally:
            os.close(fd)
        if b"\0" in data:
            raise ToolError(f"{path[:200]!r} is not a text file.")
        end = offset + len(data)
        text = _decode(data, more=end < info.st_size)
        if text is None:
            raise ToolError(f"{path[:200]!r} is not a UTF-8 text file.")
        if end < info.st_size:
            text += (f"\n[File continues: bytes {offset:,} to {end:,} of {info.st_size:,} "
                     f"shown; read again with offset {end} for more.]")
        return ToolResult(text, truncated=end < info.st_size)


def _decode(data: bytes, *, more: bool) -> str | None:
    """UTF-8 text, allowing a character cut at the start, or at the end when the file
    goes on (``more``); else None."""
    start = 0
    while start < min(3, len(data)) and 0x80 <= data[start] <= 0xBF:
        start += 1  # an offset inside a character
    try:
        return data[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        if more and exc.reason == "unexpected end of data" \
                and exc.start >= len(data) - start - 3:
            return data[start:start + exc.start].decode("utf-8")
        return None
