"""``hearth models ...``: search the Hub, list a repository's files, download, manage the library.

The same core code as the Models page, without Qt. Every action takes
``--json`` for scripts; without it the output is short text for people.
Errors the user can fix print one line ``hearth: <message>`` and exit 1.
Progress and warnings go to stderr so stdout carries only the result.

``download``, ``import`` and ``rm`` change the library, so they hold the data
folder's lock (:mod:`desktop_app.core.storage.instance_lock`) while they run
and refuse, saying who holds it, while the Hearth window is open: the window
keeps its own view of the library and would write over theirs. ``search``,
``files``, ``list`` and ``recommended`` only read and run alongside the
window (a listing may refresh the header cache, which is only a cache).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from desktop_app.cli.common import CommandError, emit
from desktop_app.cli.progress import ProgressPrinter
from desktop_app.core import hardware
from desktop_app.core.formatting import format_size
from desktop_app.core.models.catalog import CatalogError, load_catalog
from desktop_app.core.models.download import Downloader
from desktop_app.core.models.gguf import GGUFError
from desktop_app.core.models.hub import HubClient, HubError, RepoDetails, SearchSort
from desktop_app.core.models.library import ImportMode, LocalModel, ModelLibrary
from desktop_app.core.models.quant import model_fit, recommend
from desktop_app.core.paths import AppPaths
from desktop_app.core.settings import SettingsStore
from desktop_app.core.storage.database import StorageError
from desktop_app.core.storage.instance_lock import DataFolderInUse, DataFolderLock

_SORT_NAMES: dict[str, SearchSort] = {"downloads": "downloads", "likes": "likes",
                                       "recent": "last_modified"}
_FIT_LABELS = {"fits": "fits", "tight": "tight", "wont_fit": "won't fit"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = subparsers.add_parser(
        "models", help="find, download and manage models",
        description="Find GGUF models on Hugging Face, download them (resumable, verified) "
                    "and manage the local library.")
    actions = models.add_subparsers(dest="models_action", metavar="ACTION", required=True)

    search = _action(actions, "search", "search Hugging Face for GGUF models", _search)
    search.add_argument("query", nargs="?", default="", help="words in the repository name")
    search.add_argument("--sort", choices=sorted(_SORT_NAMES), default="downloads")
    search.add_argument("--limit", type=int, default=20, help="at most this many results")
    search.add_argument("--offline", action="store_true", help="make no network call")

    files = _action(actions, "files", "list a repository's GGUF files by quantization", _files)
    files.add_argument("repo", help="repository id, e.g. Qwen/Qwen3-4B-GGUF")
    files.add_argument("--revision", default=None, help="branch, tag or commit (default: main)")
    files.add_argument("--offline", action="store_true", help="make no network call")

    download = _action(actions, "download", "download a model (resumes an interrupted one)",
                       _download, writes=True)
    download.add_argument("repo", help="repository id, or a recommended model's id")
    download.add_argument("file", nargs="?", default=None,
                          help="GGUF file in the repository (any part of a split model)")
    download.add_argument("--revision", default=None, help="branch, tag or commit (default: main)")
    download.add_argument("--offline", action="store_true", help="make no network call")

    _action(actions, "list", "list the models in the library", _list)
    _action(actions, "recommended", "list the recommended models", _recommended)

    imp = _action(actions, "import", "add a local .gguf file to the library", _import,
                  writes=True)
    imp.add_argument("path", help="the .gguf file (the first part of a split model)")
    imp.add_argument("--mode", choices=("copy", "link", "in-place"), default="copy",
                     help="copy it (default), hard-link it, or use it where it is")

    rm = _action(actions, "rm", "delete a model from the library", _remove, writes=True)
    rm.add_argument("id", help="model id from 'hearth models list'")
    rm.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")


def _action(actions: argparse._SubParsersAction[argparse.ArgumentParser], name: str, text: str,
            handler: Callable[[argparse.Namespace, _Context], int], *,
            writes: bool = False) -> argparse.ArgumentParser:
    """Add one action; ``writes`` ones hold the data folder's lock (module docstring)."""
    parser = actions.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    owner = f"hearth models {name}" if writes else None
    parser.set_defaults(func=lambda args: _run(handler, args, owner))
    return parser


