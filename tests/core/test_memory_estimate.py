"""The memory estimate, fit verdicts and default context, with figures worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.core.memory_estimate import (
    BASE_OVERHEAD_BYTES,
    Fit,
    MemoryEstimate,
    ModelShape,
    context_candidates,
    default_context,
    estimate,
    fit,
    kv_bytes_per_token,
)
from desktop_app.core.models.gguf import read_gguf_info

MIB = 1024**2

# A Llama-3-8B-like shape in a 1 GB file: 32 layers, 32 heads, 8 KV heads of 128.
LLAMA = ModelShape(file_size=1_000_000_000, block_count=32, head_count=32, head_count_kv=8,
                   key_length=128, value_length=128, context_length=131072)


def test_kv_bytes_per_token_by_cache_type() -> None:
    # 32 layers × 8 heads × (128 + 128) values = 65,536 values per token.
    assert kv_bytes_per_token(LLAMA, "f16") == 65_536 * 2
    assert kv_bytes_per_token(LLAMA, "q8_0") == 65_536 * 34 // 32 == 69_632
    assert kv_bytes_per_token(LLAMA, "q4_0") == 65_536 * 18 // 32 == 36_864


def test_unknown_kv_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown KV cache type 'q3_k'"):
        kv_bytes_per_token(LLAMA, "q3_k")


def test_estimate_parts_at_8192() -> None:
    result = estimate(LLAMA, 8192)
    assert result.weights_bytes == 1_000_000_000
    assert result.kv_cache_bytes == 131_072 * 8192 == 1_073_741_824
    # Base 150 MiB plus 8192 × 512 × 32 heads × 4 bytes of attention scratch (512 MiB).
    assert BASE_OVERHEAD_BYTES == 150 * MIB
    assert result.overhead_bytes == 150 * MIB + 512 * MIB == 694_157_312
    assert result.total_bytes == 2_767_899_136


def test_compressed_kv_cache_is_smaller() -> None:
    assert estimate(LLAMA, 8192, "q8_0").kv_cache_bytes == 570_425_344
    assert estimate(LLAMA, 8192, "q4_0").kv_cache_bytes == 301_989_888


def test_estimate_rejects_a_non_positive_context() -> None:
    with pytest.raises(ValueError, match="positive"):
        estimate(LLAMA, 0)


def test_remote_file_uses_the_square_root_guess() -> None:
    shape = ModelShape(file_size=4_000_000_000)
    assert not shape.knows_kv_layout
    # 3 × √4e9 = 189,736.66 bytes per token at f16; q8_0 is 17/32 of that.
    assert kv_bytes_per_token(shape) == 189_737
    assert kv_bytes_per_token(shape, "q8_0") == 100_798
    result = estimate(shape, 1000)
    assert result.kv_cache_bytes == 189_737_000
    assert result.overhead_bytes == 150 * MIB + 1000 * 512 * 32 * 4


@pytest.mark.parametrize(("available", "verdict"), [
    (4_000_000_000, Fit.FITS),     # 2.77 GB ≤ 75 % of 4 GB (3 GB)
    (3_500_000_000, Fit.TIGHT),    # above 2.625 GB, below 3.5 GB
    (2_767_899_136, Fit.TIGHT),    # exactly all of it
    (2_500_000_000, Fit.WONT_FIT),
])
def test_fit(available: int, verdict: Fit) -> None:
    assert fit(estimate(LLAMA, 8192), available) == verdict


def test_fit_boundary_is_three_quarters() -> None:
    needed = MemoryEstimate(0, 0, 0, 750)
    assert fit(needed, 1000) == Fit.FITS
    assert fit(MemoryEstimate(0, 0, 0, 751), 1000) == Fit.TIGHT


@pytest.mark.parametrize(("trained", "cap", "expected"), [
    (131072, 8192, [8192, 4096, 2048, 1024, 512]),
    (3000, 8192, [3000, 2048, 1024, 512]),
    (None, 4096, [4096, 2048, 1024, 512]),
    (256, 8192, [512]),
    (8192, 6000, [6000, 4096, 2048, 1024, 512]),
])
def test_context_candidates(trained: int | None, cap: int, expected: list[int]) -> None:
    assert context_candidates(trained, cap) == expected


def test_default_context_follows_available_memory() -> None:
    # total(n) = 1e9 + 150 MiB + n × (131,072 KV + 65,536 scratch) = 1,157,286,400 + 196,608 n.
    # With 2 GB available, 75 % is 1.5e9, so n ≤ 1743: the largest candidate is 1024.
    assert default_context(LLAMA, 2_000_000_000) == 1024
    assert default_context(LLAMA, 16_000_000_000) == 8192
    # 75 % of 16 GB allows n ≤ 55,150: with a higher cap, 32768.
    assert default_context(LLAMA, 16_000_000_000, cap=131072) == 32768
    assert default_context(LLAMA, 100_000_000) == 512


def test_default_context_never_exceeds_the_trained_context() -> None:
    short = ModelShape(file_size=LLAMA.file_size, block_count=32, head_count=32,
                       head_count_kv=8, key_length=128, value_length=128, context_length=2048)
    assert default_context(short, 64_000_000_000) == 2048


def test_demo_model_estimate(demo_model_path: Path) -> None:
    info = read_gguf_info(demo_model_path)
    shape = ModelShape.from_info(info)
    result = estimate(shape, 8192)
    # 18 layers × 1 KV head × (256 + 256) × 2 bytes × 8192 tokens.
    assert result.kv_cache_bytes == 150_994_944
    assert result.weights_bytes == 253_113_024
    assert result.overhead_bytes == 150 * MIB + 8192 * 512 * 4 * 4
    assert result.total_bytes == 628_503_232
    assert default_context(info, 8 * 1024**3) == 8192
    assert default_context(info, 8 * 1024**3, cap=1 << 20) == 32768  # its trained context
