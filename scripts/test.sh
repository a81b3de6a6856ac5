#!/usr/bin/env bash
# Set up (first time only) and run the whole test suite, slow end-to-end tests
# with the real demo model included, then the linters. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$HEARTH_ROOT"
export QT_QPA_PLATFORM=offscreen
"$VENV/bin/python" -m pytest "$@"
"$VENV/bin/ruff" check desktop_app tests bench scripts
"$VENV/bin/mypy" desktop_app
