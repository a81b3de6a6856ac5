"""Hearth's settings: what they are, their defaults, and the JSON file that keeps them.

Loading never fails: a settings file is the user's, may have been edited by
hand or written by a newer Hearth, and must not stop the app from starting.
A missing file gives the defaults; a file that is not JSON is moved aside
(``settings.json.bad-<timestamp>``) so nothing is lost; a single bad value
falls back to its default and every other value is kept. Each of these
(except the missing file) comes back as a warning sentence for the window to
show. Keys this version does not know are ignored, so a newer version's file
still loads.

Saving is atomic (temporary file in the same folder, fsync, ``os.replace``):
a crash or a full disk mid-write leaves the previous file intact. A save that
fails raises :class:`SettingsError`, a :class:`StorageError`, so callers that
already handle storage problems handle this one too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeGuard, TypeVar

from desktop_app.core.engine.api import (
    AUTO,
    DEFAULT_WATCHDOG_SECONDS,
    LoadOptions,
    SamplingParams,
)
from desktop_app.core.remote.servers import ServerConfig, server_from_json, server_to_json
from desktop_app.core.serve.config import (
    ApiServerSettings,
    api_server_from_json,
    api_server_to_json,
)
from desktop_app.core.storage.database import StorageError
from desktop_app.core.tools.tool_settings import (
    ToolSettings,
    tool_settings_from_json,
    tool_settings_to_json,
)

log = logging.getLogger(__name__)

SETTINGS_FORMAT = 1
"""Written to the file as ``"format"``; for a future version that must convert old files."""

class SettingsError(StorageError):
    """The settings file could not be written. The message names the file and the cause."""


# ---- what the settings are ----------------------------------------------------


THEMES = ("system", "light", "dark")
"""The look: follow the desktop's colour scheme, or always light or dark."""


@dataclass(frozen=True)
class ModelSettings:
    """How one model is loaded. Zero means "automatic" for ``n_ctx`` and ``n_threads``."""

    n_ctx: int = 0              # 0: the engine picks a context that fits in memory
    n_gpu_layers: int = AUTO    # AUTO, 0 (CPU only) or a layer count
    n_threads: int = 0          # 0: number of physical cores
    n_batch: int = 512
    flash_attn: bool = False
    kv_cache_type: str = "f16"
    # True: the built-in prompt format for the architecture instead of the file's template
    # (for a model whose template fails).
    builtin_prompt_format: bool = False
    # Seconds the engine may stay silent while it loads or replies before it is restarted.
    watchdog_seconds: int = DEFAULT_WATCHDOG_SECONDS

    def load_options(self, model_path: str) -> LoadOptions:
        """What the engine is told when it loads ``model_path`` with these settings.

        The one place settings become load options (the window and ``hearth chat``).
        """
        return LoadOptions(
            model_path=model_path, n_ctx=self.n_ctx, n_threads=self.n_threads,
            n_gpu_layers=self.n_gpu_layers, n_batch=self.n_batch, flash_attn=self.flash_attn,
            kv_cache_type=self.kv_cache_type, builtin_prompt_format=self.builtin_prompt_format,
            watchdog_seconds=self.watchdog_seconds)

    def validate(self) -> ModelSettings:
        """Return self, or raise :class:`ParameterError` naming the bad setting.

        The ranges are :meth:`LoadOptions.validate`'s: one home for them.
        """
        self.load_options("").validate()
        return self


# The names are also listed in ui/sampling_form.py (BUILT_IN_PRESET_NAMES) for translation.
BUILT_IN_PRESETS: dict[str, SamplingParams] = {
    "Balanced": SamplingParams(),
    "Precise": SamplingParams(temperature=0.2, top_k=20, top_p=0.9, min_p=0.1,
                              repeat_penalty=1.05),
    "Creative": SamplingParams(temperature=1.0, top_k=80, top_p=0.98, min_p=0.02,
                               repeat_penalty=1.15),
}


@dataclass
class Settings:
    """Everything Hearth remembers between runs, apart from the chat history.

    Mutable so the app can update e.g. ``last_model_id`` in place; compare by
    value and copy with ``copy.deepcopy`` (the settings dialog edits a copy).
    """

    language: str = "system"    # "system" or a Qt locale name such as "zh_CN"
    theme: str = "system"       # one of THEMES: follow the desktop, or always light or dark
    # Small local models answer far better with a system prompt than with none
    # (SmolLM2 135M: "Paris" with it, French word salad without, greedy decoding).
    default_system_prompt: str = "You are a helpful assistant."
    default_params: SamplingParams = field(default_factory=SamplingParams)
    presets: dict[str, SamplingParams] = field(default_factory=lambda: dict(BUILT_IN_PRESETS))
    model_settings: dict[str, ModelSettings] = field(default_factory=dict)
    last_model_id: str | None = None
    last_conversation_id: int | None = None
    window_geometry: str = ""   # QWidget.saveGeometry() as base64
    # No network at all: no Hugging Face, no remote servers (the local API server may still run).
    offline: bool = False
    servers: list[ServerConfig] = field(default_factory=list)  # remote servers, in the user's order
    api_server: ApiServerSettings = field(default_factory=ApiServerSettings)
    tools: ToolSettings = field(default_factory=ToolSettings)


