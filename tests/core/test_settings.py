"""The settings file: defaults, exact round trips, and recovery from bad files."""

from __future__ import annotations

import ast
import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

import desktop_app
from desktop_app.core.engine.api import AUTO, ParameterError, SamplingParams
from desktop_app.core.paths import AppPaths
from desktop_app.core.settings import (
    BUILT_IN_PRESETS,
    ModelSettings,
    Settings,
    SettingsError,
    SettingsStore,
)
from desktop_app.core.storage.database import StorageError


@pytest.fixture
def path(app_paths: AppPaths) -> Path:
    return app_paths.settings_path


@pytest.fixture
def store(path: Path) -> SettingsStore:
    return SettingsStore(path)


def _full_settings() -> Settings:
    """Every field away from its default, with the awkward values a round trip can lose."""
    return Settings(
        language="zh_CN",
        default_system_prompt="你是一个乐于助人的助手。\n\"Quotes\" and \\ backslashes",
        default_params=SamplingParams(temperature=0.1 + 0.2, top_k=0, top_p=1.0, min_p=0.0,
                                      repeat_penalty=1.0, max_tokens=1, seed=2**32 - 1,
                                      stop=("</s>", "用户：", "\n\n"), speculative=False,
                                      draft_model=True),
        presets={**BUILT_IN_PRESETS, "Mine 我的": SamplingParams(temperature=0.9, seed=None,
                                                               stop=())},
        model_settings={
            "bartowski/Qwen2.5-7B/q4.gguf": ModelSettings(n_ctx=8192, n_gpu_layers=0, n_threads=6,
                                                          n_batch=256, flash_attn=True,
                                                          kv_cache_type="q8_0"),
            "gemma": ModelSettings(),
        },
        last_model_id="gemma",
        last_conversation_id=42,
        window_geometry="AdnQywADAAAAAAB4AAAAZA==",
        offline=True,
    )


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


# ---- defaults --------------------------------------------------------------------


def test_defaults() -> None:
    settings = Settings()
    assert (settings.language, settings.theme) == ("system", "system")
    assert settings.default_system_prompt == "You are a helpful assistant."
    assert settings.default_params == SamplingParams()
    assert settings.presets == BUILT_IN_PRESETS
    assert settings.presets is not BUILT_IN_PRESETS  # editing one never changes the built-ins
    assert settings.model_settings == {}
    assert (settings.last_model_id, settings.last_conversation_id) == (None, None)
    assert (settings.window_geometry, settings.offline) == ("", False)
    assert ModelSettings() == ModelSettings(n_ctx=0, n_gpu_layers=AUTO, n_threads=0, n_batch=512,
                                            flash_attn=False, kv_cache_type="f16")


def _form_preset_names() -> list[str]:
    """BUILT_IN_PRESET_NAMES from ui/sampling_form.py, read without importing Qt."""
    source = Path(desktop_app.__file__).parent / "ui" / "settings" / "sampling_form.py"
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple)
                and any(isinstance(t, ast.Name) and t.id == "BUILT_IN_PRESET_NAMES"
                        for t in node.targets)):
            # Each item is QT_TRANSLATE_NOOP("SamplingForm", "<name>").
            return [ast.literal_eval(item.args[1]) for item in node.value.elts
                    if isinstance(item, ast.Call)]
    raise AssertionError("BUILT_IN_PRESET_NAMES not found in ui/sampling_form.py")


def test_built_in_presets_match_the_form_and_are_valid() -> None:
    assert list(BUILT_IN_PRESETS) == _form_preset_names()
    for preset in BUILT_IN_PRESETS.values():
        preset.validate()
    assert BUILT_IN_PRESETS["Balanced"] == SamplingParams()
    assert BUILT_IN_PRESETS["Precise"].temperature < BUILT_IN_PRESETS["Balanced"].temperature
    assert BUILT_IN_PRESETS["Creative"].temperature > BUILT_IN_PRESETS["Balanced"].temperature


def test_settings_are_mutable_and_copy_by_value() -> None:
    settings = _full_settings()
    duplicate = copy.deepcopy(settings)
    assert duplicate == settings
    duplicate.model_settings["gemma"] = ModelSettings(n_ctx=4096)
    assert duplicate != settings
    assert settings.model_settings["gemma"] == ModelSettings()


