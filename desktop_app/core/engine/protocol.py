"""Messages the GUI side sends to the engine child process, besides the public requests.

:class:`~desktop_app.core.engine.api.LoadOptions` and
:class:`~desktop_app.core.engine.api.GenerateRequest` cross the pipe as they
are; these small commands complete the set. Everything is picklable.
"""

from __future__ import annotations

from dataclasses import dataclass

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


Command = LoadOptions | GenerateRequest | Cancel | Unload | Shutdown
