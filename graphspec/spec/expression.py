"""Safe element-wise expressions for ``expr`` nodes: checking, parsing and static shapes.

An expression such as ``(a + b + c) / 3`` or ``mean(a, axis=-1, keepdims=true)`` may use
only names bound by the node's ``from`` mapping, numbers, ``+ - * / **``, unary ``-``/``+``,
parentheses and calls of the whitelisted ``keras.ops`` functions in :data:`ALLOWED_FUNCTIONS`.
Everything is checked on Python's syntax tree; nothing is ever evaluated here, and this module
never imports Keras (``graphspec validate`` uses it and must stay fast).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal, TypeAlias

from graphspec.diagnostics.suggest import suggest
from graphspec.shape import Shape, format_shape, is_int

__all__ = [
    "ALLOWED_FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "ExprProblem",
    "ExpressionError",
    "FunctionRule",
    "broadcast_shapes",
    "check_expression",
    "infer_expr_shape",
    "keyword_literal",
    "parse_expression",
    "used_names",
]

MAX_LENGTH: Final = 1000
"""Longest expression text accepted, in characters."""
MAX_DEPTH: Final = 50
"""Deepest nesting of operators and calls accepted (names and numbers do not count)."""

KeywordType: TypeAlias = Literal["int", "float", "bool", "axes"]
"""What a keyword accepts: ``axes`` is an int, a tuple of ints or None."""
ShapeRule: TypeAlias = Literal["elementwise", "clip", "reduce", "keep"]
LiteralValue: TypeAlias = int | float | bool | tuple[int, ...] | None


@dataclass(frozen=True)
class ExprProblem:
    """One problem in an expression; ``column`` is a 0-based offset into the text."""

    message: str
    column: int
    hint: str | None = None


class ExpressionError(ValueError):
    """An expression that failed :func:`check_expression`; ``problems`` holds all of them."""

    def __init__(self, problems: Sequence[ExprProblem]) -> None:
        super().__init__(problems[0].message)
        self.problems: tuple[ExprProblem, ...] = tuple(problems)


@dataclass(frozen=True)
class FunctionRule:
    """What a whitelisted function accepts and how it changes the shape of its argument."""

    params: tuple[str, ...] = ("x",)
    keywords: Mapping[str, KeywordType] = field(default_factory=lambda: MappingProxyType({}))
    shape: ShapeRule = "elementwise"
    max_axes: int | None = None

    @property
    def min_args(self) -> int:
        """Fewest positional (tensor) arguments."""
        return len(self.params)

    @property
    def max_args(self) -> int:
        """Most positional (tensor) arguments."""
        return len(self.params)

    def signature(self, name: str) -> str:
        """How to call it, e.g. ``mean(x, axis=..., keepdims=...)``."""
        parts = [*self.params, *(f"{kw}=..." for kw in self.keywords)]
        return f"{name}({', '.join(parts)})"


def _rule(
    params: tuple[str, ...] = ("x",),
    shape: ShapeRule = "elementwise",
    max_axes: int | None = None,
    **keywords: KeywordType,
) -> FunctionRule:
    return FunctionRule(params, MappingProxyType(dict(keywords)), shape, max_axes)


_UNARY: Final = (
    "abs",
    "negative",
    "exp",
    "expm1",
    "log",
    "log1p",
    "sqrt",
    "rsqrt",
    "square",
    "reciprocal",
    "sign",
    "floor",
    "ceil",
    "tanh",
    "sin",
    "cos",
    "erf",
    "sigmoid",
    "hard_sigmoid",
    "relu",
    "relu6",
    "selu",
    "softplus",
    "softsign",
    "silu",
    "log_sigmoid",
)
_REDUCE: Final = ("mean", "sum", "max", "min", "prod", "std", "var", "logsumexp")

ALLOWED_FUNCTIONS: Final[Mapping[str, FunctionRule]] = MappingProxyType(
    dict(
        sorted(
            {
                **{name: _rule() for name in _UNARY},
                "elu": _rule(alpha="float"),
                "leaky_relu": _rule(negative_slope="float"),
                "gelu": _rule(approximate="bool"),
                "maximum": _rule(("x1", "x2")),
                "minimum": _rule(("x1", "x2")),
                "power": _rule(("x1", "x2")),
                "clip": _rule(("x", "x_min", "x_max"), "clip"),
                **{name: _rule(shape="reduce", axis="axes", keepdims="bool") for name in _REDUCE},
                "norm": _rule(shape="reduce", max_axes=2, axis="axes", keepdims="bool"),
                "softmax": _rule(shape="keep", axis="int"),
                "log_softmax": _rule(shape="keep", axis="int"),
                "normalize": _rule(shape="keep", axis="int"),
            }.items()
        )
    )
)
"""Function name (also its ``keras.ops`` name) -> what it accepts."""

BINARY_OPERATORS: Final[Mapping[type[ast.operator], str]] = MappingProxyType(
    {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "divide", ast.Pow: "power"}
)
"""Allowed binary operators -> the ``keras.ops`` function that computes them."""

_OPERATOR_SYMBOLS: Final[Mapping[type[ast.AST], str]] = MappingProxyType(
    {
        ast.Add: "+",
        ast.Sub: "-",
        ast.Mult: "*",
        ast.Div: "/",
        ast.Pow: "**",
        ast.Mod: "%",
        ast.FloorDiv: "//",
        ast.MatMult: "@",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.BitAnd: "&",
        ast.BitOr: "|",
        ast.BitXor: "^",
        ast.Not: "not",
        ast.Invert: "~",
        ast.And: "and",
        ast.Or: "or",
    }
)

_KEYWORD_TRUE: Final = frozenset({"true"})
_KEYWORD_FALSE: Final = frozenset({"false"})
_KEYWORD_NONE: Final = frozenset({"null"})

_FUNCTION_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "pow": "power",
        "absolute": "abs",
        "fabs": "abs",
        "neg": "negative",
        "average": "mean",
        "avg": "mean",
        "amax": "max",
        "amin": "min",
        "reduce_mean": "mean",
        "reduce_sum": "sum",
        "reduce_max": "max",
        "reduce_min": "min",
        "swish": "silu",
        "clamp": "clip",
        "clip_by_value": "clip",
        "ln": "log",
        "logistic": "sigmoid",
        "l2_normalize": "normalize",
    }
)

_ALLOWED_SUMMARY: Final = (
    "use names bound by 'from', numbers, + - * / **, unary - and +, parentheses and the "
    "functions: " + ", ".join(ALLOWED_FUNCTIONS)
)

_CONSTRUCTS: Final[Mapping[type[ast.AST], str]] = MappingProxyType(
    {
        ast.Attribute: "attribute access",
        ast.Subscript: "subscript",
        ast.Slice: "slice",
        ast.ListComp: "comprehension",
        ast.SetComp: "comprehension",
        ast.DictComp: "comprehension",
        ast.GeneratorExp: "generator expression",
        ast.Lambda: "lambda",
        ast.IfExp: "conditional expression",
        ast.Compare: "comparison",
        ast.BoolOp: "boolean operator",
        ast.NamedExpr: "assignment expression (:=)",
        ast.Starred: "argument unpacking",
        ast.List: "list",
        ast.Tuple: "tuple",
        ast.Set: "set",
        ast.Dict: "dict",
        ast.JoinedStr: "f-string",
        ast.FormattedValue: "f-string",
        ast.Await: "await expression",
        ast.Yield: "yield expression",
        ast.YieldFrom: "yield expression",
        ast.Call: "calling the result of",
    }
)


# --------------------------------------------------------------------------- text positions


@dataclass(frozen=True)
class _Source:
    """Expression text with leading whitespace removed, and how to map AST positions back."""

    original: str
    text: str
    start: int
    line_starts: tuple[int, ...]

    @classmethod
    def of(cls, original: str) -> _Source:
        text = original.lstrip(" \t\f\r\n")
        start = len(original) - len(text)
        starts = [0]
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "\r" and i + 1 < len(text) and text[i + 1] == "\n":
                i += 1
            if ch in "\r\n":
                starts.append(i + 1)
            i += 1
        return cls(original, text, start, tuple(starts))

    def offset(self, lineno: int, byte_col: int) -> int:
        """Character offset into the original text of an AST (line, UTF-8 byte column)."""
        line = max(1, min(lineno, len(self.line_starts)))
        begin = self.line_starts[line - 1]
        line_text = self.text[begin:].split("\n", 1)[0]
        chars = len(line_text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))
        return self.start + begin + chars

    def column(self, node: ast.AST) -> int:
        """Character offset into the original text where ``node`` starts."""
        lineno = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0)
        return self.offset(lineno, col)

    def segment(self, node: ast.AST, limit: int = 40) -> str:
        """The source text of ``node``, shortened to ``limit`` characters."""
        seg = ast.get_source_segment(self.text, node) or type(node).__name__
        seg = " ".join(seg.split())
        return seg if len(seg) <= limit else seg[: limit - 3] + "..."


def _parse(source: _Source) -> ast.Expression:
    """Parse the text as one Python expression (syntax only)."""
    return ast.parse(source.text, mode="eval")


# --------------------------------------------------------------------------- literals


def keyword_literal(node: ast.expr) -> tuple[bool, LiteralValue]:
    """``(True, value)`` when ``node`` is a keyword literal, else ``(False, None)``.

    Literals are ints, floats (optionally negated), ``true``/``false``/``True``/``False``,
    ``None``/``null``, and tuples or lists of ints (for ``axis``).
    """
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None or isinstance(value, bool | int | float):
            return True, value
        return False, None
    if isinstance(node, ast.Name):
        if node.id in _KEYWORD_TRUE:
            return True, True
        if node.id in _KEYWORD_FALSE:
            return True, False
        if node.id in _KEYWORD_NONE:
            return True, None
        return False, None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = node.operand
        if (
            isinstance(operand, ast.Constant)
            and isinstance(operand.value, int | float)
            and not isinstance(operand.value, bool)
        ):
            return True, -operand.value if isinstance(node.op, ast.USub) else operand.value
        return False, None
    if isinstance(node, ast.Tuple | ast.List):
        items: list[int] = []
        for element in node.elts:
            ok, item = keyword_literal(element)
            if not ok or not isinstance(item, int) or isinstance(item, bool):
                return False, None
            items.append(item)
        return True, tuple(items)
    return False, None


def _matches(kind: KeywordType, value: LiteralValue) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return is_int(value)
    if kind == "float":
        return is_int(value) or isinstance(value, float)
    return value is None or is_int(value) or isinstance(value, tuple)


_KIND_TEXT: Final[Mapping[KeywordType, str]] = MappingProxyType(
    {
        "bool": "true or false",
        "int": "an integer",
        "float": "a number",
        "axes": "an integer, a tuple of integers such as (1, 2), or None",
    }
)


def _axes_of(value: LiteralValue) -> tuple[int, ...] | None:
    if value is None:
        return None
    if isinstance(value, tuple):
        return value
    assert isinstance(value, int)
    return (value,)


# --------------------------------------------------------------------------- checking


def _did_you_mean(candidate: str | None) -> str | None:
    return f"did you mean '{candidate}'?" if candidate else None


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__") and len(name) > 4


class _Checker:
    """Walks a parsed expression and collects every problem."""

    def __init__(self, source: _Source, names: Collection[str]) -> None:
        self.source = source
        self.names = frozenset(names)
        self.problems: list[ExprProblem] = []
        self.references = 0

    def add(self, node: ast.AST, message: str, hint: str | None = None) -> None:
        self.problems.append(ExprProblem(message, self.source.column(node), hint))

    def reject(self, node: ast.AST, what: str | None = None, hint: str | None = None) -> None:
        if what is None:
            what = self.describe(node)
        self.add(node, f"{what} is not allowed in an expression; {_ALLOWED_SUMMARY}", hint)

    def describe(self, node: ast.AST) -> str:
        seg = self.source.segment(node)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, str):
                return f"string {seg}"
            if isinstance(value, bytes):
                return f"bytes literal {seg}"
            if isinstance(value, complex):
                return f"complex number {seg}"
            if value is Ellipsis:
                return "'...'"
            return f"'{seg}' (allowed only as a keyword value, as in mean(x, keepdims=true))"
        if isinstance(node, ast.JoinedStr):
            return f"f-string {seg}"
        if isinstance(node, ast.BoolOp):
            return f"boolean operator '{_OPERATOR_SYMBOLS[type(node.op)]}' in '{seg}'"
        construct = _CONSTRUCTS.get(type(node), "the construct")
        return f"{construct} '{seg}'"

    def check(self, node: ast.expr) -> None:
        """Check ``node`` as a tensor-valued sub-expression."""
        if isinstance(node, ast.Name):
            self.name(node)
        elif isinstance(node, ast.Constant):
            self.number(node)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in BINARY_OPERATORS:
                symbol = _OPERATOR_SYMBOLS.get(type(node.op), type(node.op).__name__)
                self.problems.append(
                    ExprProblem(
                        f"operator '{symbol}' in '{self.source.segment(node)}' is not allowed "
                        f"in an expression; the operators are + - * / ** and unary - and +",
                        self.operator_column(node, symbol),
                    )
                )
            self.check(node.left)
            self.check(node.right)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                symbol = _OPERATOR_SYMBOLS.get(type(node.op), type(node.op).__name__)
                self.add(
                    node,
                    f"operator '{symbol}' in '{self.source.segment(node)}' is not allowed in an "
                    f"expression; the operators are + - * / ** and unary - and +",
                )
            self.check(node.operand)
        elif isinstance(node, ast.Call):
            self.call(node)
        else:
            self.reject(node)

    def operator_column(self, node: ast.BinOp, symbol: str) -> int:
        left_end = self.source.offset(node.left.end_lineno or 1, node.left.end_col_offset or 0)
        right_start = self.source.column(node.right)
        between = self.source.original[left_end:right_start]
        found = between.find(symbol)
        return left_end + found if found >= 0 else self.source.column(node)

    def number(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.reject(node)
        elif isinstance(value, float) and not math.isfinite(value):
            self.add(node, f"number '{self.source.segment(node)}' is not finite")
        elif isinstance(value, int) and abs(value) >= 2**63:
            self.add(node, f"number '{self.source.segment(node)}' is too large (limit 2**63)")

    def name(self, node: ast.Name) -> None:
        self.references += 1
        name = node.id
        if _is_dunder(name):
            self.reject(node, f"dunder name '{name}'")
        elif name in self.names:
            return
        elif name in ALLOWED_FUNCTIONS:
            signature = ALLOWED_FUNCTIONS[name].signature(name)
            self.add(
                node, f"'{name}' is a function, not a name bound by 'from'; call it as {signature}"
            )
        else:
            bound = ", ".join(sorted(self.names)) or "(none)"
            self.add(
                node,
                f"name '{name}' is not bound by 'from'; the names bound are: {bound}",
                _did_you_mean(suggest(name, self.names)),
            )

    def call(self, node: ast.Call) -> None:
        func = node.func
        if not isinstance(func, ast.Name):
            hint = None
            if isinstance(func, ast.Attribute) and func.attr in ALLOWED_FUNCTIONS:
                hint = f"call the function by its bare name: {func.attr}(...)"
            self.reject(func, hint=hint)
            self.positional(node)
            return
        name = func.id
        rule = ALLOWED_FUNCTIONS.get(name)
        if rule is None:
            if _is_dunder(name):
                self.reject(func, f"dunder name '{name}'")
            elif name in self.names:
                self.add(
                    func,
                    f"'{name}' is a name bound by 'from', not a function; "
                    f"the functions are: {', '.join(ALLOWED_FUNCTIONS)}",
                )
            else:
                alias = _FUNCTION_ALIASES.get(name) or suggest(name, ALLOWED_FUNCTIONS)
                self.add(
                    func,
                    f"function '{name}' is not allowed in an expression; "
                    f"the functions are: {', '.join(ALLOWED_FUNCTIONS)}",
                    _did_you_mean(alias),
                )
            self.positional(node)
            return
        self.positional(node)
        count = len(node.args)
        if not rule.min_args <= count <= rule.max_args and not any(
            isinstance(arg, ast.Starred) for arg in node.args
        ):
            self.add(
                node,
                f"'{name}' takes {rule.min_args} positional argument"
                f"{'s' if rule.min_args != 1 else ''}, got {count}: "
                f"call it as {rule.signature(name)}",
                self.count_hint(name, rule, count),
            )
        self.keywords(node, name, rule)

    @staticmethod
    def count_hint(name: str, rule: FunctionRule, count: int) -> str | None:
        if rule.shape == "reduce" and count > 1:
            if name in ("max", "min"):
                return f"for the element-wise {name}imum of two tensors use {name}imum(a, b)"
            if name in ("mean", "sum"):
                return (
                    "to combine tensors element-wise write (a + b) / 2 or a + b; "
                    "pass axis=... as a keyword"
                )
            return "pass axis=... as a keyword"
        return None

    def positional(self, node: ast.Call) -> None:
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.reject(arg, f"argument unpacking '{self.source.segment(arg)}'")
            else:
                self.check(arg)

    def keywords(self, node: ast.Call, name: str, rule: FunctionRule) -> None:
        seen: set[str] = set()
        values: dict[str, LiteralValue] = {}
        for kw in node.keywords:
            if kw.arg is None:
                self.reject(kw, f"keyword unpacking '{self.source.segment(kw)}'")
                continue
            if kw.arg in seen:
                self.add(kw, f"keyword '{kw.arg}' is given twice in '{name}'")
                continue
            seen.add(kw.arg)
            kind = rule.keywords.get(kw.arg)
            if kind is None:
                allowed = ", ".join(rule.keywords)
                self.add(
                    kw,
                    f"'{name}' has no keyword '{kw.arg}'; "
                    + (f"its keywords are: {allowed}" if allowed else "it takes no keywords"),
                    _did_you_mean(suggest(kw.arg, rule.keywords)),
                )
                continue
            ok, value = keyword_literal(kw.value)
            if not ok:
                self.add(
                    kw.value,
                    f"keyword '{kw.arg}' of '{name}' must be a literal ({_KIND_TEXT[kind]}), "
                    f"not '{self.source.segment(kw.value)}'",
                )
                continue
            if not _matches(kind, value):
                self.add(
                    kw.value,
                    f"keyword '{kw.arg}' of '{name}' must be {_KIND_TEXT[kind]}, "
                    f"got '{self.source.segment(kw.value)}'",
                )
                continue
            values[kw.arg] = value
            if kw.arg == "axis":
                self.axis(kw.value, name, rule, value)
        if rule.shape == "reduce" and ("axis" not in seen or values.get("axis", 0) is None):
            self.add(
                node,
                f"'{name}' without an axis also reduces over the batch; "
                f"give axis=-1 or a tuple such as axis=(1, 2)",
            )

    def axis(self, node: ast.expr, name: str, rule: FunctionRule, value: LiteralValue) -> None:
        axes = _axes_of(value)
        if axes is None:
            return
        if 0 in axes:
            self.add(
                node,
                f"axis 0 of '{name}' is the batch axis; count axes from 1 "
                f"(the first axis of each sample) or from the end with -1",
            )
        if len(set(axes)) != len(axes):
            self.add(node, f"axis of '{name}' repeats an axis: {self.source.segment(node)}")
        if not axes:
            self.add(node, f"axis of '{name}' must name at least one axis")
        if rule.max_axes is not None and len(axes) > rule.max_axes:
            self.add(node, f"'{name}' takes at most {rule.max_axes} axes, got {len(axes)}")


def _depth_problem(source: _Source, tree: ast.Expression) -> ExprProblem | None:
    """Measure nesting without recursion, so a pathological input cannot overflow the stack."""
    stack: list[tuple[ast.AST, int]] = [(tree.body, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.expr) and not isinstance(node, ast.Name | ast.Constant):
            depth += 1
            if depth > MAX_DEPTH:
                return ExprProblem(
                    f"the expression is nested more than {MAX_DEPTH} levels deep "
                    f"(operators and calls); split it into several expr nodes",
                    source.column(node),
                )
        stack.extend((child, depth) for child in ast.iter_child_nodes(node))
    return None


def _statement_problem(source: _Source) -> ExprProblem | None:
    """When the text is valid Python statements but not one expression, say so."""
    try:
        module = ast.parse(source.text, mode="exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    body = module.body
    if len(body) > 1:
        second = body[1]
        return ExprProblem(
            f"the text holds {len(body)} statements (separated by ';' or new lines); "
            f"an expression is a single formula such as (a + b) / 2",
            source.column(second),
        )
    if body and not isinstance(body[0], ast.Expr):
        statement = body[0]
        kind = type(statement).__name__.lower()
        names = {
            "import": "import statement",
            "importfrom": "import statement",
            "assign": "assignment",
            "augassign": "assignment",
            "annassign": "assignment",
            "functiondef": "function definition",
            "classdef": "class definition",
        }
        what = names.get(kind, f"'{kind}' statement")
        return ExprProblem(
            f"{what} '{source.segment(statement)}' is a statement, not an expression; "
            f"{_ALLOWED_SUMMARY}",
            source.column(statement),
        )
    return None


def _syntax_problem(source: _Source, error: SyntaxError) -> ExprProblem:
    statement = _statement_problem(source)
    if statement is not None:
        return statement
    lineno = error.lineno or 1
    offset = max((error.offset or 1) - 1, 0)
    line = max(1, min(lineno, len(source.line_starts)))
    column = source.start + source.line_starts[line - 1] + offset
    column = min(column, len(source.original))
    return ExprProblem(f"syntax error in expression: {error.msg}", column)


def check_expression(text: str, names: Collection[str]) -> list[ExprProblem]:
    """Every problem in ``text`` as an expression over ``names``; empty when it is safe."""
    if len(text) > MAX_LENGTH:
        return [
            ExprProblem(
                f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}",
                0,
                "split it into several expr nodes",
            )
        ]
    source = _Source.of(text)
    if not source.text:
        return [ExprProblem("the expression is empty", 0)]
    try:
        tree = _parse(source)
    except SyntaxError as error:
        return [_syntax_problem(source, error)]
    except (ValueError, MemoryError, RecursionError) as error:
        return [ExprProblem(f"syntax error in expression: {error}", 0)]
    depth = _depth_problem(source, tree)
    if depth is not None:
        return [depth]
    checker = _Checker(source, names)
    checker.check(tree.body)
    if not checker.problems and checker.references == 0:
        bound = ", ".join(sorted(names)) or "(none)"
        checker.add(
            tree.body,
            f"the expression uses none of the names bound by 'from' ({bound}); "
            f"its value would be a constant",
        )
    return checker.problems


def parse_expression(text: str, names: Collection[str]) -> ast.Expression:
    """The syntax tree of a checked expression; raises :class:`ExpressionError` otherwise."""
    problems = check_expression(text, names)
    if problems:
        raise ExpressionError(problems)
    return _parse(_Source.of(text))


def used_names(text: str) -> frozenset[str]:
    """Names that ``text`` uses as tensors; empty when it does not parse."""
    if len(text) > MAX_LENGTH:
        return frozenset()
    source = _Source.of(text)
    try:
        tree = _parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return frozenset()
    found: set[str] = set()
    stack: list[ast.AST] = [tree.body]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                stack.append(node.func)
            stack.extend(node.args)  # keyword values are literals, never names
        else:
            stack.extend(ast.iter_child_nodes(node))
    return frozenset(found)


# --------------------------------------------------------------------------- shapes


class _BroadcastError(Exception):
    def __init__(self, first: int, second: int, axis: int, dims: tuple[int, int]) -> None:
        super().__init__(first, second, axis, dims)
        self.first = first
        self.second = second
        self.axis = axis
        self.dims = dims


def _broadcast(shapes: Sequence[Shape]) -> Shape:
    rank = max((len(s) for s in shapes), default=0)
    result: list[int | None] = []
    for axis in range(-rank, 0):
        known: tuple[int, int] | None = None  # (dim, index of the shape that has it)
        unknown = False
        for index, shape in enumerate(shapes):
            if len(shape) < -axis:
                continue
            dim = shape[axis]
            if dim is None:
                unknown = True
            elif dim != 1:
                if known is None:
                    known = (dim, index)
                elif known[0] != dim:
                    raise _BroadcastError(known[1], index, axis, (known[0], dim))
        if known is not None:
            result.append(known[0])
        else:
            result.append(None if unknown else 1)
    return tuple(result)


def broadcast_shapes(shapes: Sequence[Shape]) -> Shape:
    """The shape that numpy broadcasting gives; ``None`` is an unknown dimension.

    >>> broadcast_shapes([(None, 3), (1,)])
    (None, 3)
    """
    try:
        return _broadcast(shapes)
    except _BroadcastError as error:
        a, b = error.dims
        raise ValueError(
            f"shapes {format_shape(shapes[error.first])} and "
            f"{format_shape(shapes[error.second])} do not broadcast: "
            f"dimensions {a} and {b} at axis {error.axis} differ"
        ) from None


class _Shaper:
    """Static output shape of a checked expression; shapes include the batch axis."""

    def __init__(self, source: _Source, shapes: Mapping[str, Sequence[int | None]]) -> None:
        self.source = source
        self.shapes = {name: tuple(shape) for name, shape in shapes.items()}

    def shape(self, node: ast.expr) -> Shape:
        if isinstance(node, ast.Name):
            return self.shapes[node.id]
        if isinstance(node, ast.Constant):
            return ()
        if isinstance(node, ast.UnaryOp):
            return self.shape(node.operand)
        if isinstance(node, ast.BinOp):
            return self.broadcast(node, [node.left, node.right])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self.call(node, node.func.id)
        raise ValueError(f"unexpected expression '{self.source.segment(node)}'")

    def broadcast(self, node: ast.expr, operands: Sequence[ast.expr]) -> Shape:
        shapes = [self.shape(operand) for operand in operands]
        try:
            return _broadcast(shapes)
        except _BroadcastError as error:
            a, b = error.dims
            first, second = operands[error.first], operands[error.second]
            raise ValueError(
                f"in '{self.source.segment(node)}': '{self.source.segment(first)}' has shape "
                f"{format_shape(shapes[error.first])} but '{self.source.segment(second)}' has "
                f"shape {format_shape(shapes[error.second])}; dimensions {a} and {b} at axis "
                f"{error.axis} do not broadcast"
            ) from None

    def call(self, node: ast.Call, name: str) -> Shape:
        rule = ALLOWED_FUNCTIONS[name]
        if rule.shape == "elementwise":
            return self.broadcast(node, node.args)
        if rule.shape == "clip":
            shape = self.shape(node.args[0])
            result = self.broadcast(node, node.args)
            if len(result) != len(shape) or any(
                d == 1 and r != 1 for d, r in zip(shape, result, strict=True)
            ):
                raise ValueError(
                    f"in '{self.source.segment(node)}': the bounds broadcast to "
                    f"{format_shape(result)}, larger than the clipped shape {format_shape(shape)}"
                )
            return shape
        shape = self.shape(node.args[0])
        keywords = {kw.arg: keyword_literal(kw.value)[1] for kw in node.keywords}
        if rule.shape == "keep":
            self.axes(node, shape, _axes_of(keywords.get("axis", -1)))
            return shape
        axes = self.axes(node, shape, _axes_of(keywords.get("axis")))
        keepdims = bool(keywords.get("keepdims", False))
        if keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(shape))
        return tuple(d for i, d in enumerate(shape) if i not in axes)

    def axes(self, node: ast.Call, shape: Shape, axes: tuple[int, ...] | None) -> frozenset[int]:
        rank = len(shape)
        if axes is None:
            return frozenset(range(rank))
        normal: set[int] = set()
        for axis in axes:
            if not -rank <= axis < rank:
                raise ValueError(
                    f"in '{self.source.segment(node)}': axis {axis} is out of range for shape "
                    f"{format_shape(shape)} (rank {rank})"
                )
            if axis % rank == 0:
                raise ValueError(
                    f"in '{self.source.segment(node)}': axis {axis} is the batch axis of shape "
                    f"{format_shape(shape)}"
                )
            normal.add(axis % rank)
        return frozenset(normal)


def infer_expr_shape(text: str, shapes_by_name: Mapping[str, Sequence[int | None]]) -> Shape:
    """The output shape of ``text`` given each name's shape (batch axis included, as in Keras).

    Element-wise operators and functions broadcast; reductions drop (or with ``keepdims`` keep
    as 1) their axes; softmax-like functions keep the shape. Raises ``ValueError`` when the
    expression is invalid or the shapes do not fit.
    """
    tree = parse_expression(text, shapes_by_name.keys())
    return _Shaper(_Source.of(text), shapes_by_name).shape(tree.body)
