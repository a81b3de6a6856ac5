"""The engine child tells libgomp to stop spinning sooner, unless the user chose otherwise."""

from __future__ import annotations

import os

import pytest

from desktop_app.core.engine import child_entry, runner


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> dict[str, str | None]:
    """What the engine's real entry point would find in its environment."""
    found: dict[str, str | None] = {}

    def fake_serve(*_args: object) -> None:
        found["GOMP_SPINCOUNT"] = os.environ.get("GOMP_SPINCOUNT")
        found["OMP_WAIT_POLICY"] = os.environ.get("OMP_WAIT_POLICY")

    monkeypatch.setattr(runner, "serve", fake_serve)
    for name in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY"):
        # Set first so that monkeypatch puts the variable back as it was afterwards,
        # also when the code under test sets it.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    return found


def test_the_child_sets_a_short_spin_before_llama_cpp_loads(
        seen: dict[str, str | None]) -> None:
    child_entry.serve(None, 30, None)  # type: ignore[arg-type]
    assert seen["GOMP_SPINCOUNT"] == str(child_entry.OPENMP_SPIN_COUNT)


def test_a_users_spin_count_is_kept(seen: dict[str, str | None],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOMP_SPINCOUNT", "123")
    child_entry.serve(None, 30, None)  # type: ignore[arg-type]
    assert seen["GOMP_SPINCOUNT"] == "123"


def test_a_users_wait_policy_decides_alone(seen: dict[str, str | None],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    child_entry.serve(None, 30, None)  # type: ignore[arg-type]
    assert seen == {"GOMP_SPINCOUNT": None, "OMP_WAIT_POLICY": "ACTIVE"}
