"""The composition root: builds every object once and passes them in.

No module reaches for a global; tests build the same window with
:func:`build_app` on a temporary ``HEARTH_HOME``.
"""

from __future__ import annotations

import functools
import logging
import logging.handlers
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from desktop_app import APP_NAME, __version__
from desktop_app.core.documents.embedders import USE_NAME, EmbedderCache, embedder_for
from desktop_app.core.engine.early_load import EarlyLoadEngine, expected_load
from desktop_app.core.engine.process import LocalEngine
from desktop_app.core.models.library import ModelLibrary
from desktop_app.core.paths import AppPaths, DataFolderUnwritable, resources_dir
from desktop_app.core.settings import Settings, SettingsStore
from desktop_app.core.storage.chat_store import ChatStore
from desktop_app.core.storage.database import StorageError
from desktop_app.core.storage.instance_lock import DataFolderInUse
from desktop_app.ui import startup_probe
from desktop_app.ui.common.first_paint import after_first_paint
from desktop_app.ui.common.look import Look
from desktop_app.ui.common.single_instance import SingleInstance, activate_running, bring_to_front
from desktop_app.ui.common.startup_problems import (
    StartupDialogs,
    error_box,
    in_use_box,
    open_history,
    unwritable_box,
)

# Only what main() needs before the window is imported here: the engine's process and the
# last model's load start first (see _run), and the window's modules load while they run.
# build_app imports the rest.
if TYPE_CHECKING:
    from desktop_app.core.engine.api import Engine
    from desktop_app.core.engine.broker import EngineBroker
    from desktop_app.core.keychain import KeyStore
    from desktop_app.core.models.catalog import CatalogEntry
    from desktop_app.core.serve.config import ApiServerSettings
    from desktop_app.core.serve.server import ApiServer
    from desktop_app.ui.chat.chat_controller import ChatController
    from desktop_app.ui.common.api_server_controller import ApiServerController
    from desktop_app.ui.common.background import BackgroundJobs
    from desktop_app.ui.common.engine_worker import EngineThread
    from desktop_app.ui.common.remote_access import ClientFactory
    from desktop_app.ui.documents.documents_feature import DocumentsFeature
    from desktop_app.ui.main_window import MainWindow
    from desktop_app.ui.models.download_manager import DownloadManager
    from desktop_app.ui.models.model_controller import ModelController
    from desktop_app.ui.models.models_page import ModelsPage
    from desktop_app.ui.tools.tools_feature import ToolsFeature

log = logging.getLogger(__name__)


