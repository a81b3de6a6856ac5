"""Messages between the engine child process and its parent, besides the public types.

:class:`~desktop_app.core.engine.api.LoadOptions` and
:class:`~desktop_app.core.engine.api.GenerateRequest` cross the pipe as they
are; the small commands here complete the set. :class:`Heartbeat` goes the
other way and never leaves :class:`~desktop_app.core.engine.process.LocalEngine`.
Everything is picklable.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from desktop_app.core.engine.api import GenerateRequest, LoadOptions


@dataclass(frozen=True)
class Cancel:
    request_id: int


@dataclass(frozen=True)
class Unload:
    pass


@dataclass(frozen=True)
class Shutdown:
    pass


class Phase(StrEnum):
    """What the engine child is doing; sets whether its heartbeat thread may beat."""

    IDLE = "idle"
    LOADING = "loading"        # inside llama.cpp: beats every second
    RENDERING = "rendering"    # running the model's chat template: beats only between renders
    GENERATING = "generating"  # prefill and decoding: beats every second; text counts too


@dataclass(frozen=True)
class Heartbeat:
    """The child is alive and doing ``phase``; the parent's watchdog counts the silence."""

    phase: Phase


Command = LoadOptions | GenerateRequest | Cancel | Unload | Shutdown
