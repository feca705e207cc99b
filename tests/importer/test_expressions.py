"""graphspec's own output round-trips: the keras.ops calls of an expr node import as that
expr node (not GS704, not `layer: ExpressionLayer`), and the rebuilt model computes the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphspec
from graphspec.diagnostics import SpecError
from graphspec.importer.to_spec import (
    _FUNCTIONS,
    from_keras,
    import_config,
    import_path,
    model_config,
)
from graphspec.runtime.saving import save_model_atomically
from graphspec.spec.expression import ALLOWED_FUNCTIONS
from graphspec.spec.forms import ExprNode
from graphspec.testing.roundtrip import compare
from tests.conftest import spec_files

EXPR_SPECS = [
    p for p in spec_files() if "expr:" in p.read_text() and "inline: true" not in p.read_text()
]
"""Specs with expr nodes at the top level (an inline block's expr nodes import flattened, under
their built names; tests/gallery/test_import_round_trip.py covers those specs)."""


def _random(model: Any, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        rng.random((2, *(d or 8 for d in tuple(t.shape)[1:])), dtype=np.float32) + 0.1
        for t in model.inputs
    ]


def _predict(model: Any, feed: list[np.ndarray]) -> list[np.ndarray]:
    out = model.predict(feed if len(feed) > 1 else feed[0], verbose=0)
    return [np.asarray(o) for o in (out if isinstance(out, list) else [out])]


def _copy_weights(source: Any, target: Any) -> None:
    for layer in source.layers:
        if layer.weights:
            target.get_layer(layer.name).set_weights(layer.get_weights())


def test_there_are_specs_with_expr_nodes() -> None:
    assert len(EXPR_SPECS) >= 4


@pytest.mark.parametrize("path", EXPR_SPECS, ids=lambda p: p.stem)
def test_a_built_spec_imports_with_its_expr_nodes(keras: Any, path: Path, tmp_path: Path) -> None:
    """Build, save, `graphspec import` the file: the same expr nodes (the variables are
    renamed a, b, c in order of use), and the rebuilt model predicts the same."""
    original = graphspec.load(path)
    model = graphspec.build(path)
    saved = tmp_path / "model.keras"
    save_model_atomically(model, saved)
    imported = import_path(saved)
    assert "ExpressionLayer" not in imported.text
    wanted = {n: e for n, e in original.nodes.items() if isinstance(e, ExprNode)}
    got = {n: e for n, e in imported.spec.nodes.items() if isinstance(e, ExprNode)}
    assert set(got) == set(wanted)
    for name, node in wanted.items():
        assert got[name].expr == node.expr  # the specs here name their variables a, b, c
        assert got[name].from_ == node.from_
    rebuilt = graphspec.build(graphspec.loads(imported.text))
    _copy_weights(model, rebuilt)
    feed = _random(model)
    for want, have in zip(_predict(model, feed), _predict(rebuilt, feed), strict=True):
        np.testing.assert_allclose(have, want, rtol=0, atol=1e-6)
    result = compare(model, imported.text, imported.layer_names)
    assert result.mismatches == ()
    keras.backend.clear_session()


CASES: dict[str, str] = {
    **{
        f"f_{name}": (
            f"{name}(a, axis=-1, keepdims=true)"
            if rule.shape == "reduce"
            else f"{name}(a, axis=1)"
            if rule.shape == "keep"
            else f"{name}(a, b)"
            if len(rule.params) == 2
            else "clip(a, 0.25, 0.75)"
            if name == "clip"
            else f"{name}(a)"
        )
        for name, rule in ALLOWED_FUNCTIONS.items()
    },
    "f_norm": "norm(a, axis=(1, 2))",
    "f_cast": "cast(a, dtype='float16')",
    "f_expand_dims": "expand_dims(a, axis=1)",
    "f_squeeze": "squeeze(c, axis=-1)",
    "f_transpose": "transpose(a, axes=(0, 2, 1))",
    "f_one_hot": "one_hot(cast(a * 3, dtype='int32'), num_classes=4)",
    "f_positions": "positions(a, axis=2)",
    "f_normal_like": "normal_like(a, seed=1)",
    "f_uniform_like": "uniform_like(a, seed=2, minval=-1, maxval=2)",
    "sampling": "a + exp(0.5 * b) * normal_like(a, seed=1337)",
    "positions_of_a_sum": "positions(a + b) * 2",
    "avg3": "(a + b + c) / 3",
    "poly": "-a * 2 + b ** 2",
    "negative_base": "(-2.0) ** a + 1 / (b + 1)",
    "reduce": "mean(a, axis=-1, keepdims=true) + sum(b, axis=(1, 2), keepdims=true)",
    "clip_by_tensors": "clip(a, b - 0.5, b + 0.5)",
    "keywords": "gelu(a, approximate=false) + leaky_relu(b - 0.5, negative_slope=0.1)",
    "elu": "elu(a - 0.5, alpha=0.5) * softmax(b, axis=-1)",
    "folded": "a * (2 + 3) - exp(0.0)",
    "twice": "a * a + a",
}


@pytest.fixture(scope="module")
def every_function(keras: Any) -> tuple[Any, str]:
    """One model with an expr node per case as graphspec emits it, and its imported spec."""
    lines = [
        "graphspec: 1",
        "name: functions",
        "inputs:",
        "  x: {shape: [3, 4]}",
        "  y: {shape: [3, 4]}",
        "  z: {shape: [3, 1]}",
        "nodes:",
    ]
    for name, text in CASES.items():
        used = [
            v for v, ref in (("a", "x"), ("b", "y"), ("c", "z")) if v in text.replace("abs", "")
        ]
        refs = ", ".join(
            f"{v}: {ref}" for v, ref in (("a", "x"), ("b", "y"), ("c", "z")) if v in used
        )
        lines.append(f'  {name}: {{expr: "{text}", from: {{{refs}}}}}')
    lines.append("outputs:")
    lines += [f"  {name}: {name}" for name in CASES]
    model = graphspec.build(graphspec.loads("\n".join(lines) + "\n"))
    return model, from_keras(model)


def test_every_whitelisted_function_has_its_keras_class(keras: Any, every_function: Any) -> None:
    """The importer's table (class → function) is what the installed Keras makes."""
    model, _ = every_function
    operations = {op.name: type(op).__name__ for op in model.operations}
    for name in ALLOWED_FUNCTIONS:
        if name in ("negative", "power", "positions"):
            continue  # written -x and x ** y; positions is several calls
        assert _FUNCTIONS[operations[f"f_{name}"]] == name


