"""Which built-in tools a chat gets: each can be switched off, and web fetching starts off.

The settings are plain data the GUI stores (Settings › Tools); the tools are
built from them here, in one place, with what they need from the rest of
Hearth passed in (the offline switch, the documents search), never reached
for through a global.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

# The tools (jsonschema, numpy, httpx behind them) are imported when a chat first gets its
# tools: the settings import this module for BuiltinSettings, and the window starts without them.
if TYPE_CHECKING:
    from desktop_app.core.tools.builtin.document_search import Search
    from desktop_app.core.tools.toolbox import Tool


@dataclass(frozen=True)
class BuiltinSettings:
    """The user's choices for the built-in tools. Web fetching is off until switched on."""

    calculator: bool = True
    clock: bool = True
    folders: tuple[str, ...] = ()      # granted folders; none: no folder tools at all
    documents: bool = True             # offered only when a search is available too
    web_fetch: bool = False


def builtin_tools(settings: BuiltinSettings, *, is_offline: Callable[[], bool],
                  search: Search | None = None) -> list[Tool]:
    """The built-in tools ``settings`` switch on (web fetching never while offline)."""
    from desktop_app.core.tools.builtin.calculator import Calculator
    from desktop_app.core.tools.builtin.clock import Clock
    from desktop_app.core.tools.builtin.document_search import DocumentSearch
    from desktop_app.core.tools.builtin.folders import FolderAccess, ListFolder, ReadTextFile
    from desktop_app.core.tools.builtin.web_fetch import WebFetch

    tools: list[Tool] = []
    if settings.calculator:
        tools.append(Calculator())
    if settings.clock:
        tools.append(Clock())
    if settings.folders:
        access = FolderAccess([Path(f) for f in settings.folders])
        tools += [ListFolder(access), ReadTextFile(access)]
    if settings.documents and search is not None:
        tools.append(DocumentSearch(search))
    if settings.web_fetch and not is_offline():
        tools.append(WebFetch(is_offline))
    return tools

