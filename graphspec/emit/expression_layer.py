"""``expr`` nodes as ``keras.ops`` calls, so a saved model needs no graphspec class.

`emit_expression` turns a checked expression (:mod:`graphspec.spec.expression`) into the
``keras.ops`` calls it stands for, applied to the node's input tensors: ``(a + b) / 2`` is
``keras.ops.divide(keras.ops.add(a, b), 2)``. Keras records each call as an operation of the
functional model and serialises it as ``keras.src.ops`` classes, which plain
``keras.saving.load_model`` rebuilds in safe mode in a process that has never imported
graphspec. Nothing is evaluated with ``eval``/``exec``; the expression is walked on its syntax
tree, and a sub-expression of numbers only is computed once, here, and stored as a number.

Names: the last operation is named after the node (or the head that renames it), so the
model's output names and `graphspec import` find the node again; the operations before it are
named ``<node>.<function>`` (``prediction.add``, then ``prediction.add_2``). A ``.`` never
appears in a spec name, so these names cannot clash with any layer the spec names, and the
importer reads the operations ``<node>.*`` feeding ``<node>`` back as one ``expr`` node.

Random numbers: ``normal_like(x, seed=7)`` and ``uniform_like(x, seed=7)`` are the one
exception to "keras.ops calls only". No ``keras.ops`` function draws random numbers inside a
functional graph (``keras.random`` functions compute at once and need a concrete shape, and the
built-in layers that draw, Dropout or GaussianNoise, draw only while training), so each is a
small registered layer, `NormalLike` or `UniformLike` (``graphspec>NormalLike``), that holds a
``keras.random.SeedGenerator(seed)`` as Keras' own GaussianNoise does: every call draws new
numbers, and a model built from the spec or loaded from its file draws, call by call, the same
numbers on the same backend (the generator's state is not saved, so it starts again from the
seed). Loading such a file needs these classes registered: `graphspec.load_model`, or
``import graphspec.emit.expression_layer`` before ``keras.saving.load_model``.

``positions(x, axis=k)`` is ``keras.ops`` calls: ``x`` reduced (``max``) to its batch and axis
``k``, then ``cumsum(ones_like(., dtype="int32"), axis=1) - 1``, so an unknown length works.

`ExpressionLayer` is the layer graphspec emitted before: kept, registered as
``graphspec>Expression``, only so that models saved with it still load through
`graphspec.load_model` (and import as ``expr`` nodes).

>>> output = emit_expression(keras, "(a + b) / 2", {"a": x, "b": y}, "mean")  # doctest: +SKIP
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

import keras

from graphspec.spec.expression import (
    ALLOWED_FUNCTIONS,
    BINARY_OPERATORS,
    COMPOSED_FUNCTIONS,
    MAX_SEED,
    RANDOM_FUNCTIONS,
    infer_expr_shape,
    keyword_literal,
    parse_expression,
)

__all__ = [
    "PART_SEPARATOR",
    "ExpressionLayer",
    "NormalLike",
    "UniformLike",
    "emit_expression",
    "part_of",
]

PART_SEPARATOR = "."
"""Between a node's name and its inner operations' (``prediction.add``); never in a spec name."""


def part_of(operation_name: str) -> str | None:
    """The node whose expression an operation named ``operation_name`` is inside of, if any."""
    node, separator, _ = operation_name.partition(PART_SEPARATOR)
    return node if separator else None


def emit_expression(keras: Any, expression: str, inputs: Mapping[str, Any], name: str) -> Any:
    """The output tensor of ``expression`` over the named input tensors, as ``keras.ops``
    calls whose last operation is named ``name`` (see the module docstring).

    Raises ``ValueError`` when the expression is not valid over ``inputs`` or a function is
    missing from the installed Keras; Keras' own errors (shapes that do not broadcast) pass
    through.
    """
    tree = parse_expression(expression, list(inputs))
    _check_functions(tree, keras)
    return _Emitter(keras, inputs, name).output(tree.body)


def _check_functions(tree: ast.Expression, keras: Any) -> None:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id not in COMPOSED_FUNCTIONS
            and not hasattr(keras.ops, node.func.id)
        ):
            raise ValueError(
                f"function '{node.func.id}' is not available in Keras "
                f"{keras.__version__} (keras.ops.{node.func.id} is missing)"
            )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Emitter:
    """Walks one checked expression tree and applies ``keras.ops`` to symbolic tensors."""

    def __init__(self, keras: Any, inputs: Mapping[str, Any], name: str) -> None:
        self.keras = keras
        self.inputs = inputs
        self.name = name
        self.made: list[Any] = []  # the operations this expression created, in order
        self.taken: set[str] = set()

    def output(self, body: ast.expr) -> Any:
        result = self.value(body)
        last = self._operation(result)
        if last is None or not any(last is op for op in self.made):
            # the expression is one of its inputs (`a`, `+a`): a layer gives it its name
            return self.keras.layers.Identity(name=self.name)(result)
        last.name = self.name
        return result

    @staticmethod
    def _operation(tensor: Any) -> Any:
        history = getattr(tensor, "_keras_history", None)
        return getattr(history, "operation", None)

    def apply(self, function: str, *args: Any, **kwargs: Any) -> Any:
        """``keras.ops.<function>(*args, **kwargs)``: a number when every argument is one
        (computed now), else a symbolic tensor whose new operation gets an inner name."""
        call = getattr(self.keras.ops, function)
        if all(_is_number(arg) for arg in args):
            value = self.keras.ops.convert_to_numpy(call(*args, **kwargs))
            number: int | float = value.item()
            return number
        return self.named(function, call(*args, **kwargs))

    def named(self, function: str, result: Any) -> Any:
        """``result`` with its new operation named ``<node>.<function>`` (``_2``, ... after)."""
        operation = self._operation(result)
        if operation is not None and not any(operation is op for op in self.made):
            base = f"{self.name}{PART_SEPARATOR}{function}"
            label, count = base, 1
            while label in self.taken:
                count += 1
                label = f"{base}_{count}"
            self.taken.add(label)
            operation.name = label
            self.made.append(operation)
        return result

    def random(self, function: str, like: Any, keywords: Mapping[str, Any]) -> Any:
        """A registered layer that draws numbers shaped like ``like`` (module docstring)."""
        layer = _RANDOM_LAYERS[function](**keywords)
        return self.named(function, layer(like))

    def positions(self, tensor: Any, axis: int) -> Any:
        """0..n-1 along ``axis`` as (batch, n) int32, from ``tensor``'s dynamic shape."""
        rank = len(tensor.shape)
        axis %= rank
        others = tuple(a for a in range(1, rank) if a != axis)
        if others:
            tensor = self.apply("max", tensor, axis=others)
        ones = self.apply("ones_like", tensor, dtype="int32")
        return self.apply("subtract", self.apply("cumsum", ones, axis=1), 1)

    def value(self, node: ast.expr) -> Any:
        """A symbolic tensor, or a Python number for a sub-expression of numbers only."""
        if isinstance(node, ast.Name):
            return self.inputs[node.id]
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp):
            ok, number = keyword_literal(node)
            if ok:  # a negated number stays a Python number, so it takes the tensor's dtype
                return number
            operand = self.value(node.operand)
            if not isinstance(node.op, ast.USub):
                return operand
            return -operand if _is_number(operand) else self.apply("negative", operand)
        if isinstance(node, ast.BinOp):
            left, right = self.value(node.left), self.value(node.right)
            return self.apply(BINARY_OPERATORS[type(node.op)], left, right)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            function = node.func.id
            if function not in ALLOWED_FUNCTIONS:  # unreachable after parse_expression
                raise ValueError(f"function '{function}' is not allowed")
            args = [self.value(arg) for arg in node.args]
            kwargs = {
                kw.arg: keyword_literal(kw.value)[1] for kw in node.keywords if kw.arg is not None
            }
            if function in RANDOM_FUNCTIONS:
                return self.random(function, args[0], kwargs)
            if function == "positions":
                axis = kwargs.get("axis", 1)
                assert isinstance(axis, int)  # checked by parse_expression
                return self.positions(args[0], axis)
            if function == "clip" and not all(_is_number(bound) for bound in args[1:]):
                # keras.ops.clip keeps its bounds in its config, where a tensor cannot go
                return self.apply("minimum", self.apply("maximum", args[0], args[1]), args[2])
            return self.apply(function, *args, **kwargs)
        raise ValueError(f"unexpected node {type(node).__name__} in expression")


