"""The models on this computer: files under the models folder plus files used in place.

Downloaded and imported models live under ``models_dir`` laid out
``publisher/repo/file.gguf`` (imports under ``local/``); their id is that
relative path, so it survives restarts and is the key model settings are
stored under. Files the user chose to use where they are (another app's
cache, a second drive) are remembered in ``library.json`` beside them, with
ids ``external/<file name>``. The index also records where each model came
from (download, import, demo); the files themselves are the truth, so a
model dropped into the folder by hand appears on the next :meth:`refresh`.

Every file (every part of a split model) is validated with
:func:`read_model_info` before it is listed or copied. Header facts are
cached by (path, size, mtime) in
``.info-cache.json`` so a refresh at start-up reads no headers at all.

The GUI thread lists models while a background job imports or downloads, so
every public method takes one lock; long file copies run outside it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from desktop_app.core.models.gguf import (
    FILE_TYPE_NAMES,
    GGML_TYPES,
    GGUFError,
    GGUFInfo,
    read_model_info,
)
from desktop_app.core.models.split_files import part_paths, split_name

log = logging.getLogger(__name__)

INDEX_NAME = "library.json"
INFO_CACHE_NAME = ".info-cache.json"
LOCAL_DIR = "local"
EXTERNAL_PREFIX = "external"
"""Id prefix of in-place models; not ``local/`` because copied imports live in ``local/``."""
_INDEX_VERSION = 1
_CACHE_VERSION = 2  # 2: every part of a split model is validated, not just the first
"""Bump when :func:`read_model_info` starts reporting something differently."""
_PARTIAL_SUFFIX = ".partial"

ImportMode = Literal["copy", "link", "in_place"]
_QUANT_NAMES = sorted({*FILE_TYPE_NAMES.values(), *(t.name for t in GGML_TYPES.values())},
                      key=len, reverse=True)
_QUANT_SUFFIX = re.compile(r"[-_.](?:" + "|".join(_QUANT_NAMES) + r")$", re.IGNORECASE)
_NON_CHAT_ARCHITECTURES = {"clip"}
"""Vision projectors (mmproj files) are not models one can chat with on their own."""


@dataclass(frozen=True)
class LocalModel:
    """One model the app can load.

    ``source`` is where it came from: "download"/"huggingface" (the
    downloader), "import" (copied or linked in), "in_place" (used where it
    lies) or "demo". ``parts`` lists every file of a split model.
    """

    id: str
    path: Path
    display_name: str
    size_bytes: int
    info: GGUFInfo
    is_demo: bool = False
    source: str = "download"
    repo: str | None = None
    parts: tuple[Path, ...] = ()

    @property
    def trained_context(self) -> int | None:
        return self.info.context_length

    @property
    def in_place(self) -> bool:
        return self.source == "in_place"


def split_parts(path: Path) -> list[Path]:
    """All files of a split model given its first part, or ``[path]`` for a single file.

    Raises :class:`GGUFError` for a later part (the first one must be chosen).
    """
    split = split_name(path.name)
    if split is not None and split.index != 1:
        raise GGUFError(f"{path.name} is part {split.index} of a split model; choose the first "
                        f"part ({split.part(1)})")
    return part_paths(path)


def model_name_from_file(path: Path) -> str:
    """A readable name from a file name.

    "Qwen2.5-7B-Instruct-Q4_K_M.gguf" becomes "Qwen2.5 7B Instruct".
    """
    stem = path.name
    split = split_name(stem)
    stem = split.stem if split is not None else re.sub(r"\.gguf$", "", stem, flags=re.IGNORECASE)
    stem = _QUANT_SUFFIX.sub("", stem)
    return re.sub(r"[-_ ]+", " ", stem).strip() or path.name


def display_name(info: GGUFInfo, path: Path) -> str:
    """Name, size and quantization for lists and the status line: "Gemma 3 270M · Q4_K_M"."""
    name = info.name if info.name and len(info.name) > 1 else model_name_from_file(path)
    label = info.size_label
    if label:
        pattern = re.compile(rf"(?<![\w.]){re.escape(label)}(?!\w)", re.IGNORECASE)
        name = pattern.sub(label, name) if pattern.search(name) else f"{name} {label}"
    return f"{name} · {info.quantization}"


def _write_json_atomically(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(temp, path)


def _copy_file(source: Path, target: Path) -> None:
    """Copy through ``target.partial`` and rename, so a target never exists half written."""
    temp = target.with_name(target.name + _PARTIAL_SUFFIX)
    try:
        shutil.copyfile(source, temp)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another drive, or a file system without hard links
        _copy_file(source, target)


class ModelLibrary:
    """The local model library rooted at ``models_dir`` (see the module docs)."""

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = Path(models_dir).expanduser().resolve()
        self._lock = threading.RLock()
        self._models: dict[str, LocalModel] = {}
        self._index: dict[str, dict[str, Any]] = {}
        self._info_cache: dict[str, tuple[int, int, GGUFInfo]] = {}
        self._cache_dirty = False
        self._loaded = False

    # ---- queries ---------------------------------------------------------------------

    def models(self) -> list[LocalModel]:
        """All usable models, sorted by display name; the demo model comes last."""
        with self._lock:
            self._ensure_loaded()
            return sorted(self._models.values(),
                          key=lambda m: (m.is_demo, m.display_name.casefold(), m.id))

    def get(self, model_id: str) -> LocalModel:
        """The model with this id; raises KeyError when it is not (or no longer) available."""
        with self._lock:
            self._ensure_loaded()
            return self._models[model_id]

    # ---- scanning --------------------------------------------------------------------

    def refresh(self) -> list[str]:
        """Rescan the folder and the in-place entries; returns warnings for the user.

        A file that fails validation or an in-place file that went missing is
        left out and explained in a warning; nothing here raises for a bad file.
        """
        with self._lock:
            warnings: list[str] = []
            self._index = self._read_index(warnings)
            self._load_info_cache()
            models: dict[str, LocalModel] = {}
            for first, parts in self._scan(warnings):
                model_id = first.relative_to(self.models_dir).as_posix()
                entry = self._index.get(model_id, {})
                model = self._build(model_id, first, parts, entry, warnings)
                if model is not None:
                    models[model_id] = model
            for model_id, entry in self._index.items():
                if entry.get("source") != "in_place":
                    continue
                path = Path(entry.get("path", ""))
                if not path.is_file():
                    warnings.append(f"The model {path.name} is not available: {path} is missing "
                                    "(a removable drive may be unplugged). Remove it in the "
                                    "model settings if it is gone for good.")
                    continue
                try:
                    parts = split_parts(path)
                except GGUFError as exc:
                    warnings.append(f"{path} was skipped: {exc}")
                    continue
                model = self._build(model_id, path, parts, entry, warnings)
                if model is not None:
                    models[model_id] = model
            stale = [k for k, e in self._index.items()
                     if e.get("source") != "in_place" and k not in models]
            for key in stale:
                del self._index[key]
            if stale:
                self._save_index()
            self._models = models
            self._loaded = True
            self._save_info_cache()
            for warning in warnings:
                log.warning("%s", warning)
            return warnings

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self.refresh()

    def _scan(self, warnings: list[str]) -> Iterator[tuple[Path, list[Path]]]:
        """GGUF files under the models folder, one entry per model (split files grouped)."""
        if not self.models_dir.is_dir():
            return
        for folder, dirs, files in os.walk(self.models_dir):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith(".") or not name.lower().endswith(".gguf"):
                    continue
                path = Path(folder) / name
                split = split_name(name)
                if split is not None and split.index != 1:
                    continue
                parts = split_parts(path)
                missing = [p.name for p in parts if not p.is_file()]
                if missing:
                    warnings.append(f"{name} was skipped: the split model is incomplete "
                                    f"({', '.join(missing)} missing).")
                    continue
                yield path, parts

    def _build(self, model_id: str, path: Path, parts: list[Path], entry: dict[str, Any],
               warnings: list[str]) -> LocalModel | None:
        try:
            info = self._info(path, parts)
            size = info.file_size if len(parts) == 1 else sum(p.stat().st_size for p in parts)
        except GGUFError as exc:
            warnings.append(f"{path.name} was skipped: {exc}")
            return None
        except OSError as exc:
            warnings.append(f"{path.name} could not be read: {exc.strerror or exc}")
            return None
        if info.architecture in _NON_CHAT_ARCHITECTURES:
            return None
        source = entry.get("source") or self._default_source(model_id)
        return LocalModel(
            id=model_id, path=path, size_bytes=size,
            display_name=str(entry.get("name") or display_name(info, path)),
            info=info, is_demo=bool(entry.get("demo")), source=str(source),
            repo=entry.get("repo"), parts=tuple(parts))

    @staticmethod
    def _default_source(model_id: str) -> str:
        return "import" if model_id.startswith(LOCAL_DIR + "/") else "download"

    def _info(self, path: Path, parts: list[Path]) -> GGUFInfo:
        """Header facts of every part, from the cache when no part's size or mtime changed."""
        stats = [p.stat() for p in parts]
        size, mtime = sum(s.st_size for s in stats), max(s.st_mtime_ns for s in stats)
        key = str(path)
        cached = self._info_cache.get(key)
        if cached is not None and cached[:2] == (size, mtime):
            return cached[2]
        info = read_model_info(parts)
        self._info_cache[key] = (size, mtime, info)
        self._cache_dirty = True
        return info

    # ---- adding and removing -----------------------------------------------------------

    def import_file(self, path: str | os.PathLike[str], mode: ImportMode = "copy") -> LocalModel:
        """Add a GGUF file from anywhere: copy it, hard-link it, or use it where it is.

        The file is validated first, so a broken file is never copied. Raises
        :class:`GGUFError` for a file that is not a usable model and OSError
        when it cannot be read or copied (nothing half copied is left behind).
        """
        if mode not in ("copy", "link", "in_place"):
            raise ValueError(f"unknown import mode {mode!r}")
        source = Path(path).expanduser().absolute()
        parts = split_parts(source)
        missing = [p.name for p in parts if not p.is_file()]
        if missing and parts[0].is_file():
            raise GGUFError(f"the split model is incomplete: {', '.join(missing)} missing")
        read_model_info(parts)
        if self._is_managed(source):
            model_id = (source.parent.resolve() / source.name).relative_to(self.models_dir)
            with self._lock:
                self._ensure_loaded()
                existing = self._models.get(model_id.as_posix())
            return existing or self.register(source, source="import")
        if mode == "in_place":
            return self._register_in_place(source, parts)
        target_dir = self._free_import_dir(parts)
        target_dir.mkdir(parents=True, exist_ok=True)
        done: list[Path] = []
        try:
            for part in parts:
                target = target_dir / part.name
                if mode == "link":
                    _link_or_copy(part, target)
                else:
                    _copy_file(part, target)
                done.append(target)
        except BaseException:
            for target in done:
                target.unlink(missing_ok=True)
            raise
        return self.register(target_dir / source.name, source="import")

    def _free_import_dir(self, parts: list[Path]) -> Path:
        """``local/``, or ``local/2/``, ``local/3/``… when a file of that name is there already."""
        base = self.models_dir / LOCAL_DIR
        candidate, n = base, 1
        while any((candidate / p.name).exists() for p in parts):
            n += 1
            candidate = base / str(n)
        return candidate

    def _register_in_place(self, path: Path, parts: list[Path]) -> LocalModel:
        with self._lock:
            self._ensure_loaded()
            for model_id, entry in self._index.items():
                if (entry.get("source") == "in_place" and entry.get("path") == str(path)
                        and model_id in self._models):
                    return self._models[model_id]
            model_id = self._unique_id(f"{EXTERNAL_PREFIX}/{path.name}")
            entry = {"source": "in_place", "path": str(path)}
            return self._add(model_id, path, parts, entry)

    def register_bundled(self, path: Path, model_id: str, name: str = "") -> LocalModel:
        """Use a model shipped with Hearth where it lies, under a fixed id, marked as the demo.

        Re-pointed when the file moved (a checkout or an installation moved);
        never copied into the models folder, never deleted by :meth:`remove`.
        ``name`` replaces the file's own ``general.name`` in lists (Hearth wrote
        it, so it is trusted; a GGUF's name can be an internal build label).
        """
        path = Path(path).absolute()
        entry: dict[str, Any] = {"source": "in_place", "path": str(path), "demo": True}
        if name:
            entry["name"] = name
        with self._lock:
            self._ensure_loaded()
            existing = self._models.get(model_id)
            if existing is not None and self._index.get(model_id) == entry:
                return existing
            return self._add(model_id, path, split_parts(path), entry)

    def _add(self, model_id: str, path: Path, parts: list[Path],
             entry: dict[str, Any]) -> LocalModel:
        """Validate and index one model (the lock is held); raises GGUFError if unusable."""
        warnings: list[str] = []
        model = self._build(model_id, path, parts, entry, warnings)
        if model is None:
            raise GGUFError(warnings[0] if warnings else f"{path.name} is not a chat model")
        self._index[model_id] = entry
        self._save_index()
        self._models[model_id] = model
        self._save_info_cache()
        return model

    def _unique_id(self, wanted: str) -> str:
        taken = set(self._index) | set(self._models)
        if wanted not in taken:
            return wanted
        stem, dot, ext = wanted.rpartition(".")
        n = 2
        while f"{stem}-{n}{dot}{ext}" in taken:
            n += 1
        return f"{stem}-{n}{dot}{ext}"

    def register(self, path: Path, *, source: str, repo: str | None = None) -> LocalModel:
        """Add a file already placed under the models folder (the downloader calls this).

        Raises ValueError (GGUFError) when the file is outside the folder or not a usable model.
        """
        path = Path(path).absolute()
        if not self._is_managed(path):
            raise ValueError(f"{path} is not inside the models folder {self.models_dir}; "
                             "use import_file() for files elsewhere")
        path = path.parent.resolve() / path.name
        model_id = path.relative_to(self.models_dir).as_posix()
        parts = split_parts(path)
        with self._lock:
            self._ensure_loaded()
            entry: dict[str, Any] = {"source": source, "demo": source == "demo"}
            if repo:
                entry["repo"] = repo
            return self._add(model_id, path, parts, entry)

    def remove(self, model_id: str) -> None:
        """Forget a model; files under the models folder are deleted, in-place files are not."""
        with self._lock:
            self._ensure_loaded()
            model = self._models.get(model_id)
            entry = self._index.get(model_id)
            if model is None and entry is None:
                raise KeyError(model_id)
            if model is not None and not model.in_place:
                for part in model.parts or (model.path,):
                    part.unlink(missing_ok=True)
                    self._info_cache.pop(str(part), None)
                self._prune_empty_dirs(model.path.parent)
            self._index.pop(model_id, None)
            self._models.pop(model_id, None)
            self._save_index()
            self._cache_dirty = True
            self._save_info_cache()

    def _prune_empty_dirs(self, folder: Path) -> None:
        while folder != self.models_dir and self.models_dir in folder.parents:
            try:
                folder.rmdir()
            except OSError:  # not empty
                return
            folder = folder.parent

    def _is_managed(self, path: Path) -> bool:
        parent = path.parent.resolve()
        return parent == self.models_dir or self.models_dir in parent.parents

    # ---- other apps' model folders ---------------------------------------------------

    def find_external(self) -> list[Path]:
        """GGUF files in the Hugging Face cache and LM Studio's folders, not yet in the library.

        Offered in the GUI as "use in place" so a model already on disk is not
        downloaded twice. Only first parts of split models are listed; vision
        projectors (``mmproj``) and broken cache links are left out.
        """
        with self._lock:
            self._ensure_loaded()
            known = {m.path.resolve() for m in self._models.values()}
        found: dict[Path, Path] = {}
        for root in external_model_dirs():
            for path in _walk_gguf(root):
                if path.name.lower().startswith("mmproj"):
                    continue
                split = split_name(path.name)
                if split is not None and split.index != 1:
                    continue
                try:
                    real = path.resolve(strict=True)
                except OSError:
                    continue  # a cache link to a blob still downloading
                if real not in known and not self._is_managed(path):
                    found.setdefault(real, path)
        return sorted(found.values())

    # ---- persistence -----------------------------------------------------------------

    def _read_index(self, warnings: list[str]) -> dict[str, dict[str, Any]]:
        path = self.models_dir / INDEX_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = data["models"]
            if not isinstance(entries, dict):
                raise TypeError("models is not an object")
            return {str(k): dict(v) for k, v in entries.items() if isinstance(v, dict)}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            backup = path.with_name(INDEX_NAME + ".broken")
            with contextlib.suppress(OSError):
                os.replace(path, backup)
            warnings.append(f"The model list {path} could not be read ({exc}); it was set aside "
                            f"as {backup.name}. Models used in place must be added again.")
            return {}

    def _save_index(self) -> None:
        _write_json_atomically(self.models_dir / INDEX_NAME,
                               {"version": _INDEX_VERSION, "models": self._index})

    def _load_info_cache(self) -> None:
        if self._info_cache:
            return
        try:
            data = json.loads((self.models_dir / INFO_CACHE_NAME).read_text(encoding="utf-8"))
            if data.get("version") != _CACHE_VERSION:
                return
            for key, (size, mtime_ns, fields) in data["entries"].items():
                self._info_cache[key] = (int(size), int(mtime_ns), GGUFInfo(**fields))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            if not isinstance(exc, FileNotFoundError):
                log.info("ignoring the model info cache: %s", exc)
            self._info_cache.clear()

    def _save_info_cache(self) -> None:
        if not self._cache_dirty:
            return
        entries = {key: [size, mtime, dataclasses.asdict(info)]
                   for key, (size, mtime, info) in self._info_cache.items()
                   if Path(key).exists()}
        try:
            _write_json_atomically(self.models_dir / INFO_CACHE_NAME,
                                   {"version": _CACHE_VERSION, "entries": entries})
            self._cache_dirty = False
        except OSError as exc:  # a cache: losing it costs only time
            log.info("could not save the model info cache: %s", exc)


