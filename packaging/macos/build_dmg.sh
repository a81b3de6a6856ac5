#!/usr/bin/env bash
# Builds dist/Hearth-<version>.dmg holding Hearth.app. Run on a Mac; NOT tested
# on the Linux build machine (no macOS there), so check it on first use.
#
#   bash packaging/macos/build_dmg.sh
#
# Metal: on Apple Silicon, llama.cpp builds with Metal by default and embeds its
# shaders in libggml-metal (GGML_METAL_EMBED_LIBRARY), so the bundle needs no
# .metal file; the default CMAKE_ARGS below only say so explicitly. On Intel Macs
# leave Metal off (CMAKE_ARGS="-DGGML_METAL=OFF"); build_bundle.sh then picks
# its AVX2 defaults when CMAKE_ARGS is empty. The app is signed ad hoc only:
# distributing it needs a Developer ID signature and notarization (not covered).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIST="${HEARTH_DIST:-$ROOT/dist}"

[ "$(uname -s)" = Darwin ] || { echo "build_dmg: run this on macOS" >&2; exit 1; }
if [ "$(uname -m)" = arm64 ] && [ -z "${CMAKE_ARGS:-}" ]; then
  export CMAKE_ARGS="-DGGML_METAL=ON"
fi

# The spec adds a BUNDLE step on macOS: dist/Hearth.app (hearth-gui is its main
# executable; the hearth CLI sits beside it in Contents/MacOS).
HEARTH_DIST="$DIST" bash "$ROOT/packaging/build_bundle.sh"

VERSION="$(awk -F'"' '/^version *=/ {print $2; exit}' "$ROOT/pyproject.toml")"
APP="$DIST/Hearth.app"
codesign --force --deep --sign - "$APP"

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
DMG="$DIST/Hearth-$VERSION.dmg"
rm -f "$DMG"
hdiutil create -volname "Hearth $VERSION" -srcfolder "$STAGE" -format UDZO "$DMG"
echo "build_dmg: done: $DMG"
