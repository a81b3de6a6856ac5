"""A calculator the model can trust for arithmetic, without ``eval``.

Small models add badly; a calculator fixes that, but evaluating the model's
text as Python would run whatever it (or a prompt injection) wrote. The
expression is parsed with :mod:`ast` and walked here: only numbers, the
arithmetic operators and a list of math functions are known, everything
else is refused. Every step is bounded, so no expression runs long:

* at most :data:`MAX_CHARS` characters, :data:`MAX_NODES` syntax nodes and
  :data:`MAX_DIGITS` digits in a number;
* ``**`` only when the result stays under :data:`MAX_BITS` bits (``9**9**9``
  is refused before it is computed), and every integer result is checked;
* a deadline checked at every node, for the sake of the slowest float math.

``^`` means power, as on a calculator (the model rarely means XOR).
"""

from __future__ import annotations

import ast
import math
import operator
import time
from collections.abc import Callable
from typing import Any

from desktop_app.core.engine.api import ToolSpec
from desktop_app.core.tools.toolbox import BUILTIN_SOURCE, ToolError, ToolResult

MAX_CHARS = 500
MAX_NODES = 300
MAX_DIGITS = 100
MAX_BITS = 4096
SECONDS = 1.0

Number = int | float

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow, ast.BitXor: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos, ast.USub: operator.neg,
}
_FUNCTIONS: dict[str, Callable[..., Number]] = {
    "sqrt": math.sqrt, "exp": math.exp, "log": math.log, "log10": math.log10,
    "log2": math.log2, "sin": math.sin, "cos": math.cos, "tan": math.tan, "asin": math.asin,
    "acos": math.acos, "atan": math.atan, "degrees": math.degrees, "radians": math.radians,
    "abs": abs, "round": round, "floor": math.floor, "ceil": math.ceil, "min": min, "max": max,
    "hypot": math.hypot,
}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}

SPEC = ToolSpec(
    name="calculator",
    description="Evaluate an arithmetic expression exactly. Supports + - * / // % ** (or ^), "
                "parentheses, pi, e and sqrt, log, exp, sin, cos, tan, abs, round, floor, "
                "ceil, min, max.",
    parameters='{"type": "object", "properties": {"expression": {"type": "string", '
               '"minLength": 1, "description": "For example: (17 * 23) / sqrt(2)"}}, '
               '"required": ["expression"]}')


def evaluate(expression: str, *, seconds: float = SECONDS) -> Number:
    """The value of ``expression``; raises :class:`ToolError` saying what is not allowed."""
    if len(expression) > MAX_CHARS:
        raise ToolError(f"The expression is longer than {MAX_CHARS} characters.")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ToolError(f"That is not an arithmetic expression ({exc.msg}).") from None
    except ValueError as exc:  # a NUL character
        raise ToolError(f"That is not an arithmetic expression ({exc}).") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ToolError("The expression is too complex.")
    deadline = time.monotonic() + seconds
    try:
        return _Evaluator(deadline).visit(tree.body)
    except ZeroDivisionError:
        raise ToolError("Division by zero.") from None
    except OverflowError:
        raise ToolError("The result is too large.") from None
    except (ValueError, TypeError) as exc:
        raise ToolError(f"Math error: {exc}.") from None


class _Evaluator:
    def __init__(self, deadline: float) -> None:
        self._deadline = deadline

    def visit(self, node: ast.expr) -> Number:
        if time.monotonic() > self._deadline:
            raise ToolError("The calculation took too long.")
        match node:
            case ast.Constant(value=bool()):
                raise ToolError("Only numbers are allowed.")
            case ast.Constant(value=int() | float() as value):
                if isinstance(value, int) and len(str(abs(value))) > MAX_DIGITS:
                    raise ToolError(f"Numbers may have at most {MAX_DIGITS} digits.")
                return _checked(value)
            case ast.Name(id=name) if name in _CONSTANTS:
                return _CONSTANTS[name]
            case ast.UnaryOp(op=op, operand=operand) if type(op) in _UNARY:
                return _checked(_UNARY[type(op)](self.visit(operand)))
            case ast.BinOp(left=left, op=op, right=right) if type(op) in _BINARY:
                a, b = self.visit(left), self.visit(right)
                if isinstance(op, ast.Pow | ast.BitXor):
                    _check_power(a, b)
                return _checked(_BINARY[type(op)](a, b))
            case ast.Call(func=ast.Name(id=name), args=args, keywords=[]) if name in _FUNCTIONS:
                values = [self.visit(a) for a in args]
                return _checked(_FUNCTIONS[name](*values))
        raise ToolError(f"{ast.unparse(node)[:60]!r} is not allowed in a calculation.")


def _check_power(base: Number, exponent: Number) -> None:
    if abs(base) <= 1:
        return
    if abs(exponent) * math.log2(abs(base)) > MAX_BITS:
        raise ToolError("The result is too large.")


def _checked(value: Any) -> Number:
    if isinstance(value, complex):
        raise ToolError("The result is not a real number.")
    if isinstance(value, int) and value.bit_length() > MAX_BITS:
        raise ToolError("The result is too large.")
    if not isinstance(value, int | float):
        raise ToolError("Only numbers are allowed.")
    return value


def format_number(value: Number) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


class Calculator:
    """The ``calculator`` tool."""

    spec = SPEC
    source = BUILTIN_SOURCE

    def run(self, arguments: dict[str, Any], timeout: float) -> ToolResult:
        expression = str(arguments.get("expression", ""))
        return ToolResult(f"{expression} = {format_number(evaluate(expression))}")
