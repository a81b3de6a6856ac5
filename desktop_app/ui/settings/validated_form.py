"""The base of Hearth's settings forms: one value built from many fields, checked as typed.

The sampling form and the model settings form both build one value from
their fields, say why it is invalid under the fields, and tell the dialog
when the form turns valid or invalid (it disables OK). That bookkeeping
lives here once; each form only says how its value is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QWidget

from desktop_app.core.engine.api import ParameterError


class ValidatedForm(QWidget):
    """A form whose :meth:`build` raises :class:`ParameterError` while a field is invalid.

    Subclasses create ``self.error_label`` and call :meth:`_revalidate` after
    every edit (and after filling the fields).

    Signals:
        changed(): any field changed.
        validity_changed(bool): the form went from valid to invalid or back.
    """

    changed = Signal()
    validity_changed = Signal(bool)

    # Each subclass defines these. error_label: where the reason shows. build(): the
    # value the fields describe, raising ParameterError while one is invalid. (Qt's
    # metaclass rules out abc.abstractmethod here.)
    error_label: QLabel
    build: Callable[[], Any]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._valid = True

    def is_valid(self) -> bool:
        return self._valid

    def error_text(self) -> str:
        """Why the form is invalid, or "" when it is valid."""
        return self.error_label.text() if not self._valid else ""

    def _revalidate(self) -> None:
        try:
            self.build()
        except ParameterError as exc:
            message, valid = str(exc), False
        else:
            message, valid = "", True
        self.error_label.setText(message)
        self.error_label.setVisible(not valid)
        changed_validity = valid != self._valid
        self._valid = valid
        if changed_validity:
            self.validity_changed.emit(valid)
        self.changed.emit()