def _check_input_names(input_names: Sequence[str]) -> tuple[str, ...]:
    if isinstance(input_names, str) or not isinstance(input_names, Sequence):
        raise ValueError(
            f"input_names must be a list of names, got {type(input_names).__name__}: "
            f"{input_names!r}"
        )
    names = tuple(input_names)
    if not names:
        raise ValueError("input_names must name at least one input")
    for name in names:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"input name {name!r} is not an identifier")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"input names must be unique; repeated: {', '.join(duplicates)}")
    return names


def _is_shape(value: Any) -> bool:
    return isinstance(value, Sequence) and all(
        d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in value
    )


@keras.saving.register_keras_serializable(package="graphspec", name="Expression")
class ExpressionLayer(keras.layers.Layer):  # type: ignore[misc]
    """Evaluates a safe element-wise expression over named input tensors; has no weights.

    What graphspec emitted for ``expr`` nodes before they became ``keras.ops`` calls; kept so
    that models saved with it still load with `graphspec.load_model`."""

    def __init__(self, expression: str, input_names: Sequence[str], **kwargs: Any) -> None:
        if not isinstance(expression, str):
            raise ValueError(f"expression must be a string, got {type(expression).__name__}")
        names = _check_input_names(input_names)
        tree = parse_expression(expression, names)  # raises ValueError with the first problem
        _check_functions(tree, keras)
        super().__init__(**kwargs)
        self.expression = expression
        self.input_names = names
        self._tree = tree

    def _bind(self, values: Any) -> dict[str, Any]:
        """Map each input name to its value (tensor or shape), whatever form they come in."""
        names = self.input_names
        if isinstance(values, Mapping):
            missing = [name for name in names if name not in values]
            if missing:
                raise ValueError(f"layer '{self.name}' is missing inputs: {', '.join(missing)}")
            return {name: values[name] for name in names}
        if isinstance(values, list | tuple) and not _is_shape(values):
            if len(values) != len(names):
                raise ValueError(
                    f"layer '{self.name}' takes {len(names)} inputs ({', '.join(names)}), "
                    f"got {len(values)}"
                )
            return dict(zip(names, values, strict=True))
        if len(names) != 1:
            raise ValueError(
                f"layer '{self.name}' takes {len(names)} inputs ({', '.join(names)}), got one"
            )
        return {names[0]: values}

    def _evaluate(self, node: ast.expr, env: Mapping[str, Any]) -> Any:
        """Interpret a checked expression tree with ``keras.ops``."""
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.UnaryOp):
            ok, number = keyword_literal(node)
            if ok:  # a negated number stays a Python number, so it takes the tensor's dtype
                return number
            operand = self._evaluate(node.operand, env)
            return keras.ops.negative(operand) if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            function = getattr(keras.ops, BINARY_OPERATORS[type(node.op)])
            return function(self._evaluate(node.left, env), self._evaluate(node.right, env))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name not in ALLOWED_FUNCTIONS:  # unreachable after parse_expression; belt and braces
                raise ValueError(f"function '{name}' is not allowed")
            args = [self._evaluate(arg, env) for arg in node.args]
            kwargs = {
                kw.arg: keyword_literal(kw.value)[1] for kw in node.keywords if kw.arg is not None
            }
            return getattr(keras.ops, name)(*args, **kwargs)
        raise ValueError(f"unexpected node {type(node).__name__} in expression")

    def call(self, inputs: Any) -> Any:
        """Evaluate the expression; ``inputs`` is a list in ``input_names`` order (or a dict)."""
        return self._evaluate(self._tree.body, self._bind(inputs))

    def compute_output_spec(self, inputs: Any) -> Any:
        """Trace the expression symbolically, so the output dtype is what keras.ops gives."""
        return self.call(inputs)

    def compute_output_shape(self, input_shape: Any) -> tuple[int | None, ...]:
        """Static output shape (batch axis included) from :func:`infer_expr_shape`."""
        shapes = {name: tuple(shape) for name, shape in self._bind(input_shape).items()}
        return infer_expr_shape(self.expression, shapes)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ExpressionLayer:
        """Re-check the expression first, so a tampered config raises ``ValueError`` itself."""
        for key in ("expression", "input_names"):
            if key not in config:
                raise ValueError(f"an {cls.__name__} config needs '{key}'")
        expression = config["expression"]
        if not isinstance(expression, str):
            raise ValueError(f"expression must be a string, got {type(expression).__name__}")
        parse_expression(expression, _check_input_names(config["input_names"]))
        layer: ExpressionLayer = super().from_config(config)
        return layer

    def get_config(self) -> dict[str, Any]:
        """The base layer config plus the expression text and the input names."""
        config: dict[str, Any] = super().get_config()
        config.update(expression=self.expression, input_names=list(self.input_names))
        return config


