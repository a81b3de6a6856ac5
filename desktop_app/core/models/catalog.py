"""The curated list of recommended chat models, kept in ``resources/recommended_models.json``.

Search results on the Hub are long and noisy; a first-time user wants a short
list of known-good chat models from small to large with the one file to get.
The list is data, not code, so it can be updated without touching Python. It
works offline: sizes are approximate and only for display until the Hub
lists the real size and checksum at download time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_app.core.memory_estimate import Fit
from desktop_app.core.models.download import UnsafeFileNameError, check_filename
from desktop_app.core.models.hub import NotFoundError, check_repo_id
from desktop_app.core.models.quant import RemoteFile, RemoteModel, model_fit, quant_of
from desktop_app.core.paths import resources_dir

CATALOG_NAME = "recommended_models.json"
_VERSION = 1
_REQUIRED = {"id": str, "name": str, "repo": str, "file": str, "size_bytes": int,
             "parameters": str, "license": str, "description": str}


class CatalogError(ValueError):
    """The catalog file is missing or malformed (a packaging bug, reported plainly)."""


@dataclass(frozen=True)
class CatalogEntry:
    """One recommended model: which repository and file to download, and what it is."""

    id: str
    name: str
    repo: str
    file: str
    size_bytes: int
    parameters: str
    license: str
    description: str
    languages: tuple[str, ...] = ("en",)
    """Languages it chats well in (ISO 639-1), to suggest Chinese-capable models first in zh."""

    @property
    def quant(self) -> str | None:
        return quant_of(self.file)

    @property
    def remote(self) -> RemoteModel:
        """As a remote model, so it gets a fit badge before the Hub is asked."""
        return RemoteModel(self.file, (RemoteFile(self.file, self.size_bytes),), self.quant)

    @property
    def publisher(self) -> str:
        return self.repo.split("/", 1)[0]


def catalog_path() -> Path:
    return resources_dir() / CATALOG_NAME


def load_catalog(path: Path | None = None) -> tuple[CatalogEntry, ...]:
    """The recommended models in file order (small to large), validated."""
    path = path or catalog_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"The recommended models list {path} cannot be read: "
                           f"{exc.strerror or exc}.") from None
    except ValueError as exc:
        raise CatalogError(f"The recommended models list {path} is not valid JSON: {exc}."
                           ) from None
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        raise CatalogError(f"The recommended models list {path} has an unknown format "
                           f"(expected version {_VERSION}).")
    models = data.get("models")
    if not isinstance(models, list):
        raise CatalogError(f"The recommended models list {path} has no 'models' list.")
    entries = tuple(_entry(item, index, path) for index, item in enumerate(models))
    ids = [entry.id for entry in entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CatalogError(f"The recommended models list {path} repeats ids: "
                           f"{', '.join(duplicates)}.")
    return entries


def _entry(item: Any, index: int, path: Path) -> CatalogEntry:
    where = f"entry {index + 1} of {path.name}"
    if not isinstance(item, dict):
        raise CatalogError(f"{where} is not an object.")
    values: dict[str, Any] = {}
    for key, kind in _REQUIRED.items():
        value = item.get(key)
        if not isinstance(value, kind) or isinstance(value, bool) or value in ("", 0):
            raise CatalogError(f"{where} needs {key!r} ({kind.__name__}), got {value!r}.")
        values[key] = value
    try:
        check_repo_id(values["repo"])
        check_filename(values["file"])
    except (NotFoundError, UnsafeFileNameError) as exc:
        raise CatalogError(f"{where}: {exc}") from None
    if not values["file"].lower().endswith(".gguf"):
        raise CatalogError(f"{where}: {values['file']!r} is not a .gguf file.")
    languages = item.get("languages", ["en"])
    if not (isinstance(languages, list) and languages
            and all(isinstance(code, str) and code for code in languages)):
        raise CatalogError(f"{where} needs 'languages' as a list of language codes, "
                           f"got {languages!r}.")
    return CatalogEntry(**values, languages=tuple(languages))


def suggestions(entries: Sequence[CatalogEntry], available_bytes: int, language: str,
                limit: int = 3) -> list[CatalogEntry]:
    """The recommended models to offer first on this machine, best first.

    Only models that fit comfortably; among them those that speak the user's
    language (``language`` is a locale name such as "zh_CN") come first, then
    the larger (better) ones.
    """
    wanted = language.split("_", 1)[0].lower()
    fitting = [e for e in entries if model_fit(e.remote, available_bytes) is Fit.FITS]
    fitting.sort(key=lambda e: (wanted not in e.languages, -e.size_bytes))
    return fitting[:limit]
