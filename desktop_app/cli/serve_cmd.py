"""``hearth serve``: Hearth's OpenAI-compatible API on a headless machine (a home server).

It loads one model into the same :class:`LocalEngine` the window uses and
serves it with :class:`~desktop_app.core.serve.server.ApiServer` until
Ctrl-C (or SIGTERM), which stops the server and ends the engine process.
The engine is shared through an :class:`EngineBroker`, as in the window: this
command's own client loads the model, the server's client may not.

The key: every request needs it. It lives in the system keyring (made on
first use), or, on a machine without one, in a file only its owner can read
(``--key-file``). It is printed only when asked (``--print-key``); the log
and the request lines on stderr never show it, nor any request's content.

Settings come from the window's "API server" settings (address, port,
allowed hosts, origins, limits), overridden by the options; nothing is
written back. Like ``hearth chat``, it writes no history, so it may run while
the window is open (on another port).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TextIO

from desktop_app.cli.chat_cmd import ChatCommandError, resolve_model
from desktop_app.cli.common import open_data_folder
from desktop_app.core.engine.api import (
    EngineCrashed,
    LoadFailed,
    LoadOptions,
    ModelLoaded,
    ParameterError,
)
from desktop_app.core.engine.broker import BrokerClient, EngineBroker
from desktop_app.core.engine.process import LocalEngine
from desktop_app.core.keychain import SERVICE, KeychainError, KeyringKeyStore, KeyStore
from desktop_app.core.models.library import ModelLibrary
from desktop_app.core.paths import AppPaths
from desktop_app.core.serve.app import EMBEDDING_MODEL
from desktop_app.core.serve.config import API_KEY_NAME, ApiServerSettings
from desktop_app.core.serve.keys import FileKeyStore, ensure_api_key
from desktop_app.core.serve.server import ApiServer, ServeError
from desktop_app.core.settings import ModelSettings
from desktop_app.core.storage.instance_lock import DataFolderLock

LOAD_POLL = 0.5
REQUEST_LOGGER = "desktop_app.core.serve.requests"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve", help="serve a local model over an OpenAI-compatible API",
        description="Load a local model and serve it over an OpenAI-compatible API "
                    "(/v1/models, /v1/chat/completions, /v1/completions) until Ctrl-C, "
                    "and /v1/embeddings with the bundled multilingual encoder "
                    f"({EMBEDDING_MODEL}). "
                    "Every request needs the API key.")
    parser.add_argument("--model", metavar="NAME_OR_PATH",
                        help="model id from 'hearth models list' or a .gguf file (default: the "
                             "last used model, else the bundled starter model)")
    parser.add_argument("--host", default=None,
                        help="address to listen on (default: from settings, 127.0.0.1). "
                             "Anything but a loopback address opens the server to the network")
    parser.add_argument("--port", type=int, default=None,
                        help="port to listen on (default: from settings, 8765; 0: any free port)")
    parser.add_argument("--allow-host", action="append", default=[], metavar="HOST",
                        help="also answer requests for this Host name (e.g. the machine's name "
                             "or LAN address when listening on 0.0.0.0); repeatable")
    parser.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                        help="let web pages from this origin call the API (e.g. "
                             "http://localhost:3000); repeatable; default: none")
    parser.add_argument("--ctx", type=int, default=None, help="context length (default: auto)")
    parser.add_argument("--print-key", action="store_true", help="print the API key at start")
    parser.add_argument("--key-file", type=Path, metavar="PATH",
                        help="keep the API key in this file (made private, mode 0600) instead "
                             "of the system keyring, for machines without one")
    parser.set_defaults(func=run)


class _Stop(Exception):
    """SIGTERM: stop like Ctrl-C."""


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop


def _load_options(args: argparse.Namespace, paths: AppPaths, last_model: str | None,
                  model_settings: dict[str, ModelSettings]) -> LoadOptions:
    """The model to serve: a .gguf path as given, or a library model (see ``--model``)."""
    given = Path(args.model).expanduser() if args.model else None
    if given is not None and given.suffix.lower() == ".gguf":
        if not given.is_file():
            raise ChatCommandError(f"No model file at {given}.")
        options = ModelSettings().load_options(str(given.resolve()))
    else:
        library = ModelLibrary(paths.models_dir)
        model = resolve_model(library, args.model, last_model,
                              DataFolderLock(paths.data_dir, "hearth serve"))
        options = model_settings.get(model.id, ModelSettings()).load_options(str(model.path))
    if args.ctx is not None:
        options = dataclasses.replace(options, n_ctx=args.ctx)
    return options.validate()


def _server_settings(args: argparse.Namespace, saved: ApiServerSettings) -> ApiServerSettings:
    return dataclasses.replace(
        saved, enabled=True,
        host=saved.host if args.host is None else args.host,
        port=saved.port if args.port is None else args.port,
        allowed_hosts=(*saved.allowed_hosts, *args.allow_host),
        cors_origins=(*saved.cors_origins, *args.cors_origin))


def _key_store(args: argparse.Namespace) -> tuple[KeyStore, str]:
    """Where the key lives, and how to tell the user."""
    if args.key_file is not None:
        path = args.key_file.expanduser().absolute()
        return FileKeyStore(path), f"in the file {path}"
    return KeyringKeyStore(), (f"in the system keyring (service “{SERVICE}”, "
                               f"name “{API_KEY_NAME}”); --print-key shows it")


@contextlib.contextmanager
def _request_lines(err: TextIO) -> Iterator[None]:
    """Each request as a line on ``err`` while serving (method, path, status, time, client,
    token counts; never content or the key), besides the log file."""
    requests = logging.getLogger(REQUEST_LOGGER)
    handler = logging.StreamHandler(err)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    level = requests.level
    requests.setLevel(logging.INFO)
    requests.addHandler(handler)
    try:
        yield
    finally:
        requests.removeHandler(handler)
        requests.setLevel(level)


def _wait_for_model(client: BrokerClient, options: LoadOptions) -> ModelLoaded:
    client.load(options)
    while True:
        for event in client.poll_events(LOAD_POLL):
            match event:
                case ModelLoaded():
                    return event
                case LoadFailed(message=message) | EngineCrashed(message=message):
                    raise ChatCommandError(str(message))


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    opened = open_data_folder(err)
    if opened is None:
        return 1
    paths, settings = opened
    try:
        options = _load_options(args, paths, settings.last_model_id, settings.model_settings)
        server_settings = _server_settings(args, settings.api_server)
        keys, where = _key_store(args)
        api_key = ensure_api_key(keys)
    except (ChatCommandError, ParameterError, KeychainError) as exc:
        hint = (" On a machine without a keyring, keep the key in a file with "
                "--key-file PATH." if isinstance(exc, KeychainError) and args.key_file is None
                else "")
        print(f"hearth: {exc}{hint}", file=err)
        return 1
    previous = signal.signal(signal.SIGTERM, _on_sigterm) \
        if threading.current_thread() is threading.main_thread() else None
    broker = EngineBroker(LocalEngine(stderr_path=paths.log_dir / "engine.log"))
    try:
        with _request_lines(err):
            return _serve(broker, options, server_settings, api_key, where, args.print_key,
                          out, err)
    finally:
        broker.shutdown()  # ends the engine process
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _serve(broker: EngineBroker, options: LoadOptions, settings: ApiServerSettings,
           api_key: str, where: str, print_key: bool, out: TextIO, err: TextIO) -> int:
    owner = broker.client("hearth serve")
    server: ApiServer | None = None
    try:
        print(f"Loading {Path(options.model_path).name} …", file=err)
        loaded = _wait_for_model(owner, options)
        server = ApiServer(broker.client("api", can_load=False), settings, api_key)
        server.start()
        print(f"[{loaded.backend} · context {loaded.n_ctx} · {loaded.chat_format}]", file=err)
        print(f"Serving {Path(loaded.model_path).stem} at {server.address}", file=out)
        print(f"The API key is {where}.", file=out)
        if print_key:
            print(f"API key: {api_key}", file=out)
        if not settings.loopback_only:
            print(f"WARNING: listening on {settings.host}, so other computers on the network "
                  f"can reach this server. Anyone with the key can use the model, and plain "
                  f"HTTP is not encrypted: use it only on a network you trust. Clients must "
                  f"use a Host name allowed with --allow-host.", file=err)
        print("Press Ctrl-C to stop.", file=out)
        out.flush()
        while True:
            for event in owner.poll_events(LOAD_POLL):
                match event:
                    case EngineCrashed(message=message):
                        print(f"hearth: {message}", file=err)
                    case LoadFailed(message=message):
                        print(f"hearth: {message}", file=err)
    except (ChatCommandError, ServeError) as exc:
        print(f"hearth: {exc}", file=err)
        return 1
    except (KeyboardInterrupt, _Stop):
        print("\nhearth: stopping", file=err)
        return 0
    finally:
        if server is not None:
            server.stop()