def external_model_dirs() -> list[Path]:
    """Folders where other tools keep GGUF files: the Hugging Face cache and LM Studio's."""
    env = os.environ
    home = Path.home()
    if env.get("HF_HUB_CACHE"):
        hub = Path(env["HF_HUB_CACHE"])
    elif env.get("HUGGINGFACE_HUB_CACHE"):
        hub = Path(env["HUGGINGFACE_HUB_CACHE"])
    elif env.get("HF_HOME"):
        hub = Path(env["HF_HOME"]) / "hub"
    else:
        cache = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else home / ".cache"
        hub = cache / "huggingface" / "hub"
    return [hub.expanduser(), home / ".lmstudio" / "models",
            home / ".cache" / "lm-studio" / "models"]


def _walk_gguf(root: Path, max_depth: int = 8, max_entries: int = 50_000) -> Iterator[Path]:
    """``*.gguf`` files under ``root``, bounded in depth and count (these trees can be huge)."""
    if not root.is_dir():
        return
    seen = 0
    base_depth = len(root.parts)
    for folder, dirs, files in os.walk(root):
        depth = len(Path(folder).parts) - base_depth
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if depth < max_depth else []
        # The Hugging Face cache keeps the real bytes in blobs/; snapshots/ has the names.
        if Path(folder).name == "blobs":
            continue
        for name in sorted(files):
            seen += 1
            if seen > max_entries:
                return
            if name.lower().endswith(".gguf"):
                yield Path(folder) / name
