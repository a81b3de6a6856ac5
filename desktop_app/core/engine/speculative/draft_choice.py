"""Which installed model can draft for another, and loading it beside the target.

A draft model's tokens are checked by the target token for token, so the two
must share a vocabulary exactly: the same token count, the same token
strings in the same order, and the same BOS and EOS ids. The strings are
compared by a hash of the file's ``tokenizer.ggml.tokens`` array, read with
the bounds-checked GGUF reader (:mod:`desktop_app.core.models.gguf`) without
turning 262k strings into Python objects. Models of one family (SmolLM2
135M/360M/1.7B, Qwen 2.5 0.5B to 72B, Gemma 3 270M to 27B) pass; a
different family never does.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_app.core.models import gguf
from desktop_app.core.models.split_files import part_paths

log = logging.getLogger(__name__)

DraftPath = str | os.PathLike[str]


@dataclass(frozen=True)
class Vocabulary:
    """What two models must agree on for one to draft for the other."""

    size: int
    tokens_sha256: str
    bos_id: int | None
    eos_id: int | None


def _vocabulary(buf: Any, file_size: int) -> Vocabulary | None:
    s = gguf._structure(buf, file_size)
    ref = s.arrays.get("tokenizer.ggml.tokens")
    if ref is None or ref.element_type != gguf.ValueType.STRING:
        return None
    # The reader already walked and bounds-checked these strings; walk them again
    # to find where the array ends, then hash its bytes in one go.
    pos = ref.start
    for _ in range(ref.count):
        (length,) = gguf._U64.unpack_from(buf, pos)
        pos += 8 + length
    digest = hashlib.sha256(memoryview(buf)[ref.start:pos]).hexdigest()
    return Vocabulary(ref.count, digest, gguf._int(s.scalars, "tokenizer.ggml.bos_token_id"),
                      gguf._int(s.scalars, "tokenizer.ggml.eos_token_id"))


def vocabulary(path: DraftPath) -> Vocabulary | None:
    """The vocabulary of the model at ``path`` (its first part), or None if it has none.

    Raises ``OSError`` or :class:`~desktop_app.core.models.gguf.GGUFError`.
    """
    return gguf._read(path, _vocabulary)


def choose_draft(target: DraftPath, candidates: Iterable[DraftPath]) -> Path | None:
    """The smallest candidate that shares ``target``'s vocabulary and is smaller than it.

    "Smaller" is by file size (all parts of a split model), the best cheap
    proxy for decoding speed. Unreadable candidates are skipped.
    """
    target_path = Path(target)
    try:
        wanted = vocabulary(target_path)
        target_size = _size(target_path)
    except (OSError, ValueError) as exc:
        log.warning("no draft model: the target %s cannot be read (%s)", target_path, exc)
        return None
    if wanted is None:
        return None
    best: tuple[int, Path] | None = None
    for candidate in candidates:
        path = Path(candidate)
        try:
            if path.resolve() == target_path.resolve():
                continue
            size = _size(path)
            if size >= target_size or (best is not None and size >= best[0]):
                continue
            if vocabulary(path) == wanted:
                best = size, path
        except (OSError, ValueError) as exc:
            log.info("%s cannot draft: %s", path, exc)
    return best[1] if best is not None else None


def _size(path: Path) -> int:
    return sum(part.stat().st_size for part in part_paths(path))


def load_draft(path: DraftPath, target: Any) -> Any:
    """Load ``path`` as a draft for the ``llama_cpp.Llama`` ``target``; raises ValueError.

    The draft gets the target's context length, because it reads the whole
    prompt to guess well and its cache is small (SmolLM2 135M: about 90 MB
    for 4,096 tokens), and the target's threads and GPU layers, since the
    two never run at the same time.
    """
    import llama_cpp

    draft_vocab = vocabulary(path)
    target_vocab = vocabulary(target.model_path)
    if draft_vocab is None or draft_vocab != target_vocab:
        raise ValueError(f"{Path(path).name} does not share the model's vocabulary")
    threads = target.context_params.n_threads
    return llama_cpp.Llama(str(path), n_ctx=target.n_ctx(), n_threads=threads,
                           n_threads_batch=threads, n_batch=512,
                           n_gpu_layers=target.model_params.n_gpu_layers, seed=0, verbose=False)
