"""``hearth export`` and ``hearth import``: conversations to and from files.

``export`` only reads. With the Hearth window open it reads the history
read-only beside it (SQLite allows readers next to the writer, and the
window has already brought the schema up to date); otherwise it takes the
data folder's lock like any other opener, since opening may upgrade the
schema. ``import`` writes, so it holds the lock
(:mod:`desktop_app.core.storage.instance_lock`) and refuses while the window
runs: the window keeps its own view of the list and its undo history, and
Hearth keeps one writer per history. The window's File menu imports too.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from desktop_app.core.paths import AppPaths
from desktop_app.core.storage.chat_store import ChatStore
from desktop_app.core.storage.database import StorageError
from desktop_app.core.storage.export import ExportFormat, export, write_text_atomically
from desktop_app.core.storage.importers import ImportProblem, import_file
from desktop_app.core.storage.instance_lock import DataFolderInUse, DataFolderLock


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    exp = subparsers.add_parser(
        "export", help="export conversations to Markdown or JSON",
        description="Export conversations: Markdown holds the branch each chat shows, "
                    "JSON everything (all branches, settings, statistics) and can be "
                    "imported again.")
    exp.add_argument("ids", nargs="*", type=int, metavar="ID",
                     help="conversation ids (see --list)")
    exp.add_argument("--all", action="store_true", help="export every conversation")
    exp.add_argument("--list", action="store_true",
                     help="list the conversations and their ids instead")
    exp.add_argument("--format", choices=("md", "json"), default=None,
                     help="md or json (default: from the file name, else md)")
    exp.add_argument("-o", "--output", type=Path, default=None,
                     help="the file to write ('-' or none: standard output)")
    exp.set_defaults(func=_export)

    imp = subparsers.add_parser(
        "import", help="import a Hearth JSON export or a ChatGPT export",
        description="Import conversations from a Hearth JSON export or ChatGPT's "
                    "conversations.json (or the zip it comes in). A file that is not "
                    "understood imports nothing.")
    imp.add_argument("file", type=Path, help="the .json or .zip file")
    imp.add_argument("--json", action="store_true", help="print the new ids as JSON")
    imp.set_defaults(func=_import)


@contextmanager
def _history(owner: str, *, read_only_beside_window: bool) -> Iterator[ChatStore]:
    paths = AppPaths.from_environment().ensure()
    lock = DataFolderLock(paths.data_dir, owner)
    try:
        lock.acquire()
    except DataFolderInUse:
        if not read_only_beside_window:
            raise
        store = ChatStore.open(paths.database_path, read_only=True)
        try:
            yield store
        finally:
            store.close()
        return
    try:
        store = ChatStore.open(paths.database_path)
        try:
            yield store
        finally:
            store.close()
    finally:
        lock.release()


def _export(args: argparse.Namespace) -> int:
    if not (args.ids or args.all or args.list):
        print("hearth: name the conversations to export (IDs or --all; --list shows them)",
              file=sys.stderr)
        return 2
    fmt: ExportFormat = "json" if (args.format or (
        "json" if args.output and args.output.suffix == ".json" else "md")) == "json" else "md"
    try:
        with _history("hearth export", read_only_beside_window=True) as store:
            conversations = store.list_conversations()
            if args.list:
                for c in conversations:
                    print(f"{c.id}\t{store.message_count(c.id)} messages\t"
                          f"{c.title or '(untitled)'}")
                return 0
            known = {c.id for c in conversations}
            ids = [c.id for c in reversed(conversations)] if args.all else list(args.ids)
            missing = [str(i) for i in ids if i not in known]
            if missing:
                print(f"hearth: no conversation with id {', '.join(missing)} "
                      "(hearth export --list shows them)", file=sys.stderr)
                return 1
            text = export(store, ids, fmt)
        if args.output is None or str(args.output) == "-":
            sys.stdout.write(text)
        else:
            write_text_atomically(args.output, text)
            print(f"exported {len(ids)} conversation(s) to {args.output}", file=sys.stderr)
        return 0
    except (StorageError, DataFolderInUse) as exc:
        print(f"hearth: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"hearth: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 1


def _import(args: argparse.Namespace) -> int:
    try:
        with _history("hearth import", read_only_beside_window=False) as store:
            ids = import_file(store, args.file)
    except DataFolderInUse as exc:
        print(f"hearth: {exc} (Import from the window's File menu instead, or close it.)",
              file=sys.stderr)
        return 1
    except (ImportProblem, StorageError) as exc:
        print(f"hearth: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"hearth: cannot lock the data folder: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"imported": ids}))
    else:
        print(f"imported {len(ids)} conversation(s)")
    return 0
