"""Which of llama.cpp's x86 kernels this CPU can run, read from /proc/cpuinfo.

Two users, one source of truth:

* ``scripts/setup.sh`` builds llama-cpp-python for the developer's own CPU. A
  native build (``-march=native``) would also compile ggml's AMX kernels on
  CPUs that have AMX, and those segfault on the first decode (llama.cpp issue
  #20824), so setup.sh asks this module for explicit ``-DGGML_*`` switches
  instead: every extension the CPU reports, AMX always off. Enabling one the
  CPU lacks crashes at once with "Illegal instruction", so a switch is ON only
  when the CPU reports every instruction set the compiler flags behind it enable.
  setup.sh runs this file with the system Python before the venv exists, so it
  imports nothing but the standard library (and nothing from Hearth).
* The installers ship ggml's CPU backend as runtime-loadable variants
  (``GGML_CPU_ALL_VARIANTS``) and ggml picks one at start; :func:`best_variant`
  says which one it should pick here, for ``hearth --self-test`` and the tests.

The tables mirror llama.cpp as vendored in llama-cpp-python 0.3.36:
``ggml/src/ggml-cpu/CMakeLists.txt`` (the -m flags behind each GGML_* switch),
``ggml/src/CMakeLists.txt`` (the variants) and
``ggml/src/ggml-cpu/arch/x86/cpu-feats.cpp`` (how ggml scores them).

    python3 desktop_app/core/cpu_features.py              # what was chosen, in words
    python3 desktop_app/core/cpu_features.py --cmake-args # the -D switches, one line
    python3 desktop_app/core/cpu_features.py --variant    # the best CPU variant's name
"""

from __future__ import annotations

import argparse
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")

AMX_ISSUE = "llama.cpp #20824"
"""Why AMX stays off: ggml's AMX kernels segfault on the first decode."""

# ---- the switches ------------------------------------------------------------------------
# /proc/cpuinfo names (Linux's arch/x86/include/asm/cpufeatures.h) of the instruction
# sets each switch lets the compiler use: the -m flags ggml-cpu/CMakeLists.txt adds for
# it, plus what gcc enables with them (-mavx2 implies -mavx, -msse4.2 and -mpopcnt;
# -mavx512vbmi implies -mavx512bw ...). Every switch above SSE 4.2 needs the SSE 4.2
# set, and the AVX-512 extensions need ggml's whole AVX-512 base (F, CD, VL, DQ, BW),
# because ggml only uses them inside its GGML_AVX512 code.
_SSE42 = frozenset({"pni", "ssse3", "sse4_1", "sse4_2", "popcnt"})  # pni is SSE3
_AVX = _SSE42 | {"avx"}
_AVX2 = _AVX | {"avx2"}
_AVX512 = _AVX2 | {"avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"}

REQUIRES: dict[str, frozenset[str]] = {
    "SSE42": _SSE42,
    "AVX": _AVX,
    "AVX2": _AVX2,
    "BMI2": frozenset({"bmi2"}),
    "FMA": _AVX | {"fma"},
    "F16C": _AVX | {"f16c"},
    "AVX_VNNI": _AVX2 | {"avx_vnni"},
    "AVX512": _AVX512,
    "AVX512_VBMI": _AVX512 | {"avx512vbmi"},
    "AVX512_VNNI": _AVX512 | {"avx512_vnni"},
    "AVX512_BF16": _AVX512 | {"avx512_bf16"},
}
"""GGML_<switch> -> the CPU flags it needs; in the order setup.sh passes them."""

AMX_SWITCHES = ("AMX_TILE", "AMX_INT8", "AMX_BF16")
"""Always OFF, whatever the CPU has (llama.cpp #20824)."""

