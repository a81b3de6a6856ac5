#!/usr/bin/env bash
# Set up (first time only) and start Hearth. Extra arguments go to the app.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec "$VENV/bin/python" -m desktop_app "$@"
