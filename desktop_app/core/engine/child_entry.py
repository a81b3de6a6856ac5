"""The engine child's entry point, in a module the parent can import for nothing.

``spawn`` pickles the child's target by reference, and pickling a function
imports its module in the parent. Naming :func:`runner.serve` directly made
the window's process import the child's whole code (llama.cpp's loader,
Jinja2 templates, the reply session: ~80 ms) that only the child runs.
"""

from __future__ import annotations

from multiprocessing.connection import Connection


def serve(conn: Connection, log_level: int, stderr_path: str | None) -> None:
    """Run :func:`desktop_app.core.engine.runner.serve` in the child process."""
    from desktop_app.core.engine.runner import serve as run

    run(conn, log_level, stderr_path)
