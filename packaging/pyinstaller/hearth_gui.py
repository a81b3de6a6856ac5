"""Entry point of the frozen ``hearth-gui`` executable (the Hearth window).

PyInstaller runs this file as ``__main__``. ``freeze_support()`` must come
first: the engine's child process is started with multiprocessing "spawn",
which in a frozen app re-runs this very executable with
``--multiprocessing-fork``; freeze_support() turns that run into the engine
child instead of a second window. ``--self-test`` is checked after it, for the
same reason: the self-test's engine child re-runs this executable too.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    if "--self-test" in sys.argv[1:]:
        # `hearth-gui --self-test` (also run by `hearth --self-test`, whose executable
        # leaves Qt out): offscreen, on a temporary data folder, never the user's.
        from desktop_app.ui.self_test import main as self_test

        sys.exit(self_test(sys.argv[1:]))
    from desktop_app.ui.app import main

    sys.exit(main())
