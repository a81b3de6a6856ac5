"""A scroll bar that repaints only when what it shows changes.

While a reply streams into a long chat, the content grows a little with
every batch and the view follows it: the bar's range and value change about
20 times a second. ``QAbstractSlider`` repaints the whole bar on every such
change, even when the handle stays on the same pixels, which in a
1,000-message chat is nearly always (its handle is a few pixels tall and
moves a fraction of a pixel per batch). Painting it is not cheap: the Fusion
style fills the groove with a gradient, and Qt's raster engine splits a fill
taller than about 100 lines across its GUI thread pool and waits for it, so
each repaint wakes threads that take CPU from llama.cpp on a small machine
(about a third of the GUI thread's time while streaming, ``bench/bench_chat_view.py``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QAbstractSlider, QScrollBar, QStyle, QStyleOptionSlider, QWidget

_MOVES = (QAbstractSlider.SliderChange.SliderRangeChange,
          QAbstractSlider.SliderChange.SliderValueChange)


class QuietScrollBar(QScrollBar):
    """Skips the repaint of range and value changes that leave the handle where it was.

    What the bar shows is the handle's rectangle and whether it sits at either
    end (the arrows' look); anything else (a resize, the pointer over it, a
    style change) repaints as usual. The check waits for the event loop: a
    view that follows the bottom first grows the range (the handle leaves the
    end for a moment) and then moves the value back to the end, and only the
    result matters.
    """

    def __init__(self, orientation: Qt.Orientation, parent: QWidget | None = None) -> None:
        super().__init__(orientation, parent)
        self._shown: tuple[object, ...] | None = None
        self._check_pending = False
        self.skipped_repaints = 0

    def _look(self) -> tuple[object, ...]:
        option = QStyleOptionSlider()
        self.initStyleOption(option)
        handle = self.style().subControlRect(QStyle.ComplexControl.CC_ScrollBar, option,
                                             QStyle.SubControl.SC_ScrollBarSlider, self)
        value = self.value()
        return (handle, value == self.minimum(), value == self.maximum(), self.size())

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self._shown = self._look()

    def sliderChange(self, change: QAbstractSlider.SliderChange) -> None:
        if change not in _MOVES:
            super().sliderChange(change)
        elif not self._check_pending:
            self._check_pending = True
            QTimer.singleShot(0, self._repaint_if_moved)

    def _repaint_if_moved(self) -> None:
        self._check_pending = False
        look = self._look()
        if look == self._shown:
            self.skipped_repaints += 1
            return
        self.update()
