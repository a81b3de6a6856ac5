"""How the recipes build llama.cpp's CPU kernels, checked without building.

The installers must run on any x86-64 CPU and still use the best kernels: the
bundle builds ggml's CPU backend as runtime-loaded variants and leaves out the
AMX one (llama.cpp #20824). scripts/setup.sh builds for the developer's CPU and
caches one wheel per flag set, because pip's own wheel cache ignores CMAKE_ARGS.
Each test runs the recipe's own lines in bash where it can.
"""

from __future__ import annotations

import ast
import os
import re
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from desktop_app.core.cpu_features import EXCLUDED_VARIANTS

ROOT = Path(__file__).resolve().parents[2]
BUILD_BUNDLE = ROOT / "packaging" / "build_bundle.sh"
SETUP = ROOT / "scripts" / "setup.sh"
SPEC = ROOT / "packaging" / "pyinstaller" / "hearth.spec"
PIN = ROOT / "packaging" / "llama-cpp-python-version"


def _lines(script: Path, first: str, last: str) -> str:
    """The script's lines from the one starting with ``first`` to the one starting with ``last``."""
    lines = script.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith(last))
    return "\n".join(lines[start:end + 1])


def _bash(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(["bash", "-c", f"set -euo pipefail\n{code}"],
                          env={"PATH": os.environ["PATH"], **env},
                          capture_output=True, text=True, check=True, timeout=30)
    return done.stdout


def _fake_uname(tmp_path: Path, machine: str) -> str:
    """A PATH whose uname says ``machine`` for -m."""
    bin_dir = tmp_path / f"bin-{machine}"
    bin_dir.mkdir()
    uname = bin_dir / "uname"
    uname.write_text(f'#!/bin/sh\n[ "$1" = -m ] && echo {machine} || echo Linux\n')
    uname.chmod(uname.stat().st_mode | stat.S_IEXEC)
    return f"{bin_dir}:{os.environ['PATH']}"


def _bundle_cmake_args(tmp_path: Path, machine: str, given: str = "") -> str:
    block = _lines(BUILD_BUNDLE, "VARIANT_ARGS=", 'export CMAKE_ARGS=')
    env = {"PATH": _fake_uname(tmp_path, machine)}
    if given:
        env["CMAKE_ARGS"] = given
    return _bash(f'{block}\nprintf %s "$CMAKE_ARGS"', env)


def test_bundle_builds_every_cpu_variant_as_a_module_on_x86_64(tmp_path: Path) -> None:
    args = set(_bundle_cmake_args(tmp_path, "x86_64").split())
    assert {"-DGGML_BACKEND_DL=ON", "-DGGML_CPU_ALL_VARIANTS=ON", "-DGGML_NATIVE=OFF"} <= args
    # ggml installs backend modules to GGML_BACKEND_DIR, relative to the wheel's root:
    # beside libggml.so in llama_cpp/lib, where the engine loads them from.
    assert "-DGGML_BACKEND_DIR:STRING=llama_cpp/lib" in args


def test_bundle_keeps_other_architectures_and_given_flags_as_they_are(tmp_path: Path) -> None:
    assert _bundle_cmake_args(tmp_path, "arm64") == ""
    assert _bundle_cmake_args(tmp_path, "x86_64", "-DGGML_VULKAN=ON") == "-DGGML_VULKAN=ON"


def test_bundle_fails_when_no_variant_landed_in_llama_cpp_lib() -> None:
    script = BUILD_BUNDLE.read_text(encoding="utf-8")
    assert "glob.glob(os.path.join(lib, \"*ggml-cpu-*\"))" in script
    assert re.search(r'\[ -n "\$variants" \] \|\| \{ say .*; exit 1; \}', script)


def test_spec_leaves_out_exactly_the_variants_cpu_features_excludes() -> None:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    values = [node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == "EXCLUDED_CPU_VARIANTS"
                      for t in node.targets)]
    assert len(values) == 1
    excluded = ast.literal_eval(values[0])
    assert set(excluded) == {f"libggml-cpu-{name}" for name in EXCLUDED_VARIANTS}
    assert "sapphirerapids" in EXCLUDED_VARIANTS  # the AMX one, llama.cpp #20824


