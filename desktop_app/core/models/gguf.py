"""Validate a GGUF file's header and read the facts the app shows and plans with.

Every GGUF file Hearth touches comes from somewhere it does not control: a
download that may have stopped half way, a file the user picked, another
app's cache. So this reader trusts nothing in the file. Each count and length
is checked against the bytes that remain before anything is read or
allocated (a tensor count of 2^63 fails at once with a sentence, instead of
an attempt to build a list that long), the metadata section is capped, and
big arrays (a tokenizer's 262,144 token strings) are walked to validate
their lengths but never turned into Python lists. Finally every tensor's
data must lie inside the file, which is what catches an incomplete download.

The checks follow llama.cpp's own loader (``ggml/src/gguf.cpp``), so a file
that passes here is one llama.cpp will accept, and a file that fails gets a
message a user can act on instead of a crash in the engine process.

The file is read through a read-only memory map: only the pages the header
touches are read from disk, so the 253 MB demo model is checked in a few
tens of milliseconds.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import struct
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from pathlib import Path
from typing import TypeVar

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
DEFAULT_ALIGNMENT = 32
GGML_MAX_DIMS = 4
GGML_MAX_NAME = 64
"""Tensor names must be shorter than this (llama.cpp keeps them in a char[64])."""

MAX_METADATA_BYTES = 64 * 1024 * 1024
"""Cap on the key/value section. Real models need a few MB (a 262k-token
vocabulary is about 5 MB); anything past this is a corrupt or hostile file."""

MAX_TENSORS = 1_000_000
"""Far above any real model (a large MoE file holds a few thousand), so the
per-tensor loop stays bounded even for a huge file of garbage."""

MAX_ARRAY_NESTING = 4
SMALL_ARRAY = 64
"""Arrays up to this many scalars are decoded (per-layer head counts); longer ones are skipped."""

_INT64_MAX = 2**63 - 1
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")

MetadataValue = int | float | bool | str
_T = TypeVar("_T")
"""A metadata value kept in :attr:`GGUFInfo.metadata`: arrays are not kept."""


@dataclass(frozen=True)
class GGMLType:
    """A tensor data type: ``block_size`` values are stored in ``type_size`` bytes."""

    id: int
    name: str
    block_size: int
    type_size: int


# ggml's types (ggml.h ``enum ggml_type``) with their block and byte sizes
# (``GGML_QUANT_SIZES`` in gguf-py). Ids 4, 5 and 31-33, 36-38 were removed
# from ggml; files using them cannot be loaded and are rejected as unknown.
GGML_TYPES: dict[int, GGMLType] = {t.id: t for t in (
    GGMLType(0, "F32", 1, 4),
    GGMLType(1, "F16", 1, 2),
    GGMLType(2, "Q4_0", 32, 18),
    GGMLType(3, "Q4_1", 32, 20),
    GGMLType(6, "Q5_0", 32, 22),
    GGMLType(7, "Q5_1", 32, 24),
    GGMLType(8, "Q8_0", 32, 34),
    GGMLType(9, "Q8_1", 32, 40),
    GGMLType(10, "Q2_K", 256, 84),
    GGMLType(11, "Q3_K", 256, 110),
    GGMLType(12, "Q4_K", 256, 144),
    GGMLType(13, "Q5_K", 256, 176),
    GGMLType(14, "Q6_K", 256, 210),
    GGMLType(15, "Q8_K", 256, 292),
    GGMLType(16, "IQ2_XXS", 256, 66),
    GGMLType(17, "IQ2_XS", 256, 74),
    GGMLType(18, "IQ3_XXS", 256, 98),
    GGMLType(19, "IQ1_S", 256, 50),
    GGMLType(20, "IQ4_NL", 32, 18),
    GGMLType(21, "IQ3_S", 256, 110),
    GGMLType(22, "IQ2_S", 256, 82),
    GGMLType(23, "IQ4_XS", 256, 136),
    GGMLType(24, "I8", 1, 1),
    GGMLType(25, "I16", 1, 2),
    GGMLType(26, "I32", 1, 4),
    GGMLType(27, "I64", 1, 8),
    GGMLType(28, "F64", 1, 8),
    GGMLType(29, "IQ1_M", 256, 56),
    GGMLType(30, "BF16", 1, 2),
    GGMLType(34, "TQ1_0", 256, 54),
    GGMLType(35, "TQ2_0", 256, 66),
    GGMLType(39, "MXFP4", 32, 17),
    GGMLType(40, "NVFP4", 64, 36),
    GGMLType(41, "Q1_0", 128, 18),
)}

# ``general.file_type`` values (llama.h ``enum llama_ftype``) as users see them
# in file names. Removed values are left out and fall back to the tensor types.
FILE_TYPE_NAMES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
    10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
    16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
    22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
    28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0",
    37: "TQ2_0", 38: "MXFP4_MOE", 39: "NVFP4", 40: "Q1_0",
}


class GGUFError(ValueError):
    """The file is not a usable GGUF model; the message says why in plain words."""


class ValueType(IntEnum):
    """Types of metadata values (``gguf_type`` in gguf.h)."""

    UINT8 = 0
    INT8 = 1
    UINT16 = 2
    INT16 = 3
    UINT32 = 4
    INT32 = 5
    FLOAT32 = 6
    BOOL = 7
    STRING = 8
    ARRAY = 9
    UINT64 = 10
    INT64 = 11
    FLOAT64 = 12


_SCALARS: dict[int, struct.Struct] = {
    ValueType.UINT8: struct.Struct("<B"),
    ValueType.INT8: struct.Struct("<b"),
    ValueType.UINT16: struct.Struct("<H"),
    ValueType.INT16: struct.Struct("<h"),
    ValueType.UINT32: struct.Struct("<I"),
    ValueType.INT32: struct.Struct("<i"),
    ValueType.FLOAT32: struct.Struct("<f"),
    ValueType.BOOL: struct.Struct("<?"),
    ValueType.UINT64: struct.Struct("<Q"),
    ValueType.INT64: struct.Struct("<q"),
    ValueType.FLOAT64: struct.Struct("<d"),
}

# The fewest bytes one array element of each kind can take; used to reject
# counts that cannot fit in what is left of the file before walking them.
_MIN_ELEMENT_BYTES: dict[int, int] = {
    **{t: s.size for t, s in _SCALARS.items()},
    ValueType.STRING: 8,
    ValueType.ARRAY: 12,
}


@dataclass(frozen=True)
class GGUFInfo:
    """What Hearth knows about a model file after validating its header.

    Fields that a file may leave out are ``None``; ``key_length`` and
    ``value_length`` fall back to embedding_length / head_count as llama.cpp
    does. ``metadata`` keeps every scalar and string value (arrays are
    validated but not kept) for details views.
    """

    version: int
    architecture: str
    name: str | None
    size_label: str
    parameter_count: int
    file_type: int | None
    quantization: str
    context_length: int | None
    block_count: int | None
    embedding_length: int | None
    head_count: int | None
    head_count_kv: int | None
    key_length: int | None
    value_length: int | None
    chat_template: str | None
    bos_token_id: int | None
    eos_token_id: int | None
    bos_token: str | None
    eos_token: str | None
    tensor_count: int
    file_size: int
    alignment: int
    data_offset: int
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict, repr=False,
                                                  compare=False, hash=False)


@dataclass(frozen=True)
class _ArrayRef:
    """Where an array's elements start, so one can be looked up later without a list."""

    element_type: int
    count: int
    start: int


