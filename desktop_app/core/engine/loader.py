"""Loading a GGUF file into llama.cpp with settings that fit this machine.

Runs in the engine child process. Before llama.cpp sees a file, its header
is validated in Python (a malformed file must never reach native code) and
the memory it needs is estimated, so an oversized context is refused with a
sentence instead of the OS killing the process.
"""

from __future__ import annotations

import logging
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_app.core import hardware
from desktop_app.core.engine import cpu_backend
from desktop_app.core.engine.api import (
    AUTO,
    KV_CACHE_TYPES,
    LoadOptions,
    ModelLoaded,
    ParameterError,
)
from desktop_app.core.engine.prompt import ChatFormatter
from desktop_app.core.memory_estimate import ModelShape, default_context, estimate
from desktop_app.core.models.gguf import GGUFInfo, read_model_info
from desktop_app.core.models.split_files import part_paths
from desktop_app.core.user_text import QT_TRANSLATE_NOOP, UserFacingError, UserText, user_text

log = logging.getLogger(__name__)

GIB = 1024**3

# ggml type ids for the KV cache (ggml.h: GGML_TYPE_F16 = 1, Q4_0 = 2, Q8_0 = 8).
_GGML_TYPE_IDS = {"f16": 1, "q8_0": 8, "q4_0": 2}
assert set(_GGML_TYPE_IDS) == set(KV_CACHE_TYPES), "a KV cache type without its ggml id"


class LoadError(UserFacingError):
    """The model could not be loaded; the message is shown to the user as is."""


@dataclass
class LoadedModel:
    """A model in memory with what generation needs to know about it."""

    llama: Any                 # llama_cpp.Llama; typed loosely so core type-checks without it
    info: GGUFInfo
    formatter: ChatFormatter
    event: ModelLoaded


def _backend_name() -> str:
    """The GPU backend this llama.cpp build was compiled with, or "CPU"."""
    import llama_cpp

    if not llama_cpp.llama_supports_gpu_offload():
        return "CPU"
    # The system info line lists the compiled-in backends, e.g. "CUDA : ARCHS = 890 | ...".
    system_info = llama_cpp.llama_print_system_info().decode("utf-8", "replace").upper()
    for name in ("CUDA", "Metal", "Vulkan", "HIP", "SYCL"):
        if name.upper() in system_info:
            return name
    return "GPU"


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "CPU"


def _display_name(info: GGUFInfo, path: Path) -> str:
    return info.name or path.name


def check_options(options: LoadOptions, info: GGUFInfo) -> None:
    """Reject settings llama.cpp would fail on, with a sentence the user can act on."""
    options.validate()
    name = _display_name(info, Path(options.model_path))
    trained = info.context_length
    if trained and options.n_ctx > trained:
        raise ParameterError(
            f"Context length {options.n_ctx} is longer than {name} supports ({trained} tokens).")


def check_memory(name: str, n_ctx: int, needed_bytes: int, available_bytes: int) -> None:
    """Refuse a load that would not fit in free RAM, instead of letting the OS kill us.

    Weights are memory-mapped, so a model slightly over the estimate can still
    run; the estimate is an upper bound (see memory_estimate), hence no margin.
    """
    if needed_bytes > available_bytes:
        raise LoadError(
            f"{name} with a context of {n_ctx} tokens needs about "
            f"{needed_bytes / GIB:.1f} GB of memory, but only "
            f"{available_bytes / GIB:.1f} GB is free. Choose a smaller context or "
            "quantization, or close other programs.")


def resolve_gpu_layers(requested: int, supports_offload: bool, needed_bytes: int,
                       free_vram_bytes: int | None) -> tuple[int, UserText | str]:
    """How many layers to offload, and a note for the user when Auto chose the CPU.

    Auto offloads everything (-1) only when the build can offload and the
    estimate fits in the GPU's free memory; otherwise it runs on the CPU.
    """
    if requested != AUTO:
        if requested > 0 and not supports_offload:
            return 0, user_text("gpu.no_support", QT_TRANSLATE_NOOP(
                "core", "This build of llama.cpp has no GPU support; running on the CPU."))
        return requested, ""
    if not supports_offload:
        return 0, user_text("gpu.auto_no_support", QT_TRANSLATE_NOOP(
            "core", "Auto: this build of llama.cpp has no GPU support, so the CPU is used."))
    if free_vram_bytes is None:
        return 0, user_text("gpu.auto_no_gpu", QT_TRANSLATE_NOOP(
            "core", "Auto: no GPU was found, so the CPU is used."))
    if needed_bytes > free_vram_bytes:
        return 0, user_text("gpu.auto_too_small", QT_TRANSLATE_NOOP(
            "core", "Auto: the model needs about {needed} GB but the GPU has {free} GB free, "
            "so the CPU is used."),
            needed=f"{needed_bytes / GIB:.1f}", free=f"{free_vram_bytes / GIB:.1f}")
    return -1, ""


def _llama_failed(name: str, exc: BaseException) -> UserText:
    return user_text("load.llama_failed", QT_TRANSLATE_NOOP(
        "core", "llama.cpp could not load {name}: {reason}"), name=name, reason=str(exc))