@dataclass
class HearthApp:
    """Everything the window needs, built once. :meth:`shutdown` releases it in order."""

    paths: AppPaths
    settings: Settings
    settings_store: SettingsStore
    store: ChatStore
    library: ModelLibrary
    engine_thread: EngineThread
    broker: EngineBroker
    jobs: BackgroundJobs
    chat: ChatController
    models: ModelController
    window: MainWindow
    warnings: list[str]
    downloads: DownloadManager
    models_page: ModelsPage
    api_server: ApiServerController
    reopen_after_crash: int | None = None
    """The conversation a reply was streaming in when Hearth was killed, if it was."""
    documents: DocumentsFeature | None = None
    tools: ToolsFeature | None = None
    services_after_first_paint: bool = False
    """:func:`main` sets it: the services then start just after the window's first paint."""

    def start(self) -> None:
        """Start the worker, pick a model, reopen the last conversation, start the services."""
        self.start_window()
        if self.services_after_first_paint:
            after_first_paint(self.window.composer.edit.viewport(), self.start_services)
        else:
            self.start_services()

    def start_window(self) -> None:
        """What the first frame shows: the model being loaded, the last conversation, warnings."""
        self.engine_thread.start()
        self.models.start()
        last = self.reopen_after_crash or self.settings.last_conversation_id
        if last is not None:
            self.chat.open_conversation(last)
        for warning in self.warnings:
            self.window.banner.show_message(warning)

    def start_services(self) -> None:
        """What the first frame does not need: the API server, documents, tools, warm-ups."""
        self.api_server.apply(self.models.settings.api_server)
        if self.documents is not None:
            self.documents.start()
        if self.tools is not None:
            self.tools.start()
        from desktop_app.ui.chat import markdown  # imported with the window already

        # Code highlighting's first use imports Pygments' lexers (~60 ms): on a thread,
        # ahead of the first reply with code.
        self.jobs.run(markdown.warm_up, lambda _none: None,
                      lambda exc: log.warning("code highlighting not warmed up: %s", exc))

    def shutdown(self) -> None:
        self.chat.stop()
        conversation = self.chat.conversation
        # The model controller holds the live settings (the dialog replaces the object).
        settings = self.models.settings
        settings.last_conversation_id = conversation.id if conversation else None
        settings.window_geometry = self.window.encoded_geometry()
        if not self.store.read_only:  # a newer Hearth's settings are left as they are too
            try:
                self.settings_store.save(settings)
            except StorageError:
                log.exception("could not save the settings at exit")
        self.downloads.close()  # the running download pauses; it resumes next time
        if self.tools is not None:  # its MCP server processes end with it
            self.tools.close()
        # The API server's requests end first, then the window's worker (and the remote
        # engines behind it), then the broker, which shuts the local engine down.
        self.api_server.stop()
        self.engine_thread.shutdown()
        self.broker.shutdown()
        self.jobs.wait()
        if self.documents is not None:
            self.documents.close()
        # Signals the worker queued before it stopped may still be delivered;
        # nothing may reach the store once it is closed.
        self.chat.detach()
        if not self.chat.save_unsaved():  # a reply the full disk kept out: one last try
            log.error("a reply could not be saved before exit")
        self.store.close()


