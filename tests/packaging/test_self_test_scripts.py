"""The scripts that build a .deb in one command and prove the installed package works.

Running them takes a bundle build and root, so these tests read them (and run
the cheap refusals): every shell recipe parses, build_deb.sh builds a missing
bundle, check_deb.sh runs both installed executables' self-test and always
removes the package, and the frozen window executable hands ``--self-test`` to
the self-test before it could start the normal window.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
BUILD_DEB = PACKAGING / "linux" / "build_deb.sh"
CHECK_DEB = PACKAGING / "linux" / "check_deb.sh"
SHELL_SCRIPTS = sorted(PACKAGING.rglob("*.sh"))


def _code(script: Path) -> str:
    """The script without its comments, so a check cannot pass on a comment."""
    lines = (line.split(" #")[0] for line in script.read_text(encoding="utf-8").splitlines()
             if not line.lstrip().startswith("#"))
    return "\n".join(lines)


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda path: path.name)
def test_shell_script_parses_and_stops_at_the_first_error(script: Path) -> None:
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert "set -euo pipefail" in _code(script)


def test_build_deb_builds_the_bundle_when_it_is_missing() -> None:
    code = _code(BUILD_DEB)
    assert 'bash "$ROOT/packaging/build_bundle.sh"' in code
    # The bundle build comes before the check that the bundle exists.
    assert code.index("build_bundle.sh") < code.index("have_bundle ||")


def test_build_deb_without_a_bundle_and_told_not_to_build_says_so(tmp_path: Path) -> None:
    env = {**os.environ, "HEARTH_DIST": str(tmp_path), "HEARTH_BUILD_BUNDLE": "0"}
    result = subprocess.run(["bash", str(BUILD_DEB)], env=env, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 1
    assert f"no bundle at {tmp_path}/hearth" in result.stderr


def test_check_deb_self_tests_both_installed_executables_without_a_display() -> None:
    code = _code(CHECK_DEB)
    assert re.search(r"for exe in hearth hearth-gui; do", code)
    assert 'run "/usr/bin/$exe" --self-test' in code
    assert "env -u DISPLAY -u WAYLAND_DISPLAY" in code


def test_check_deb_also_tries_x11_and_a_failing_self_test() -> None:
    code = _code(CHECK_DEB)
    assert "QT_QPA_PLATFORM=xcb xvfb-run -a /usr/bin/hearth-gui --self-test" in code
    assert 'hearth --self-test --self-test-model "$broken"' in code
    assert '[ "$code" = 1 ]' in code


def test_check_deb_always_removes_the_package_it_installed() -> None:
    code = _code(CHECK_DEB)
    assert "apt-get remove -y" in code
    assert "dpkg -r hearth" in code
    # The removal is armed before the install starts, so a failure never leaves it behind.
    assert code.index("trap remove EXIT") < code.index("apt-get install")


def test_check_deb_reports_sizes_and_times() -> None:
    code = _code(CHECK_DEB)
    for fact in ("package:", "installed:", "Installed-Size", "passed in"):
        assert fact in code


def test_check_deb_without_a_package_says_so(tmp_path: Path) -> None:
    env = {**os.environ, "HEARTH_DIST": str(tmp_path)}
    result = subprocess.run(["bash", str(CHECK_DEB)], env=env, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 1
    assert f"no .deb in {tmp_path}" in result.stderr


def test_frozen_window_executable_hands_self_test_over_before_the_window() -> None:
    source = (PACKAGING / "pyinstaller" / "hearth_gui.py").read_text(encoding="utf-8")
    freeze = source.index("multiprocessing.freeze_support()")
    self_test = source.index("from desktop_app.ui.self_test import")
    window = source.index("from desktop_app.ui.app import main")
    assert freeze < source.index('"--self-test" in sys.argv') < self_test < window
