"""``python -m desktop_app`` starts the Hearth window."""

import sys

from desktop_app.ui.app import main

sys.exit(main())