@dataclass(frozen=True)
class _Tensor:
    name: str
    ggml_type: GGMLType
    n_elements: int
    n_bytes: int
    n_dims: int
    offset: int
    info_pos: int


class _Reader:
    """A bounds-checked cursor over the mapped file.

    ``limit`` is where the current section may end (the metadata cap);
    reads past the file's end are reported as an incomplete download, reads
    past the cap as corruption.
    """

    def __init__(self, buf: mmap.mmap | bytes, size: int) -> None:
        self.buf = buf
        self.size = size
        self.pos = 0
        self.limit = size

    def need(self, n: int, what: str) -> None:
        end = self.pos + n
        if end > self.size:
            raise GGUFError(f"incomplete download: the file ends at byte {self.size} but "
                            f"{what} needs bytes up to {end}")
        if end > self.limit:
            raise GGUFError(f"corrupted at byte {self.pos}: {what} would make the metadata "
                            f"larger than {MAX_METADATA_BYTES // (1024 * 1024)} MiB")

    def check_count(self, count: int, min_bytes: int, label: str, what: str) -> None:
        """Fail fast when ``count`` items of at least ``min_bytes`` each cannot fit.

        ``count`` was just read as a u64; ``label`` names it ("the tensor
        count"), ``what`` names the data it counts. A count beyond anything
        real is corruption; a plausible one that runs past the end of the
        file is an incomplete download.
        """
        at = self.pos - 8
        room = (min(self.size, self.limit) - self.pos) // min_bytes
        if count <= room:
            return
        if count > 2**32 or count * min_bytes > MAX_METADATA_BYTES + self.size:
            raise GGUFError(f"corrupted at byte {at}: {label} is {count}, but the file has "
                            f"room for at most {max(room, 0)}")
        self.need(count * min_bytes, what)

    def u32(self, what: str) -> int:
        self.need(4, what)
        (value,) = _U32.unpack_from(self.buf, self.pos)
        self.pos += 4
        return int(value)

    def u64(self, what: str) -> int:
        self.need(8, what)
        (value,) = _U64.unpack_from(self.buf, self.pos)
        self.pos += 8
        return int(value)

    def string(self, what: str) -> str:
        start = self.pos
        length = self.u64(f"the length of {what}")
        self.check_count(length, 1, f"the length of {what}", what)
        self.need(length, what)
        raw = bytes(self.buf[self.pos:self.pos + length])
        self.pos += length
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise GGUFError(f"corrupted at byte {start}: {what} is not valid UTF-8 text") from None

    def skip_strings(self, count: int, what: str) -> None:
        """Walk ``count`` strings, checking each length, without decoding them."""
        self.check_count(count, 8, f"the length of {what}", what)
        buf, end, pos = self.buf, min(self.size, self.limit), self.pos
        unpack = _U64.unpack_from
        for index in range(count):
            if pos + 8 > end:
                self.pos = pos
                self.need(8, f"item {index} of {what}")
            (length,) = unpack(buf, pos)
            pos += 8
            if pos + length > end:
                self.pos = pos
                self.check_count(length, 1, f"the length of item {index} of {what}",
                                 f"item {index} of {what}")
                self.need(length, f"item {index} of {what}")
            pos += length
        self.pos = pos


