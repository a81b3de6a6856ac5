"""Hearth's look: the stylesheet and the window icon from ``resources/``.

Kept out of the widgets so tests run with the plain platform style, and so a
missing resource (a broken install) costs the styling, never the window.
"""

from __future__ import annotations

import logging

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from desktop_app.core.paths import resources_dir

log = logging.getLogger(__name__)


def apply_look(app: QApplication) -> None:
    """Install the stylesheet and the application icon."""
    resources = resources_dir()
    try:
        app.setStyleSheet((resources / "style.qss").read_text(encoding="utf-8"))
    except OSError as exc:
        log.warning("stylesheet not loaded: %s", exc)
    icon = resources / "icons" / "hearth.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
