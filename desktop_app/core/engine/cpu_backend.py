"""Loading ggml's CPU backend when the installer ships it as per-CPU variants.

The installers build llama.cpp with ``GGML_BACKEND_DL`` and
``GGML_CPU_ALL_VARIANTS`` (packaging/build_bundle.sh): instead of one CPU backend
compiled into libggml, ``llama_cpp/lib`` holds ``libggml-cpu-<variant>.so`` for
each x86 generation (haswell, skylakex, zen4, ...) and ggml loads the best one
this CPU can run. One package then runs on any x86-64 CPU and still uses
AVX-512 where there is AVX-512. But with backends as modules llama.cpp loads
none by itself ("no backends are loaded"), so :func:`ensure_loaded` must run
once per process before the first model. A development build (scripts/setup.sh)
is an ordinary build with the backend linked in: there are no variant files and
nothing is done.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import logging
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

BUILT_IN = "built-in"
"""The variant reported for an ordinary build: the CPU backend is part of libggml."""

UNKNOWN = "unknown"
"""Variants are present and one was loaded, but this system cannot say which."""

_PREFIX = "ggml-cpu-" if sys.platform == "win32" else "libggml-cpu-"
_SUFFIX = ".dll" if sys.platform == "win32" else ".so"  # ggml's names, also on macOS
_MAPPED = re.compile(r"[/\\]libggml-cpu-([A-Za-z0-9_.]+?)\.so\b")

_lock = threading.Lock()
_loaded_from: Path | None = None


def llama_lib_dir() -> Path:
    """``llama_cpp/lib``, where llama-cpp-python keeps llama.cpp's libraries."""
    import llama_cpp

    return Path(llama_cpp.__file__).resolve().parent / "lib"


def variant_libraries(lib_dir: Path) -> list[Path]:
    """The CPU variant modules in ``lib_dir`` (``libggml-cpu-haswell.so`` ...), sorted.

    The ordinary build's ``libggml-cpu.so`` has no ``-<variant>`` and is not one.
    """
    try:
        return sorted(p for p in lib_dir.iterdir()
                      if p.name.startswith(_PREFIX) and p.name.endswith(_SUFFIX))
    except OSError:
        return []


def _ggml_load_all_from_path(lib_dir: bytes) -> None:
    """ggml's own choice: dlopen each variant, keep the one whose score is highest.

    The function is looked up through libllama's handle, whose dependency tree holds
    the libggml llama.cpp itself uses. ``llama_cpp._ggml`` opens ``libggml.so`` by
    path, and in a wheel that is a copy of ``libggml.so.0`` (wheels cannot hold
    symlinks), so it would be a second libggml with its own, separate backend
    registry: the variant would load there and llama.cpp would still see none.
    Captured output: ggml reports the load through llama_cpp's logger, on stderr.
    """
    import llama_cpp.llama_cpp

    library: Any = getattr(llama_cpp.llama_cpp, "_lib", None)
    if not hasattr(library, "ggml_backend_load_all_from_path"):
        from llama_cpp._ggml import libggml  # Windows: one ggml.dll per name anyway

        library = libggml
    function = library.ggml_backend_load_all_from_path
    function.argtypes = [ctypes.c_char_p]
    function.restype = None
    said = io.StringIO()
    with contextlib.redirect_stderr(said):
        function(lib_dir)
    if said.getvalue().strip():
        log.info("%s", said.getvalue().strip())


def ensure_loaded(lib_dir: Path | None = None,
                  load_all: Callable[[bytes], None] = _ggml_load_all_from_path) -> bool:
    """Load the best CPU variant (and any GPU backend modules) once; True if variants exist.

    Safe to call before every load: the first call with variant files does the
    work, later ones return at once. ``load_all`` is ggml's loader; tests pass a fake.
    """
    global _loaded_from
    with _lock:
        if _loaded_from is not None:
            return True
        folder = lib_dir if lib_dir is not None else llama_lib_dir()
        variants = variant_libraries(folder)
        if not variants:
            return False
        log.info("loading ggml backends from %s (%s)", folder,
                 ", ".join(p.name for p in variants))
        load_all(str(folder).encode(sys.getfilesystemencoding()))
        _loaded_from = folder
        return True


def loaded_variant(lib_dir: Path | None = None, maps: str | None = None) -> str:
    """Which CPU backend this process runs: a variant name, BUILT_IN or UNKNOWN.

    The variant is the ``libggml-cpu-<variant>.so`` mapped into this process
    (``/proc/self/maps``; ``maps`` lets tests pass their own). ggml's registry
    would only say "CPU" for every variant. Elsewhere than Linux there is no
    maps file to ask, so a variant build says UNKNOWN.
    """
    folder = lib_dir if lib_dir is not None else llama_lib_dir()
    if not variant_libraries(folder):
        return BUILT_IN
    if maps is None:
        try:
            maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return UNKNOWN
    found = sorted(set(_MAPPED.findall(maps)))
    return ", ".join(found) if found else UNKNOWN