def test_every_function_imports_and_computes_the_same(every_function: Any) -> None:
    model, text = every_function
    spec = graphspec.loads(text)
    assert all(isinstance(node, ExprNode) for node in spec.nodes.values())
    assert set(spec.nodes) == set(CASES)
    assert spec.nodes["avg3"].expr == "(a + b + c) / 3"  # type: ignore[union-attr]
    assert spec.nodes["twice"].expr == "a * a + a"  # type: ignore[union-attr]
    assert spec.nodes["f_negative"].expr == "-a"  # type: ignore[union-attr]
    for name in ("sampling", "f_transpose", "f_normal_like", "f_uniform_like", "f_cast"):
        assert spec.nodes[name].expr == CASES[name]  # type: ignore[union-attr]
    assert spec.nodes["f_positions"].expr == "positions(a, axis=2)"  # type: ignore[union-attr]
    assert spec.nodes["positions_of_a_sum"].expr == "positions(a + b) * 2"  # type: ignore[union-attr]
    assert spec.nodes["clip_by_tensors"].expr == (  # type: ignore[union-attr]
        "minimum(maximum(a, b - 0.5), b + 0.5)"
    )
    rebuilt = graphspec.build(spec)
    feed = _random(model, seed=1)
    for name, want, have in zip(CASES, _predict(model, feed), _predict(rebuilt, feed), strict=True):
        np.testing.assert_allclose(have, want, rtol=1e-6, atol=1e-6, err_msg=name)


def test_operations_a_person_wrote_stay_one_node_each(keras: Any) -> None:
    """keras.ops calls with Keras' own names (add, add_1) are not joined: each is its node."""
    x = keras.Input((4,), name="x")
    y = keras.Input((4,), name="y")
    total = keras.ops.add(x, y)
    out = keras.ops.mean(keras.ops.exp(total), axis=-1)
    spec = graphspec.loads(from_keras(keras.Model([x, y], out)))
    forms = sorted(type(node).__name__ for node in spec.nodes.values())
    assert forms == ["ExprNode", "ExprNode", "OpNode"]
    assert graphspec.check(spec).ok


def test_an_operation_an_expression_cannot_write_is_gs702(keras: Any) -> None:
    x = keras.Input((4,), name="x")
    out = keras.ops.max(x, axis=-1, initial=2.0)
    with pytest.raises(SpecError) as caught:
        import_config(model_config(keras.Model(x, out)))
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "GS702"
    assert "initial=2.0" in diagnostic.message


def test_the_old_expression_layer_imports_as_an_expr_node(keras: Any) -> None:
    from graphspec.emit.expression_layer import ExpressionLayer

    x = keras.Input((4,), name="x")
    y = keras.Input((4,), name="y")
    out = ExpressionLayer("(p + q) / 2", ["p", "q"], name="mean")([x, y])
    spec = graphspec.loads(from_keras(keras.Model([x, y], out)))
    node = spec.nodes["mean"]
    assert isinstance(node, ExprNode)
    assert node.expr == "(p + q) / 2"
    assert node.from_ == {"p": "x", "q": "y"}
