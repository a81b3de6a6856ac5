"""Core's messages in the user's language: the GUI edge of :mod:`desktop_app.core.user_text`."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from desktop_app.core.user_text import CONTEXT, UserFacingError, UserText


def _translate(template: str) -> str:
    return QCoreApplication.translate(CONTEXT, template)


def translated(value: UserText | str | BaseException) -> str:
    """What to show for a core message, an error from core, or a plain string.

    A :class:`UserText` (or a :class:`UserFacingError` carrying one) is
    translated with the installed translators; anything else is shown as it
    is (exceptions by their ``str()``).
    """
    if isinstance(value, UserFacingError):
        value = value.text
    elif isinstance(value, BaseException):
        return str(value)
    if isinstance(value, UserText):
        return value.render(_translate)
    return value


def translated_name(name: str) -> str:
    """A name core marked with ``QT_TRANSLATE_NOOP("core", …)`` (e.g. a server kind), translated.

    Brand names are not marked, and come back unchanged.
    """
    return _translate(name)
