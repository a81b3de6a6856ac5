"""The recommended-models list: the shipped file is valid, and bad files are reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desktop_app.core.memory_estimate import Fit
from desktop_app.core.models.catalog import CatalogError, catalog_path, load_catalog, suggestions
from desktop_app.core.models.quant import model_fit


def test_shipped_catalog_covers_the_issue_list_small_to_large() -> None:
    entries = load_catalog()
    names = {entry.name for entry in entries}
    for wanted in ("Qwen3 0.6B", "Qwen3 1.7B", "Qwen3 4B", "Qwen3 8B", "Llama 3.2 1B Instruct",
                   "Llama 3.2 3B Instruct", "Gemma 3 1B Instruct", "Gemma 3 4B Instruct",
                   "Gemma 3 12B Instruct", "Phi-4-mini Instruct", "Mistral 7B Instruct v0.3"):
        assert wanted in names
    sizes = [entry.size_bytes for entry in entries]
    assert sizes == sorted(sizes)
    assert all(entry.quant in ("Q4_K_M", "Q8_0") for entry in entries)
    assert all(entry.license for entry in entries)
    assert {e.publisher for e in entries} <= {"Qwen", "ggml-org", "bartowski"}


def test_catalog_path_is_in_resources() -> None:
    assert catalog_path().parent.name == "resources"
    assert catalog_path().is_file()


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


GOOD = {"id": "m", "name": "M", "repo": "o/r-GGUF", "file": "m-Q4_K_M.gguf",
        "size_bytes": 10, "parameters": "1B", "license": "mit", "description": "d"}


@pytest.mark.parametrize(("data", "message"), [
    ("{not json", "not valid JSON"),
    ({"version": 2, "models": []}, "unknown format"),
    ({"version": 1}, "no 'models' list"),
    ({"version": 1, "models": ["x"]}, "not an object"),
    ({"version": 1, "models": [GOOD | {"size_bytes": "10"}]}, "size_bytes"),
    ({"version": 1, "models": [GOOD | {"license": ""}]}, "license"),
    ({"version": 1, "models": [GOOD | {"file": "../m.gguf"}]}, "Refusing"),
    ({"version": 1, "models": [GOOD | {"repo": "no-owner"}]}, "owner/name"),
    ({"version": 1, "models": [GOOD | {"file": "m.bin"}]}, "not a .gguf"),
    ({"version": 1, "models": [GOOD, GOOD]}, "repeats ids: m"),
])
def test_bad_catalogs_are_reported(tmp_path: Path, data: Any, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        load_catalog(write(tmp_path, data))


def test_missing_catalog_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot be read"):
        load_catalog(tmp_path / "absent.json")


def test_valid_custom_catalog(tmp_path: Path) -> None:
    (entry,) = load_catalog(write(tmp_path, {"version": 1, "models": [GOOD]}))
    assert entry.repo == "o/r-GGUF"
    assert entry.quant == "Q4_K_M"


GIB = 1024**3


def test_suggestions_fit_this_machine_and_speak_the_users_language() -> None:
    entries = load_catalog()
    english = suggestions(entries, 8 * GIB, "en_US")
    chinese = suggestions(entries, 8 * GIB, "zh_CN")
    assert english
    assert all(model_fit(e.remote, 8 * GIB) is Fit.FITS for e in english + chinese)
    assert all("zh" in e.languages for e in chinese)  # e.g. Qwen3 and Gemma 3 first
    assert chinese[0].name.startswith(("Qwen3", "Gemma 3", "Phi-4"))
    assert suggestions(entries, 200 * 1024**2, "en") == []  # nothing fits in 200 MB


def test_languages_must_be_a_list_of_codes(tmp_path: Path) -> None:
    data = json.loads(catalog_path().read_text(encoding="utf-8"))
    data["models"][0]["languages"] = "zh"
    bad = tmp_path / "c.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CatalogError, match="languages"):
        load_catalog(bad)