def _align(offset: int, alignment: int) -> int:
    return offset + (-offset % alignment)


def _read_value(r: _Reader, value_type: int, key: str, depth: int = 0
                ) -> MetadataValue | tuple[MetadataValue, ...] | _ArrayRef:
    """Read one value; long arrays come back as an :class:`_ArrayRef` (validated, skipped)."""
    scalar = _SCALARS.get(value_type)
    if scalar is not None:
        r.need(scalar.size, f"the value of {key!r}")
        (value,) = scalar.unpack_from(r.buf, r.pos)
        r.pos += scalar.size
        return value  # type: ignore[no-any-return]
    if value_type == ValueType.STRING:
        return r.string(f"the value of {key!r}")
    if value_type != ValueType.ARRAY:
        raise GGUFError(f"corrupted at byte {r.pos - 4}: the value of {key!r} has unknown "
                        f"type {value_type}")
    if depth >= MAX_ARRAY_NESTING:
        raise GGUFError(f"corrupted at byte {r.pos}: the value of {key!r} nests arrays more "
                        f"than {MAX_ARRAY_NESTING} deep")
    type_pos = r.pos
    element_type = r.u32(f"the element type of {key!r}")
    count = r.u64(f"the length of {key!r}")
    if element_type not in _MIN_ELEMENT_BYTES:
        raise GGUFError(f"corrupted at byte {type_pos}: the array {key!r} has unknown "
                        f"element type {element_type}")
    r.check_count(count, _MIN_ELEMENT_BYTES[element_type], f"the length of {key!r}",
                  f"the array {key!r}")
    ref = _ArrayRef(element_type, count, r.pos)
    element = _SCALARS.get(element_type)
    if element is not None:
        r.need(count * element.size, f"the array {key!r}")
        if count <= SMALL_ARRAY:
            values = tuple(element.unpack_from(r.buf, r.pos + i * element.size)[0]
                           for i in range(count))
            r.pos += count * element.size
            return values
        r.pos += count * element.size
    elif element_type == ValueType.STRING:
        r.skip_strings(count, f"the array {key!r}")
    else:
        # An array of arrays: each element is itself (element type, count, items).
        for _ in range(count):
            _read_value(r, ValueType.ARRAY, key, depth + 1)
    return ref