def test_missing_file_gives_defaults_without_warning(store: SettingsStore, path: Path) -> None:
    assert not path.exists()
    assert store.load() == (Settings(), [])


# ---- round trip ------------------------------------------------------------------


def test_round_trip_is_exact(store: SettingsStore, path: Path) -> None:
    settings = _full_settings()
    store.save(settings)
    loaded, warnings = store.load()
    assert warnings == []
    assert loaded == settings
    assert isinstance(loaded.default_params.stop, tuple)
    assert loaded.presets["Mine 我的"].seed is None
    assert loaded.default_params.temperature == 0.1 + 0.2  # 0.30000000000000004, not 0.3
    text = path.read_text(encoding="utf-8")
    assert "你是一个乐于助人的助手" in text  # ensure_ascii=False: readable in an editor


def test_default_settings_round_trip(store: SettingsStore) -> None:
    store.save(Settings())
    assert store.load() == (Settings(), [])


def test_save_creates_the_folder(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "a" / "b" / "settings.json")
    store.save(Settings(language="en"))
    assert store.load()[0].language == "en"


def test_atomic_save_leaves_no_temporary_files(store: SettingsStore, path: Path) -> None:
    store.save(Settings(language="en"))
    store.save(_full_settings())
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]


def test_failed_save_keeps_the_old_file(store: SettingsStore, path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    store.save(Settings(language="en"))

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(SettingsError, match="No space left on device") as info:
        store.save(_full_settings())
    assert str(path) in str(info.value)
    assert isinstance(info.value, StorageError)
    monkeypatch.undo()
    assert store.load() == (Settings(language="en"), [])
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]


def test_save_into_a_file_instead_of_a_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "config"
    blocker.write_text("not a folder")
    store = SettingsStore(blocker / "settings.json")
    with pytest.raises(SettingsError, match="could not save its settings"):
        store.save(Settings())


# ---- bad files -----------------------------------------------------------------------


@pytest.mark.parametrize("content", [
    b'{"language": "en",',           # cut off mid-write
    b"\xff\xfe not utf-8 \x00",
    b"[1, 2, 3]",                     # JSON, but not an object
    b"",
])
def test_corrupt_file_is_backed_up_with_a_warning(store: SettingsStore, path: Path,
                                                   content: bytes) -> None:
    path.write_bytes(content)
    settings, warnings = store.load()
    assert settings == Settings()
    backups = list(path.parent.glob("settings.json.bad-*"))
    assert len(backups) == 1
    assert backups[0].read_bytes() == content
    assert not path.exists()
    assert len(warnings) == 1
    assert str(backups[0]) in warnings[0]
    # A save afterwards writes a good file and keeps the backup.
    store.save(settings)
    assert store.load() == (Settings(), [])
    assert backups[0].exists()


def test_two_corrupt_files_in_a_row_keep_both_backups(store: SettingsStore, path: Path) -> None:
    path.write_text("{broken one")
    store.load()
    path.write_text("{broken two")
    store.load()
    backups = sorted(p.read_text() for p in path.parent.glob("settings.json.bad-*"))
    assert backups == ["{broken one", "{broken two"]


@pytest.mark.parametrize(("field", "bad_value"), [
    ("language", 5),
    ("default_system_prompt", None),
    ("default_params", {"temperature": 9.0}),           # fails SamplingParams.validate()
    ("default_params", {"temperature": "hot"}),
    ("default_params", {"stop": ["ok", ""]}),
    ("default_params", {"seed": 1.5}),
    ("default_params", {"speculative": 1}),
    ("default_params", {"draft_model": "yes"}),
    ("default_params", [0.7]),
    ("last_model_id", 3),
    ("last_conversation_id", "7"),
    ("last_conversation_id", True),
    ("window_geometry", ["x"]),
    ("offline", "yes"),
    ("presets", "Balanced"),
    ("model_settings", []),
])
def test_a_bad_value_is_reset_and_the_rest_kept(store: SettingsStore, path: Path, field: str,
                                                 bad_value: object) -> None:
    good = _full_settings()
    store.save(good)
    data = json.loads(path.read_text(encoding="utf-8"))
    data[field] = bad_value
    _write(path, data)
    settings, warnings = store.load()
    assert len(warnings) == 1
    assert f"“{field}”" in warnings[0]
    assert str(path) in warnings[0]
    assert getattr(settings, field) == getattr(Settings(), field)
    for name in vars(good):
        if name != field:
            assert getattr(settings, name) == getattr(good, name), name