# ---- the variants ------------------------------------------------------------------------
# ggml_add_cpu_backend_variant(...) in ggml/src/CMakeLists.txt, for gcc/clang (MSVC
# builds fewer). Each variant is compiled with exactly these switches.
VARIANTS: dict[str, tuple[str, ...]] = {
    "x64": (),
    "sse42": ("SSE42",),
    "sandybridge": ("SSE42", "AVX"),
    "ivybridge": ("SSE42", "AVX", "F16C"),
    "piledriver": ("SSE42", "AVX", "F16C", "FMA"),
    "haswell": ("SSE42", "AVX", "F16C", "FMA", "AVX2", "BMI2"),
    "skylakex": ("SSE42", "AVX", "F16C", "FMA", "AVX2", "BMI2", "AVX512"),
    "cannonlake": ("SSE42", "AVX", "F16C", "FMA", "AVX2", "BMI2", "AVX512", "AVX512_VBMI"),
    "cascadelake": ("SSE42", "AVX", "F16C", "FMA", "AVX2", "BMI2", "AVX512", "AVX512_VNNI"),
    "icelake": ("SSE42", "AVX", "F16C", "FMA", "AVX2", "BMI2", "AVX512", "AVX512_VBMI",
                "AVX512_VNNI"),
    "cooperlake": ("SSE42", "AVX", "F16C", "FMA", "AVX2", "BMI2", "AVX512", "AVX512_VNNI",
                   "AVX512_BF16"),
    "zen4": ("SSE42", "AVX", "F16C", "FMA", "AVX2", "BMI2", "AVX512", "AVX512_VBMI",
             "AVX512_VNNI", "AVX512_BF16"),
    "alderlake": ("SSE42", "AVX", "F16C", "FMA", "AVX2", "BMI2", "AVX_VNNI"),
    "sapphirerapids": ("SSE42", "AVX", "F16C", "FMA", "AVX2", "BMI2", "AVX512",
                       "AVX512_VBMI", "AVX512_VNNI", "AVX512_BF16", "AMX_TILE", "AMX_INT8"),
}

EXCLUDED_VARIANTS = frozenset({"sapphirerapids"})
"""Built by GGML_CPU_ALL_VARIANTS but left out of the installers: its AMX kernels
segfault (llama.cpp #20824); without it such CPUs score zen4 next best."""

BUNDLED_VARIANTS = tuple(v for v in VARIANTS if v not in EXCLUDED_VARIANTS)

# ggml_backend_cpu_x86_score(): each switch a variant was built with must be present
# (checked with cpuid; here with the kernel's flags, which also says the OS enabled the
# registers) and adds its weight; the highest score wins. AMX_TILE and AMX_BF16 add
# nothing and are not checked there.
_SCORE: dict[str, tuple[int, frozenset[str]]] = {
    "FMA": (1, frozenset({"fma"})),
    "F16C": (1 << 1, frozenset({"f16c"})),
    "SSE42": (1 << 2, frozenset({"sse4_2"})),
    "BMI2": (1 << 3, frozenset({"bmi2"})),
    "AVX": (1 << 4, frozenset({"avx"})),
    "AVX2": (1 << 5, frozenset({"avx2"})),
    "AVX_VNNI": (1 << 6, frozenset({"avx_vnni"})),
    "AVX512": (1 << 7, frozenset({"avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"})),
    "AVX512_VBMI": (1 << 8, frozenset({"avx512vbmi"})),
    "AVX512_BF16": (1 << 9, frozenset({"avx512_bf16"})),
    "AVX512_VNNI": (1 << 10, frozenset({"avx512_vnni"})),
    "AMX_INT8": (1 << 11, frozenset({"amx_int8"})),
    "AMX_TILE": (0, frozenset()),
}