def build_app(paths: AppPaths, *, engine_factory: Callable[[], Engine] | None = None,
              loaded_settings: tuple[Settings, list[str]] | None = None,
              store: ChatStore | None = None, look: Look | None = None,
              keys: KeyStore | None = None, remote_client: ClientFactory | None = None,
              read_library: tuple[ModelLibrary, list[str]] | None = None) -> HearthApp:
    """Build the objects and the window; raises StorageError if the database can't be opened.

    ``loaded_settings`` is what :meth:`SettingsStore.load` returned, when the
    caller already loaded them (to pick the language before any widget exists).
    ``store`` is the history when the caller opened it (:func:`open_history`
    asks the user about a bad file); a read-only one turns sending and saving off.
    ``look`` follows the theme setting as it changes (tests may leave it out).
    ``keys`` is where API keys live (the OS keyring unless given; tests pass a
    ``MemoryKeyStore``); ``remote_client`` builds the clients that list a
    server's models and test it (:class:`RemoteClient` unless given; tests
    pass fakes). ``read_library`` is the model library and what its
    ``refresh()`` returned, when the caller already read it (to start the
    last model's load before the window is built).

    The engines: the local engine is shared by the window and the API server
    through an :class:`EngineBroker`, which takes their replies in turns; the
    window's share sits behind a :class:`RoutingEngine`, which sends a remote
    model's load and replies to its server. The API server's share may not
    load models: it serves the one the user chose in the window.
    """
    from desktop_app.core import hardware
    from desktop_app.core.engine.broker import EngineBroker
    from desktop_app.core.engine.routing import RoutingEngine
    from desktop_app.core.keychain import KeyringKeyStore
    from desktop_app.core.models.catalog import CatalogError, load_catalog, suggestions
    from desktop_app.core.models.download import Downloader
    from desktop_app.core.models.hub import SettingsHubClient
    from desktop_app.core.remote.client import RemoteClient
    from desktop_app.core.remote.resolver import settings_resolver
    from desktop_app.core.serve.keys import ensure_api_key, regenerate_api_key
    from desktop_app.ui.chat.chat_controller import ChatController
    from desktop_app.ui.chat.chat_model import ChatModel
    from desktop_app.ui.chat.conversation_list import ConversationListModel
    from desktop_app.ui.common.api_server_controller import ApiServerController
    from desktop_app.ui.common.background import BackgroundJobs
    from desktop_app.ui.common.engine_worker import EngineThread, EngineWorker
    from desktop_app.ui.common.remote_access import RemoteAccess
    from desktop_app.ui.common.startup_problems import read_only_notice
    from desktop_app.ui.documents.documents_feature import build_documents
    from desktop_app.ui.documents.embedder_dialog import EmbedderChoices
    from desktop_app.ui.main_window import MainWindow
    from desktop_app.ui.models.download_manager import DownloadManager
    from desktop_app.ui.models.model_controller import ModelController
    from desktop_app.ui.models.models_page import ModelsPage
    from desktop_app.ui.models.remote_models import RemoteModelCatalog
    from desktop_app.ui.tools.tools_feature import build_tools

    settings_store = SettingsStore(paths.settings_path)
    settings, warnings = loaded_settings if loaded_settings is not None else settings_store.load()
    warnings = list(warnings)
    if store is None:
        store = ChatStore.open(paths.database_path)
    read_only = store.read_only
    # Killed while a reply streamed: that conversation reopens (the settings
    # only record the open conversation at a clean exit).
    crashed_in = store.streaming_conversation()
    recovered = store.mark_interrupted_replies()
    if recovered:
        log.info("marked %d replies interrupted by the last exit", recovered)
    if read_library is None:
        library = ModelLibrary(paths.models_dir)
        warnings += library.refresh()
    else:
        library, library_warnings = read_library
        warnings += library_warnings
    if engine_factory is None:
        # llama.cpp's own messages go to a log file; a crash report quotes its end.
        engine: Engine = LocalEngine(stderr_path=paths.log_dir / "engine.log")
    else:
        engine = engine_factory()
    if keys is None:
        keys = KeyringKeyStore()  # touched only when a key is needed
    remote = RemoteAccess(keys, remote_client or RemoteClient)
    broker = EngineBroker(engine)
    # The routing engine asks for a server at each load, on the worker thread: the
    # settings of that moment decide (offline mode, a removed server, its key).
    resolve = settings_resolver(lambda: models.settings, keys)
    worker = EngineWorker(RoutingEngine(broker.client("gui"), resolve))
    engine_thread = EngineThread(worker)
    jobs = BackgroundJobs()
    chat_model = ChatModel()
    chat = ChatController(store, worker, chat_model,
                          default_system_prompt=settings.default_system_prompt,
                          default_params=settings.default_params, read_only=read_only)
    # Read-only: settings changes last until exit (the newer Hearth's file stays as it is).
    save_settings = settings_store.save if not read_only else _keep_in_memory
    models = ModelController(library, settings, save_settings, worker, jobs,
                             remote=RemoteModelCatalog(remote, jobs))
    conversations = ConversationListModel(store)
    # One embedder of each kind, loaded once, for indexing, questions and the API server's
    # /v1/embeddings; a server's embedder finds its server through the same settings.
    embedders = EmbedderCache(factory=functools.partial(embedder_for, resolve=resolve))
    api_server = ApiServerController(_api_server_factory(broker, embedders), keys,
                                     ensure_api_key, regenerate_api_key)
    window = MainWindow(chat, chat_model, models, conversations, remote=remote, jobs=jobs,
                        api_server=api_server)
    if read_only:
        window.composer.setEnabled(False)
        warnings.append(read_only_notice())  # last, so it is the one the banner keeps
    window.restore_geometry_from(settings.window_geometry)
    # One Hub client for searches and downloads; it follows the offline setting as it changes.
    hub = SettingsHubClient(lambda: models.settings.offline)
    downloads = DownloadManager(Downloader(paths, library, hub=hub))
    downloads.restore_partials()
    try:
        catalog = load_catalog()
    except CatalogError as exc:
        warnings.append(str(exc))
        catalog = ()
    models_page = ModelsPage(models, library, downloads, hub, jobs, catalog,
                             hardware.model_memory_budget,
                             window)
    window.models_page_requested.connect(models_page.open_page)
    window.download_requested.connect(
        lambda entry: _download_suggested(models_page, window, entry))
    # The welcome suggests models that fit, from the Models window's one measurement.
    language = QLocale().name() if settings.language == "system" else settings.language
    models_page.memory_measured.connect(
        lambda budget: window.welcome.set_suggestions(suggestions(catalog, budget, language)))
    if look is not None:
        look.set_theme(settings.theme)
        models.settings_changed.connect(lambda new: look.set_theme(new.theme))
        # The chat re-renders its Markdown in the new palette when the theme changes.
        window.chat_view.set_colors(look.colors)
        look.changed.connect(window.chat_view.set_colors)
    models.settings_changed.connect(lambda new: api_server.apply(new.api_server))
    choices = EmbedderChoices(library, lambda: models.settings.servers,
                              lambda: models.settings.offline, remote, jobs)
    documents = build_documents(paths.data_dir, window, chat, chat_model, models, embedders,
                                choices)
    tools = build_tools(window, chat, models, search_for=documents.chat.search_for)
    return HearthApp(paths, settings, settings_store, store, library, engine_thread, broker, jobs,
                     chat, models, window, warnings, downloads, models_page,
                     api_server=api_server, reopen_after_crash=crashed_in, documents=documents,
                     tools=tools)


