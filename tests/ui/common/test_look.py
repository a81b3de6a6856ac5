"""The designed light and dark look, chosen in Settings and applied live."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_app.ui.common.look import DARK_COLORS, LIGHT_COLORS, Colors, Look
from tests.ui.conftest import AppFactory


@pytest.fixture
def look(qapp: QApplication) -> Iterator[Look]:
    look = Look(qapp, "light")
    yield look
    look.setParent(None)  # type: ignore[call-overload]
    qapp.setStyleSheet("")
    qapp.setPalette(QPalette())


def _window_color(app: QApplication) -> str:
    return app.palette().color(QPalette.ColorRole.Window).name()


def test_light_and_dark_palettes_and_stylesheet(qapp: QApplication, look: Look,
                                                qtbot: QtBot) -> None:
    assert _window_color(qapp) == LIGHT_COLORS.window
    assert "$" not in qapp.styleSheet()  # every field was filled
    assert LIGHT_COLORS.accent in qapp.styleSheet()
    with qtbot.waitSignal(look.changed) as changed:
        look.set_theme("dark")
    assert changed.args == [DARK_COLORS]
    assert _window_color(qapp) == DARK_COLORS.window
    assert DARK_COLORS.accent in qapp.styleSheet()
    look.set_theme("no such theme")  # treated as "system"
    assert look.theme == "system"


@pytest.mark.parametrize("colors", [LIGHT_COLORS, DARK_COLORS])
def test_text_has_enough_contrast(colors: Colors) -> None:
    """WCAG AA: body text at least 4.5:1 against its background, muted text at least 3:1."""
    def luminance(hex_color: str) -> float:
        channels = [int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(a: str, b: str) -> float:
        high, low = sorted((luminance(a), luminance(b)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    for background in (colors.base, colors.window, colors.user_bubble):
        assert contrast(colors.text, background) >= 4.5
        assert contrast(colors.muted, background) >= 3.0
    assert contrast(colors.accent_text, colors.accent) >= 4.5


@pytest.mark.usefixtures("registered_demo")
def test_the_settings_dialog_switches_the_theme_live(qapp: QApplication, look: Look,
                                                     make_app: AppFactory,
                                                     qtbot: QtBot) -> None:
    window = make_app(look=look).window
    dialog = window.settings_dialog()
    qtbot.addWidget(dialog)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    with qtbot.waitSignal(look.changed):
        window.models.apply_settings(dialog.result_settings())  # what OK does
    assert _window_color(qapp) == DARK_COLORS.window
    assert window.models.settings.theme == "dark"
