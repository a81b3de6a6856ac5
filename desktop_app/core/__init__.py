"""Everything Hearth does that needs no Qt: paths, settings, storage, engine, models.

Nothing under this package may import PySide6 (``tests/core/test_core_is_qt_free.py``
enforces it), so the CLI, the benchmarks and the engine child process can use it
without loading Qt.
"""
