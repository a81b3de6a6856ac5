"""How much memory a model needs at a given context length, and whether it fits.

Used before a load (to refuse a context that would make the OS kill the
engine), to pick a default context, and to mark search results "fits / tight /
won't fit". The estimate has three parts:

* **Weights**: the GGUF file size. llama.cpp maps the file and touches every
  page of it while generating, so all of it becomes resident.
* **KV cache**: ``n_layers × n_ctx × n_kv_heads × (key_length + value_length)
  × bytes per element`` (2 for f16; 34/32 and 18/32 for the q8_0 and q4_0
  block formats). Sliding-window layers (Gemma 2 and 3) count at full size
  too: the loader keeps their cache full-size (``swa_full``, see ``loader``).
* **Overhead**: :data:`BASE_OVERHEAD_BYTES` for the engine process itself
  (Python, llama.cpp, small buffers) plus the attention scratch buffer of
  the compute graph, ``n_ctx × n_ubatch(512) × n_heads × 4 bytes`` (without
  flash attention llama.cpp materialises one batch's attention scores; with
  it the buffer is smaller, so this errs on the safe side). Measured against
  llama.cpp's own report for Llama 3 8B at 8192 tokens ("compute buffer size
  = 560 MiB") this gives 512 MiB + base.

When only the file size of a remote model is known (no header yet), the KV
cache per token is guessed as :data:`KV_GUESS_FACTOR` × √(file size) bytes.
Checked against Q4_K_M files of current grouped-query-attention models, the
guess is within ±60 % for Llama 3 8B, Mistral 7B and Gemma 3 4B and 27B,
and 3.5× too high for Qwen 2.5 7B (only 4 KV heads); older models without
grouped-query attention (Llama 2 7B) need about 2.7× more than guessed.
The header, once read, replaces the guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from desktop_app.core.models.gguf import GGUFInfo

MIB = 1024**2

BASE_OVERHEAD_BYTES = 150 * MIB
"""The engine process without the model: interpreter, llama.cpp, output and misc buffers."""

N_UBATCH = 512
"""Tokens per compute micro-batch; the loader uses min(n_batch, 512)."""

DEFAULT_HEAD_COUNT = 32
"""Attention heads assumed for the scratch buffer when the header is not known."""

KV_GUESS_FACTOR = 3.0
"""KV bytes per token (f16) ≈ this × √(file size in bytes), for models without a header."""

COMFORTABLE_SHARE = 0.75
"""An estimate above this share of available memory is TIGHT: it fits, but the
rest of the system (browser, the GUI, the page cache) is squeezed and the
OS may start swapping, which makes generation crawl."""

MIN_CONTEXT = 512
"""Smallest default context: a system prompt and one exchange must fit."""

KV_BYTES_PER_ELEMENT: dict[str, Fraction] = {
    "f32": Fraction(4),
    "f16": Fraction(2),
    "bf16": Fraction(2),
    "q8_0": Fraction(34, 32),
    "q5_1": Fraction(24, 32),
    "q5_0": Fraction(22, 32),
    "q4_1": Fraction(20, 32),
    "q4_0": Fraction(18, 32),
    "iq4_nl": Fraction(18, 32),
}
"""Bytes per cached value for each KV cache type llama.cpp accepts."""


@dataclass(frozen=True)
class ModelShape:
    """The facts the estimate needs; ``None`` where they are unknown (a remote file)."""

    file_size: int
    block_count: int | None = None
    head_count: int | None = None
    head_count_kv: int | None = None
    key_length: int | None = None
    value_length: int | None = None
    context_length: int | None = None

    @classmethod
    def from_info(cls, info: GGUFInfo) -> ModelShape:
        return cls(file_size=info.file_size, block_count=info.block_count,
                   head_count=info.head_count, head_count_kv=info.head_count_kv,
                   key_length=info.key_length, value_length=info.value_length,
                   context_length=info.context_length)

    @property
    def knows_kv_layout(self) -> bool:
        return None not in (self.block_count, self.head_count_kv, self.key_length,
                            self.value_length)


@dataclass(frozen=True)
class MemoryEstimate:
    weights_bytes: int
    kv_cache_bytes: int
    overhead_bytes: int
    total_bytes: int


class Fit(StrEnum):
    FITS = "fits"
    TIGHT = "tight"
    WONT_FIT = "wont_fit"


def kv_bytes_per_token(shape: ModelShape, kv_cache_type: str = "f16") -> int:
    """KV cache bytes one token of context costs, across all layers."""
    try:
        per_element = KV_BYTES_PER_ELEMENT[kv_cache_type]
    except KeyError:
        raise ValueError(f"unknown KV cache type {kv_cache_type!r}; expected one of "
                         f"{', '.join(KV_BYTES_PER_ELEMENT)}") from None
    layers, kv_heads = shape.block_count, shape.head_count_kv
    key, value = shape.key_length, shape.value_length
    if layers is not None and kv_heads is not None and key is not None and value is not None:
        return math.ceil(layers * kv_heads * (key + value) * per_element)
    guess_f16 = KV_GUESS_FACTOR * math.sqrt(max(shape.file_size, 0))
    return math.ceil(guess_f16 * float(per_element) / 2)


def estimate(shape: ModelShape, n_ctx: int, kv_cache_type: str = "f16") -> MemoryEstimate:
    """Memory for ``shape`` with a context of ``n_ctx`` tokens; see the module docs."""
    if n_ctx <= 0:
        raise ValueError(f"context length must be positive, got {n_ctx}")
    weights = shape.file_size
    kv = kv_bytes_per_token(shape, kv_cache_type) * n_ctx
    heads = shape.head_count or DEFAULT_HEAD_COUNT
    overhead = BASE_OVERHEAD_BYTES + n_ctx * N_UBATCH * heads * 4
    return MemoryEstimate(weights, kv, overhead, weights + kv + overhead)


def fit(needed: MemoryEstimate, available_bytes: int) -> Fit:
    """FITS up to :data:`COMFORTABLE_SHARE` of available memory, TIGHT up to all of it."""
    if needed.total_bytes <= available_bytes * COMFORTABLE_SHARE:
        return Fit.FITS
    if needed.total_bytes <= available_bytes:
        return Fit.TIGHT
    return Fit.WONT_FIT


def context_candidates(trained: int | None, cap: int) -> list[int]:
    """Contexts to try, largest first: min(cap, trained), then powers of two down to 512."""
    top = max(min(cap, trained) if trained else cap, MIN_CONTEXT)
    candidates = [top]
    size = 1 << (top.bit_length() - 1)
    if size == top:
        size //= 2
    while size >= MIN_CONTEXT:
        candidates.append(size)
        size //= 2
    return candidates


def default_context(info: GGUFInfo | ModelShape, available_bytes: int, cap: int = 8192,
                    kv_cache_type: str = "f16") -> int:
    """The context Auto picks: the largest candidate that fits comfortably, never below 512.

    Capped at ``cap`` (long contexts slow every reply down and most chats are
    short) and at the trained context. When nothing fits comfortably the
    answer is 512 and the load-time check decides whether even that works.
    """
    shape = ModelShape.from_info(info) if isinstance(info, GGUFInfo) else info
    for n_ctx in context_candidates(shape.context_length, cap):
        if fit(estimate(shape, n_ctx, kv_cache_type), available_bytes) == Fit.FITS:
            return n_ctx
    return MIN_CONTEXT
