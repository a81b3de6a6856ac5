"""Loading ggml's per-CPU backend variants (installers) and reporting which one runs.

The decisions are tested with a fake llama_cpp/lib folder and a fake loader, so
no variant build is needed; the last tests use this checkout's real (ordinary)
llama.cpp build, which has its CPU backend built in.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.core.engine import cpu_backend
from desktop_app.core.engine.api import LoadOptions
from desktop_app.core.engine.cpu_backend import (
    BUILT_IN,
    UNKNOWN,
    ensure_loaded,
    loaded_variant,
    variant_libraries,
)
from desktop_app.core.engine.loader import load_model

ORDINARY = ["libggml.so", "libggml.so.0", "libggml-base.so", "libggml-cpu.so",
            "libggml-cpu.so.0", "libggml-cpu.so.0.9.4", "libllama.so"]
VARIANTS = ["libggml-cpu-x64.so", "libggml-cpu-haswell.so", "libggml-cpu-zen4.so"]


@pytest.fixture(autouse=True)
def nothing_loaded_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cpu_backend, "_loaded_from", None)


def _lib(tmp_path: Path, names: list[str]) -> Path:
    lib = tmp_path / "llama_cpp" / "lib"
    lib.mkdir(parents=True)
    for name in names:
        (lib / name).write_bytes(b"\x7fELF")
    return lib


class FakeLoader:
    def __init__(self) -> None:
        self.calls: list[bytes] = []

    def __call__(self, folder: bytes) -> None:
        self.calls.append(folder)


def test_variant_libraries_are_the_suffixed_cpu_modules_only(tmp_path: Path) -> None:
    lib = _lib(tmp_path, ORDINARY + VARIANTS)
    assert [p.name for p in variant_libraries(lib)] == sorted(VARIANTS)
    assert variant_libraries(tmp_path / "missing") == []


def test_an_ordinary_build_loads_nothing_and_reports_built_in(tmp_path: Path) -> None:
    lib = _lib(tmp_path, ORDINARY)
    loader = FakeLoader()
    assert ensure_loaded(lib, loader) is False
    assert loader.calls == []
    maps = f"7f00-7f01 r-xp 0 0:0 0 {lib}/libggml-cpu.so.0.9.4\n"
    assert loaded_variant(lib, maps) == BUILT_IN


def test_a_variant_build_is_loaded_once_from_its_own_folder(tmp_path: Path) -> None:
    lib = _lib(tmp_path, ORDINARY[:3] + VARIANTS)
    loader = FakeLoader()
    assert ensure_loaded(lib, loader) is True
    assert ensure_loaded(lib, loader) is True
    assert loader.calls == [str(lib).encode()]


def test_the_loaded_variant_is_the_one_mapped_into_the_process(tmp_path: Path) -> None:
    lib = _lib(tmp_path, VARIANTS)
    maps = (f"7f00-7f01 r--p 0 0:0 0 {lib}/libggml-base.so\n"
            f"7f01-7f02 r-xp 0 0:0 0 {lib}/libggml-cpu-zen4.so\n"
            f"7f02-7f03 r--p 0 0:0 0 {lib}/libggml-cpu-zen4.so\n")
    assert loaded_variant(lib, maps) == "zen4"


def test_variants_present_but_none_mapped_is_unknown_not_a_guess(tmp_path: Path) -> None:
    lib = _lib(tmp_path, VARIANTS)
    assert loaded_variant(lib, f"7f00-7f01 r-xp 0 0:0 0 {lib}/libggml-base.so\n") == UNKNOWN


def test_the_loader_is_found_through_the_libggml_llama_cpp_uses() -> None:
    # Not llama_cpp._ggml's handle: in a wheel that can be a second copy of libggml.
    import llama_cpp.llama_cpp

    assert hasattr(llama_cpp.llama_cpp._lib, "ggml_backend_load_all_from_path")


@pytest.mark.slow
def test_a_model_loaded_by_the_development_build_reports_built_in_kernels(
        demo_model_path: Path) -> None:
    loaded = load_model(LoadOptions(model_path=str(demo_model_path), n_ctx=256))
    try:
        assert loaded.event.cpu_variant == BUILT_IN
    finally:
        loaded.llama.close()