@dataclass(frozen=True)
class KernelChoice:
    """What to build llama.cpp with on this CPU, and why."""

    x86: bool               # False: not Linux on x86-64, so the default build is used
    enabled: tuple[str, ...]   # GGML_* switches turned on, in REQUIRES order
    has_amx: bool           # the CPU has AMX (which stays off anyway)
    reason: str = ""        # why there are no switches, when x86 is False

    def cmake_args(self) -> str:
        """The -D switches for CMAKE_ARGS; empty off x86 (llama.cpp's defaults apply)."""
        if not self.x86:
            return ""
        args = ["-DGGML_NATIVE=OFF"]
        args += [f"-DGGML_{s}={'ON' if s in self.enabled else 'OFF'}" for s in REQUIRES]
        args += [f"-DGGML_{s}=OFF" for s in AMX_SWITCHES]
        return " ".join(args)

    def summary(self) -> str:
        """One line for setup.sh to print."""
        if not self.x86:
            return f"llama.cpp for this CPU: its default build ({self.reason})"
        shown = " ".join(self.enabled) or "no vector extensions (x86-64 baseline)"
        amx = "AMX off although the CPU has it" if self.has_amx else "AMX off"
        return f"llama.cpp for this CPU: {shown} ({amx}: {AMX_ISSUE})"


def cpu_flags(cpuinfo: str) -> frozenset[str]:
    """The x86 feature flags of the first processor in a /proc/cpuinfo text.

    Empty when there is no ``flags`` line (ARM kernels say ``Features`` instead),
    which makes every switch OFF: the safe answer for a file we do not understand.
    """
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def choose(flags: frozenset[str], *, x86: bool = True, reason: str = "") -> KernelChoice:
    """The switches a CPU with ``flags`` can run: each needs all of its REQUIRES."""
    if not x86:
        return KernelChoice(x86=False, enabled=(), has_amx=False, reason=reason)
    enabled = tuple(s for s, need in REQUIRES.items() if need <= flags)
    return KernelChoice(x86=True, enabled=enabled, has_amx=bool(flags & {"amx_tile", "amx_int8"}))


def variant_score(variant: str, flags: frozenset[str]) -> int:
    """ggml's score for one variant on a CPU with ``flags``; 0 means it cannot run there."""
    score = 1
    for switch in VARIANTS[variant]:
        weight, need = _SCORE[switch]
        if not need <= flags:
            return 0
        score += weight
    return score


def best_variant(flags: frozenset[str], available: tuple[str, ...] = BUNDLED_VARIANTS) -> str:
    """The variant ggml loads out of ``available`` on a CPU with ``flags`` (x64 always runs).

    Ties keep the first in ``available`` (ggml keeps the first file it lists with the
    best score, in directory order; no two variants score the same).
    """
    return max(available, key=lambda v: variant_score(v, flags))


def choice_for(cpuinfo: str, system: str = "Linux", machine: str = "x86_64") -> KernelChoice:
    """The choice for a machine: explicit switches only for Linux on x86-64.

    Elsewhere (macOS, Windows, ARM) llama.cpp's own defaults are right and these
    switches would be meaningless, so there are none and the reason says why.
    A cpuinfo without a ``flags`` line (an ARM kernel's) counts as not x86.
    """
    machine = machine.lower()
    if system != "Linux" or machine not in ("x86_64", "amd64"):
        return choose(frozenset(), x86=False, reason=f"{system} on {machine}, not Linux x86-64")
    flags = cpu_flags(cpuinfo)
    if not flags:
        return choose(flags, x86=False, reason="no x86 flags in /proc/cpuinfo")
    return choose(flags)


def this_machine() -> tuple[KernelChoice, frozenset[str]]:
    """The choice for the CPU this runs on, with that CPU's flags."""
    try:
        text = CPUINFO.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    system, machine = platform.system(), platform.machine()
    choice = choice_for(text, system, machine)
    return choice, cpu_flags(text) if choice.x86 else frozenset()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpuinfo", type=Path, help="read this file instead of /proc/cpuinfo")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--cmake-args", action="store_true", help="print the -DGGML_* switches")
    what.add_argument("--variant", action="store_true", help="print the best CPU variant")
    args = parser.parse_args(argv)
    if args.cpuinfo is not None:  # a saved /proc/cpuinfo, as if from Linux on x86-64
        text = args.cpuinfo.read_text(encoding="utf-8", errors="replace")
        choice, flags = choice_for(text), cpu_flags(text)
    else:
        choice, flags = this_machine()
    if args.cmake_args:
        print(choice.cmake_args())
    elif args.variant:
        print(best_variant(flags) if choice.x86 else "")
    else:
        print(choice.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