def _read_header(r: _Reader) -> tuple[int, int, int]:
    if r.size == 0:
        raise GGUFError("not a GGUF file: the file is empty")
    if r.size < 4:
        raise GGUFError(f"not a GGUF file: it is only {r.size} bytes long")
    magic = bytes(r.buf[0:4])
    if magic == b"FUGG":
        raise GGUFError("this is a big-endian GGUF file; Hearth and llama.cpp on this "
                        "computer need the little-endian version of the model")
    if magic != GGUF_MAGIC:
        raise GGUFError("not a GGUF file: it does not start with 'GGUF'")
    r.pos = 4
    version = r.u32("the format version")
    if version & 0xFFFF == 0 and (version >> 24) in (1, *SUPPORTED_VERSIONS):
        raise GGUFError("this is a big-endian GGUF file; Hearth and llama.cpp on this "
                        "computer need the little-endian version of the model")
    if version == 1:
        raise GGUFError("this GGUF file uses format version 1, which llama.cpp no longer "
                        "reads; download a newer conversion of the model")
    if version not in SUPPORTED_VERSIONS:
        raise GGUFError(f"corrupted at byte 4: unknown GGUF format version {version}")
    tensor_count = r.u64("the tensor count")
    # A tensor entry takes at least 24 bytes, a key/value pair at least 13.
    r.check_count(tensor_count, 24, "the tensor count", "the tensor list")
    if tensor_count > MAX_TENSORS:
        raise GGUFError(f"corrupted at byte 8: the tensor count is {tensor_count}, more than "
                        f"any model has ({MAX_TENSORS})")
    kv_count = r.u64("the metadata count")
    r.check_count(kv_count, 13, "the metadata count", "the metadata")
    return version, tensor_count, kv_count


def _read_metadata(r: _Reader, kv_count: int
                   ) -> tuple[dict[str, MetadataValue], dict[str, tuple[MetadataValue, ...]],
                              dict[str, _ArrayRef]]:
    scalars: dict[str, MetadataValue] = {}
    small_arrays: dict[str, tuple[MetadataValue, ...]] = {}
    arrays: dict[str, _ArrayRef] = {}
    seen: set[str] = set()
    r.limit = r.pos + MAX_METADATA_BYTES
    for index in range(kv_count):
        key_pos = r.pos
        key = r.string(f"metadata key {index}")
        if key in seen:
            raise GGUFError(f"corrupted at byte {key_pos}: metadata key {key!r} appears twice")
        seen.add(key)
        value_type = r.u32(f"the type of {key!r}")
        value = _read_value(r, value_type, key)
        if isinstance(value, _ArrayRef):
            arrays[key] = value
        elif isinstance(value, tuple):
            small_arrays[key] = value
        else:
            scalars[key] = value
    r.limit = r.size
    return scalars, small_arrays, arrays