# ---- JSON forms ---------------------------------------------------------------------

_FLOAT_FIELDS = {"temperature", "top_p", "min_p", "repeat_penalty"}


def sampling_params_to_json(params: SamplingParams) -> dict[str, Any]:
    """A JSON-ready dict of every field; ``stop`` becomes a list, ``seed`` may be None."""
    data = asdict(params)
    data["stop"] = list(params.stop)
    return data


def sampling_params_from_json(data: object) -> SamplingParams:
    """Parse :func:`sampling_params_to_json` output; missing keys take their defaults.

    Raises ValueError (``ParameterError`` for out-of-range values) with the
    reason. Unknown keys are ignored.
    """
    mapping = _expect_mapping(data)
    values: dict[str, Any] = {}
    for f in fields(SamplingParams):
        if f.name not in mapping:
            continue
        value = mapping[f.name]
        if f.name in _FLOAT_FIELDS:
            values[f.name] = float(_expect(value, _is_number, f.name, "a number"))
        elif f.name == "seed":
            values[f.name] = _expect(value, lambda v: v is None or _is_int(v), f.name,
                                     "a whole number or null")
        elif f.name in ("speculative", "draft_model"):
            values[f.name] = _expect(value, lambda v: isinstance(v, bool), f.name, "true or false")
        elif f.name == "stop":
            stop = _expect(value, lambda v: isinstance(v, list)
                           and all(isinstance(s, str) for s in v), f.name, "a list of strings")
            values[f.name] = tuple(stop)
        else:
            values[f.name] = _expect(value, _is_int, f.name, "a whole number")
    return SamplingParams(**values).validate()


def model_settings_to_json(settings: ModelSettings) -> dict[str, Any]:
    return asdict(settings)


def model_settings_from_json(data: object) -> ModelSettings:
    """Parse :func:`model_settings_to_json` output; like :func:`sampling_params_from_json`."""
    mapping = _expect_mapping(data)
    values: dict[str, Any] = {}
    for f in fields(ModelSettings):
        if f.name not in mapping:
            continue
        value = mapping[f.name]
        if f.name in ("flash_attn", "builtin_prompt_format"):
            values[f.name] = _expect(value, lambda v: isinstance(v, bool), f.name, "true or false")
        elif f.name == "kv_cache_type":
            values[f.name] = _expect(value, lambda v: isinstance(v, str), f.name, "a string")
        else:
            values[f.name] = _expect(value, _is_int, f.name, "a whole number")
    return ModelSettings(**values).validate()


_T = TypeVar("_T")


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _expect(value: _T, check: Callable[[_T], bool], name: str, what: str) -> _T:
    if not check(value):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return value


def _expect_mapping(data: object) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {data!r}")
    return data


def _optional_str(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"expected a string or null, got {value!r}")


def _optional_int(value: object) -> int | None:
    if value is None or _is_int(value):
        return value
    raise ValueError(f"expected a whole number or null, got {value!r}")


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _theme(value: object) -> str:
    if value not in THEMES:
        raise ValueError(f"expected one of {', '.join(THEMES)}, got {value!r}")
    return str(value)


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


# How each simple field is read; presets and model_settings are read entry by entry.
_SIMPLE_FIELDS: dict[str, Callable[[object], object]] = {
    "language": _str,
    "theme": _theme,
    "default_system_prompt": _str,
    "default_params": sampling_params_from_json,
    "last_model_id": _optional_str,
    "last_conversation_id": _optional_int,
    "window_geometry": _str,
    "offline": _bool,
    "api_server": api_server_from_json,
    "tools": tool_settings_from_json,
}


def settings_to_json(settings: Settings) -> dict[str, Any]:
    return {
        "format": SETTINGS_FORMAT,
        "language": settings.language,
        "theme": settings.theme,
        "default_system_prompt": settings.default_system_prompt,
        "default_params": sampling_params_to_json(settings.default_params),
        "presets": {name: sampling_params_to_json(p) for name, p in settings.presets.items()},
        "model_settings": {model_id: model_settings_to_json(ms)
                           for model_id, ms in settings.model_settings.items()},
        "last_model_id": settings.last_model_id,
        "last_conversation_id": settings.last_conversation_id,
        "window_geometry": settings.window_geometry,
        "offline": settings.offline,
        "servers": [server_to_json(server) for server in settings.servers],
        "api_server": api_server_to_json(settings.api_server),
        "tools": tool_settings_to_json(settings.tools),
    }


