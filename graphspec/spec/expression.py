"""Safe element-wise expressions for ``expr`` nodes: checking, parsing and static shapes.

An expression such as ``(a + b + c) / 3`` or ``mean(a, axis=-1, keepdims=true)`` may use
only names bound by the node's ``from`` mapping, numbers, ``+ - * / **``, unary ``-``/``+``,
parentheses and calls of the whitelisted functions in :data:`ALLOWED_FUNCTIONS`: ``keras.ops``
functions, the seeded random draws ``normal_like``/``uniform_like`` and ``positions``.
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
    "COMPOSED_FUNCTIONS",
    "DTYPES",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_SEED",
    "RANDOM_FUNCTIONS",
    "ExprProblem",
    "ExpressionError",
    "FunctionRule",
    "RandomDraw",
    "broadcast_shapes",
    "check_expression",
    "function_list",
    "infer_expr_shape",
    "keyword_literal",
    "parse_expression",
    "random_seeds",
    "used_names",
]

MAX_LENGTH: Final = 1000
"""Longest expression text accepted, in characters."""
MAX_DEPTH: Final = 50
"""Deepest nesting of operators and calls accepted (names and numbers do not count)."""

MAX_SEED: Final = 2**32 - 1
"""Largest seed a random function accepts (Keras' seeds are 32-bit)."""

KeywordType: TypeAlias = Literal["int", "float", "bool", "axes", "permutation", "dtype"]
"""What a keyword accepts: ``axes`` is an int, a tuple of ints or None; ``permutation`` a
tuple of ints; ``dtype`` a quoted dtype name."""
ShapeRule: TypeAlias = Literal[
    "elementwise",
    "clip",
    "reduce",
    "keep",
    "positions",
    "expand_dims",
    "squeeze",
    "transpose",
    "one_hot",
]
LiteralValue: TypeAlias = int | float | bool | str | tuple[int, ...] | None
ProblemKind: TypeAlias = Literal["unsafe", "seed", "value"]
"""``unsafe``: outside the language (GS304); ``seed``: a random function without its seed
(GS315); ``value``: a keyword value out of its range (GS317)."""

DTYPES: Final = (
    "bool",
    "bfloat16",
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
)
"""The dtype names ``cast``, ``ones_like`` and ``zeros_like`` accept."""


@dataclass(frozen=True)
class ExprProblem:
    """One problem in an expression; ``column`` is a 0-based offset into the text."""

    message: str
    column: int
    hint: str | None = None
    kind: ProblemKind = "unsafe"


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
    required: frozenset[str] = frozenset()
    """Keywords a call must give (a random function's ``seed``, ``expand_dims``' ``axis``)."""
    defaults: Mapping[str, LiteralValue] = field(default_factory=lambda: MappingProxyType({}))
    """The value of each optional keyword when left out, as Keras takes it."""
    tensor: bool = False
    """True when the first argument must be a tensor, not a number (its shape matters)."""
    summary: str = ""
    """What it computes, in a few words (the function list in docs/language.md)."""
    since: float = 1
    """The language version that added it (`graphspec.analyse.version` warns when a spec that
    declares an older one calls it)."""

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

    def documented(self, name: str) -> str:
        """The signature with defaults, e.g. ``mean(x, axis, keepdims=false)``: a keyword
        without ``=`` is required."""
        parts = list(self.params)
        for keyword in self.keywords:
            if keyword in self.required:
                parts.append(f"{keyword}=...")
            elif keyword in self.defaults:
                parts.append(f"{keyword}={_literal_text(self.defaults[keyword])}")
            else:
                parts.append(f"{keyword}=...")
        return f"{name}({', '.join(parts)})"


def _literal_text(value: LiteralValue) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def _rule(
    params: tuple[str, ...] = ("x",),
    shape: ShapeRule = "elementwise",
    max_axes: int | None = None,
    *,
    required: tuple[str, ...] = (),
    defaults: Mapping[str, LiteralValue] | None = None,
    tensor: bool = False,
    summary: str = "",
    since: float = 1,
    **keywords: KeywordType,
) -> FunctionRule:
    return FunctionRule(
        params,
        MappingProxyType(dict(keywords)),
        shape,
        max_axes,
        frozenset(required),
        MappingProxyType(dict(defaults or {})),
        tensor or shape not in ("elementwise", "clip"),
        summary,
        since,
    )


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


def _reduce_rule(
    axis: KeywordType, summary: str, max_axes: int | None = None, since: float = 1
) -> FunctionRule:
    """A reduction: a required ``axis`` (never the batch) and ``keepdims=false``."""
    return _rule(
        shape="reduce",
        max_axes=max_axes,
        required=("axis",),
        defaults={"keepdims": False},
        axis=axis,
        keepdims="bool",
        summary=summary,
        since=since,
    )


def _axis_rule(shape: ShapeRule, summary: str) -> FunctionRule:
    """A function of one tensor and a required axis (``expand_dims``, ``squeeze``, both 1.1)."""
    return _rule(shape=shape, required=("axis",), axis="int", summary=summary, since=1.1)


RANDOM_FUNCTIONS: Final = frozenset({"normal_like", "uniform_like"})
"""Functions that draw seeded random numbers shaped like their argument (a small registered
layer each, see graphspec.emit.expression_layer): no ``keras.ops`` function draws in a graph."""

ALLOWED_FUNCTIONS: Final[Mapping[str, FunctionRule]] = MappingProxyType(
    dict(
        sorted(
            {
                **{name: _rule(summary="element-wise") for name in _UNARY},
                "elu": _rule(alpha="float", defaults={"alpha": 1.0}, summary="element-wise"),
                "leaky_relu": _rule(
                    negative_slope="float", defaults={"negative_slope": 0.2}, summary="element-wise"
                ),
                "gelu": _rule(
                    approximate="bool", defaults={"approximate": True}, summary="element-wise"
                ),
                "round": _rule(
                    decimals="int", defaults={"decimals": 0}, summary="element-wise", since=1.1
                ),
                "cast": _rule(
                    required=("dtype",),
                    dtype="dtype",
                    summary="element-wise, to another dtype",
                    since=1.1,
                ),
                "maximum": _rule(("x1", "x2"), summary="element-wise, broadcast"),
                "minimum": _rule(("x1", "x2"), summary="element-wise, broadcast"),
                "power": _rule(("x1", "x2"), summary="element-wise, broadcast"),
                "clip": _rule(("x", "x_min", "x_max"), "clip", summary="element-wise, x's shape"),
                **{
                    name: _reduce_rule("axes", "reduces the axes (kept as 1 with keepdims)")
                    for name in _REDUCE
                },
                "norm": _reduce_rule("axes", "reduces one or two axes", max_axes=2),
                **{
                    name: _reduce_rule(
                        "int", "index along one axis (int32), reducing it", since=1.1
                    )
                    for name in ("argmax", "argmin")
                },
                **{
                    name: _rule(
                        shape="keep",
                        defaults={"axis": -1},
                        axis="int",
                        summary="along one axis, same shape",
                    )
                    for name in ("softmax", "log_softmax", "normalize")
                },
                **{
                    name: _rule(
                        shape="keep",
                        required=("axis",),
                        axis="int",
                        summary="running total along one axis, same shape",
                        since=1.1,
                    )
                    for name in ("cumsum", "cumprod")
                },
                **{
                    name: _rule(
                        tensor=True,
                        defaults={"dtype": None},
                        dtype="dtype",
                        summary="x's shape, filled with " + fill,
                        since=1.1,
                    )
                    for name, fill in (("ones_like", "1"), ("zeros_like", "0"))
                },
                "expand_dims": _axis_rule("expand_dims", "inserts an axis of size 1"),
                "squeeze": _axis_rule("squeeze", "drops an axis of size 1"),
                "transpose": _rule(
                    shape="transpose",
                    required=("axes",),
                    axes="permutation",
                    summary="permutes the axes; the batch stays first: axes=(0, 2, 1)",
                    since=1.1,
                ),
                "one_hot": _rule(
                    shape="one_hot",
                    required=("num_classes",),
                    num_classes="int",
                    summary="integer classes to one-hot float32 vectors: a new last axis",
                    since=1.1,
                ),
                "positions": _rule(
                    shape="positions",
                    defaults={"axis": 1},
                    axis="int",
                    summary="0, 1, ..., n-1 (int32) along the axis, shape (batch, n), n may be "
                    "unknown",
                    since=1.1,
                ),
                "normal_like": _rule(
                    tensor=True,
                    required=("seed",),
                    defaults={"mean": 0.0, "stddev": 1.0},
                    seed="int",
                    mean="float",
                    stddev="float",
                    summary="seeded normal random numbers of x's shape, new ones each call",
                    since=1.1,
                ),
                "uniform_like": _rule(
                    tensor=True,
                    required=("seed",),
                    defaults={"minval": 0.0, "maxval": 1.0},
                    seed="int",
                    minval="float",
                    maxval="float",
                    summary="seeded uniform random numbers in [minval, maxval) of x's shape, "
                    "new ones each call",
                    since=1.1,
                ),
            }.items()
        )
    )
)
"""Function name -> what it accepts. Each is the ``keras.ops`` function of that name except
:data:`COMPOSED_FUNCTIONS`."""

COMPOSED_FUNCTIONS: Final = RANDOM_FUNCTIONS | {"positions"}
"""Functions that are not the ``keras.ops`` function of their name: the random ones (a layer
each) and ``positions`` (``cumsum(ones_like(x, dtype="int32"), axis=1) - 1`` over ``x``
reduced to its batch and that axis)."""

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
        "normal": "normal_like",
        "random_normal": "normal_like",
        "randn_like": "normal_like",
        "uniform": "uniform_like",
        "random_uniform": "uniform_like",
        "rand_like": "uniform_like",
        "arange": "positions",
        "range": "positions",
        "position_ids": "positions",
        "unsqueeze": "expand_dims",
        "permute": "transpose",
        "permute_dims": "transpose",
        "astype": "cast",
        "onehot": "one_hot",
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
    ``None``/``null``, strings (a dtype) and tuples or lists of ints (for ``axis``).
    """
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None or isinstance(value, bool | int | float | str):
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
    if kind == "dtype":
        return isinstance(value, str)
    if kind == "permutation":
        return isinstance(value, tuple)
    return value is None or is_int(value) or isinstance(value, tuple)


_KIND_TEXT: Final[Mapping[KeywordType, str]] = MappingProxyType(
    {
        "bool": "true or false",
        "int": "an integer",
        "float": "a number",
        "axes": "an integer, a tuple of integers such as (1, 2), or None",
        "permutation": "a tuple of integers such as (0, 2, 1)",
        "dtype": 'a quoted dtype name such as "float32"',
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


def _out_of_range(keyword: str, name: str, value: LiteralValue) -> tuple[str, str | None] | None:
    """(message, hint) when ``value`` of ``keyword`` is outside its range whatever the input."""
    if keyword == "seed" and isinstance(value, int) and not 0 <= value <= MAX_SEED:
        return f"seed {value} of '{name}' is outside 0..{MAX_SEED}", "Keras' seeds are 32-bit"
    if keyword == "stddev" and isinstance(value, int | float) and value < 0:
        return f"stddev {value} of '{name}' is negative", None
    if keyword == "num_classes" and isinstance(value, int) and value < 1:
        return f"num_classes {value} of '{name}' must be at least 1", None
    if keyword == "dtype" and isinstance(value, str) and value not in DTYPES:
        return (
            f"'{value}' is not a dtype '{name}' accepts; the dtypes are: {', '.join(DTYPES)}",
            _did_you_mean(suggest(value, DTYPES)),
        )
    if keyword == "axes" and isinstance(value, tuple) and not _keeps_batch_first(value):
        return (
            f"axes {value} of '{name}' must list every axis once with the batch axis 0 "
            f"first, as in axes=(0, 2, 1)",
            None,
        )
    return None


def _keeps_batch_first(axes: tuple[int, ...]) -> bool:
    """A permutation of every axis that leaves the batch axis first."""
    return bool(axes) and axes[0] == 0 and sorted(axes) == list(range(len(axes)))


def _is_tensor(node: ast.expr) -> bool:
    """True when ``node`` uses a name bound by ``from`` (so it is a tensor, not a number)."""
    return bool(_names_in(node))


class _Checker:
    """Walks a parsed expression and collects every problem."""

    def __init__(self, source: _Source, names: Collection[str]) -> None:
        self.source = source
        self.names = frozenset(names)
        self.problems: list[ExprProblem] = []
        self.references = 0

    def add(
        self,
        node: ast.AST,
        message: str,
        hint: str | None = None,
        kind: ProblemKind = "unsafe",
    ) -> None:
        self.problems.append(ExprProblem(message, self.source.column(node), hint, kind))

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
        if rule.tensor and node.args and not _is_tensor(node.args[0]):
            self.add(
                node.args[0],
                f"the first argument of '{name}' must be a tensor (an expression over the names "
                f"bound by 'from'), not '{self.source.segment(node.args[0])}': "
                f"its shape decides the result's",
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
            if not ok or (isinstance(value, str) and kind != "dtype"):
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
            else:
                self.value_range(kw, name, value)
        self.required(node, name, rule, seen, values)
        if name == "uniform_like":
            low, high = values.get("minval", 0.0), values.get("maxval", 1.0)
            assert isinstance(low, int | float) and isinstance(high, int | float)
            if low >= high:
                self.add(
                    node,
                    f"'uniform_like' draws from [minval, maxval); minval {low} must be below "
                    f"maxval {high}",
                    kind="value",
                )

    def required(
        self,
        node: ast.Call,
        name: str,
        rule: FunctionRule,
        seen: Collection[str],
        values: Mapping[str, LiteralValue],
    ) -> None:
        """A missing required keyword: an axis (a reduction would reduce the batch), a seed."""
        if rule.shape == "reduce" and ("axis" not in seen or values.get("axis", 0) is None):
            self.add(
                node,
                f"'{name}' without an axis also reduces over the batch; "
                f"give axis=-1 or a tuple such as axis=(1, 2)",
            )
        checked = {"axis"} if rule.shape == "reduce" else set()
        for keyword in sorted(rule.required - set(seen) - checked):
            if keyword == "seed":
                self.add(
                    node,
                    f"'{name}' needs an integer seed, as in {name}(x, seed=7): the seed decides "
                    f"the numbers it draws, so a rebuilt or reloaded model draws the same",
                    "give each random function of the model its own seed",
                    kind="seed",
                )
            else:
                self.add(
                    node,
                    f"'{name}' needs the keyword '{keyword}': call it as {rule.documented(name)}",
                )

    def value_range(self, kw: ast.keyword, name: str, value: LiteralValue) -> None:
        """A keyword value every input would refuse (GS317)."""
        problem = _out_of_range(kw.arg or "", name, value)
        if problem is not None:
            message, hint = problem
            self.add(kw.value, message, hint, kind="value")

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
    return _names_in(tree.body)


def _names_in(node: ast.expr) -> frozenset[str]:
    """The names ``node`` uses as tensors (not the functions it calls)."""
    found: set[str] = set()
    stack: list[ast.AST] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Name):
            found.add(item.id)
        elif isinstance(item, ast.Call):
            if not isinstance(item.func, ast.Name):
                stack.append(item.func)
            stack.extend(item.args)  # keyword values are literals, never names
        else:
            stack.extend(ast.iter_child_nodes(item))
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
        if rule.shape != "reduce":
            return self.reshaped(node, rule.shape, shape, keywords)
        axes = self.axes(node, shape, _axes_of(keywords.get("axis")))
        keepdims = bool(keywords.get("keepdims", False))
        if keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(shape))
        return tuple(d for i, d in enumerate(shape) if i not in axes)

    def reshaped(
        self,
        node: ast.Call,
        rule: ShapeRule,
        shape: Shape,
        keywords: Mapping[str | None, LiteralValue],
    ) -> Shape:
        """The shape of the functions that add, drop or move axes."""
        where = f"in '{self.source.segment(node)}'"
        if rule == "one_hot":
            classes = keywords["num_classes"]
            assert isinstance(classes, int)
            return (*shape, classes)
        if rule == "transpose":
            permutation = keywords["axes"]
            assert isinstance(permutation, tuple)
            if len(permutation) != len(shape):
                raise ValueError(
                    f"{where}: axes {permutation} name {len(permutation)} axes but the shape "
                    f"{format_shape(shape)} has {len(shape)}"
                )
            return tuple(shape[axis] for axis in permutation)
        axis = keywords.get("axis", 1)
        assert isinstance(axis, int)
        if rule == "expand_dims":
            # the axis counts in the result, which has one more axis
            (index,) = self.axes(node, (*shape, 1), (axis,))
            return (*shape[:index], 1, *shape[index:])
        (index,) = self.axes(node, shape, (axis,))
        if rule == "positions":
            return (shape[0], shape[index])
        # squeeze
        if shape[index] != 1:
            size = "of unknown size" if shape[index] is None else f"of size {shape[index]}"
            raise ValueError(
                f"{where}: axis {axis} of shape {format_shape(shape)} is {size}; "
                f"squeeze drops an axis of size 1 only"
            )
        return shape[:index] + shape[index + 1 :]

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


# --------------------------------------------------------------------------- documentation


def function_list() -> str:
    """The Markdown table of every function, as docs/language.md lists it (a test compares
    the two): functions with the same signature and summary share a row."""
    rows: dict[tuple[str, str], list[str]] = {}
    for name, rule in ALLOWED_FUNCTIONS.items():
        signature = rule.documented("f")
        rows.setdefault((signature, rule.summary), []).append(name)
    lines = ["| function | call | result |", "| --- | --- | --- |"]
    for (signature, summary), names in rows.items():
        call = signature if len(names) > 1 else names[0] + signature[1:]
        listed = ", ".join(f"`{name}`" for name in names)
        lines.append(f"| {listed} | `{call}` | {summary} |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- seeds


@dataclass(frozen=True)
class RandomDraw:
    """One call of a random function in an expression: which, its seed, where it starts."""

    function: str
    seed: int
    column: int


def random_seeds(text: str) -> list[RandomDraw]:
    """The random functions ``text`` calls with a literal integer seed, in text order."""
    if len(text) > MAX_LENGTH:
        return []
    source = _Source.of(text)
    try:
        tree = _parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    draws: list[RandomDraw] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in RANDOM_FUNCTIONS
        ):
            for kw in node.keywords:
                ok, value = keyword_literal(kw.value)
                if kw.arg == "seed" and ok and is_int(value):
                    assert isinstance(value, int)
                    draws.append(RandomDraw(node.func.id, value, source.column(node)))
    return sorted(draws, key=lambda draw: draw.column)
