"""The Keras layer behind ``expr`` nodes: a small interpreter of checked expressions.

The expression is parsed and checked by :mod:`graphspec.spec.expression` whenever the layer is made,
also when a saved model is loaded, and evaluated by walking its syntax tree with
``keras.ops`` calls, never with ``eval``/``exec``/``compile``. The layer is registered as
``graphspec>Expression``, so a model using it loads with ``safe_mode=True`` once this module
has been imported.

>>> layer = ExpressionLayer("(a + b) / 2", ["a", "b"], name="mean")  # doctest: +SKIP
>>> output = layer([tensor_a, tensor_b])  # doctest: +SKIP
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from typing import Any

import keras

from graphspec.spec.expression import (
    ALLOWED_FUNCTIONS,
    BINARY_OPERATORS,
    infer_expr_shape,
    keyword_literal,
    parse_expression,
)

__all__ = ["ExpressionLayer"]


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
    """Evaluates a safe element-wise expression over named input tensors; has no weights."""

    def __init__(self, expression: str, input_names: Sequence[str], **kwargs: Any) -> None:
        if not isinstance(expression, str):
            raise ValueError(f"expression must be a string, got {type(expression).__name__}")
        names = _check_input_names(input_names)
        tree = parse_expression(expression, names)  # raises ValueError with the first problem
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and not hasattr(keras.ops, node.func.id)
            ):
                raise ValueError(
                    f"function '{node.func.id}' is not available in Keras "
                    f"{keras.__version__} (keras.ops.{node.func.id} is missing)"
                )
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
