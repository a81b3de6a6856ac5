"""Where Hearth keeps its files.

Locations come from platformdirs so they follow each platform's conventions.
``HEARTH_HOME`` relocates all of them under one folder: tests use it so they
never touch the real home directory, and portable installs use it to live on a
USB stick.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from desktop_app.core.storage.database import StorageError

APP_DIR_NAME = "Hearth"
HOME_ENV = "HEARTH_HOME"


class DataFolderUnwritable(StorageError):
    """A folder Hearth keeps its files in cannot be created or written.

    ``path`` is that folder, ``reason`` the system's words for why. The
    message says which folder, why, and how to fix it (permissions, or
    another place with ``HEARTH_HOME``).
    """

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"Hearth cannot write to the folder {path}: {reason}. Make the folder writable "
            f"(or free the disk, or plug in the drive it is on), or start Hearth with "
            f"{HOME_ENV} set to a folder you can write to.", path)
        self.reason = reason


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
        """Create every folder and check it takes a file; returns self for chaining.

        Raises :class:`DataFolderUnwritable` naming the first folder that
        fails. Writability is tested by writing, not with ``os.access``: root
        passes every access check yet cannot write a read-only mount, and
        network drives answer access checks unreliably.
        """
        for folder in (self.config_dir, self.data_dir, self.cache_dir, self.log_dir,
                       self.models_dir, self.downloads_dir):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                if not folder.is_dir():
                    raise NotADirectoryError(20, "it is a file, not a folder", str(folder))
                with tempfile.TemporaryFile(dir=folder, prefix=".hearth-write-test-"):
                    pass
            except OSError as exc:
                raise DataFolderUnwritable(folder, _reason(exc)) from exc
        return self


def _reason(exc: OSError) -> str:
    if isinstance(exc, FileExistsError):
        return "a file with that name is in the way"
    if isinstance(exc, NotADirectoryError):
        return "a file is in the way where a folder should be"
    return exc.strerror or str(exc)


def resources_dir() -> Path:
    """The ``resources/`` folder: beside the package in a checkout, or in a frozen bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"
