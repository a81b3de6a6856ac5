"""Quantization names and split-file sets, read from GGUF file names on the Hub.

Before downloading anything, a repository listing is all Hearth knows about a
model, and by convention the quantization is part of the file name
(``Qwen3-4B-Q4_K_M.gguf``, ``model.IQ4_XS.gguf``) and large models are split
into ``name-00001-of-00003.gguf`` parts that llama.cpp loads as one model. This
module turns a flat file list into what the user chooses from: one entry per
model (all its parts), grouped and ordered by quantization.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from desktop_app.core.memory_estimate import Fit, ModelShape, estimate, fit
from desktop_app.core.models.split_files import SplitName, split_name, without_split_suffix

# Smallest to largest within each family. Legacy and k-quants first, then the
# unquantized formats, then the i-quants (which need an importance matrix and
# are usually picked on purpose), as the issue orders them.
_K_AND_LEGACY = (
    "Q2_K", "Q2_K_S", "Q2_K_L", "Q3_K_S", "Q3_K_M", "Q3_K", "Q3_K_L", "Q3_K_XL",
    "Q4_0", "Q4_1", "Q4_K_S", "Q4_K", "Q4_K_M", "Q4_K_L", "Q4_K_XL",
    "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8",
    "Q5_0", "Q5_1", "Q5_K_S", "Q5_K", "Q5_K_M", "Q5_K_L", "Q5_K_XL",
    "Q6_K", "Q6_K_L", "Q6_K_XL", "Q8_0", "Q8_K_XL",
)
_FLOAT = ("F16", "BF16", "F32")
_IQ = (
    "IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "IQ3_XXS", "IQ3_XS", "IQ3_S",
    "IQ3_M", "IQ4_XS", "IQ4_NL",
)
_ORDER = {name: index for index, name in enumerate(_K_AND_LEGACY + _FLOAT + _IQ)}

# A quantization token stands between separators ("-", "_", "." or the start)
# and the ".gguf" suffix or another separator. Longest alternatives come first
# in each branch so "Q4_K_M" wins over "Q4_K".
_QUANT_RE = re.compile(
    r"(?:^|[-_.])("
    r"IQ[1-4]_(?:XXS|XS|NL|S|M)"
    r"|TQ[12]_0"
    r"|MXFP4(?:_MOE)?"
    r"|Q[2-8]_K(?:_(?:XL|S|M|L))?"
    r"|Q4_0_[48]_[48]"
    r"|Q[4-8]_[01]"
    r"|BF16|F16|F32|FP16|FP32"
    r")(?=$|[-_.])",
    re.IGNORECASE,
)
_ALIASES = {"FP16": "F16", "FP32": "F32"}

UNKNOWN_QUANT = "other"
"""Group name for files whose name carries no recognizable quantization."""


def quant_of(filename: str) -> str | None:
    """The quantization named in a GGUF file name, upper-cased, or ``None``.

    The last match wins because repositories put the quantization at the end
    (``Meta-Llama-3-8B-Q4_K_M.gguf``) while model names may contain
    look-alikes earlier.
    """
    name = without_split_suffix(PurePosixPath(filename).name)
    name = re.sub(r"\.gguf$", "", name, flags=re.IGNORECASE)
    matches = _QUANT_RE.findall(name)
    if not matches:
        return None
    token = str(matches[-1]).upper()
    return _ALIASES.get(token, token)


def quant_sort_key(quant: str | None) -> tuple[int, int, str]:
    """Order quantizations Q2_K … Q8_0, F16, BF16, F32, IQ*, then unknown ones by name."""
    if quant is None:
        return (2, 0, "")
    position = _ORDER.get(quant.upper())
    if position is not None:
        return (0, position, "")
    return (1, 0, quant.upper())


def is_projector(path: str) -> bool:
    """Whether a GGUF file is a vision projector (``mmproj``), not a chat model on its own."""
    return "mmproj" in PurePosixPath(path).name.lower()


@dataclass(frozen=True)
class RemoteFile:
    """One file in a Hub repository, as the API lists it.

    ``sha256`` is the LFS object id: the digest of the file's content that a
    download is verified against. ``blob_id`` is the git object id, the only
    digest available for small files stored in git rather than LFS.
    """

    path: str
    size: int | None = None
    sha256: str | None = None
    blob_id: str | None = None


@dataclass(frozen=True)
class RemoteModel:
    """What the user downloads as one model: a single GGUF file or a complete split set.

    ``path`` is the file llama.cpp is pointed at (the first part of a split
    set). ``complete`` is false when a split set is missing parts on the Hub;
    such a set cannot be loaded and is not offered for download.
    """

    path: str
    parts: tuple[RemoteFile, ...]
    quant: str | None
    complete: bool = True

    @property
    def size(self) -> int | None:
        """Total bytes of all parts, or ``None`` when any part's size is unknown."""
        sizes = [part.size for part in self.parts]
        if any(size is None for size in sizes):
            return None
        return sum(size for size in sizes if size is not None)

    @property
    def is_split(self) -> bool:
        return len(self.parts) > 1 or split_name(self.path) is not None

    @property
    def quant_label(self) -> str:
        return self.quant or UNKNOWN_QUANT