@dataclass
class _Context:
    paths: AppPaths
    offline: bool

    def hub(self, args: argparse.Namespace) -> HubClient:
        return HubClient(offline=self.offline or bool(getattr(args, "offline", False)))

    def library(self) -> ModelLibrary:
        library = ModelLibrary(self.paths.models_dir)
        for warning in library.refresh():
            print(f"hearth: warning: {warning}", file=sys.stderr)
        return library


def _run(handler: Callable[[argparse.Namespace, _Context], int], args: argparse.Namespace,
         lock_owner: str | None) -> int:
    try:
        paths = AppPaths.from_environment().ensure()
        settings, _warnings = SettingsStore(paths.settings_path).load()
        if lock_owner is None:
            return handler(args, _Context(paths, settings.offline))
        lock = DataFolderLock(paths.data_dir, lock_owner)
        with _readable_os_errors("cannot lock the data folder"):
            lock.acquire()
        try:
            return handler(args, _Context(paths, settings.offline))
        finally:
            lock.release()
    except DataFolderInUse as exc:
        print(f"hearth: {exc} (This command changes the model library; the Hearth window "
              "can do the same from its Models page.)", file=sys.stderr)
        return 1
    except (CommandError, HubError, GGUFError, CatalogError, StorageError) as exc:
        print(f"hearth: {exc}", file=sys.stderr)
        return 1


