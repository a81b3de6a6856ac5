"""Messages for the user that core produces and the GUI shows in the user's language.

Core never imports Qt, yet its errors and notices (the engine crashed, a
download was interrupted, Hugging Face is rate limiting) reach a window that
may be in Chinese. So core does not hand out finished sentences: it hands out
a :class:`UserText`, a stable ``code``, an English ``template`` and its
arguments. ``str()`` gives the English sentence (the CLI and the logs use
it); the GUI translates the template with Qt's translators and then fills in
the arguments (``desktop_app/ui/common/user_text.py``).

Templates are marked with :func:`QT_TRANSLATE_NOOP`, a plain function here
whose name Qt's ``lupdate`` recognises in any Python file, so
``scripts/update_translations.sh`` collects them into the same ``.ts`` file
as the GUI's own strings. The English text has one home: the call site.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

CONTEXT = "core"
"""The translation context of every template marked in core."""


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # the name lupdate looks for
    """Mark ``text`` for translation without translating it (the GUI does that)."""
    return text


@dataclass(frozen=True)
class UserText:
    """A sentence for the user: a stable code, an English template and its arguments.

    Arguments may be UserTexts themselves (a cause inside a sentence); they
    are translated too. Everything is plain data, so a UserText crosses the
    pipe from the engine process like any other event field.
    """

    code: str
    template: str
    args: tuple[tuple[str, str | int | float | UserText], ...] = ()

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        """The sentence, with ``translate`` applied to this template and every nested one."""
        values = {name: value.render(translate) if isinstance(value, UserText) else value
                  for name, value in self.args}
        template = translate(self.template) if translate is not None else self.template
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            # A broken translation must never hide the message: fall back to English.
            return self.template.format(**values)

    def __str__(self) -> str:
        return self.render()


def user_text(code: str, template: str, /, **args: str | int | float | UserText) -> UserText:
    """Build a :class:`UserText`; ``template`` should be a ``QT_TRANSLATE_NOOP`` literal."""
    return UserText(code, template, tuple(args.items()))


class UserFacingError(Exception):
    """An error meant for the user. ``str()`` is English; :attr:`text` can be translated.

    Subclasses accept a plain string too, for messages that are only ever
    shown in the CLI or the log.
    """

    def __init__(self, text: UserText | str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return str(self.text)
