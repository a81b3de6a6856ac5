"""``hearth --self-test``, run as a real process with no display, as an installer check runs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.cli.main import main

REPO_ROOT = Path(__file__).resolve().parents[2]

STEPS = ("resources found", "window built", "starter model prepared", "model loaded",
         "reply streamed", "API server answered", "window closed and engine stopped",
         "conversation read back", "self-test passed")


def _self_test(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m desktop_app.cli.main --self-test`` from this checkout, headless.

    Not the venv's ``hearth`` script, which may belong to another checkout.
    TMPDIR points into ``tmp_path`` so the test can see that nothing is left behind.
    """
    env = {key: value for key, value in os.environ.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    env["TMPDIR"] = str(tmp)
    return subprocess.run([sys.executable, "-m", "desktop_app.cli.main", "--self-test", *args],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240,
                          check=False)


@pytest.mark.slow
def test_self_test_chats_through_the_window_and_cleans_up(tmp_path: Path,
                                                          isolated_home: Path) -> None:
    result = _self_test(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" in ")[0] for line in lines] == [f"ok: {step}" for step in STEPS]
    for line in lines:
        assert re.match(r"ok: .+ in \d+\.\d s", line), line
    assert "offscreen platform" in lines[1]
    # "built-in" with the development build, the variant (e.g. zen4) with an installer's.
    assert re.search(r" on CPU, CPU kernels: [\w.-]+\)$", lines[3]), lines[3]
    assert re.search(r"\(\d+ tokens in \d+ batches", lines[4]), lines[4]
    assert re.search(r"\(http://127\.0\.0\.1:\d+/v1: '\w", lines[5]), lines[5]
    assert lines[7].endswith("(2 messages)")
    assert result.stderr == ""
    # The user's data folder (HEARTH_HOME here) was never touched, the temporary one is gone.
    assert not isolated_home.exists()
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("content", [None, b"not a model at all" * 100],
                         ids=["missing", "corrupt"])
def test_unusable_model_fails_in_one_line(tmp_path: Path, content: bytes | None) -> None:
    model = tmp_path / "broken.gguf"
    if content is not None:
        model.write_bytes(content)
    result = _self_test(tmp_path, "--self-test-model", str(model))
    assert result.returncode == 1
    assert [line.split(" in ")[0] for line in result.stdout.splitlines()] == [
        "ok: resources found"]
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"hearth: self-test failed: the model file {model} "
                                    "is not usable: ")
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in hearth-gui is a shell script")
def test_frozen_cli_runs_the_window_executable_beside_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The frozen ``hearth`` has no Qt (hearth.spec): ``hearth-gui`` runs the test for it."""
    gui = tmp_path / "hearth-gui"
    gui.write_text('#!/bin/sh\necho "gui $*"\nexit 3\n')
    gui.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "hearth"))
    assert main(["--self-test", "--self-test-model", "m.gguf"]) == 3
    assert capfd.readouterr().out == f"gui --self-test --self-test-model {Path.cwd()}/m.gguf\n"
    gui.unlink()
    assert main(["--self-test"]) == 1
    assert capfd.readouterr().err == f"hearth: self-test failed: {gui} is missing\n"


def test_self_test_model_alone_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--self-test-model", "m.gguf"]) == 2
    assert capsys.readouterr().err == "hearth: --self-test-model only goes with --self-test\n"
