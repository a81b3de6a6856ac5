"""Hearth's look: a designed light and dark palette, the stylesheet, and the window icon.

The theme is a setting ("system", "light" or "dark") applied live: the
:class:`Look` object sets Fusion with Hearth's own palette (the platform's
palettes differ too much between desktops to design against), reloads the
stylesheet with that palette's colours (``$accent``-style fields in
``resources/style.qss``), and emits :attr:`Look.changed` so
views that paint themselves (the chat's Markdown) re-render. "system"
follows the desktop's colour scheme as Qt reports it, and switches along
with it.

Kept out of the widgets so tests run with a known style, and so a missing
resource (a broken install) costs the styling, never the window.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from string import Template

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from desktop_app.core.paths import resources_dir
from desktop_app.core.settings import THEMES

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Colors:
    """One theme's colours: the palette roles, and the few accents the stylesheet uses."""

    window: str
    base: str
    alternate: str
    text: str
    muted: str
    accent: str
    accent_text: str
    border: str
    user_bubble: str
    sidebar: str
    warning: str
    error: str
    dark: bool


LIGHT_COLORS = Colors(
    window="#f7f7f8", base="#ffffff", alternate="#f0f0f3", text="#1f1f24", muted="#6b6b76",
    accent="#2563eb", accent_text="#ffffff", border="#d6d6dc", user_bubble="#e8eefc",
    sidebar="#efeff2", warning="#b45309", error="#c0392b", dark=False)
DARK_COLORS = Colors(
    window="#1b1c20", base="#232429", alternate="#2a2b31", text="#e6e6ea", muted="#9a9aa5",
    accent="#7aa2f7", accent_text="#0e1014", border="#3a3b44", user_bubble="#2c3550",
    sidebar="#17181b", warning="#f0b45a", error="#ef7b6f", dark=True)


def palette_for(colors: Colors) -> QPalette:
    """A complete QPalette from a theme's colours (disabled text greyed as well)."""
    palette = QPalette()
    role = QPalette.ColorRole
    group = QPalette.ColorGroup
    pairs = {
        role.Window: colors.window, role.WindowText: colors.text, role.Base: colors.base,
        role.AlternateBase: colors.alternate, role.Text: colors.text,
        role.Button: colors.alternate, role.ButtonText: colors.text,
        role.ToolTipBase: colors.base, role.ToolTipText: colors.text,
        role.Highlight: colors.accent, role.HighlightedText: colors.accent_text,
        role.Link: colors.accent, role.LinkVisited: colors.accent,
        role.PlaceholderText: colors.muted, role.BrightText: colors.error,
        role.Light: colors.base, role.Midlight: colors.alternate, role.Mid: colors.border,
        role.Dark: colors.border, role.Shadow: "#000000",
    }
    for color_role, value in pairs.items():
        palette.setColor(color_role, QColor(value))
    for color_role in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(group.Disabled, color_role, QColor(colors.muted))
    return palette


def system_prefers_dark() -> bool:
    """Whether the desktop asks for a dark colour scheme (False when it does not say)."""
    hints = QGuiApplication.styleHints()
    return bool(hints.colorScheme() == Qt.ColorScheme.Dark)


class Look(QObject):
    """Applies the theme to the application and tells views when it changes.

    Signals:
        changed(Colors): the colours now in use (after a setting or a desktop change).
    """

    changed = Signal(object)

    def __init__(self, app: QApplication, theme: str = "system") -> None:
        super().__init__(app)
        self._app = app
        self._theme = theme if theme in THEMES else "system"
        self.colors = LIGHT_COLORS
        self._stylesheet = self._read_stylesheet()
        icon = resources_dir() / "icons" / "hearth.svg"
        if icon.exists():
            app.setWindowIcon(QIcon(str(icon)))
        app.setStyle("Fusion")
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_system_scheme_changed)
        self._apply()

    @property
    def theme(self) -> str:
        return self._theme

    def set_theme(self, theme: str) -> None:
        """Switch to "system", "light" or "dark" now (unknown names mean "system")."""
        theme = theme if theme in THEMES else "system"
        if theme != self._theme:
            self._theme = theme
            self._apply()

    def _on_system_scheme_changed(self, *_args: object) -> None:
        if self._theme == "system":
            self._apply()

    def _apply(self) -> None:
        dark = self._theme == "dark" or (self._theme == "system" and system_prefers_dark())
        self.colors = DARK_COLORS if dark else LIGHT_COLORS
        self._app.setPalette(palette_for(self.colors))
        fields = {name: str(value) for name, value in vars(self.colors).items()}
        self._app.setStyleSheet(Template(self._stylesheet).safe_substitute(fields))
        self.changed.emit(self.colors)

    @staticmethod
    def _read_stylesheet() -> str:
        try:
            return (resources_dir() / "style.qss").read_text(encoding="utf-8")
        except OSError as exc:
            log.warning("stylesheet not loaded: %s", exc)
            return ""
