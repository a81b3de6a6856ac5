#!/usr/bin/env bash
# Builds hearth_<version>_<arch>.deb from the PyInstaller bundle.
#
#   bash packaging/linux/build_deb.sh [OUT_DIR]    # the .deb (default OUT_DIR: dist/)
#
# From a clean checkout this one command does everything: when dist/hearth/ is
# missing it runs packaging/build_bundle.sh first (HEARTH_BUILD_BUNDLE=1 rebuilds
# it anyway, e.g. after changing the code; =0 never builds it). Then
# `sudo bash packaging/linux/check_deb.sh` installs the .deb, runs its self-test
# and removes it again.
#
# Layout: the bundle in /opt/hearth, /usr/bin/hearth and /usr/bin/hearth-gui as
# symlinks into it (the PyInstaller bootloader resolves its real path, so it
# finds /opt/hearth/_internal), the .desktop entry and the scalable icon. Depends
# comes from control.in: the libraries Qt's xcb platform plugin loads and the
# CJK fonts (see packaging/README.md). No maintainer scripts: dpkg's triggers
# refresh the icon cache and the desktop database.
#
# Environment: HEARTH_DIST (where the bundle is; default dist/ in the checkout),
# HEARTH_BUILD_BUNDLE (see above), and build_bundle.sh's own variables.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/packaging/linux"
DIST="${HEARTH_DIST:-$ROOT/dist}"
BUNDLE="$DIST/hearth"
OUT="${1:-$DIST}"

say() { printf '\033[1mbuild_deb:\033[0m %s\n' "$*" >&2; }

have_bundle() { [ -x "$BUNDLE/hearth" ] && [ -x "$BUNDLE/hearth-gui" ]; }
case "${HEARTH_BUILD_BUNDLE:-auto}" in
  1) build=1 ;;
  0) build=0 ;;
  *) if have_bundle; then build=0; else build=1; fi ;;
esac
if [ "$build" = 1 ]; then
  say "building the bundle first: packaging/build_bundle.sh"
  HEARTH_DIST="$DIST" bash "$ROOT/packaging/build_bundle.sh"
fi
have_bundle || { say "no bundle at $BUNDLE: run packaging/build_bundle.sh first"; exit 1; }

# The version comes from pyproject.toml, the one place it is written.
VERSION="$(awk -F'"' '/^version *=/ {print $2; exit}' "$ROOT/pyproject.toml")"
[ -n "$VERSION" ] || { say "no version in pyproject.toml"; exit 1; }
ARCH="$(dpkg --print-architecture)"
# The bundled Python and bootloader were linked against this machine's glibc.
# (No `cmd | head` pipelines here: with pipefail, head closing early kills the writer.)
GLIBC="$(getconf GNU_LIBC_VERSION | awk '{print $2}')"

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
PKG="$STAGE/hearth"

mkdir -p "$PKG/DEBIAN" "$PKG/opt" "$PKG/usr/bin" "$PKG/usr/share/applications" \
  "$PKG/usr/share/icons/hicolor/scalable/apps" "$PKG/usr/share/doc/hearth"
cp -a "$BUNDLE" "$PKG/opt/hearth"
ln -s /opt/hearth/hearth "$PKG/usr/bin/hearth"
ln -s /opt/hearth/hearth-gui "$PKG/usr/bin/hearth-gui"
install -m 644 "$HERE/hearth.desktop" "$PKG/usr/share/applications/hearth.desktop"
install -m 644 "$ROOT/resources/icons/hearth.svg" \
  "$PKG/usr/share/icons/hicolor/scalable/apps/hearth.svg"
printf 'Hearth %s\nLicense: MIT\n' "$VERSION" > "$PKG/usr/share/doc/hearth/copyright"

# Files 644, directories and executables 755, whatever the umask was.
chmod -R u=rwX,go=rX "$PKG/opt" "$PKG/usr"

SIZE_KB="$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)"
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@INSTALLED_SIZE@/$SIZE_KB/" \
    -e "s/@GLIBC@/$GLIBC/" "$HERE/control.in" > "$PKG/DEBIAN/control"

mkdir -p "$OUT"
DEB="$OUT/hearth_${VERSION}_${ARCH}.deb"
say "packing $DEB (xz; a minute or two)"
dpkg-deb --root-owner-group -Zxz --build "$PKG" "$DEB" >/dev/null
say "done: $DEB ($(du -h "$DEB" | cut -f1); installed $((SIZE_KB / 1024)) MiB)"
