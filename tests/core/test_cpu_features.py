"""The llama.cpp switches and CPU variant chosen for real /proc/cpuinfo files.

A switch the CPU lacks makes llama.cpp die with "Illegal instruction" on the
first model load, and AMX segfaults (llama.cpp #20824), so the properties that
matter are checked over every fixture, not just for one CPU.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.core import cpu_features
from desktop_app.core.cpu_features import (
    AMX_SWITCHES,
    BUNDLED_VARIANTS,
    REQUIRES,
    VARIANTS,
    best_variant,
    choice_for,
    cpu_flags,
)

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "cpuinfo"
MODULE = Path(cpu_features.__file__)
X86_FIXTURES = sorted(p.name for p in FIXTURES.iterdir()
                      if p.name != "README.md" and "arm64" not in p.name)


def _text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _switches(cmake_args: str) -> dict[str, str]:
    """{"AVX2": "ON", ...} from "-DGGML_AVX2=ON ..."."""
    pairs = (arg.removeprefix("-DGGML_").split("=") for arg in cmake_args.split())
    return {key: value for key, value in pairs}


def test_every_fixture_is_listed_in_the_readme() -> None:
    readme = _text("README.md")
    missing = [p.name for p in FIXTURES.iterdir() if p.name != "README.md"
               and f"`{p.name}`" not in readme]
    assert not missing


@pytest.mark.parametrize("name", X86_FIXTURES)
def test_no_switch_is_on_that_the_cpu_lacks(name: str) -> None:
    flags = cpu_flags(_text(name))
    assert "sse2" in flags  # the fixture parsed at all
    switches = _switches(choice_for(_text(name)).cmake_args())
    for switch, state in switches.items():
        if state == "ON":
            assert REQUIRES[switch] <= flags, (name, switch, REQUIRES[switch] - flags)


@pytest.mark.parametrize("name", X86_FIXTURES)
def test_every_switch_is_explicit_and_amx_is_always_off(name: str) -> None:
    # ggml defaults SSE42/AVX/AVX2/BMI2/FMA/F16C to ON when GGML_NATIVE is OFF, so a
    # switch left out would be ON on a CPU without it.
    switches = _switches(choice_for(_text(name)).cmake_args())
    assert switches["NATIVE"] == "OFF"
    assert set(switches) == {"NATIVE", *REQUIRES, *AMX_SWITCHES}
    assert all(switches[s] == "OFF" for s in AMX_SWITCHES)


@pytest.mark.parametrize(("name", "on"), [
    ("epyc_this_machine", {"SSE42", "AVX", "AVX2", "BMI2", "FMA", "F16C", "AVX_VNNI",
                           "AVX512", "AVX512_VBMI", "AVX512_VNNI", "AVX512_BF16"}),
    ("cascadelake", {"SSE42", "AVX", "AVX2", "BMI2", "FMA", "F16C", "AVX512", "AVX512_VNNI"}),
    ("sapphirerapids", {"SSE42", "AVX", "AVX2", "BMI2", "FMA", "F16C", "AVX_VNNI",
                        "AVX512", "AVX512_VBMI", "AVX512_VNNI", "AVX512_BF16"}),
    ("skylakex", {"SSE42", "AVX", "AVX2", "BMI2", "FMA", "F16C", "AVX512"}),
    ("haswell", {"SSE42", "AVX", "AVX2", "BMI2", "FMA", "F16C"}),
    ("arrowlake_avx_vnni", {"SSE42", "AVX", "AVX2", "BMI2", "FMA", "F16C", "AVX_VNNI"}),
    ("westmere_sse42", {"SSE42"}),
])
def test_every_extension_the_cpu_has_is_used(name: str, on: set[str]) -> None:
    switches = _switches(choice_for(_text(name)).cmake_args())
    assert {s for s, state in switches.items() if state == "ON"} == on


@pytest.mark.parametrize(("name", "variant"), [
    ("epyc_this_machine", "zen4"),
    ("cascadelake", "cascadelake"),
    # The AMX variant is not bundled (#20824): the next best has all of AVX-512's kernels.
    ("sapphirerapids", "zen4"),
    ("graniterapids_amx", "zen4"),
    ("skylakex", "skylakex"),
    ("haswell", "haswell"),
    ("arrowlake_avx_vnni", "alderlake"),
    ("westmere_sse42", "sse42"),
])
def test_best_bundled_variant(name: str, variant: str) -> None:
    assert best_variant(cpu_flags(_text(name))) == variant


def test_with_every_variant_built_an_amx_cpu_would_score_the_amx_one() -> None:
    # Which is why the bundle leaves it out rather than trusting the scores.
    flags = cpu_flags(_text("sapphirerapids"))
    assert best_variant(flags, tuple(VARIANTS)) == "sapphirerapids"
    assert "sapphirerapids" not in BUNDLED_VARIANTS


@pytest.mark.parametrize("name", X86_FIXTURES)
def test_the_chosen_variant_needs_nothing_the_cpu_lacks(name: str) -> None:
    flags = cpu_flags(_text(name))
    variant = best_variant(flags)
    for switch in VARIANTS[variant]:
        assert REQUIRES[switch] <= flags, (name, variant, switch)


def test_a_cpu_without_flags_gets_the_x64_variant() -> None:
    assert best_variant(frozenset()) == "x64"


def test_arm_and_other_systems_get_llamas_default_build() -> None:
    arm = choice_for(_text("graviton2_arm64"), "Linux", "aarch64")
    assert not arm.x86
    assert arm.cmake_args() == ""
    assert "not Linux x86-64" in arm.summary()
    # A saved ARM cpuinfo read as if on x86 (setup.sh --cpuinfo) has no flags line either.
    assert choice_for(_text("graviton2_arm64")).cmake_args() == ""
    assert choice_for(_text("haswell"), "Darwin", "x86_64").cmake_args() == ""


def test_summary_names_the_switches_and_why_amx_is_off() -> None:
    summary = choice_for(_text("sapphirerapids")).summary()
    assert summary == ("llama.cpp for this CPU: SSE42 AVX AVX2 BMI2 FMA F16C AVX_VNNI "
                       "AVX512 AVX512_VBMI AVX512_VNNI AVX512_BF16 "
                       "(AMX off although the CPU has it: llama.cpp #20824)")
    assert choice_for(_text("haswell")).summary().endswith("(AMX off: llama.cpp #20824)")


def _run_script(*args: str) -> str:
    """The module as setup.sh runs it: a file, with -I so nothing of Hearth's venv leaks in."""
    done = subprocess.run([sys.executable, "-I", str(MODULE), *args],
                          capture_output=True, text=True, check=True, timeout=60)
    assert done.stderr == ""
    return done.stdout


def test_command_line_prints_what_setup_sh_reads() -> None:
    cascadelake = str(FIXTURES / "cascadelake")
    assert _run_script("--cpuinfo", cascadelake, "--cmake-args") == (
        "-DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_BMI2=ON "
        "-DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX_VNNI=OFF -DGGML_AVX512=ON "
        "-DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=OFF "
        "-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF\n")
    assert _run_script("--cpuinfo", cascadelake, "--variant") == "cascadelake\n"
    assert _run_script("--cpuinfo", cascadelake) == (
        "llama.cpp for this CPU: SSE42 AVX AVX2 BMI2 FMA F16C AVX512 AVX512_VNNI "
        "(AMX off: llama.cpp #20824)\n")
    arm = str(FIXTURES / "graviton2_arm64")
    assert _run_script("--cpuinfo", arm, "--cmake-args") == "\n"
    assert _run_script("--cpuinfo", arm, "--variant") == "\n"


def test_command_line_on_this_machine_agrees_with_the_module() -> None:
    choice, flags = cpu_features.this_machine()
    assert _run_script("--cmake-args") == choice.cmake_args() + "\n"
    assert _run_script("--variant") == (best_variant(flags) if choice.x86 else "") + "\n"