def _read_tensor_infos(r: _Reader, tensor_count: int) -> list[_Tensor]:
    tensors: list[_Tensor] = []
    names: set[str] = set()
    for index in range(tensor_count):
        info_pos = r.pos
        name = r.string(f"the name of tensor {index}")
        if len(name.encode("utf-8")) >= GGML_MAX_NAME:
            raise GGUFError(f"corrupted at byte {info_pos}: tensor name {name[:80]!r} is longer "
                            f"than {GGML_MAX_NAME - 1} bytes")
        if name in names:
            raise GGUFError(f"corrupted at byte {info_pos}: tensor {name!r} appears twice")
        names.add(name)
        n_dims = r.u32(f"the dimension count of tensor {name!r}")
        if n_dims > GGML_MAX_DIMS:
            raise GGUFError(f"corrupted at byte {r.pos - 4}: tensor {name!r} has {n_dims} "
                            f"dimensions (at most {GGML_MAX_DIMS} are possible)")
        dims = [r.u64(f"the shape of tensor {name!r}") for _ in range(n_dims)]
        n_elements = 1
        for dim in dims:
            n_elements *= dim
        if any(d > _INT64_MAX for d in dims) or n_elements > _INT64_MAX:
            raise GGUFError(f"corrupted at byte {info_pos}: tensor {name!r} has an impossible "
                            f"shape {dims}")
        type_pos = r.pos
        type_id = r.u32(f"the type of tensor {name!r}")
        ggml_type = GGML_TYPES.get(type_id)
        if ggml_type is None:
            raise GGUFError(f"corrupted at byte {type_pos}: tensor {name!r} has unknown data "
                            f"type {type_id} (a newer llama.cpp may know it)")
        row = dims[0] if dims else 1
        if row % ggml_type.block_size:
            raise GGUFError(f"corrupted at byte {info_pos}: tensor {name!r} of type "
                            f"{ggml_type.name} has rows of {row} values, not a multiple of "
                            f"its block size {ggml_type.block_size}")
        n_bytes = n_elements // ggml_type.block_size * ggml_type.type_size
        offset = r.u64(f"the data offset of tensor {name!r}")
        tensors.append(_Tensor(name, ggml_type, n_elements, n_bytes, n_dims, offset, info_pos))
    return tensors


def _check_tensor_data(tensors: list[_Tensor], data_offset: int, alignment: int,
                       file_size: int) -> None:
    """Tensors must be packed in order at aligned offsets and end inside the file."""
    expected = 0
    for t in tensors:
        if t.offset != expected:
            raise GGUFError(f"corrupted at byte {t.info_pos}: tensor {t.name!r} claims data "
                            f"offset {t.offset}, but the tensors before it end at {expected}")
        end = data_offset + t.offset + t.n_bytes
        if end > file_size:
            raise GGUFError(f"incomplete download: the file ends at byte {file_size} but "
                            f"tensor {t.name!r} needs bytes up to {end}")
        expected += _align(t.n_bytes, alignment)


def _int(scalars: Mapping[str, MetadataValue], key: str) -> int | None:
    value = scalars.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _int_or_max(scalars: Mapping[str, MetadataValue],
                small_arrays: Mapping[str, tuple[MetadataValue, ...]], key: str) -> int | None:
    """An int, or the largest of a per-layer array of ints (upper bound for memory planning)."""
    value = _int(scalars, key)
    if value is not None:
        return value
    values = [v for v in small_arrays.get(key, ())
              if isinstance(v, int) and not isinstance(v, bool)]
    return max(values) if values else None


def format_parameter_count(count: int) -> str:
    """A size label like the ones model cards use: 268M, 1.5B, 70B."""
    if count < 1_000_000:
        return f"{max(count // 1000, 1)}K" if count >= 1000 else str(count)
    if count < 1_000_000_000:
        return f"{round(count / 1e6)}M"
    billions = count / 1e9
    return f"{billions:.1f}".rstrip("0").rstrip(".") + "B"


def _quantization(file_type: int | None, tensors: list[_Tensor]) -> str:
    if file_type is not None and file_type in FILE_TYPE_NAMES:
        return FILE_TYPE_NAMES[file_type]
    weights: Counter[str] = Counter()
    for t in tensors:
        if t.n_dims >= 2:
            weights[t.ggml_type.name] += t.n_elements
    if not weights:
        return "unknown"
    return weights.most_common(1)[0][0]


def _token_texts(r: _Reader, ref: _ArrayRef | None, wanted: set[int]) -> dict[int, str]:
    """Look up a few entries of the token array by id, walking it once and keeping only those."""
    if ref is None or ref.element_type != ValueType.STRING:
        return {}
    wanted = {i for i in wanted if 0 <= i < ref.count}
    found: dict[int, str] = {}
    if not wanted:
        return found
    pos, last = ref.start, max(wanted)
    for index in range(last + 1):
        (length,) = _U64.unpack_from(r.buf, pos)
        pos += 8
        if index in wanted:
            found[index] = bytes(r.buf[pos:pos + length]).decode("utf-8", errors="replace")
        pos += length
    return found


