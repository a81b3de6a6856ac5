"""``python -m desktop_app`` starts the Hearth window."""

import multiprocessing
import sys

# The guard matters: the engine's child process is started with "spawn", which
# imports this module again (as __mp_main__) and must not open a second window.
# The window's modules are imported inside it, so such an import costs nothing.
if __name__ == "__main__":
    multiprocessing.freeze_support()  # for frozen installers (PyInstaller)
    if "--self-test" in sys.argv[1:]:  # offscreen, on a temporary data folder
        from desktop_app.ui.self_test import main as self_test

        sys.exit(self_test(sys.argv[1:]))
    from desktop_app.ui.app import main

    sys.exit(main())
