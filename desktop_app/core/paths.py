"""Where Hearth keeps its files.

Locations come from platformdirs so they follow each platform's conventions.
``HEARTH_HOME`` relocates all of them under one folder: tests use it so they
never touch the real home directory, and portable installs use it to live on a
USB stick.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_DIR_NAME = "Hearth"
HOME_ENV = "HEARTH_HOME"


@dataclass(frozen=True)
class AppPaths:
    """The folders Hearth writes to. Build it with :meth:`from_environment`."""

    config_dir: Path
    data_dir: Path
    cache_dir: Path
    log_dir: Path

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> AppPaths:
        env = os.environ if environ is None else environ
        home = env.get(HOME_ENV, "").strip()
        if home:
            root = Path(home).expanduser().resolve()
            return cls(
                config_dir=root / "config",
                data_dir=root / "data",
                cache_dir=root / "cache",
                log_dir=root / "logs",
            )
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_DIR_NAME, appauthor=False)),
            log_dir=Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False)),
        )

    @property
    def models_dir(self) -> Path:
        """Downloaded and imported models, laid out ``publisher/repo/file.gguf``.

        Kept under the data dir (not the cache) because models are user data
        that must not vanish when a cache cleaner runs.
        """
        return self.data_dir / "models"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "hearth.sqlite3"

    @property
    def settings_path(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def downloads_dir(self) -> Path:
        """Partial downloads; kept across restarts so downloads can resume."""
        return self.data_dir / "downloads"

    def ensure(self) -> AppPaths:
        """Create every folder (idempotent) and return self for chaining."""
        for folder in (self.config_dir, self.data_dir, self.cache_dir, self.log_dir,
                       self.models_dir, self.downloads_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def resources_dir() -> Path:
    """The ``resources/`` folder: beside the package in a checkout, or in a frozen bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"
