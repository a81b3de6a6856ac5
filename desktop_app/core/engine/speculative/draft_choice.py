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

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from desktop_app.core.models.gguf import read_vocabulary
from desktop_app.core.models.split_files import part_paths

log = logging.getLogger(__name__)

DraftPath = str | os.PathLike[str]


def choose_draft(target: DraftPath, candidates: Iterable[DraftPath]) -> Path | None:
    """The smallest candidate that shares ``target``'s vocabulary and is smaller than it.

    "Smaller" is by file size (all parts of a split model), the best cheap
    proxy for decoding speed. Unreadable candidates are skipped.
    """
    target_path = Path(target)
    try:
        wanted = read_vocabulary(target_path)
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
            if read_vocabulary(path) == wanted:
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

    draft_vocab = read_vocabulary(path)
    target_vocab = read_vocabulary(target.model_path)
    if draft_vocab is None or draft_vocab != target_vocab:
        raise ValueError(f"{Path(path).name} does not share the model's vocabulary")
    threads = target.context_params.n_threads
    return llama_cpp.Llama(str(path), n_ctx=target.n_ctx(), n_threads=threads,
                           n_threads_batch=threads, n_batch=512,
                           n_gpu_layers=target.model_params.n_gpu_layers, seed=0, verbose=False)
