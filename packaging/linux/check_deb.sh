#!/usr/bin/env bash
# Installs a Hearth .deb, runs the installed program's self-test, removes it again.
#
#   sudo bash packaging/linux/check_deb.sh [hearth_<version>_<arch>.deb]   # default: dist/
#
# As root, on a machine (or container) where Hearth is not installed: it refuses
# to replace an installed Hearth. Steps: `apt-get install ./the.deb` (apt pulls
# in the Depends; dpkg -i when there is no apt), `hearth --version`, then
# `hearth --self-test` and `hearth-gui --self-test` with no display (each starts
# the window offscreen on a temporary data folder, assembles and loads the
# bundled demo model, streams a reply through the engine child process and reads
# the saved conversation back; see desktop_app/ui/self_test.py), and, when
# xvfb-run is installed, `hearth-gui --self-test` once more on Qt's X11 (xcb)
# platform plugin in a virtual X server, which proves the Depends bring every
# library that plugin loads; and `hearth --self-test --self-test-model` with a
# file that is no model, which must fail with exit code 1 and a one-line reason.
# Then
# `apt-get remove hearth`, always, even when a step failed. The libraries apt
# pulled in stay installed.
#
# Reports the package's size, the installed size and each self-test's time;
# exits 1 if any step failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIST="${HEARTH_DIST:-$ROOT/dist}"

say() { printf '\033[1mcheck_deb:\033[0m %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

if [ $# -ge 1 ]; then
  DEB="$1"
else
  debs=("$DIST"/hearth_*.deb)
  [ -f "${debs[0]}" ] || { say "no .deb in $DIST: run packaging/linux/build_deb.sh first"; exit 1; }
  DEB="${debs[-1]}"
fi
[ -f "$DEB" ] || { say "no such file: $DEB"; exit 1; }
DEB="$(cd "$(dirname "$DEB")" && pwd)/$(basename "$DEB")"  # apt-get needs a path, not a name
[ "$(id -u)" = 0 ] || { say "run as root (sudo): it installs and removes a package"; exit 1; }
if dpkg-query -W -f='${Status}' hearth 2>/dev/null | grep -q 'install ok installed'; then
  say "Hearth is already installed here; remove it first (apt-get remove hearth)"
  exit 1
fi

failed=0
remove() {
  say "removing the package"
  if command -v apt-get >/dev/null; then
    apt-get remove -y -q hearth >/dev/null || failed=1
  else
    dpkg -r hearth >/dev/null || failed=1
  fi
  if [ -e /opt/hearth ]; then say "FAILED: /opt/hearth is still there after removal"; failed=1; fi
}

deb_bytes="$(stat -c %s "$DEB")"
say "installing $DEB"
trap remove EXIT  # also after a half-done install
started="$(now)"
if command -v apt-get >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$DEB" >/dev/null
else
  dpkg -i "$DEB" >/dev/null
fi
install_seconds="$(since "$started")"
installed_kib="$(dpkg-query -W -f='${Installed-Size}' hearth)"
on_disk_kib="$(du -sk /opt/hearth | cut -f1)"

# The installed commands, as a user runs them: through /usr/bin, with no display.
run() {
  env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM "$@"
}
version="$(run /usr/bin/hearth --version)" || { say "FAILED: hearth --version"; failed=1; }
results=()
for exe in hearth hearth-gui; do
  say "$exe --self-test"
  started="$(now)"
  if run "/usr/bin/$exe" --self-test; then
    results+=("$exe --self-test: passed in $(since "$started") s")
  else
    results+=("$exe --self-test: FAILED after $(since "$started") s")
    failed=1
  fi
done
if command -v xvfb-run >/dev/null; then
  say "hearth-gui --self-test on X11 (xvfb-run)"
  started="$(now)"
  if env -u WAYLAND_DISPLAY QT_QPA_PLATFORM=xcb xvfb-run -a /usr/bin/hearth-gui --self-test; then
    results+=("hearth-gui --self-test on X11: passed in $(since "$started") s")
  else
    results+=("hearth-gui --self-test on X11: FAILED after $(since "$started") s")
    failed=1
  fi
else
  results+=("hearth-gui --self-test on X11: skipped (no xvfb-run; apt-get install xvfb)")
fi
# A failure must reach the caller too: exit code 1 and the reason in one line.
broken="$(mktemp --suffix=.gguf)"
echo "not a model" > "$broken"
code=0
reason="$(run /usr/bin/hearth --self-test --self-test-model "$broken" 2>&1 >/dev/null)" || code=$?
if [ "$code" = 1 ] && [ "$(printf '%s\n' "$reason" | wc -l)" = 1 ]; then
  results+=("hearth --self-test with a broken model: failed as it should: $reason")
else
  results+=("hearth --self-test with a broken model: FAILED (exit code $code: $reason)")
  failed=1
fi
rm -f "$broken"

trap - EXIT
remove
say "report for $(basename "$DEB") (${version:-no version})"
say "  package: $((deb_bytes / 1048576)) MiB ($deb_bytes bytes)"
say "  installed: $((installed_kib / 1024)) MiB (Installed-Size $installed_kib KiB;" \
    "/opt/hearth $((on_disk_kib / 1024)) MiB on disk); apt-get install took $install_seconds s"
for line in "${results[@]}"; do say "  $line"; done
if [ "$failed" = 0 ]; then say "  removed cleanly; all passed"; else say "  FAILED"; fi
exit "$failed"
