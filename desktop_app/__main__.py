"""``python -m desktop_app`` starts the Hearth window."""

import multiprocessing
import sys

from desktop_app.ui.app import main

# The guard matters: the engine's child process is started with "spawn", which
# imports this module again (as __mp_main__) and must not open a second window.
if __name__ == "__main__":
    multiprocessing.freeze_support()  # for frozen installers (PyInstaller)
    sys.exit(main())