def threads_for(options: LoadOptions) -> int:
    """The CPU threads llama.cpp decodes with: the user's choice, else one per physical core."""
    return options.n_threads or hardware.physical_cores()


def load_model(options: LoadOptions) -> LoadedModel:
    """Validate, size and load ``options.model_path``; raises :class:`LoadError`."""
    import llama_cpp

    started = time.monotonic()
    # An installer's llama.cpp has its CPU kernels as per-CPU modules, loaded by nobody
    # else; before llama_supports_gpu_offload too, which would see no backend at all.
    cpu_backend.ensure_loaded()
    path = Path(options.model_path)
    try:
        # Every part of a split model, not just the first: llama.cpp reads them all.
        info = read_model_info(part_paths(path))
    except FileNotFoundError as exc:
        raise LoadError(user_text("load.missing", QT_TRANSLATE_NOOP(
            "core", "The model file {path} does not exist."), path=str(exc.filename or path))
        ) from None
    except OSError as exc:
        raise LoadError(user_text("load.unreadable", QT_TRANSLATE_NOOP(
            "core", "The model file {path} could not be read: {reason}."), path=str(path),
            reason=str(exc.strerror or exc))) from exc
    except ValueError as exc:  # GGUFError
        raise LoadError(user_text("load.invalid", QT_TRANSLATE_NOOP(
            "core", "{file} cannot be loaded: {reason}"), file=path.name, reason=str(exc))
        ) from exc
    name = _display_name(info, path)
    try:
        check_options(options, info)
    except ParameterError as exc:
        raise LoadError(str(exc)) from exc

    memory = hardware.memory()
    shape = ModelShape.from_info(info)
    n_ctx = options.n_ctx or default_context(info, memory.available_bytes)
    needed = estimate(shape, n_ctx, options.kv_cache_type)
    check_memory(name, n_ctx, needed.total_bytes, memory.available_bytes)

    supports = bool(llama_cpp.llama_supports_gpu_offload())
    gpus = hardware.gpu_devices() if supports else []
    free_vram = max((g.free_bytes for g in gpus), default=None) if gpus else None
    n_gpu_layers, notice = resolve_gpu_layers(options.n_gpu_layers, supports,
                                              needed.total_bytes, free_vram)
    n_threads = threads_for(options)
    kwargs: dict[str, Any] = {
        "n_ctx": n_ctx, "n_threads": n_threads, "n_threads_batch": n_threads,
        "n_batch": options.n_batch, "n_ubatch": min(options.n_batch, 512),
        "flash_attn": options.flash_attn,
        "type_k": _GGML_TYPE_IDS[options.kv_cache_type],
        "type_v": _GGML_TYPE_IDS[options.kv_cache_type],
        # Sliding-window layers (Gemma 2 and 3) keep a cell for every position, as
        # llama.cpp does by default: with a cache the size of the window, cells past it
        # are reused in an order that depends on the sizes of earlier batches, and the
        # attention sums would then round differently with and without speculative
        # decoding. The memory estimate counts these layers at full size too.
        "swa_full": True,
        # An explicit seed: with the library's default the first completion after
        # a load repeated <start_of_image> with Gemma 3. Each reply sets its own.
        "seed": 0, "verbose": False,
    }
    try:
        llama = llama_cpp.Llama(str(path), n_gpu_layers=n_gpu_layers, **kwargs)
    except (ValueError, RuntimeError) as exc:
        if n_gpu_layers == 0:
            raise LoadError(_llama_failed(name, exc)) from exc
        log.warning("loading %s with %d GPU layers failed: %s", path, n_gpu_layers, exc)
        try:
            llama = llama_cpp.Llama(str(path), n_gpu_layers=0, **kwargs)
        except (ValueError, RuntimeError) as cpu_exc:
            raise LoadError(_llama_failed(name, cpu_exc)) from cpu_exc
        n_gpu_layers = 0
        notice = user_text("gpu.load_failed", QT_TRANSLATE_NOOP(
            "core", "Loading on the GPU failed, so the model runs on the CPU."))

    bos_id, eos_id = llama.token_bos(), llama.token_eos()
    bos = llama._model.token_get_text(bos_id) if bos_id >= 0 else ""
    eos = llama._model.token_get_text(eos_id) if eos_id >= 0 else ""
    try:
        formatter = ChatFormatter(model_name=name, template=info.chat_template,
                                  architecture=info.architecture, bos_token=bos, eos_token=eos,
                                  use_builtin=options.builtin_prompt_format)
    except ValueError as exc:  # PromptError
        llama.close()
        raise LoadError(str(exc)) from exc
    backend = _backend_name() if n_gpu_layers != 0 else "CPU"
    device = _cpu_name() if backend == "CPU" else (gpus[0].name if gpus else backend)
    event = ModelLoaded(
        model_path=str(path), n_ctx=llama.n_ctx(), chat_format=formatter.description,
        backend=backend, device=device, n_gpu_layers=n_gpu_layers,
        load_seconds=time.monotonic() - started, notice=notice,
        cpu_variant=cpu_backend.loaded_variant())
    return LoadedModel(llama, info, formatter, event)