def test_a_bad_model_entry_is_dropped_and_others_kept(store: SettingsStore, path: Path) -> None:
    good = _full_settings()
    store.save(good)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["model_settings"]["gemma"]["kv_cache_type"] = "q2_k"
    data["model_settings"]["broken"] = {"n_batch": 0}
    data["model_settings"]["wrong-type"] = {"flash_attn": 1}
    _write(path, data)
    settings, warnings = store.load()
    assert settings.model_settings == {
        "bartowski/Qwen2.5-7B/q4.gguf": good.model_settings["bartowski/Qwen2.5-7B/q4.gguf"]}
    assert len(warnings) == 3
    assert any("“gemma”" in w and "q2_k" in w for w in warnings)
    assert any("“broken”" in w for w in warnings)


def test_a_bad_preset_is_dropped_and_others_kept(store: SettingsStore, path: Path) -> None:
    store.save(_full_settings())
    data = json.loads(path.read_text(encoding="utf-8"))
    data["presets"]["Mine 我的"]["top_p"] = 2.0
    _write(path, data)
    settings, warnings = store.load()
    assert settings.presets == BUILT_IN_PRESETS
    assert len(warnings) == 1
    assert "“Mine 我的”" in warnings[0]
    assert "Top-p" in warnings[0]


def test_unknown_keys_are_ignored(store: SettingsStore, path: Path) -> None:
    """A newer Hearth's file: new keys everywhere, known values still read."""
    _write(path, {
        "format": 99,
        "language": "en",
        "telemetry": False,
        "default_params": {"temperature": 0.4, "mirostat": 2},
        "model_settings": {"gemma": {"n_ctx": 2048, "rope_scale": 1.5}},
    })
    settings, warnings = store.load()
    assert warnings == []
    assert settings == Settings(language="en", default_params=SamplingParams(temperature=0.4),
                                model_settings={"gemma": ModelSettings(n_ctx=2048)})


def test_missing_keys_take_their_defaults(store: SettingsStore, path: Path) -> None:
    _write(path, {"offline": True, "default_params": {"max_tokens": 77}})
    settings, warnings = store.load()
    assert warnings == []
    assert settings == Settings(offline=True, default_params=SamplingParams(max_tokens=77))


def test_integer_valued_floats_load_as_floats(store: SettingsStore, path: Path) -> None:
    _write(path, {"default_params": {"temperature": 1, "top_p": 1}})
    settings, _ = store.load()
    assert settings.default_params == SamplingParams(temperature=1.0, top_p=1.0)
    assert isinstance(settings.default_params.temperature, float)


@pytest.mark.parametrize("bad", [
    ModelSettings(n_ctx=-1),
    ModelSettings(n_gpu_layers=-2),
    ModelSettings(n_threads=-1),
    ModelSettings(n_batch=0),
    ModelSettings(kv_cache_type="bf16"),
    ModelSettings(kv_cache_type="q4_0"),  # a quantized cache needs flash attention
    ModelSettings(watchdog_seconds=1),
])
def test_model_settings_validate(bad: ModelSettings) -> None:
    with pytest.raises(ParameterError):
        bad.validate()
    assert ModelSettings(n_gpu_layers=AUTO, kv_cache_type="q4_0", flash_attn=True).validate()


def test_an_unknown_theme_falls_back_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    store = SettingsStore(path)
    settings = Settings(theme="dark")
    store.save(settings)
    assert store.load()[0].theme == "dark"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["theme"] = "<img src=x>"
    path.write_text(json.dumps(data), encoding="utf-8")
    loaded, warnings = store.load()
    assert loaded.theme == "system"
    assert any("theme" in w for w in warnings)
