"""Load-time decisions that need no model: GPU offload choice and option checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.core.engine.api import AUTO, LoadOptions, ParameterError
from desktop_app.core.engine.loader import (
    LoadError,
    check_memory,
    check_options,
    load_model,
    resolve_gpu_layers,
)
from desktop_app.core.models.gguf import read_gguf_info
from tests.core.models.gguf_files import write_split_model

GIB = 1024**3


def test_auto_without_gpu_support_runs_on_cpu_and_says_so() -> None:
    layers, note = resolve_gpu_layers(AUTO, supports_offload=False, needed_bytes=GIB,
                                      free_vram_bytes=None)
    assert layers == 0
    assert "CPU" in str(note)


def test_auto_with_a_gpu_that_fits_offloads_everything() -> None:
    assert resolve_gpu_layers(AUTO, True, 2 * GIB, 8 * GIB) == (-1, "")


def test_auto_with_a_gpu_too_small_falls_back_to_cpu_with_the_numbers() -> None:
    layers, note = resolve_gpu_layers(AUTO, True, 10 * GIB, 4 * GIB)
    assert layers == 0
    assert "10.0 GB" in str(note)
    assert "4.0 GB" in str(note)


def test_auto_with_offload_support_but_no_gpu_found() -> None:
    layers, note = resolve_gpu_layers(AUTO, True, GIB, None)
    assert layers == 0
    assert "no GPU" in str(note)


def test_explicit_layers_are_kept_or_refused_on_a_cpu_build() -> None:
    assert resolve_gpu_layers(20, True, GIB, None) == (20, "")
    assert resolve_gpu_layers(0, True, GIB, 8 * GIB) == (0, "")
    layers, note = resolve_gpu_layers(20, False, GIB, None)
    assert layers == 0
    assert "no GPU support" in str(note)


@pytest.mark.parametrize(("changes", "message"), [
    ({"n_ctx": -1}, "Context length must be"),
    ({"n_ctx": 10_000_000}, "longer than"),
    ({"n_threads": -2}, "CPU threads"),
    ({"n_batch": 0}, "Batch size"),
    ({"n_gpu_layers": -7}, "GPU layers"),
    ({"kv_cache_type": "bf16"}, "KV cache type"),
    ({"kv_cache_type": "q8_0"}, "needs flash attention"),
])
def test_bad_load_options_are_rejected(demo_model_path: Path, changes: dict[str, object],
                                       message: str) -> None:
    info = read_gguf_info(demo_model_path)
    options = LoadOptions(model_path=str(demo_model_path), **changes)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=message):
        check_options(options, info)


def test_good_load_options_pass(demo_model_path: Path) -> None:
    info = read_gguf_info(demo_model_path)
    check_options(LoadOptions(model_path=str(demo_model_path), n_ctx=4096,
                              kv_cache_type="q8_0", flash_attn=True), info)


def test_a_model_that_does_not_fit_in_free_memory_is_refused() -> None:
    with pytest.raises(LoadError, match=r"needs about 12\.0 GB .* only 3\.0 GB is free"):
        check_memory("Big 70B", 8192, 12 * GIB, 3 * GIB)
    check_memory("Small", 2048, 1 * GIB, 3 * GIB)


def test_a_split_model_with_a_damaged_later_part_never_reaches_llama_cpp(tmp_path: Path) -> None:
    parts = write_split_model(tmp_path, "big", 2)
    parts[1].write_bytes(parts[1].read_bytes()[:-4])
    with pytest.raises(LoadError, match="part 2 of 2"):
        load_model(LoadOptions(model_path=str(parts[0])))


def test_a_split_model_with_a_missing_part_names_it(tmp_path: Path) -> None:
    parts = write_split_model(tmp_path, "big", 2)
    parts[1].unlink()
    with pytest.raises(LoadError, match=r"big-00002-of-00002\.gguf does not exist"):
        load_model(LoadOptions(model_path=str(parts[0])))
