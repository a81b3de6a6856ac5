#!/usr/bin/env bash
# Refreshes Hearth's translations: lupdate collects every string marked for
# translation (self.tr, QCoreApplication.translate, QT_TRANSLATE_NOOP) from
# desktop_app/**/*.py (core marks its messages with QT_TRANSLATE_NOOP) into resources/translations/hearth_<locale>.ts, then
# lrelease compiles each .ts into the .qm the app loads at run time.
#
# Usage:  scripts/update_translations.sh            # every locale below
#         scripts/update_translations.sh zh_CN      # just these locales
#
# Safe to run again: existing translations are kept, new source strings come
# in as "unfinished" (translate them in the .ts, e.g. with pyside6-linguist,
# then run this script again), and strings gone from the code are dropped.
# The compiled .qm is committed so Hearth runs without the Qt tools;
# tests/ui/test_translations.py fails when a .qm is stale or a string is
# untranslated.
set -euo pipefail

HEARTH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$HEARTH_ROOT/.venv}"
LOCALES=("$@")
# "en" holds only English plural forms ("1 document", "4 documents"): the code's
# own English is the source text, so only %n strings need a translation there.
[ "${#LOCALES[@]}" -gt 0 ] || LOCALES=(zh_CN en)

# The pyside6-* entry points are thin wrappers around the binaries PySide6
# ships; either works. Prefer the entry points, fall back to the binaries.
find_tool() {
  local name="$1" candidate
  for candidate in "$VENV/bin/pyside6-$name" \
                   "$VENV"/lib/python3*/site-packages/PySide6/"$name" \
                   "$(command -v "pyside6-$name" || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      printf '%s\n' "$candidate"; return 0
    fi
  done
  echo "update_translations: $name not found; run scripts/setup.sh first" >&2
  return 1
}
LUPDATE="$(find_tool lupdate)"
LRELEASE="$(find_tool lrelease)"

cd "$HEARTH_ROOT"
mkdir -p resources/translations
# Sorted so the .ts does not change with the file system's order.
mapfile -t SOURCES < <(find desktop_app -name '*.py' | LC_ALL=C sort)

for locale in "${LOCALES[@]}"; do
  ts="resources/translations/hearth_$locale.ts"
  qm="resources/translations/hearth_$locale.qm"
  # -locations relative: file:line references without absolute paths, so the
  # .ts is the same on every machine. -no-obsolete: drop strings the code no
  # longer has instead of keeping them as "vanished".
  only=()
  [ "$locale" = en ] && only=(-pluralonly)
  "$LUPDATE" -silent -locations relative -no-obsolete "${only[@]}" -target-language "$locale" \
    "${SOURCES[@]}" -ts "$ts"
  "$LRELEASE" -silent "$ts" -qm "$qm"
  unfinished="$(grep -c 'type="unfinished"' "$ts" || true)"
  echo "$ts: ${unfinished} unfinished" >&2
done