@dataclass
class _Structure:
    """A GGUF file's validated layout: what every file, including a split part, must have."""

    reader: _Reader
    version: int
    scalars: dict[str, MetadataValue]
    small_arrays: dict[str, tuple[MetadataValue, ...]]
    arrays: dict[str, _ArrayRef]
    tensors: list[_Tensor]
    alignment: int
    data_offset: int


def _structure(buf: mmap.mmap | bytes, file_size: int) -> _Structure:
    r = _Reader(buf, file_size)
    version, tensor_count, kv_count = _read_header(r)
    scalars, small_arrays, arrays = _read_metadata(r, kv_count)
    tensors = _read_tensor_infos(r, tensor_count)

    alignment = _int(scalars, "general.alignment")
    if alignment is None:
        alignment = DEFAULT_ALIGNMENT
    elif alignment <= 0 or alignment & (alignment - 1):
        raise GGUFError(f"corrupted: general.alignment is {alignment}, not a power of two")
    data_offset = _align(r.pos, alignment)
    _check_tensor_data(tensors, data_offset, alignment, file_size)
    return _Structure(r, version, scalars, small_arrays, arrays, tensors, alignment, data_offset)


def _parse(buf: mmap.mmap | bytes, file_size: int) -> GGUFInfo:
    s = _structure(buf, file_size)
    r, version, scalars, small_arrays, arrays, tensors = (
        s.reader, s.version, s.scalars, s.small_arrays, s.arrays, s.tensors)
    tensor_count, alignment, data_offset = len(tensors), s.alignment, s.data_offset

    arch = scalars.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise GGUFError("this GGUF file does not say which model architecture it holds "
                        "(general.architecture), so it cannot be loaded as a model")
    parameter_count = sum(t.n_elements for t in tensors)
    size_label = scalars.get("general.size_label")
    if not isinstance(size_label, str) or not size_label.strip():
        size_label = format_parameter_count(parameter_count)
    name = scalars.get("general.name")
    embedding = _int(scalars, f"{arch}.embedding_length")
    heads = _int_or_max(scalars, small_arrays, f"{arch}.attention.head_count")
    heads_kv = _int_or_max(scalars, small_arrays, f"{arch}.attention.head_count_kv")
    if heads_kv is None:
        heads_kv = heads
    head_dim = embedding // heads if embedding and heads else None
    key_length = _int(scalars, f"{arch}.attention.key_length") or head_dim
    value_length = _int(scalars, f"{arch}.attention.value_length") or head_dim
    template = scalars.get("tokenizer.chat_template")
    bos_id = _int(scalars, "tokenizer.ggml.bos_token_id")
    eos_id = _int(scalars, "tokenizer.ggml.eos_token_id")
    texts = _token_texts(r, arrays.get("tokenizer.ggml.tokens"),
                         {i for i in (bos_id, eos_id) if i is not None})
    file_type = _int(scalars, "general.file_type")
    return GGUFInfo(
        version=version,
        architecture=arch,
        name=name.strip() or None if isinstance(name, str) else None,
        size_label=size_label.strip(),
        parameter_count=parameter_count,
        file_type=file_type,
        quantization=_quantization(file_type, tensors),
        context_length=_int(scalars, f"{arch}.context_length"),
        block_count=_int(scalars, f"{arch}.block_count"),
        embedding_length=embedding,
        head_count=heads,
        head_count_kv=heads_kv,
        key_length=key_length,
        value_length=value_length,
        chat_template=template if isinstance(template, str) and template.strip() else None,
        bos_token_id=bos_id,
        eos_token_id=eos_id,
        bos_token=texts.get(bos_id) if bos_id is not None else None,
        eos_token=texts.get(eos_id) if eos_id is not None else None,
        tensor_count=tensor_count,
        file_size=file_size,
        alignment=alignment,
        data_offset=data_offset,
        metadata=scalars,
    )