class _RandomLike(keras.layers.Layer):  # type: ignore[misc]
    """Draws numbers shaped like its input from a seeded generator, on every call (training
    or not), as the sampling layer of Keras' VAE example does; has no weights. A subclass
    names its ``keras.random`` function and that function's two parameters with defaults."""

    sampler: ClassVar[str]
    parameters: ClassVar[Mapping[str, float]]

    def __init__(self, seed: int, **kwargs: Any) -> None:
        if type(seed) is not int or not 0 <= seed <= MAX_SEED:
            raise ValueError(f"seed must be an integer in 0..{MAX_SEED}, got {seed!r}")
        values = {key: kwargs.pop(key, default) for key, default in self.parameters.items()}
        super().__init__(**kwargs)
        for key, value in values.items():
            if not _is_number(value):
                raise ValueError(f"{key} must be a number, got {value!r}")
        self.seed = seed
        self.values = values  # as written: an int stays one, so the config reads back alike
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs: Any) -> Any:
        """Numbers of the input's (dynamic) shape in the layer's compute dtype."""
        draw = getattr(keras.random, self.sampler)
        return draw(
            keras.ops.shape(inputs),
            *self.values.values(),
            dtype=self.compute_dtype,
            seed=self.seed_generator,
        )

    def compute_output_spec(self, inputs: Any) -> Any:
        """The input's shape; declared, so that building the graph draws nothing."""
        return keras.KerasTensor(inputs.shape, dtype=self.compute_dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        config.update(seed=self.seed, **self.values)
        return config


@keras.saving.register_keras_serializable(package="graphspec", name="NormalLike")
class NormalLike(_RandomLike):
    """``normal_like(x, seed=..., mean=0.0, stddev=1.0)`` of an expr node."""

    sampler = "normal"
    parameters = MappingProxyType({"mean": 0.0, "stddev": 1.0})


@keras.saving.register_keras_serializable(package="graphspec", name="UniformLike")
class UniformLike(_RandomLike):
    """``uniform_like(x, seed=..., minval=0.0, maxval=1.0)`` of an expr node."""

    sampler = "uniform"
    parameters = MappingProxyType({"minval": 0.0, "maxval": 1.0})


_RANDOM_LAYERS: dict[str, type[_RandomLike]] = {
    "normal_like": NormalLike,
    "uniform_like": UniformLike,
}
"""The layer each random function of an expression is."""