def settings_from_json(data: Mapping[str, Any], source: str = "the settings file",
                       ) -> tuple[Settings, list[str]]:
    """Read every known field of ``data``; a bad one keeps its default, with a warning.

    ``source`` names where ``data`` came from in the warnings (the file's path).
    """
    settings = Settings()
    warnings: list[str] = []

    def reset(name: str, exc: Exception) -> None:
        warnings.append(f"The setting “{name}” in {source} was not valid ({exc}) and was "
                        "reset to its default.")

    for name, parse in _SIMPLE_FIELDS.items():
        if name in data:
            try:
                setattr(settings, name, parse(data[name]))
            except ValueError as exc:
                reset(name, exc)
    if "presets" in data:
        try:
            raw_presets = _expect_mapping(data["presets"])
        except ValueError as exc:
            reset("presets", exc)
        else:
            settings.presets = {}
            for name, raw in raw_presets.items():
                try:
                    settings.presets[name] = sampling_params_from_json(raw)
                except ValueError as exc:
                    warnings.append(f"The preset “{name}” in {source} was not valid "
                                    f"({exc}) and was removed.")
    if "model_settings" in data:
        try:
            raw_models = _expect_mapping(data["model_settings"])
        except ValueError as exc:
            reset("model_settings", exc)
        else:
            for model_id, raw in raw_models.items():
                try:
                    settings.model_settings[model_id] = model_settings_from_json(raw)
                except ValueError as exc:
                    warnings.append(f"The load settings of model “{model_id}” in {source} "
                                    f"were not valid ({exc}) and were reset to the defaults.")
    if "servers" in data:
        raw_servers = data["servers"]
        if not isinstance(raw_servers, list):
            reset("servers", ValueError(f"expected a list, got {raw_servers!r}"))
        else:
            for raw in raw_servers:
                try:
                    server = server_from_json(raw)
                except ValueError as exc:
                    warnings.append(f"A remote server in {source} was not valid ({exc}) and "
                                    "was left out.")
                else:
                    if all(s.id != server.id for s in settings.servers):
                        settings.servers.append(server)
    return settings, warnings


# ---- the file -------------------------------------------------------------------------


class SettingsStore:
    """Reads and writes :class:`Settings` as JSON at ``path`` (``AppPaths.settings_path``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> tuple[Settings, list[str]]:
        """The saved settings and warnings for the user; see the module docstring."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return Settings(), []
        except OSError as exc:
            return Settings(), [f"Hearth could not read its settings file {self.path} "
                                f"({exc.strerror or exc}) and started with default settings."]
        try:
            data = json.loads(raw.decode("utf-8"))
            mapping = _expect_mapping(data)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            return Settings(), [self._move_aside(exc)]
        settings, warnings = settings_from_json(mapping, str(self.path))
        for warning in warnings:
            log.warning("%s", warning)
        return settings, warnings

    def save(self, settings: Settings) -> None:
        """Write ``settings`` atomically. Raises :class:`SettingsError` if it can't."""
        text = json.dumps(settings_to_json(settings), ensure_ascii=False, indent=2) + "\n"
        folder = self.path.parent
        temp_name: str | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{self.path.name}.",
                                             suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temp_name, self.path)
            temp_name = None
            _fsync_folder(folder)
        except OSError as exc:
            raise SettingsError(
                f"Hearth could not save its settings to {self.path}: {exc.strerror or exc}.",
                self.path) from exc
        finally:
            if temp_name is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp_name)

    def _move_aside(self, exc: Exception) -> str:
        """Rename an unreadable file out of the way; return the warning to show."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup = self.path.with_name(f"{self.path.name}.bad-{stamp}")
        counter = 1
        while backup.exists():
            counter += 1
            backup = self.path.with_name(f"{self.path.name}.bad-{stamp}-{counter}")
        log.warning("settings file %s is not valid JSON: %s", self.path, exc)
        try:
            os.replace(self.path, backup)
        except OSError as move_exc:
            return (f"The settings file {self.path} could not be read ({exc}) and could not "
                    f"be moved aside ({move_exc.strerror or move_exc}). Hearth started with "
                    "default settings.")
        return (f"The settings file {self.path} could not be read ({exc}). It was kept as "
                f"{backup}, and Hearth started with default settings.")


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; not possible (nor needed) on Windows."""
    if os.name != "posix":
        return
    # Best effort: the new file is in place already, so a failure here is no save error.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
