"""What every ``hearth`` subcommand starts with: the data folder, the log file, the settings."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from typing import Any, TextIO

from desktop_app.core.paths import AppPaths
from desktop_app.core.settings import Settings, SettingsStore
from desktop_app.core.storage.database import StorageError


class CommandError(Exception):
    """A problem with what the user asked for; printed as ``hearth: <message>``."""


def open_data_folder(err: TextIO) -> tuple[AppPaths, Settings] | None:
    """The data folder (created if needed) and the saved settings, or None after saying why.

    Warnings and errors (such as a crashed engine's last output) go to the log
    file: without a handler Python would print them to the terminal, between
    a command's output and its one-line error. A no-op when logging is
    already set up (the GUI, pytest).
    """
    try:
        paths = AppPaths.from_environment().ensure()
    except StorageError as exc:
        print(f"hearth: {exc}", file=err)
        return None
    logging.basicConfig(filename=paths.log_dir / "hearth.log", level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings, _warnings = SettingsStore(paths.settings_path).load()
    return paths, settings


def emit(args: argparse.Namespace, data: Any, text: Callable[[], str]) -> int:
    """Print ``data`` as JSON with ``--json``, else the text ``text()`` makes; exit code 0."""
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(text())
    return 0
