"""Which model is selected, and whether it is being prepared, loading, ready or failed.

The state follows the engine process too: when it crashes the status line
says so instead of "Ready", and when it is restarted (it stopped answering)
the status shows the model loading again.

On the first run there is no model yet: the bundled starter model is registered
(its header checked in the background) and then loaded. The engine loads in
its own process, so the window stays responsive.

A model on a remote server is selected by its :func:`remote_key`; the routing
engine sends its load and replies to that server while the local model stays
loaded. Per-model load settings do not apply to it. When the server goes away
(removed, disabled) or offline mode is turned on, the selection falls back to
the last local model, so no message is ever sent somewhere the user no longer
allows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum

from PySide6.QtCore import QObject, Signal

from desktop_app.core.engine.api import LoadFailed, LoadOptions, ModelLoaded
from desktop_app.core.engine.early_load import load_options_for
from desktop_app.core.models.library import LocalModel, ModelLibrary
from desktop_app.core.models.starter_model import ensure_starter_model
from desktop_app.core.remote.servers import ServerConfig
from desktop_app.core.settings import ModelSettings, Settings
from desktop_app.core.storage.database import StorageError
from desktop_app.core.user_text import UserText
from desktop_app.ui.common.background import BackgroundJobs
from desktop_app.ui.common.engine_worker import EngineWorker
from desktop_app.ui.common.user_text import translated
from desktop_app.ui.models.remote_models import (
    RemoteModelCatalog,
    RemoteModelRef,
    parse_remote_key,
)

log = logging.getLogger(__name__)


class ModelState(StrEnum):
    NONE = "none"
    PREPARING = "preparing"
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"
    CRASHED = "crashed"  # the engine process died; the model is loaded again on the next message


class ModelController(QObject):
    """Selects models, asks the worker to load them and reports progress.

    Signals:
        state_changed(ModelState, str): new state and a sentence for the status line.
        model_ready(ModelLoaded): the engine finished loading the selected model.
        selection_changed(str): the selected model id ("" for none; a remote model's
            :func:`remote_key`).
        models_changed(): the library's list changed.
        settings_changed(Settings): the user changed and saved the settings.
        error_occurred(str): a message for the user (e.g. the settings could not be saved).
    """

    state_changed = Signal(object, str)
    model_ready = Signal(object)
    settings_changed = Signal(object)
    error_occurred = Signal(str)
    selection_changed = Signal(str)
    models_changed = Signal()

    def __init__(self, library: ModelLibrary, settings: Settings,
                 save_settings: Callable[[Settings], None], worker: EngineWorker,
                 jobs: BackgroundJobs, parent: QObject | None = None, *,
                 remote: RemoteModelCatalog | None = None) -> None:
        super().__init__(parent)
        self.remote = remote
        self._library = library
        self._settings = settings
        self._save_settings = save_settings
        self._worker = worker
        self._jobs = jobs
        self.state = ModelState.NONE
        self.selected: LocalModel | None = None  # None while a remote model is selected
        self.selected_remote: RemoteModelRef | None = None
        self.remote_server: ServerConfig | None = None  # the selected remote model's server
        self.loaded: ModelLoaded | None = None
        self._last_local_id: str | None = None  # what a remote selection falls back to
        self._restarting = False  # engine_restarting came; the engine_crashed that follows is known
        worker.model_loaded.connect(self._on_worker_model_loaded)
        worker.load_failed.connect(self._on_worker_load_failed)
        worker.engine_crashed.connect(self._on_worker_engine_crashed)
        worker.engine_restarting.connect(self._on_worker_engine_restarting)

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def selected_id(self) -> str | None:
        """The selected model's id: a library id, a :func:`remote_key`, or None."""
        if self.selected_remote is not None:
            return self.selected_remote.key
        return self.selected.id if self.selected is not None else None

    def selected_name(self) -> str | None:
        """How the selected model is named to the user (remote: "model — server")."""
        if self.selected_remote is not None and self.remote_server is not None:
            return self.tr("{model} — {server}").format(model=self.selected_remote.model,
                                                         server=self.remote_server.name)
        return self.selected.display_name if self.selected is not None else None

    def apply_settings(self, new: Settings) -> None:
        """Save ``new`` and reload the selected model if its load settings changed."""
        old = self._settings
        self._settings = new
        self._save()
        self.settings_changed.emit(new)
        if self.remote is not None:
            self.remote.update(new.servers, new.offline)
        if self.selected_remote is not None:
            self._recheck_remote(self.selected_remote)
            return
        selected = self.selected
        if selected is not None and (old.model_settings.get(selected.id, ModelSettings())
                                     != new.model_settings.get(selected.id, ModelSettings())):
            self.select(selected.id)

    def models(self) -> list[LocalModel]:
        return self._library.models()

    def start(self) -> None:
        """Select the last used model, or prepare and select the starter model."""
        if self.remote is not None:
            self.remote.update(self._settings.servers, self._settings.offline)
        last = self._settings.last_model_id
        ref = parse_remote_key(last) if last else None
        if ref is not None:
            problem = self._remote_problem(ref)
            if problem is None:
                self.select(ref.key)
                return
            log.info("the last model was on a server that is not usable now; using a local one")
            self.error_occurred.emit(problem)
            self._select_local_fallback()
            return
        if last:
            try:
                self.select(self._library.get(last).id)
                return
            except KeyError:
                log.info("last model %s is gone; falling back to the starter model", last)
        self.prepare_starter()

    def prepare_starter(self) -> None:
        """Register and select the bundled starter model (its header is checked off-thread)."""
        self._set_state(ModelState.PREPARING, self.tr("Preparing the starter model…"))
        self._jobs.run(lambda: ensure_starter_model(self._library), self._on_starter_ready,
                       self._on_starter_failed)

    def select(self, model_id: str) -> None:
        ref = parse_remote_key(model_id)
        if ref is not None:
            self._select_remote(ref)
            return
        try:
            model = self._library.get(model_id)
        except KeyError:
            self._set_state(ModelState.FAILED, self.tr("That model is no longer in the library."))
            return
        self.selected = model
        self.selected_remote = self.remote_server = None
        self._last_local_id = model.id
        self.loaded = None
        if self._settings.last_model_id != model.id:
            # At start it is the model used last: no write (two fsyncs) before the first paint.
            self._settings.last_model_id = model.id
            self._save()
        self.selection_changed.emit(model.id)
        self._worker.load(load_options_for(model, self._settings, self._library))
        self._set_state(ModelState.LOADING,
                        self.tr("Loading {name}…").format(name=model.display_name))

    def is_loaded(self, model_id: str) -> bool:
        return self.selected_id == model_id

    # ---- remote models ---------------------------------------------------------

    def _remote_problem(self, ref: RemoteModelRef) -> str | None:
        """Why ``ref`` cannot be used now (offline mode, server gone or off), or None."""
        server = self.remote.server(ref.server_id) if self.remote is not None else None
        if server is None or not server.enabled:
            return self.tr("The server of “{model}” is no longer in Settings › Servers (or is "
                           "turned off), so a local model is used.").format(model=ref.model)
        if self._settings.offline:
            return self.tr("Offline mode is on: “{model}” on {server} is not used, because "
                           "Hearth does not connect to other computers. Turn offline mode off "
                           "in Settings to use it.").format(model=ref.model, server=server.name)
        return None

    def _select_remote(self, ref: RemoteModelRef) -> None:
        problem = self._remote_problem(ref)
        if problem is not None:
            self.error_occurred.emit(problem)  # the selection stays as it was
            self.selection_changed.emit(self.selected_id or "")
            return
        assert self.remote is not None  # _remote_problem found the server
        server = self.remote.server(ref.server_id)
        assert server is not None
        self.selected = None
        self.selected_remote = ref
        self.remote_server = server
        self.loaded = None
        self._settings.last_model_id = ref.key
        self._save()
        self.selection_changed.emit(ref.key)
        # Per-model load settings (context, GPU layers…) are the server's business.
        self._worker.load(LoadOptions(model_path=ref.model, server_id=server.id))
        self._set_state(ModelState.LOADING, self.tr("Connecting to {server} for {model}…").format(
            server=server.name, model=ref.model))

    def _recheck_remote(self, ref: RemoteModelRef) -> None:
        """After a settings change: fall back to a local model, or reconnect if the server
        changed (a new address or proxy must be used from the next reply on)."""
        problem = self._remote_problem(ref)
        if problem is not None:
            self.error_occurred.emit(problem)
            self._select_local_fallback()
        elif self.remote is not None and self.remote.server(ref.server_id) != self.remote_server:
            self._select_remote(ref)

    def keys_changed(self, server_ids: set[str]) -> None:
        """These servers' API keys changed: ask them again, and reconnect to the selected one
        (the routing engine reads a server's key when a model is loaded)."""
        if self.remote is not None and server_ids:
            self.remote.refresh(server_ids)
        ref = self.selected_remote
        if ref is not None and ref.server_id in server_ids:
            self._select_remote(ref)

    def _select_local_fallback(self) -> None:
        """The local model used last this session, else the first in the library, else the
        starter model."""
        ids = [m.id for m in self._library.models()]
        if ids:
            self.select(self._last_local_id if self._last_local_id in ids else ids[0])
        else:
            self.selected_remote = self.remote_server = None
            self.prepare_starter()

    def refresh(self) -> None:
        self.models_changed.emit()

    def _matches(self, model_path: str) -> bool:
        """Whether an engine event is about the selected model (remote or local)."""
        if self.selected_remote is not None:
            return model_path == self.selected_remote.model
        return self.selected is not None and model_path == str(self.selected.path)

    def _on_starter_ready(self, model: LocalModel) -> None:
        self.models_changed.emit()
        self.select(model.id)

    def _on_starter_failed(self, exc: BaseException) -> None:
        self._set_state(ModelState.FAILED,
                        self.tr("The starter model could not be prepared: {e}").format(e=exc))

    def _on_worker_model_loaded(self, event: ModelLoaded) -> None:
        if not self._matches(event.model_path):
            return
        self.loaded = event
        if self.selected_remote is not None and self.remote_server is not None:
            self._set_state(ModelState.READY, self.tr("Ready · {model} on {server}").format(
                model=self.selected_remote.model, server=self.remote_server.name))
            self.model_ready.emit(event)
            return
        # The short line; the prompt format, device and notices go in its tooltip.
        text = self.tr("Ready · {backend} · {ctx} tokens of context").format(
            backend=event.backend, ctx=event.n_ctx)
        self._set_state(ModelState.READY, text)
        self.model_ready.emit(event)

    def _on_worker_load_failed(self, event: LoadFailed) -> None:
        if not self._matches(event.model_path):
            return
        self._set_state(ModelState.FAILED, translated(event.message))

    def _on_worker_engine_crashed(self, message: UserText | str,
                                  _request_id: int | None) -> None:
        selected = self.selected
        if selected is None or self._restarting:  # also: a remote model is not affected
            self._restarting = False  # the status already says the model is loading again
            return
        self.loaded = None
        if self.state == ModelState.LOADING:
            # It died loading this model: loading it again would likely do the same.
            self._set_state(ModelState.FAILED, translated(message))
            return
        self._set_state(ModelState.CRASHED, self.tr(
            "The engine stopped · {name} is loaded again with your next message").format(
                name=selected.display_name))

    def _on_worker_engine_restarting(self) -> None:
        selected = self.selected
        if selected is None:
            return
        self._restarting = True
        self.loaded = None
        self._set_state(ModelState.LOADING, self.tr(
            "The engine was restarted · loading {name} again…").format(
                name=selected.display_name))

    def _save(self) -> None:
        try:
            self._save_settings(self._settings)
        except StorageError as exc:
            self.error_occurred.emit(str(exc))

    def _set_state(self, state: ModelState, text: str) -> None:
        self.state = state
        self.state_changed.emit(state, text)
