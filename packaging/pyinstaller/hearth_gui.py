"""Entry point of the frozen ``hearth-gui`` executable (the Hearth window).

PyInstaller runs this file as ``__main__``. ``freeze_support()`` must come
first: the engine's child process is started with multiprocessing "spawn",
which in a frozen app re-runs this very executable with
``--multiprocessing-fork``; freeze_support() turns that run into the engine
child instead of a second window.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from desktop_app.ui.app import main

    sys.exit(main())
