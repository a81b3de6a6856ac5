"""The engine child's entry point, in a module the parent can import for nothing.

``spawn`` pickles the child's target by reference, and pickling a function
imports its module in the parent. Naming :func:`runner.serve` directly made
the window's process import the child's whole code (llama.cpp's loader,
Jinja2 templates, the reply session: ~80 ms) that only the child runs.
"""

from __future__ import annotations

import os
from multiprocessing.connection import Connection

OPENMP_SPIN_COUNT = 10_000
"""How long llama.cpp's CPU threads spin at a barrier before they sleep (GOMP_SPINCOUNT).

llama.cpp's CPU backend is built with OpenMP (GCC's libgomp), and its threads
meet at a barrier after every operation of a token. Unless told otherwise,
libgomp spins 300,000 times there before it sleeps: milliseconds. On a
machine where llama.cpp takes every core (the default on 2 cores), the window
preempts one of the threads to draw a batch of text and the other then spins
for as long as that takes, so every millisecond of the window's work cost
two of decoding. 10,000 spins (a quarter to half a millisecond) still covers
a barrier where both threads run, which takes microseconds; past it the
waiting thread sleeps and the preempted one goes on in its core.
A user's own GOMP_SPINCOUNT or OMP_WAIT_POLICY is left alone.
"""


def serve(conn: Connection, log_level: int, stderr_path: str | None) -> None:
    """Run :func:`desktop_app.core.engine.runner.serve` in the child process."""
    if "OMP_WAIT_POLICY" not in os.environ:
        # Read once, when llama.cpp's library loads: before the first import of llama_cpp.
        os.environ.setdefault("GOMP_SPINCOUNT", str(OPENMP_SPIN_COUNT))
    from desktop_app.core.engine.runner import serve as run

    run(conn, log_level, stderr_path)