@contextmanager
def _readable_os_errors(what: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise CommandError(f"{what}: {exc.strerror or exc}"
                           + (f" ({exc.filename})" if exc.filename else "")) from None


# ---- search and files ---------------------------------------------------------------


def _search(args: argparse.Namespace, ctx: _Context) -> int:
    if args.limit < 1:
        raise CommandError("--limit must be at least 1")
    found = ctx.hub(args).search(args.query, sort=_SORT_NAMES[args.sort], limit=args.limit)
    data = [{"repo_id": r.repo_id, "author": r.author, "downloads": r.downloads,
             "likes": r.likes, "gated": r.gated,
             "last_modified": r.last_modified.isoformat() if r.last_modified else None}
            for r in found]

    def text() -> str:
        if not found:
            return "No GGUF models found.\n"
        width = max(len(r.repo_id) for r in found)
        return "".join(f"{r.repo_id:<{width}}  {r.downloads:>9,} downloads  {r.likes:>6,} likes"
                       f"{'  (gated)' if r.gated else ''}\n" for r in found)
    return emit(args, data, text)


def _files(args: argparse.Namespace, ctx: _Context) -> int:
    details = ctx.hub(args).repo_details(args.repo, revision=args.revision)
    available = hardware.model_memory_budget()
    fits = {m.path: model_fit(m, available, details.context_length) for m in details.models}
    best = recommend(details.models, fits)
    data = {
        "repo_id": details.repo_id, "commit": details.commit, "license": details.license,
        "architecture": details.architecture, "parameters": details.parameters,
        "context_length": details.context_length, "gated": details.gated,
        "available_memory": available,
        "models": [{"file": m.path, "quant": m.quant, "size": m.size, "split": m.is_split,
                    "complete": m.complete, "fit": fits[m.path],
                    "recommended": best is not None and m.path == best.path,
                    "parts": [{"path": p.path, "size": p.size, "sha256": p.sha256}
                              for p in m.parts]}
                   for m in details.models],
    }
    return emit(args, data, lambda: _files_text(details, fits, best.path if best else None))


def _files_text(details: RepoDetails, fits: dict[str, Any], best: str | None) -> str:
    facts = [details.architecture or "",
             f"{details.parameters / 1e9:.1f}B parameters" if details.parameters else "",
             f"context {details.context_length}" if details.context_length else "",
             f"licence {details.license}" if details.license else "",
             "gated" if details.gated else ""]
    lines = [f"{details.repo_id} ({', '.join(f for f in facts if f) or 'no card facts'})"]
    if not details.models:
        lines.append("  no GGUF files")
    for m in details.models:
        size = format_size(m.size) if m.size is not None else "?"
        fit = _FIT_LABELS.get(str(fits.get(m.path)), "?")
        note = f" ({len(m.parts)} parts)" if m.is_split else ""
        note += " INCOMPLETE" if not m.complete else ""
        note += "  <- recommended" if m.path == best else ""
        lines.append(f"  {m.quant_label:<8} {size:>10}  {fit:<9}  {m.path}{note}")
    return "\n".join(lines) + "\n"


# ---- download -------------------------------------------------------------------------


def _download(args: argparse.Namespace, ctx: _Context) -> int:
    repo, filename = args.repo, args.file
    if filename is None:
        entry = next((e for e in load_catalog() if e.id == repo), None)
        if entry is None:
            raise CommandError(f"name the file to download from {repo} "
                               f"(see 'hearth models files {repo}'), or give a recommended "
                               "model's id (see 'hearth models recommended').")
        repo, filename = entry.repo, entry.file
    downloader = Downloader(ctx.paths, ctx.library(), hub=ctx.hub(args))
    printer = ProgressPrinter(filename, sys.stderr)
    try:
        model = downloader.download(repo, filename, revision=args.revision,
                                    on_progress=printer.update)
    except BaseException as exc:
        printer.finish()  # end the bar's line before any message
        if isinstance(exc, KeyboardInterrupt):
            print("hearth: download stopped; run the same command again to resume.",
                  file=sys.stderr)
            return 130
        raise
    printer.finish()
    return emit(args, _model_json(model),
                 lambda: f"Downloaded {model.display_name} as {model.id}\n")


# ---- library --------------------------------------------------------------------------


def _model_json(model: LocalModel) -> dict[str, Any]:
    info = model.info
    return {"id": model.id, "name": model.display_name, "path": str(model.path),
            "size_bytes": model.size_bytes, "source": model.source, "repo": model.repo,
            "architecture": info.architecture, "parameters": info.parameter_count,
            "quantization": info.quantization, "context_length": info.context_length,
            "chat_template": info.chat_template is not None, "demo": model.is_demo,
            "in_place": model.in_place, "parts": [str(p) for p in model.parts]}


def _list(args: argparse.Namespace, ctx: _Context) -> int:
    models = ctx.library().models()

    def text() -> str:
        if not models:
            return ("No models yet. Try 'hearth models recommended' and "
                    "'hearth models download ID'.\n")
        width = max(len(m.id) for m in models)
        return "".join(f"{m.id:<{width}}  {format_size(m.size_bytes):>10}  "
                       f"{m.info.quantization:<7}  {m.display_name}\n" for m in models)
    return emit(args, [_model_json(m) for m in models], text)


def _recommended(args: argparse.Namespace, ctx: _Context) -> int:
    entries = load_catalog()
    have = {m.id for m in ctx.library().models()}
    data = [{"id": e.id, "name": e.name, "repo": e.repo, "file": e.file,
             "size_bytes": e.size_bytes, "parameters": e.parameters, "license": e.license,
             "description": e.description, "downloaded": f"{e.repo}/{e.file}" in have}
            for e in entries]

    def text() -> str:
        width = max(len(e.id) for e in entries)
        return "".join(f"{e.id:<{width}}  {format_size(e.size_bytes):>10}  {e.license:<11} "
                       f"{e.name}{'  (downloaded)' if f'{e.repo}/{e.file}' in have else ''}\n"
                       for e in entries)
    return emit(args, data, text)


def _import(args: argparse.Namespace, ctx: _Context) -> int:
    library = ctx.library()
    modes: dict[str, ImportMode] = {"copy": "copy", "link": "link", "in-place": "in_place"}
    mode = modes[args.mode]
    with _readable_os_errors(f"cannot import {args.path}"):
        model = library.import_file(args.path, mode=mode)
    return emit(args, _model_json(model),
                 lambda: f"Imported {model.display_name} as {model.id}\n")


def _remove(args: argparse.Namespace, ctx: _Context) -> int:
    library = ctx.library()
    try:
        model = library.get(args.id)
    except KeyError:
        raise CommandError(f"no model with id {args.id!r}; see 'hearth models list'.") from None
    if not args.yes and sys.stdin.isatty():
        what = "forget" if model.in_place else "delete"
        answer = input(f"{what.capitalize()} {model.display_name} ({model.id}, "
                       f"{format_size(model.size_bytes)})? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing removed.", file=sys.stderr)
            return 1
    with _readable_os_errors(f"cannot remove {model.id}"):
        library.remove(model.id)
    return emit(args, {"removed": model.id, "files_deleted": not model.in_place},
                 lambda: f"Removed {model.id}\n")
