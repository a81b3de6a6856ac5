"""A Jinja sandbox that also bounds how long a chat template runs and how much it makes.

Jinja's ``SandboxedEnvironment`` stops a template from reaching Python's
internals, but not from burning CPU or memory: nested ``range(100000)`` loops
ran for hours, and ``{{ 'x' * 10**9 }}`` asks for a gigabyte. A GGUF's chat
template is untrusted input, so every render here has a budget of time and of
size, and a template that exceeds it stops *by itself* with
:class:`TemplateBudgetError` (the engine's parent has a watchdog as a last
resort, but a kill costs the loaded model).

Where the budget is checked, and why that is enough:

* every block body the template compiles to (each loop iteration, each
  ``if`` branch, each macro call) starts with a check, added by
  :class:`_BudgetedCodeGenerator`: a loop whose body calls nothing, such as
  ``{% for a in x %}{% for b in x %}{% endfor %}{% endfor %}``, still checks
  once per outer iteration;
* every call, attribute or item lookup, filter and intercepted operator
  checks the time and refuses an argument or result (or an operand that would produce a
  result) longer than the size budget, *before* Python allocates it where the
  size can be known in advance (``*``, ``+``, ``%``, ``str.format``, integer
  arguments such as ``center(10**9)``);
* ``range`` is capped at :data:`MAX_RANGE` items and ``**`` at
  :data:`MAX_POWER_BITS` bits, so no single step is long;
* the output is collected chunk by chunk and checked as it grows.

What is left between two checks is one bounded step (at most
:data:`MAX_RANGE` iterations of an empty loop, or one operation on objects
already within the size budget): milliseconds.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable
from functools import update_wrapper
from typing import Any

import jinja2
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.nodes import Node
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_RANGE = 100_000
"""Items a ``range()`` may have: Jinja's own sandbox limit, which real templates stay far under."""

MAX_POWER_BITS = 4096
"""Largest result of ``**`` between integers, in bits (``10**9`` is 30 bits)."""

# A printf or format-spec width with seven or more digits would pad to megabytes.
_HUGE_PERCENT_WIDTH = re.compile(r"%[-#0 +]*(?:\*|\d{7,})")
_HUGE_FORMAT_WIDTH = re.compile(r"\{[^{}]*:[^{}]*\d{7,}")


class TemplateBudgetError(Exception):
    """A render ran longer, or made more text, than its budget; the message says which."""


