"""Load the last used model while the window is still being built.

At start the window selects the model used last and asks the engine to load
it, but only once every controller and widget exists: the engine process,
llama.cpp and the model's file then start from nothing after the window is
up, and the first reply waits for all of it. The load options are known much
earlier (they come from the settings and the model library), so the window's
composition root starts the load first, through :class:`EarlyLoadEngine`,
and builds the window while the engine process starts and loads.

When the window's own load arrives with the same options, it is not sent
again (that would load the model twice): the engine is already loading it,
and its ``ModelLoaded`` reaches the window through the broker (which replays
the last ``ModelLoaded`` to a client registered after it). Any other command
first, or a failed early load, and the window's load goes through as usual.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from desktop_app.core.engine.api import (
    Engine,
    EngineCrashed,
    EngineEvent,
    GenerateRequest,
    LoadFailed,
    LoadOptions,
)
from desktop_app.core.models.library import LocalModel, ModelLibrary
from desktop_app.core.settings import ModelSettings, Settings

log = logging.getLogger(__name__)


def expected_load(settings: Settings, library: ModelLibrary) -> LoadOptions | None:
    """The load the window will ask for first, if it is a local model of the library.

    Mirrors ``ModelController.start``: the last used model, with its own
    settings. None for a remote model, a model no longer in the library, or
    no model yet (the starter model is registered first): those start as before.
    """
    last = settings.last_model_id
    if not last:
        return None
    try:
        model = library.get(last)
    except KeyError:
        return None
    return load_options_for(model, settings, library)


def load_options_for(model: LocalModel, settings: Settings,
                     library: ModelLibrary) -> LoadOptions:
    """What loading ``model`` asks of the engine: its own settings, and every installed
    model as a draft candidate (the engine picks one for speculative decoding).

    The one home of this, so the early load and the window's load stay equal.
    """
    model_settings = settings.model_settings.get(model.id, ModelSettings())
    installed = tuple(str(m.path) for m in library.models())
    return replace(model_settings.load_options(str(model.path)), draft_candidates=installed)


class EarlyLoadEngine:
    """An :class:`Engine` that can start a load before anyone asks for it.

    :meth:`preload` must be called before the engine is handed to the
    thread that drives it (the broker), like every other method it is then
    called from that one thread.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._expected: LoadOptions | None = None

    def preload(self, options: LoadOptions) -> None:
        """Start loading ``options`` now; the first matching :meth:`load` is then dropped."""
        self._engine.load(options)
        self._expected = options

    def load(self, options: LoadOptions) -> None:
        expected, self._expected = self._expected, None
        if options == expected:
            log.info("model already loading since start: %s", options.model_path)
            return
        self._engine.load(options)

    def generate(self, request: GenerateRequest) -> None:
        self._expected = None
        self._engine.generate(request)

    def cancel(self, request_id: int) -> None:
        self._engine.cancel(request_id)

    def unload(self) -> None:
        self._expected = None
        self._engine.unload()

    def poll_events(self, timeout: float) -> list[EngineEvent]:
        events = self._engine.poll_events(timeout)
        if self._expected is not None and any(
                isinstance(event, LoadFailed | EngineCrashed) for event in events):
            # The window's own load is sent after all, so its failure reaches it too.
            self._expected = None
        return events

    def wakeup(self) -> None:
        self._engine.wakeup()

    def shutdown(self) -> None:
        self._engine.shutdown()