def _read(path: str | os.PathLike[str], parse: Callable[[mmap.mmap | bytes, int], _T]) -> _T:
    with Path(path).open("rb") as file:
        file_size = os.fstat(file.fileno()).st_size
        if file_size == 0:
            return parse(b"", 0)
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            return parse(buf, file_size)


@dataclass(frozen=True)
class Vocabulary:
    """What two models must agree on for one to draft tokens for the other."""

    size: int
    tokens_sha256: str
    bos_id: int | None
    eos_id: int | None


def _vocabulary(buf: mmap.mmap | bytes, file_size: int) -> Vocabulary | None:
    s = _structure(buf, file_size)
    ref = s.arrays.get("tokenizer.ggml.tokens")
    if ref is None or ref.element_type != ValueType.STRING:
        return None
    # The reader already walked and bounds-checked these strings; walk them again
    # to find where the array ends, then hash its bytes in one go.
    pos = ref.start
    for _ in range(ref.count):
        (length,) = _U64.unpack_from(buf, pos)
        pos += 8 + length
    digest = hashlib.sha256(memoryview(buf)[ref.start:pos]).hexdigest()
    return Vocabulary(ref.count, digest, _int(s.scalars, "tokenizer.ggml.bos_token_id"),
                      _int(s.scalars, "tokenizer.ggml.eos_token_id"))


def read_vocabulary(path: str | os.PathLike[str]) -> Vocabulary | None:
    """The vocabulary of the model at ``path`` (its first part), or None if it has none.

    Raises ``OSError`` or :class:`GGUFError`.
    """
    return _read(path, _vocabulary)


def read_gguf_info(path: str | os.PathLike[str]) -> GGUFInfo:
    """Validate ``path`` as a GGUF model and return its facts; raises :class:`GGUFError`.

    Problems opening the file (missing, no permission) surface as ``OSError``.
    """
    return _read(path, _parse)


def _split_index(scalars: Mapping[str, MetadataValue], name: str, index: int, count: int) -> None:
    """A split file must say it is part ``index`` (0-based) of ``count``, if it says anything."""
    number, total = _int(scalars, "split.no"), _int(scalars, "split.count")
    if (number is not None and number != index) or (total is not None and total != count):
        said = f"part {number + 1 if number is not None else '?'} of {total or '?'}"
        raise GGUFError(f"{name} says it is {said}, but its name makes it part {index + 1} of "
                        f"{count}: the parts do not belong together")


def read_model_info(parts: Sequence[str | os.PathLike[str]]) -> GGUFInfo:
    """Validate every file of a model (one, or all parts of a split model) and return its facts.

    Part 1 holds the model's metadata; parts 2 and later (llama.cpp's
    ``gguf-split`` writes only ``split.*`` keys in them) get the same bounded
    header, metadata and tensor checks, which is what catches a truncated or
    foreign later part before llama.cpp reads it. The parameter count covers
    all parts. Raises :class:`GGUFError` naming the bad part, ``OSError`` when
    a part cannot be opened.
    """
    if not parts:
        raise ValueError("a model has at least one file")
    first = Path(parts[0])
    info = read_gguf_info(first)
    if len(parts) == 1:
        return info
    count = len(parts)
    _split_index(info.metadata, first.name, 0, count)
    tensors, parameters = info.tensor_count, info.parameter_count
    for index, part in enumerate(parts[1:], start=1):
        name = Path(part).name
        try:
            s = _read(part, _structure)
        except GGUFError as exc:
            raise GGUFError(f"part {index + 1} of {count} ({name}) is unusable: {exc}") from exc
        _split_index(s.scalars, name, index, count)
        tensors += len(s.tensors)
        parameters += sum(t.n_elements for t in s.tensors)
    expected = _int(info.metadata, "split.tensors.count")
    if expected is not None and expected != tensors:
        raise GGUFError(f"the {count} parts hold {tensors} tensors, but part 1 promises "
                        f"{expected}: a part is missing or foreign")
    label = info.size_label if "general.size_label" in info.metadata else (
        format_parameter_count(parameters))
    return replace(info, parameter_count=parameters, size_label=label)
