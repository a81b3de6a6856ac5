"""Fixtures shared by the whole suite.

Every test runs with ``HEARTH_HOME`` and the Hugging Face cache pointed into its
own temporary folder, so no test reads or writes the real home directory.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.models.demo_model import demo_model_file
from desktop_app.core.paths import AppPaths

# Fixtures defined beside the helpers they serve, registered once for the whole suite.
pytest_plugins = ["tests.core.models.fake_hub"]

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_CACHE = REPO_ROOT / ".test-cache"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "hearth-home"
    monkeypatch.setenv("HEARTH_HOME", str(home))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    return home


@pytest.fixture(autouse=True)
def no_engine_process_left_behind() -> Iterator[None]:
    """Fail a test that leaves an engine child process running (napari's leak guard idea).

    A leftover llama.cpp process holds hundreds of MB and two busy threads,
    which would slow every later test on a small machine.
    """
    yield
    leftover = [p for p in multiprocessing.active_children() if p.name == "hearth-engine"]
    for process in leftover:
        process.kill()
        process.join(5)
    assert not leftover, f"engine processes left running: {leftover}"


@pytest.fixture
def app_paths(isolated_home: Path) -> AppPaths:
    return AppPaths.from_environment().ensure()


@pytest.fixture(scope="session")
def demo_model_path() -> Path:
    """The real Gemma 3 270M demo model, assembled once into a repo-local cache."""
    return demo_model_file(TEST_CACHE)

GEMMA_JINJA_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
    "{% endif %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "<start_of_turn>{{ role }}\n{{ message['content'] | trim }}<end_of_turn>\n"
    "{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}")
"""Gemma's turn format as a Jinja template that rejects the system role, like Gemma's own."""

EVIL_TEMPLATE = "{{ cycler.__init__.__globals__.os.system('touch /tmp/hearth-pwned') }}"


def _with_chat_template(source: Path, template: str, name: str) -> Path:
    """A copy of ``source`` with ``tokenizer.chat_template`` set, written with gguf-py."""
    import hashlib

    import gguf
    from gguf.scripts.gguf_new_metadata import MetadataDetails, copy_with_new_metadata

    digest = hashlib.sha256(template.encode()).hexdigest()[:12]
    target = TEST_CACHE / f"{name}-{digest}.gguf"
    if target.exists():
        return target
    partial = target.with_suffix(".partial")
    reader = gguf.GGUFReader(source, "r")
    arch = reader.get_field(gguf.Keys.General.ARCHITECTURE)
    assert arch is not None
    writer = gguf.GGUFWriter(partial, arch=str(arch.contents()), endianess=reader.endianess)
    metadata = {gguf.Keys.Tokenizer.CHAT_TEMPLATE:
                MetadataDetails(gguf.GGUFValueType.STRING, template)}
    # gguf-py draws a progress bar on stderr; a test capturing its own stderr must
    # not see it when this file is written for the first time (a fresh checkout).
    with contextlib.redirect_stderr(io.StringIO()):
        copy_with_new_metadata(reader, writer, metadata, [])
    partial.replace(target)
    return target


@pytest.fixture(scope="session")
def templated_model_path(demo_model_path: Path) -> Path:
    """The demo model with a Gemma chat template in its metadata."""
    return _with_chat_template(demo_model_path, GEMMA_JINJA_TEMPLATE, "gemma-templated")


@pytest.fixture(scope="session")
def evil_template_model_path(demo_model_path: Path) -> Path:
    """The demo model whose chat template tries to escape Jinja's sandbox."""
    return _with_chat_template(demo_model_path, EVIL_TEMPLATE, "gemma-evil-template")