def group_models(files: Iterable[RemoteFile]) -> list[RemoteModel]:
    """Turn a repository's files into downloadable models, ordered by quantization.

    Non-GGUF files and vision projectors are left out; the parts of a split
    set become one :class:`RemoteModel` whose ``path`` is part 1.
    """
    singles: list[RemoteModel] = []
    sets: dict[tuple[str, int], dict[int, RemoteFile]] = {}
    for file in files:
        if not file.path.lower().endswith(".gguf") or is_projector(file.path):
            continue
        split = split_name(file.path)
        if split is None:
            singles.append(RemoteModel(file.path, (file,), quant_of(file.path)))
        else:
            sets.setdefault((split.stem, split.count), {})[split.index] = file
    for (stem, count), parts in sets.items():
        ordered = tuple(parts[index] for index in sorted(parts))
        first = SplitName(stem, 1, count).part(1)
        # Keep the Hub's spelling of ".gguf" when part 1 exists.
        if 1 in parts:
            first = parts[1].path
        singles.append(RemoteModel(first, ordered, quant_of(first), complete=len(parts) == count))
    singles.sort(key=lambda model: (quant_sort_key(model.quant), model.path))
    return singles


def group_by_quant(models: Iterable[RemoteModel]) -> dict[str, list[RemoteModel]]:
    """Models keyed by quantization label, keys in :func:`quant_sort_key` order."""
    groups: dict[str, list[RemoteModel]] = {}
    for model in sorted(models, key=lambda m: (quant_sort_key(m.quant), m.path)):
        groups.setdefault(model.quant_label, []).append(model)
    return groups


def split_parts(path: str, files: Sequence[RemoteFile]) -> tuple[RemoteFile, ...]:
    """All parts of the model that ``path`` belongs to (any part may be named).

    Raises ``LookupError`` when the file is not listed or its set is incomplete,
    because a partial set would download fine and then fail to load.
    """
    split = split_name(path)
    if split is None:
        for file in files:
            if file.path == path:
                return (file,)
        raise LookupError(path)
    found: dict[int, RemoteFile] = {}
    for file in files:
        other = split_name(file.path)
        if other is not None and (other.stem, other.count) == (split.stem, split.count):
            found[other.index] = file
    if len(found) != split.count:
        missing = sorted(set(range(1, split.count + 1)) - set(found))
        raise LookupError(f"{path} (missing parts: {', '.join(map(str, missing))})")
    return tuple(found[index] for index in sorted(found))


# ---- fit on this machine ----------------------------------------------------------

FIT_CONTEXT = 4096
"""Context the fit badge assumes: enough for a real conversation, less than Auto's cap."""
_FLOAT_QUANTS = frozenset(_FLOAT)


def model_fit(model: RemoteModel, available_bytes: int,
              context_length: int | None = None) -> Fit | None:
    """Whether a remote model fits in ``available_bytes`` (weights + KV cache + overhead).

    Uses the same estimate the engine uses before loading; the KV layout of a
    file not yet downloaded is unknown, so the estimate's size-based guess
    applies. ``None`` when the Hub did not list the file's size.
    """
    size = model.size
    if size is None:
        return None
    shape = ModelShape(file_size=size, context_length=context_length)
    n_ctx = min(context_length or FIT_CONTEXT, FIT_CONTEXT)
    return fit(estimate(shape, n_ctx), available_bytes)


def recommend(models: Iterable[RemoteModel], fits: Mapping[str, Fit | None]) -> RemoteModel | None:
    """The best quantization that fits comfortably: the largest complete model rated FITS.

    Unquantized files (F16, BF16, F32) are never recommended: they are about
    twice the size of Q8_0 for no difference a chat user notices.
    """
    candidates = [m for m in models
                  if m.complete and fits.get(m.path) is Fit.FITS and m.size is not None
                  and (m.quant or "") not in _FLOAT_QUANTS]
    return max(candidates, key=lambda m: (m.size or 0, m.path), default=None)