def _api_server_factory(broker: EngineBroker, embedders: EmbedderCache
                        ) -> Callable[[ApiServerSettings, str], ApiServer]:
    """Makes API servers, each on its own broker client that may not change the loaded model.

    A client is good for one server: the server shuts it down when it stops
    (or fails to start), so every start gets a new one. ``/v1/embeddings`` uses
    the documents' bundled encoder, so it is loaded once for both.
    """

    def make(settings: ApiServerSettings, key: str) -> ApiServer:
        # uvicorn, starlette and asyncio load when the server first starts, not with the window.
        from desktop_app.core.serve.server import ApiServer

        return ApiServer(broker.client("api", can_load=False), settings, key,
                         embedder=embedders.get(USE_NAME))

    return make


def _download_suggested(models_page: ModelsPage, window: MainWindow,
                        entry: CatalogEntry) -> None:
    """The welcome's Download: queue it, say so, and show the Models window's downloads."""
    window.banner.show_message(models_page.start_download(entry.repo, entry.file))
    models_page.open_page(models_page.tabs.indexOf(models_page.downloads_tab))


def _keep_in_memory(settings: Settings) -> None:
    """The settings saver of a read-only session: nothing is written."""


def install_translators(app: QApplication, language: str) -> list[QTranslator]:
    """Load Hearth's and Qt's own translations for ``language`` ("system" follows the OS).

    English plural forms ("1 document", "4 documents") come first, for every
    language: the source texts are English with "(s)", and a language Hearth
    has no translation for shows English. A translation installed later (such
    as Chinese) takes precedence, as Qt asks the newest translator first.
    """
    locale = QLocale.system() if language == "system" else QLocale(language)
    translators: list[QTranslator] = []
    hearth_folder = str(resources_dir() / "translations")
    english = QTranslator(app)
    if english.load("hearth_en", hearth_folder):
        app.installTranslator(english)
        translators.append(english)
    for name, folder in (("hearth", hearth_folder),
                         ("qtbase", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))):
        translator = QTranslator(app)
        if translator.load(locale, name, "_", folder) and not translator.filePath().endswith(
                "hearth_en.qm"):
            app.installTranslator(translator)
            translators.append(translator)
    return translators


def _configure_logging(paths: AppPaths) -> list[str]:
    """Log to stderr and to ``hearth.log``; returns a warning if the file can't be used."""
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    warnings: list[str] = []
    try:
        handler = logging.handlers.RotatingFileHandler(
            paths.log_dir / "hearth.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    except OSError as exc:
        warnings.append(f"Hearth cannot write its log file in {paths.log_dir}: "
                        f"{exc.strerror or exc}. It runs without a log file.")
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handlers.append(handler)
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True)
    return warnings


