#!/usr/bin/env bash
# Builds the llama-cpp-python wheel Hearth runs on, into OUTDIR:
#   packaging/build_llama_wheel.sh PYTHON OUTDIR
# The version is the one in packaging/llama-cpp-python-version, the build flags come
# from CMAKE_ARGS, and the patches in packaging/llama-cpp-patches/ are applied to the
# source first (each says why in its own text). scripts/setup.sh and
# packaging/build_bundle.sh both build through here, so the app a developer runs and
# the one an installer ships are the same code.
set -euo pipefail
PYTHON=$1
OUTDIR=$2
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSION=$(grep -v '^#' "$HERE/llama-cpp-python-version" | head -n1 | tr -d '[:space:]')

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m pip download -q --no-deps --no-binary :all: -d "$work" "llama-cpp-python==$VERSION"
tar -xzf "$work"/llama_cpp_python-"$VERSION".tar.gz -C "$work"
src="$work/llama_cpp_python-$VERSION"
for p in "$HERE"/llama-cpp-patches/*.patch; do
  # --forward and no fuzz: a patch that does not apply exactly stops the build.
  patch -d "$src" -p1 --forward --fuzz=0 --quiet < "$p"
done
mkdir -p "$OUTDIR"
"$PYTHON" -m pip wheel -q --no-deps --no-cache-dir -w "$OUTDIR" "$src"
