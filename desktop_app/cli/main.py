"""The ``hearth`` entry point: one argparse parser with a subcommand per feature.

Each command module contributes ``register(subparsers)``, which adds its
parser and sets ``func`` (``args -> exit code``). Commands print errors the
user can fix as one line ``hearth: <message>`` and return 1; ``main`` only
deals with what is left: usage errors (argparse, exit 2) and Ctrl-C (130).

``hearth --self-test`` is the one option that needs Qt: it imports the GUI's
self-test only when asked, so every other command stays light.
"""

from __future__ import annotations

import argparse
import multiprocessing
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from desktop_app.cli import chat_cmd, docs_cmd, history_cmd, models_cmd, serve_cmd


def _version() -> str:
    try:
        return metadata.version("hearth")
    except metadata.PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hearth", description="Private, offline chat with local language models.")
    parser.add_argument("--version", action="version", version=f"hearth {_version()}")
    parser.add_argument("--self-test", action="store_true",
                        help="check that this installation can chat (offscreen, on a temporary "
                             "data folder) and exit")
    parser.add_argument("--self-test-model", metavar="GGUF", type=Path,
                        help="with --self-test: test this model file instead of the demo model")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    chat_cmd.register(subparsers)
    models_cmd.register(subparsers)
    history_cmd.register(subparsers)
    docs_cmd.register(subparsers)
    serve_cmd.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``hearth`` command; returns the process exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as exc:  # --help, --version, usage errors: keep main() returning
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if args.self_test:
        return _self_test(args.self_test_model)
    if args.self_test_model is not None:
        print("hearth: --self-test-model only goes with --self-test", file=sys.stderr)
        return 2
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(func(args))
    except KeyboardInterrupt:
        print("\nhearth: interrupted", file=sys.stderr)
        return 130


def _self_test(model: Path | None) -> int:
    """Run the GUI's self-test: in this process, or in the frozen bundle by ``hearth-gui``.

    The frozen ``hearth`` leaves Qt out (packaging/pyinstaller/hearth.spec);
    the window executable beside it carries Qt and runs the same test.
    """
    if getattr(sys, "frozen", False):
        gui = Path(sys.executable).with_name(
            "hearth-gui.exe" if sys.platform == "win32" else "hearth-gui")
        if not gui.is_file():
            print(f"hearth: self-test failed: {gui} is missing", file=sys.stderr)
            return 1
        argv = [str(gui), "--self-test"]
        if model is not None:
            argv += ["--self-test-model", str(model.expanduser().absolute())]
        return subprocess.run(argv, check=False).returncode
    from desktop_app.ui.self_test import run_self_test  # Qt: imported only when asked

    return run_self_test(model)


if __name__ == "__main__":
    multiprocessing.freeze_support()  # the chat engine runs in a spawned child process
    sys.exit(main())
