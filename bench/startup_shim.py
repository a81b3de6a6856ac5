"""Starts ``python -m desktop_app`` from a given checkout, for ``bench_startup.py``.

Usage: ``python bench/startup_shim.py CHECKOUT PROBE_FILE [app args...]``.

Both sides of a before/after comparison start through this shim, so they pay
the same launcher cost. A checkout whose window attaches the startup probe
itself (``desktop_app/ui/startup_probe.py`` exists) is only run; an older one
gets the probe loaded from ``PROBE_FILE`` and attached at the end of its
``MainWindow.__init__`` through an import hook, so no module is imported
earlier or in another order than the app itself does.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import runpy
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

WINDOW_MODULE = "desktop_app.ui.main_window"


class _PatchWindow(importlib.abc.MetaPathFinder):
    """When the window's module is loaded, wrap its ``MainWindow.__init__`` to attach the probe."""

    def __init__(self, probe: ModuleType) -> None:
        self._probe = probe

    def find_spec(self, fullname: str, path: Any, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname != WINDOW_MODULE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader, probe = spec.loader, self._probe

        class Loader(importlib.abc.Loader):
            def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
                return loader.create_module(spec)

            def exec_module(self, module: ModuleType) -> None:
                loader.exec_module(module)
                window_class = module.MainWindow
                init = window_class.__init__

                def patched(window: Any, *args: Any, **kwargs: Any) -> None:
                    init(window, *args, **kwargs)
                    probe.attach(window)

                window_class.__init__ = patched

        spec.loader = Loader()
        return spec


def main() -> None:
    checkout, probe_file = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    sys.argv = [str(checkout / "desktop_app" / "__main__.py"), *sys.argv[3:]]
    sys.path.insert(0, str(checkout))
    if not (checkout / "desktop_app" / "ui" / "startup_probe.py").exists():
        spec = importlib.util.spec_from_file_location("hearth_bench_probe", probe_file)
        assert spec is not None
        assert spec.loader is not None
        probe = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(probe)
        sys.meta_path.insert(0, _PatchWindow(probe))
    runpy.run_module("desktop_app", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