@pytest.mark.parametrize(("script", "root_var"), [(BUILD_BUNDLE, "ROOT"),
                                                  (SETUP, "HEARTH_ROOT")])
def test_both_recipes_build_the_one_pinned_version(script: Path, root_var: str) -> None:
    line = _lines(script, "LLAMA_VERSION=", "LLAMA_VERSION=")
    version = _bash(f'{line}\nprintf %s "$LLAMA_VERSION"', {root_var: str(ROOT)})
    assert version == PIN.read_text(encoding="utf-8").strip()
    assert 'LLAMA_SPEC="llama-cpp-python==$LLAMA_VERSION"' in script.read_text("utf-8")


def test_the_pin_is_inside_the_range_pyproject_allows() -> None:
    with (ROOT / "pyproject.toml").open("rb") as file:
        dependencies = tomllib.load(file)["project"]["dependencies"]
    llama = next(Requirement(d) for d in dependencies if d.startswith("llama-cpp-python"))
    assert PIN.read_text(encoding="utf-8").strip() in llama.specifier


def _wheel_dir(cmake_args: str, version: str = "0.3.36", root: Path = ROOT) -> str:
    block = _lines(SETUP, "llama_patches=", "LLAMA_WHEELS=")
    return _bash(f'LLAMA_SPEC="llama-cpp-python=={version}"\n{block}\n'
                 'printf %s "$LLAMA_WHEELS"',
                 {"CMAKE_ARGS": cmake_args, "HOME": "/home/u", "XDG_CACHE_HOME": "/c",
                  "HEARTH_ROOT": str(root)})


def test_setup_caches_one_wheel_per_version_flag_set_and_patches(tmp_path: Path) -> None:
    avx2 = "-DGGML_NATIVE=OFF -DGGML_AVX2=ON"
    avx512 = "-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_AVX512=ON"
    assert _wheel_dir(avx2).startswith("/c/hearth/llama-wheels/")
    assert _wheel_dir(avx2) == _wheel_dir(avx2)
    # Another patch set (a checkout with one patch changed) builds a wheel of its own.
    patches = tmp_path / "packaging" / "llama-cpp-patches"
    patches.mkdir(parents=True)
    for patch in (ROOT / "packaging" / "llama-cpp-patches").glob("*.patch"):
        (patches / patch.name).write_text(patch.read_text() + "\n")
    assert len({_wheel_dir(avx2), _wheel_dir(avx512), _wheel_dir(avx2, "0.3.37"),
                _wheel_dir(avx2, root=tmp_path)}) == 4


def test_the_wheel_is_built_from_the_patched_source() -> None:
    build = (ROOT / "packaging" / "build_llama_wheel.sh").read_text(encoding="utf-8")
    assert "--no-binary :all:" in build  # the source release, never a prebuilt wheel
    assert "--fuzz=0" in build  # a patch that does not apply exactly stops the build
    assert "pip wheel -q --no-deps --no-cache-dir" in build
    for script in (SETUP, BUILD_BUNDLE):
        assert "build_llama_wheel.sh" in script.read_text(encoding="utf-8"), script
    assert sorted(p.name for p in (ROOT / "packaging" / "llama-cpp-patches").glob("*.patch")) \
        == ["repack-prompt-batches-only.patch", "sgemm-prompt-batches-only.patch",
            "tiled-prompt-batches-only.patch"]


def test_setup_installs_the_cached_wheel_before_hearth_and_restamps_on_new_flags() -> None:
    script = SETUP.read_text(encoding="utf-8")
    install_llama = script.index('--force-reinstall "$(llama_wheel)"')
    assert install_llama < script.index('-e "$HEARTH_ROOT[dev]"')
    # A changed CPU (other flags) must re-run the install, not trust the old stamp.
    assert "$CMAKE_ARGS" in _lines(SETUP, "want=", 'if [ ! -f "$stamp" ]')
    assert "$llama_patches" in _lines(SETUP, "want=", 'if [ ! -f "$stamp" ]')
    # The flags come from cpu_features unless the user gave their own (GPU builds).
    assert 'if [ -z "${CMAKE_ARGS:-}" ]; then' in script
    assert "cpu_features.py\" --cmake-args" in script