def main(argv: Sequence[str] | None = None) -> int:
    """Start the window. Every problem found on the way gets a dialog, not a traceback."""
    startup_probe.mark("imports_done")
    logging.basicConfig(level=logging.INFO)  # stderr, until the log folder is known to work
    app = QApplication(list(argv) if argv is not None else sys.argv)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_NAME)
    look = Look(app)
    # The folder may be unreadable, and the settings are read only once the
    # folder is ours: the first dialogs speak the system's language.
    translators = install_translators(app, "system")
    dialogs = StartupDialogs()
    paths = AppPaths.from_environment()
    try:
        paths.ensure()
    except DataFolderUnwritable as exc:
        dialogs.tell(unwritable_box(exc))
        return 1
    instance = SingleInstance(paths.data_dir)
    try:
        instance.claim()
    except DataFolderInUse as exc:
        if activate_running(paths.data_dir, exc):
            return 0  # the running window comes to the front instead
        dialogs.tell(in_use_box(exc))
        return 1
    except OSError as exc:
        dialogs.tell(unwritable_box(DataFolderUnwritable(paths.data_dir,
                                                         exc.strerror or str(exc))))
        return 1
    try:
        return _run(app, look, paths, dialogs, instance, translators)
    finally:
        instance.release()


def _start_engine(paths: AppPaths, settings: Settings, library: ModelLibrary) -> EarlyLoadEngine:
    """The local engine, already loading the model the window will select when a core is idle.

    Started before the window's modules are even imported: the engine's
    process, llama.cpp and the model's file then load on the idle core while
    the window is built, instead of after it (see
    :mod:`desktop_app.core.engine.early_load`). With no core to spare the
    window's own load, right after it is shown, does it as before.
    """
    # llama.cpp's own messages go to a log file; a crash report quotes its end.
    engine = EarlyLoadEngine(LocalEngine(stderr_path=paths.log_dir / "engine.log"))
    options = expected_load(settings, library)
    if options is not None and has_a_spare_core():
        engine.preload(options)
        startup_probe.mark("engine_start")
    return engine


def has_a_spare_core() -> bool:
    """Whether a CPU core is idle now (by the 1-minute load average; True where there is none).

    Measured with bench_startup.py on 2 cores already busy with other work
    (load average 9): loading the model alongside the window took ~0.6 s
    from the window and made the model ready no sooner, as both only shared
    the same busy cores. The early load is for a core that would sit idle.
    """
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has no load average
        return True
    return (os.cpu_count() or 1) - load >= 1.0


def _run(app: QApplication, look: Look, paths: AppPaths, dialogs: StartupDialogs,
         instance: SingleInstance, translators: list[QTranslator]) -> int:
    """The part of :func:`main` that runs while this process owns the data folder."""
    log_warnings = _configure_logging(paths)
    loaded = SettingsStore(paths.settings_path).load()
    look.set_theme(loaded[0].theme)
    if loaded[0].language != "system":
        for translator in translators:
            app.removeTranslator(translator)
        install_translators(app, loaded[0].language)
    library = ModelLibrary(paths.models_dir)
    read_library = library, library.refresh()
    engine = _start_engine(paths, loaded[0], library)
    store, notices = open_history(paths.database_path, dialogs)
    if store is None:
        engine.shutdown()
        return 1
    try:
        hearth = build_app(paths, engine_factory=lambda: engine, loaded_settings=loaded,
                           store=store, look=look, read_library=read_library)
    except StorageError as exc:
        engine.shutdown()
        store.close()
        dialogs.tell(error_box(exc))
        return 1
    hearth.warnings[:0] = log_warnings + notices
    startup_probe.mark("window_built")
    startup_probe.attach(hearth.window)
    instance.activation_requested.connect(lambda: bring_to_front(hearth.window))
    hearth.window.show()
    hearth.services_after_first_paint = True
    hearth.start()
    app.aboutToQuit.connect(hearth.shutdown)
    return app.exec()