class _BudgetedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with a budget check at the start of every block body.

    ``blockvisit`` writes the body of every ``for``, ``if``, macro and the
    template itself, so one line here reaches every loop iteration. The
    compiled code already refers to ``environment`` (the sandbox), whose
    :meth:`BoundedSandbox.tick` does the check.
    """

    def blockvisit(self, nodes: Iterable[Node], frame: Frame) -> None:
        self.writeline("environment.tick()")
        super().blockvisit(nodes, frame)


def _sized(value: object) -> int | None:
    """The length of a value that holds data (text, list, mapping), or None."""
    if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
        return len(value)
    return None


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """An immutable Jinja sandbox whose renders stop at a time and size budget.

    Unlike Jinja's own sandbox it also aborts on the first unsafe attribute
    access: Jinja answers ``''.__class__`` with an undefined value that prints
    as nothing, so a payload would render as an empty string. A chat template
    has no honest reason to try, so Hearth refuses the template.

    One environment renders one template at a time (the engine is single
    threaded); :meth:`render` sets the budget for that render.
    """

    code_generator_class = _BudgetedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = self._range
        self.filters = {name: self._bounded_filter(name, f) for name, f in self.filters.items()}
        self._deadline = math.inf
        self._seconds = 0.0
        self._max_chars = 0

    # ---- the budget ------------------------------------------------------------

    def render(self, template: jinja2.Template, *, seconds: float, max_chars: int,
               **variables: Any) -> str:
        """Render ``template`` within ``seconds`` and ``max_chars`` of output.

        Raises :class:`TemplateBudgetError` when either runs out, and lets
        whatever else the template raises propagate.
        """
        self._seconds, self._max_chars = seconds, max_chars
        self._deadline = time.monotonic() + seconds
        parts: list[str] = []
        size = 0
        try:
            for chunk in template.generate(**variables):
                size += len(chunk)
                if size > max_chars:
                    raise TemplateBudgetError(
                        f"it produced more than {max_chars:,} characters of prompt")
                parts.append(chunk)
                self.tick()
        finally:
            self._deadline = math.inf
        return "".join(parts)

    def tick(self) -> None:
        """Called from the compiled template at every block body: stop once time is up."""
        if time.monotonic() > self._deadline:
            raise TemplateBudgetError(
                f"it was still running after {self._seconds:g} seconds")

    def _check_size(self, value: object) -> None:
        n = _sized(value)
        if n is not None and n > self._max_chars:
            raise TemplateBudgetError(
                f"it built a text or list of {n:,} elements, more than the "
                f"{self._max_chars:,} allowed")

    def _check_arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Refuse integer arguments no larger than the output could ever need.

        ``'x'.center(10**9)``, ``indent(10**9)`` or ``slice(10**9)`` would
        allocate or loop before returning; a width or count beyond the size
        budget is never legitimate in a prompt.
        """
        for value in (*args, *kwargs.values()):
            if (isinstance(value, int) and not isinstance(value, bool)
                    and abs(value) > self._max_chars):
                raise TemplateBudgetError(
                    f"it passed the number {value:,} to a function, more than the "
                    f"{self._max_chars:,} allowed")

    # ---- hooks Jinja's sandbox calls -----------------------------------------------

    def call(__self, __context: Context, __obj: Any,  # Jinja's own signature
             *args: Any, **kwargs: Any) -> Any:
        __self.tick()
        if isinstance(getattr(__obj, "__self__", None), str | bytes | list | tuple):
            # 'x'.center(n), .ljust(n), .zfill(n), .expandtabs(n): n is a size.
            __self._check_arguments(args, kwargs)
        for value in (*args, *kwargs.values()):
            __self._check_size(value)  # a macro called with a doubled string, say
        result = super().call(__context, __obj, *args, **kwargs)
        __self._check_size(result)
        return result

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.tick()
        result = super().getattr(obj, attribute)
        self._check_size(result)  # e.g. a namespace's string doubled with ~ in a loop
        return result

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.tick()
        result = super().getitem(obj, argument)
        self._check_size(result)
        return result

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        self.tick()
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                n = _sized(seq)
                if n is not None and isinstance(count, int) and n * count > self._max_chars:
                    raise TemplateBudgetError(
                        f"it repeated a value {count:,} times, making more than the "
                        f"{self._max_chars:,} characters allowed")
        elif operator == "**":
            if (isinstance(left, int) and isinstance(right, int) and abs(left) > 1
                    and right * math.log2(abs(left)) > MAX_POWER_BITS):
                raise TemplateBudgetError(f"it computed {left}**{right}, a number too large")
        elif operator == "+":
            a, b = _sized(left), _sized(right)
            if a is not None and b is not None and a + b > self._max_chars:
                raise TemplateBudgetError(
                    f"it joined values into more than the {self._max_chars:,} characters allowed")
        elif (operator == "%" and isinstance(left, str)
              and _HUGE_PERCENT_WIDTH.search(left)):
            raise TemplateBudgetError("it formatted text with a huge or variable width")
        result = super().call_binop(context, operator, left, right)
        self._check_size(result)
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is not None and _HUGE_FORMAT_WIDTH.search(value.__self__):
            def refuse(*_args: Any, **_kwargs: Any) -> str:
                raise TemplateBudgetError("it formatted text with a huge width")
            return refuse
        return wrapper

    def unsafe_undefined(self, obj: object, attribute: str) -> jinja2.Undefined:
        raise SecurityError(f"access to attribute {attribute!r} of a "
                            f"{type(obj).__name__} object is unsafe")

    # ---- replacements --------------------------------------------------------------

    def _range(self, *args: int) -> range:
        self.tick()
        result = range(*args)
        if len(result) > MAX_RANGE:
            raise OverflowError(f"range() of {len(result):,} numbers is more than the "
                                f"{MAX_RANGE:,} allowed")
        return result

    def _bounded_filter(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """The filter ``function`` with the same checks as :meth:`call`.

        Compiled templates call filters directly, not through :meth:`call`.
        The filtered value itself may be any number (a timestamp); the
        arguments after it are widths and counts (``center``, ``indent``,
        ``batch``, ``slice``) and are checked. ``update_wrapper`` keeps
        Jinja's ``pass_context``-style marker, which adds one leading argument.
        """
        value_at = 1 if hasattr(function, "jinja_pass_arg") else 0

        def bounded(*args: Any, **kwargs: Any) -> Any:
            self.tick()
            self._check_arguments(args[value_at + 1:], kwargs)
            if (name == "format" and len(args) > value_at and isinstance(args[value_at], str)
                    and _HUGE_PERCENT_WIDTH.search(args[value_at])):
                raise TemplateBudgetError("it formatted text with a huge or variable width")
            result = function(*args, **kwargs)
            self._check_size(result)
            return result

        return update_wrapper(bounded, function)
