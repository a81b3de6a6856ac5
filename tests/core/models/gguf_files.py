"""Write small GGUF files, valid or deliberately broken, for the validator's tests.

The writer is our own (not gguf-py's) so a test can put any byte anywhere: a
count of 2^63, a string length past the end, a tensor with 99 dimensions.
:func:`build_gguf` lays out a file exactly as the format does; the keyword
arguments override one field each.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# gguf value types
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, \
    FLOAT64 = range(13)

_SCALAR_FORMATS = {UINT8: "<B", INT8: "<b", UINT16: "<H", INT16: "<h", UINT32: "<I",
                   INT32: "<i", FLOAT32: "<f", BOOL: "<?", UINT64: "<Q", INT64: "<q",
                   FLOAT64: "<d"}

# ggml type id -> (block size, bytes per block), for the types the tests use.
F32, F16, Q4_0, Q8_0, Q4_K, Q6_K = 0, 1, 2, 8, 12, 14
_TYPE_SIZES = {F32: (1, 4), F16: (1, 2), Q4_0: (32, 18), Q8_0: (32, 34), Q4_K: (256, 144),
               Q6_K: (256, 210)}


def gguf_string(text: str | bytes) -> bytes:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return struct.pack("<Q", len(raw)) + raw


def encode_value(value_type: int, value: Any) -> bytes:
    """The bytes of one value; an ARRAY value is ``(element_type, [items])``."""
    if value_type in _SCALAR_FORMATS:
        return struct.pack(_SCALAR_FORMATS[value_type], value)
    if value_type == STRING:
        return gguf_string(value)
    if value_type == ARRAY:
        element_type, items = value
        body = b"".join(encode_value(element_type, item) for item in items)
        return struct.pack("<IQ", element_type, len(items)) + body
    raise ValueError(f"no encoding for value type {value_type}")


@dataclass
class KV:
    key: str
    value_type: int
    value: Any = None
    raw: bytes | None = None
    """Bytes written after the type instead of the encoded value (to break things)."""

    def encode(self) -> bytes:
        body = self.raw if self.raw is not None else encode_value(self.value_type, self.value)
        return gguf_string(self.key) + struct.pack("<I", self.value_type) + body


@dataclass
class Tensor:
    name: str
    dims: Sequence[int]
    ggml_type: int = F32
    offset: int | None = None
    """Data offset; None places it after the previous tensor, aligned."""
    n_dims: int | None = None
    """Dimension count written to the file; None writes len(dims)."""

    def n_bytes(self) -> int:
        block, size = _TYPE_SIZES[self.ggml_type]
        n = 1
        for d in self.dims:
            n *= d
        return n // block * size


def _align(n: int, alignment: int) -> int:
    return n + (-n % alignment)


TOKENS = ["<unk>", "<s>", "</s>", "hello", "world", "▁the", "!"]


def model_metadata(*, arch: str = "llama", context_length: int = 4096, chat_template: str | None
                   = None, tokens: Sequence[str] = TOKENS, bos: int | None = 1, eos: int | None = 2,
                   file_type: int | None = 15, extra: Sequence[KV] = ()) -> list[KV]:
    """Metadata of a plausible small model: 2 layers, 64-wide, 4 heads, 2 KV heads."""
    kvs = [
        KV("general.architecture", STRING, arch),
        KV("general.name", STRING, "Tiny Test"),
        KV(f"{arch}.context_length", UINT32, context_length),
        KV(f"{arch}.block_count", UINT32, 2),
        KV(f"{arch}.embedding_length", UINT32, 64),
        KV(f"{arch}.attention.head_count", UINT32, 4),
        KV(f"{arch}.attention.head_count_kv", UINT32, 2),
        KV("tokenizer.ggml.model", STRING, "llama"),
        KV("tokenizer.ggml.tokens", ARRAY, (STRING, list(tokens))),
        KV("tokenizer.ggml.scores", ARRAY, (FLOAT32, [0.0] * len(tokens))),
    ]
    if file_type is not None:
        kvs.append(KV("general.file_type", UINT32, file_type))
    if bos is not None:
        kvs.append(KV("tokenizer.ggml.bos_token_id", UINT32, bos))
    if eos is not None:
        kvs.append(KV("tokenizer.ggml.eos_token_id", UINT32, eos))
    if chat_template is not None:
        kvs.append(KV("tokenizer.chat_template", STRING, chat_template))
    kvs.extend(extra)
    return kvs


def model_tensors() -> list[Tensor]:
    return [
        Tensor("token_embd.weight", [64, 7], F32),
        Tensor("blk.0.attn_q.weight", [256, 64], Q4_K),
        Tensor("blk.0.attn_k.weight", [256, 32], Q4_K),
        Tensor("blk.0.ffn_down.weight", [256, 8], Q6_K),
        Tensor("output_norm.weight", [64], F32),
    ]


def build_gguf(metadata: Sequence[KV] | None = None, tensors: Sequence[Tensor] | None = None, *,
               magic: bytes = b"GGUF", version: int = 3, alignment: int = 32,
               tensor_count: int | None = None, kv_count: int | None = None,
               cut_data: int = 0) -> bytes:
    """A whole GGUF file as bytes; ``cut_data`` drops that many bytes from the end."""
    kvs = model_metadata() if metadata is None else list(metadata)
    tensors = model_tensors() if tensors is None else list(tensors)
    header = magic + struct.pack("<I", version)
    header += struct.pack("<QQ", len(tensors) if tensor_count is None else tensor_count,
                          len(kvs) if kv_count is None else kv_count)
    header += b"".join(kv.encode() for kv in kvs)
    running = 0
    data_parts: list[bytes] = []
    for t in tensors:
        offset = running if t.offset is None else t.offset
        n_dims = len(t.dims) if t.n_dims is None else t.n_dims
        header += gguf_string(t.name) + struct.pack("<I", n_dims)
        header += b"".join(struct.pack("<Q", d) for d in t.dims)
        header += struct.pack("<IQ", t.ggml_type, offset)
        size = t.n_bytes()
        padded = _align(size, alignment)
        data_parts.append(bytes(range(256)) * (size // 256) + bytes(size % 256)
                          + bytes(padded - size))
        running += padded
    header += bytes(_align(len(header), alignment) - len(header))
    blob = header + b"".join(data_parts)
    return blob[:len(blob) - cut_data] if cut_data else blob


def write_gguf(path: Path, *args: Any, **kwargs: Any) -> Path:
    path.write_bytes(build_gguf(*args, **kwargs))
    return path



def write_split_model(folder: Path, stem: str, count: int = 3, *,
                      tensor_total: int | None = None) -> list[Path]:
    """A split model as llama.cpp's gguf-split writes it: all metadata in part 1, then
    parts holding only ``split.*`` keys and their share of the tensors (one each here)."""
    tensors = model_tensors()[:count]
    paths = []
    for index in range(count):
        split_kvs = [KV("split.no", UINT16, index), KV("split.count", UINT16, count),
                     KV("split.tensors.count", INT32,
                        len(tensors) if tensor_total is None else tensor_total)]
        metadata = model_metadata() + split_kvs if index == 0 else split_kvs
        path = folder / f"{stem}-{index + 1:05d}-of-{count:05d}.gguf"
        paths.append(write_gguf(path, metadata, [tensors[index]]))
    return paths
