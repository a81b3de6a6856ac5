"""Entry point of the frozen ``hearth`` console executable (the CLI).

``freeze_support()`` comes first for the same reason as in ``hearth_gui.py``:
``hearth chat`` starts the engine child with multiprocessing "spawn", which
re-runs this executable with ``--multiprocessing-fork``.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from desktop_app.cli.main import main

    sys.exit(main())
