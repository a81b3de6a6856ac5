"""Start-up work queued behind the window's first paint runs after it, once."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop_app.ui.common.first_paint import after_first_paint


def test_work_waits_for_the_first_paint_and_runs_once(qtbot: QtBot) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    calls: list[str] = []
    after_first_paint(widget, lambda: calls.append("work"))
    QApplication.processEvents()
    assert calls == []  # built, not shown: nothing painted yet
    widget.show()
    qtbot.waitExposed(widget)
    widget.repaint()
    qtbot.waitUntil(lambda: calls == ["work"])
    widget.repaint()
    QApplication.processEvents()
    assert calls == ["work"]
