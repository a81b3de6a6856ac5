"""The ``hearth`` entry point: one argparse parser with a subcommand per feature.

Each command module contributes ``register(subparsers)``, which adds its
parser and sets ``func`` (``args -> exit code``). Commands print errors the
user can fix as one line ``hearth: <message>`` and return 1; ``main`` only
deals with what is left: usage errors (argparse, exit 2) and Ctrl-C (130).
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from collections.abc import Sequence
from importlib import metadata

from desktop_app.cli import chat_cmd, history_cmd, models_cmd


def _version() -> str:
    try:
        return metadata.version("hearth")
    except metadata.PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hearth", description="Private, offline chat with local language models.")
    parser.add_argument("--version", action="version", version=f"hearth {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    chat_cmd.register(subparsers)
    models_cmd.register(subparsers)
    history_cmd.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``hearth`` command; returns the process exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as exc:  # --help, --version, usage errors: keep main() returning
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(func(args))
    except KeyboardInterrupt:
        print("\nhearth: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    multiprocessing.freeze_support()  # the chat engine runs in a spawned child process
    sys.exit(main())
