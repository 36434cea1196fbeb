"""Safe arithmetic: the expression is parsed with ``ast`` and only a whitelist is evaluated.

An expression may also be said in words ("what's seventeen times twenty-three"): it is read by
``_spoken_arithmetic`` into the same symbols, and the answer is a sentence a voice can read out as it is
("17 times 23 is 391."). The trigger finds such a calculation in the user's words while they talk.

Nothing is ever handed to ``eval``: names, attributes, subscripts, comprehensions and any call but a
few math functions are refused. Sizes are bounded so that no expression can eat the CPU or memory:
the source length, every integer's size, and a power's result estimated before it is computed.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from typing import Annotated

import msgspec

from microturn._core._tools import ToolError
from microturn._tools._spoken_arithmetic import TRIGGER, read_spoken
from microturn._tools._tool import Tool, tool

__all__ = ["calculate", "calculator_tools"]

MAX_EXPRESSION = 500
MAX_INT_BITS = 4_000  # about 1,200 decimal digits
MAX_ROUND_DIGITS = 100  # round(n, -10**9) would build 10**(10**9)

Number = int | float

_BINARY: dict[type[ast.operator], Callable[[Number, Number], object]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Number], object]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
_FUNCTIONS: dict[str, Callable[..., object]] = {
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "exp": math.exp,
    "log": math.log,
    "log10": math.log10,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "floor": math.floor,
    "ceil": math.ceil,
}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
_NAMES = frozenset({*_FUNCTIONS, *_CONSTANTS})
_WORDED = re.compile(r"[a-z]+", re.IGNORECASE)


@tool(name="calculator", trigger=TRIGGER)
def calculate(
    expression: Annotated[
        str,
        msgspec.Meta(
            max_length=MAX_EXPRESSION,
            description="Arithmetic such as '(2 + 3) * 4 / 7', 'sqrt(2) ** 3' or 'seventeen times twenty-three'.",
        ),
    ],
) -> str:
    """Evaluate an arithmetic expression exactly and return the number.

    Supports numbers, + - * / // % ** and parentheses, the constants pi and e, and the functions
    abs, round, min, max, sqrt, exp, log, log10, sin, cos, tan, floor and ceil. In words ("12 divided
    by 4", "the square root of 144", "15 percent of 80") the answer is a sentence: "12 divided by 4 is 3."
    """
    spoken = read_spoken(expression) if any(w.lower() not in _NAMES for w in _WORDED.findall(expression)) else None
    if spoken is not None:  # else the evaluator says what is wrong with it
        answer = f"{spoken.said} is {_say(_value(spoken.expression))}."
        return answer[0].upper() + answer[1:]
    return _format(_value(expression))


def calculator_tools() -> list[Tool[..., str]]:
    """The ``calculator`` tool: exact, safe arithmetic (an agent with ``builtin_tools`` has it already).

    For an agent without the other built-ins: ``Agent(tools=calculator_tools(), builtin_tools=False)``.
    """
    return [calculate]


def _value(expression: str) -> Number:
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise ToolError(f"{expression!r} is not an arithmetic expression", transient=False) from None
    except (RecursionError, MemoryError):
        raise ToolError("the expression is nested too deeply", transient=False) from None
    try:
        value = _evaluate(tree.body)
    except RecursionError:
        raise ToolError("the expression is nested too deeply", transient=False) from None
    except ZeroDivisionError:
        raise ToolError("division by zero", transient=False) from None
    except OverflowError:
        raise ToolError("the result is too large to compute", transient=False) from None
    except (ValueError, TypeError) as exc:
        raise ToolError(f"cannot compute that: {exc}", transient=False) from None
    return value


def _evaluate(node: ast.expr) -> Number:
    if isinstance(node, ast.Constant):
        if type(node.value) not in (int, float):
            raise _refuse(f"the value {node.value!r}")
        return _bounded(node.value)
    if isinstance(node, ast.BinOp):
        operation = _BINARY.get(type(node.op))
        if operation is None:
            hint = " (use ** for powers)" if isinstance(node.op, ast.BitXor) else ""
            raise _refuse(f"the operator {type(node.op).__name__}{hint}")
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow):
            _check_power(left, right)
        return _bounded(operation(left, right))
    if isinstance(node, ast.UnaryOp):
        unary = _UNARY.get(type(node.op))
        if unary is None:
            raise _refuse(f"the operator {type(node.op).__name__}")
        return _bounded(unary(_evaluate(node.operand)))
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise _refuse(f"the name {node.id!r}")
    if isinstance(node, ast.Call):
        return _call(node)
    raise _refuse(_describe(node))


def _call(node: ast.Call) -> Number:
    if not isinstance(node.func, ast.Name):
        raise _refuse(_describe(node.func))
    name = node.func.id
    function = _FUNCTIONS.get(name)
    if function is None:
        known = ", ".join(_FUNCTIONS)
        raise ToolError(f"the calculator has no function {name!r}; it knows: {known}", transient=False)
    if node.keywords or not node.args:
        raise ToolError(f"{name}() takes one or more plain numbers", transient=False)
    arguments = [_evaluate(argument) for argument in node.args]
    if name == "round" and len(arguments) == 2 and abs(arguments[1]) > MAX_ROUND_DIGITS:
        raise ToolError(f"round() keeps at most {MAX_ROUND_DIGITS} digits", transient=False)
    return _bounded(function(*arguments))


def _check_power(base: Number, exponent: Number) -> None:
    """Refuse integer powers whose result would be enormous, before spending the time to compute them.

    Float powers are cheap whatever their size: they overflow instead, which is caught.
    """
    if (
        isinstance(base, int)
        and isinstance(exponent, int)
        and abs(base) > 1
        and exponent * math.log2(abs(base)) > MAX_INT_BITS
    ):
        raise ToolError("the result is too large to compute", transient=False)


def _bounded(value: object) -> Number:
    if type(value) is int:
        if value.bit_length() > MAX_INT_BITS:
            raise ToolError("the result is too large to compute", transient=False)
        return value
    if type(value) is float:
        if math.isinf(value):
            raise ToolError("the result is too large to compute", transient=False)
        if math.isnan(value):
            raise ToolError("the result is not a number", transient=False)
        return value
    if isinstance(value, complex):  # a negative number to a fractional power
        raise ToolError("the result is not a real number", transient=False)
    raise _refuse(f"a result of type {type(value).__name__}")


def _format(value: Number) -> str:
    if isinstance(value, float):
        return f"{value:.12g}"  # enough digits, without 0.30000000000000004
    return str(value)


def _say(value: Number) -> str:
    """A result as a person says it: whole numbers without ".0", others to two decimals (three figures below
    one), with "about" when that rounded them."""
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    said = f"{value:.2f}".rstrip("0").rstrip(".") if abs(value) >= 1 else f"{value:.3g}"
    return said if float(said) == value else f"about {said}"


def _refuse(what: str) -> ToolError:
    return ToolError(
        f"the calculator only does arithmetic; {what} is not allowed "
        "(numbers, + - * / // % **, parentheses and math functions only)",
        transient=False,
    )


def _describe(node: ast.AST) -> str:
    kinds = {
        ast.Attribute: "attribute access",
        ast.Subscript: "indexing",
        ast.Lambda: "a lambda",
        ast.Compare: "a comparison",
        ast.BoolOp: "and/or",
    }
    return kinds.get(type(node), f"a {type(node).__name__} expression")
