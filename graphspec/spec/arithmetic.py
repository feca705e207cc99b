"""Arithmetic on numbers and block parameters: ``scale: 1/255``, ``units: 7 * 7 * 64``,
``filters: ${filters * 2}``.

Allowed: int and float literals, parameter names (inside ``${...}`` only), ``+ - * / // % **``,
unary ``-``/``+`` and parentheses; nothing else (no calls, attributes, comparisons). The text
is checked on Python's syntax tree, as `graphspec.spec.expression` checks ``expr`` nodes, and
evaluated here by walking that tree, never by ``eval``. A result that is a whole number is an
int (``10/2`` is ``5``, as YAML writes five), any other a float. Stdlib only: `validate` runs it.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

MAX_LENGTH: Final = 200
"""Longest arithmetic text accepted, in characters."""
MAX_OPERATORS: Final = 32
"""Most operators in one text: arithmetic in a spec is a size, not a program."""
MAX_EXPONENT: Final = 64
"""Largest exponent of ``**``; larger ones make numbers no layer takes."""
MAX_MAGNITUDE: Final = 10.0**15
"""Largest result (and intermediate) accepted, in absolute value."""

BARE: Final = re.compile(r"^[\s0-9.+\-*/%()]*[0-9.)]\s*[+\-*/%][\s0-9.+\-*/%()]*$")
"""Numbers and operators only, an operator after a number: `1/255`, `7 * 7 * 64` (not `64`,
`-1` or `same`; names are written inside ``${...}``)."""
WHOLE_PLACEHOLDER: Final = re.compile(r"^\$\{([^{}]*)\}$")
"""A whole-string ``${...}``: a parameter (``${units}``) or arithmetic (``${units * 4}``)."""
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_BINARY: Final[Mapping[type[ast.operator], Callable[[Any, Any], Any]]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b,
}
OPERATORS_TEXT: Final = "numbers, parameter names inside ${...}, + - * / // % ** and parentheses"


class ArithmeticProblem(ValueError):
    """Arithmetic refused or failed; ``hint`` says what to write instead."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def is_bare_arithmetic(text: str) -> bool:
    """Numbers with at least one operator, no names, that parse as arithmetic: `1/255` (not
    `64`, not `same`, not the date `2024-01-01`, which is no Python number)."""
    if not BARE.match(text):
        return False
    try:
        parse(text)
    except ArithmeticProblem:
        return False
    return True


def placeholder_body(text: str) -> str | None:
    """The text inside a whole-string ``${...}``, or None."""
    whole = WHOLE_PLACEHOLDER.match(text)
    return whole.group(1).strip() if whole else None


def is_arithmetic_placeholder(text: str) -> bool:
    """``${units * 4}``: a whole-string placeholder that is more than one parameter name."""
    body = placeholder_body(text)
    return body is not None and not _NAME.match(body)


def parse(text: str) -> ast.expr:
    """The syntax tree of arithmetic text, checked: only what the module docstring allows."""
    if len(text) > MAX_LENGTH:
        raise ArithmeticProblem(
            f"arithmetic '{text[:20]}...' is {len(text)} characters, over {MAX_LENGTH}",
            "compute the value, or split it across block parameters",
        )
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise ArithmeticProblem(
            f"'{text}' is not arithmetic", f"write {OPERATORS_TEXT}, e.g. 7 * 7 * 64"
        ) from None
    operators = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp | ast.UnaryOp):
            operators += 1
            if isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
                raise ArithmeticProblem(f"'{text}' uses an operator arithmetic does not allow")
            if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.USub | ast.UAdd):
                raise ArithmeticProblem(f"'{text}' uses an operator arithmetic does not allow")
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise ArithmeticProblem(f"'{text}' holds {node.value!r}: only numbers are allowed")
        elif not isinstance(node, ast.Name | ast.Load | ast.operator | ast.unaryop):
            raise ArithmeticProblem(
                f"'{text}' uses {type(node).__name__.lower()}, which arithmetic does not allow",
                f"write {OPERATORS_TEXT}",
            )
    if operators > MAX_OPERATORS:
        raise ArithmeticProblem(f"'{text}' has {operators} operators, over {MAX_OPERATORS}")
    return tree


def names(text: str) -> list[str]:
    """The parameter names arithmetic text reads (the text must parse)."""
    return [node.id for node in ast.walk(parse(text)) if isinstance(node, ast.Name)]


def evaluate(text: str, params: Mapping[str, Any]) -> int | float:
    """The value of arithmetic text, its names read from `params` (numbers only)."""
    value = _value(parse(text), params, text)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _value(node: ast.expr, params: Mapping[str, Any], text: str) -> int | float:
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)  # `parse` allows numbers only
        return _checked(node.value, text)
    if isinstance(node, ast.Name):
        if node.id not in params:
            raise ArithmeticProblem(f"'{node.id}' in '{text}' is not a parameter")
        value = params[node.id]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ArithmeticProblem(
                f"parameter '{node.id}' in '{text}' is {value!r}, not a number",
                "arithmetic works on numeric parameters only",
            )
        return value
    if isinstance(node, ast.UnaryOp):
        operand = _value(node.operand, params, text)
        return -operand if isinstance(node.op, ast.USub) else operand
    assert isinstance(node, ast.BinOp)
    left = _value(node.left, params, text)
    right = _value(node.right, params, text)
    if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
        raise ArithmeticProblem(f"'{text}': an exponent over {MAX_EXPONENT}")
    if isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod) and right == 0:
        raise ArithmeticProblem(f"'{text}' divides by zero")
    try:
        result = _BINARY[type(node.op)](left, right)
    except (OverflowError, ZeroDivisionError, ValueError) as error:
        raise ArithmeticProblem(f"'{text}' cannot be computed: {error}") from None
    if isinstance(result, complex):
        raise ArithmeticProblem(f"'{text}' gives a complex number")
    return _checked(result, text)


def _checked(value: int | float, text: str) -> int | float:
    if (isinstance(value, float) and not math.isfinite(value)) or abs(value) > MAX_MAGNITUDE:
        raise ArithmeticProblem(f"'{text}' gives a number too large for a layer argument")
    return value


def resolve(value: Any, params: Mapping[str, Any]) -> Any:
    """A value with every arithmetic string computed (``${...}`` arithmetic and bare numbers
    with operators); what cannot be computed stays as written, for the checks to report."""
    if isinstance(value, str):
        body = placeholder_body(value) if is_arithmetic_placeholder(value) else None
        text = body if body is not None else value if is_bare_arithmetic(value) else None
        if text is None:
            return value
        try:
            return evaluate(text, params)
        except ArithmeticProblem:
            return value
    if isinstance(value, list):
        return [resolve(item, params) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, params) for key, item in value.items()}
    return value


def holds_arithmetic(value: Any) -> bool:
    """Whether a value holds a string `resolve` would compute."""
    if isinstance(value, str):
        return is_arithmetic_placeholder(value) or is_bare_arithmetic(value)
    if isinstance(value, list):
        return any(holds_arithmetic(item) for item in value)
    if isinstance(value, dict):
        return any(holds_arithmetic(item) for item in value.values())
    return False
