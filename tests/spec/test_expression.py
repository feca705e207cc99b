"""Tests of safe ``expr`` expressions: checking, shapes, and the Keras layer that evaluates them."""

from __future__ import annotations

import ast
import json
import math
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from graphspec.spec.expression import (
    ALLOWED_FUNCTIONS,
    COMPOSED_FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    ExpressionError,
    ExprProblem,
    broadcast_shapes,
    check_expression,
    function_list,
    infer_expr_shape,
    parse_expression,
    random_seeds,
    used_names,
)

NAMES = frozenset({"a", "b", "c"})

# --------------------------------------------------------------------------- accepted


@pytest.mark.parametrize(
    "text",
    [
        "(a + b + c) / 3",
        "-a * 2 + b ** 2",
        "maximum(a, b)",
        "mean(a, axis=-1, keepdims=True)",
        "mean(a, axis=-1, keepdims=true)",
        "clip(a, 0, 1)",
        "clip(a, b, c)",
        "+a - -1.5e-3 * c",
        "sum(a, axis=(1, 2), keepdims=false)",
        "max(a, axis=[1, 2])",
        "softmax(a)",
        "softmax(a, axis=-1) * sigmoid(b)",
        "gelu(a, approximate=False) + leaky_relu(b, negative_slope=1)",
        "norm(a, axis=-1, keepdims=True)",
        "  (a\n + b)  ",
        "power(2, a) ** 0.5",
    ],
)
def test_accepted(text: str) -> None:
    assert check_expression(text, NAMES) == []
    assert isinstance(parse_expression(text, NAMES), ast.Expression)


def test_required_functions_are_whitelisted() -> None:
    required = {
        "abs negative exp log log1p sqrt square tanh sigmoid relu softplus softsign silu gelu "
        "sin cos maximum minimum power clip mean sum max min softmax"
    }
    for name in next(iter(required)).split():
        assert name in ALLOWED_FUNCTIONS, name
    assert ALLOWED_FUNCTIONS["clip"].min_args == ALLOWED_FUNCTIONS["clip"].max_args == 3
    assert set(ALLOWED_FUNCTIONS["mean"].keywords) == {"axis", "keepdims"}
    assert dict(ALLOWED_FUNCTIONS["relu"].keywords) == {}
    assert "eval" not in ALLOWED_FUNCTIONS and "get_item" not in ALLOWED_FUNCTIONS


# --------------------------------------------------------------------------- rejected

REJECTED = [
    # (text, words the first message must contain, column of the first problem)
    ("a.numpy()", ["attribute access", "a.numpy", "maximum"], 0),
    ("a[0]", ["subscript", "a[0]"], 0),
    ("__import__('os')", ["dunder name", "__import__"], 0),
    ("eval('1')", ["function 'eval'", "not allowed"], 0),
    ("exec('x')", ["function 'exec'", "not allowed"], 0),
    ("[x for x in a]", ["comprehension"], 0),
    ("lambda: a", ["lambda"], 0),
    ("'text'", ["string 'text'"], 0),
    ("a if b else c", ["conditional expression"], 0),
    ("a < b", ["comparison", "a < b"], 0),
    ("b + d", ["name 'd'", "not bound by 'from'", "a, b, c"], 4),
    ("maxmum(a, b)", ["function 'maxmum'", "maximum"], 0),
    ("mean(a, axis=b)", ["keyword 'axis'", "literal"], 13),
    ("mean(a, foo=1, axis=-1)", ["no keyword 'foo'", "axis, keepdims"], 8),
    ("open('f')", ["function 'open'"], 0),
    ("a.__class__", ["attribute access", "a.__class__"], 0),
    ("(a", ["syntax error", "never closed"], 0),
    ("a + (b", ["syntax error"], 4),
    ("a; b", ["2 statements"], 3),
    ("import os", ["import statement", "not an expression"], 0),
    ("a = 1", ["assignment", "not an expression"], 0),
    ("a\n+ b", ["2 statements"], 2),
    ("a and b", ["boolean operator 'and'"], 0),
    ("not a", ["operator 'not'"], 0),
    ("a % b", ["operator '%'"], 2),
    ("a @ b", ["operator '@'"], 2),
    ("a // b", ["operator '//'"], 2),
    ("(x := a)", ["assignment expression"], 1),
    ("f'{a}'", ["f-string"], 0),
    ("b'x' + a", ["bytes literal"], 0),
    ("1j * a", ["complex number"], 0),
    ("True * a", ["keyword value"], 0),
    ("None + a", ["keyword value"], 0),
    ("maximum(*a)", ["argument unpacking '*a'"], 8),
    ("mean(a, **k)", ["keyword unpacking '**k'"], 8),
    ("mean(a, axis=-1, axis=1)", ["given twice"], 17),
    ("gelu(a, approximate=1)", ["true or false"], 20),
    ("mean(a, axis=1.5)", ["must be an integer"], 13),
    ("mean(a, axis='x')", ["literal"], 13),
    ("mean(a)", ["without an axis", "batch"], 0),
    ("mean(a, axis=None)", ["without an axis"], 0),
    ("mean(a, axis=0)", ["batch axis"], 13),
    ("sum(a, axis=(1, 1))", ["repeats"], 12),
    ("softmax(a, axis=0)", ["batch axis"], 16),
    ("max(a, b)", ["takes 1 positional argument", "max(x, axis=..., keepdims=...)"], 0),
    ("clip(a, 0)", ["takes 3 positional arguments"], 0),
    ("a(b)", ["'a' is a name bound by 'from', not a function"], 0),
    ("relu + a", ["'relu' is a function"], 0),
    ("np.maximum(a, b)", ["attribute access 'np.maximum'"], 0),
    ("(lambda: 1)()", ["lambda"], 1),
    ("a ** 2 + 1e999", ["not finite"], 9),
    ("2 + 3", ["uses none of the names"], 0),
    ("", ["empty"], 0),
    ("   ", ["empty"], 0),
    ("a + b\x00", ["syntax error"], 0),
    ("await a", ["await"], 0),
    ("(yield a)", ["yield"], 1),
    ("{a: b}", ["dict"], 0),
    ("(a, b)", ["tuple"], 0),
    ("a.x(b)", ["attribute access 'a.x'"], 0),
    ("getattr(a, 'x')", ["function 'getattr'"], 0),
]


@pytest.mark.parametrize(("text", "words", "column"), REJECTED, ids=[r[0] for r in REJECTED])
def test_rejected(text: str, words: list[str], column: int) -> None:
    problems = check_expression(text, NAMES)
    assert problems, f"{text!r} was accepted"
    first = problems[0]
    for word in words:
        assert word in first.message, (word, first.message)
    assert first.column == column, first
    with pytest.raises(ValueError):
        parse_expression(text, NAMES)


def test_parse_error_carries_every_problem() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression("a.x + b[0]", NAMES)
    assert str(caught.value) == caught.value.problems[0].message
    assert len(caught.value.problems) == 2


def test_several_problems_are_reported() -> None:
    problems = check_expression("a.x + b[0]", NAMES)
    assert [(p.message.split(" is ")[0], p.column) for p in problems] == [
        ("attribute access 'a.x'", 0),
        ("subscript 'b[0]'", 6),
    ]
    many = check_expression("eval(d) + a.b + sqrt(a, b) + e < f", NAMES)
    assert len(many) == 1  # a comparison at the top is rejected as a whole
    many = check_expression("eval(d) + a.b + sqrt(a, b) + e", NAMES)
    assert len(many) == 5


def test_messages_say_what_is_allowed() -> None:
    (problem,) = check_expression("a.numpy()", NAMES)
    assert "names bound by 'from'" in problem.message
    assert "+ - * / **" in problem.message
    for name in ("abs", "maximum", "mean", "softmax"):
        assert name in problem.message


def test_hints() -> None:
    (misspelt,) = check_expression("maxmum(a, b)", NAMES)
    assert misspelt.hint == "did you mean 'maximum'?"
    (alias,) = check_expression("pow(a, 2)", NAMES)
    assert alias.hint == "did you mean 'power'?"
    (near,) = check_expression("lefft + right", {"left", "right"})
    assert near.hint == "did you mean 'left'?"
    (case,) = check_expression("A + b", NAMES)
    assert case.hint == "did you mean 'a'?"
    (far,) = check_expression("d + a", NAMES)
    assert "name 'd'" in far.message and far.column == 0 and far.hint is None
    keyword = check_expression("mean(a, axsi=-1)", NAMES)[0]
    assert keyword.hint == "did you mean 'axis'?"
    two = check_expression("max(a, b)", NAMES)[0]
    assert two.hint is not None and "maximum(a, b)" in two.hint
    (prefix,) = check_expression("keras.ops.relu(a)", NAMES)
    assert prefix.hint is not None and "relu(...)" in prefix.hint


def test_columns_count_characters_not_bytes() -> None:
    (problem,) = check_expression("αβ + d", {"αβ"})
    assert problem.column == 5
    (problem,) = check_expression("  \n αβ.x", {"αβ"})
    assert problem.column == 4
    (problem,) = check_expression("(αβ\n  + d)", {"αβ"})
    assert problem.column == 8
    (problem,) = check_expression("é + (", {"é"})
    assert problem.column == 4


def test_length_limit() -> None:
    text = "+".join(["a"] * 2500) + " "
    assert len(text) == 5_000
    (problem,) = check_expression(text, NAMES)
    assert "5000 characters" in problem.message and str(MAX_LENGTH) in problem.message
    assert len(check_expression("a" + " " * (MAX_LENGTH - 1), NAMES)) == 0


def test_depth_limit() -> None:
    assert check_expression("-" * MAX_DEPTH + "a", NAMES) == []
    (problem,) = check_expression("-" * (MAX_DEPTH + 1) + "a", NAMES)
    assert "nested" in problem.message and problem.column == MAX_DEPTH
    (problem,) = check_expression("abs(" * 60 + "a" + ")" * 60, NAMES)
    assert "nested" in problem.message
    (problem,) = check_expression("(" * 300 + "a" + ")" * 300, NAMES)
    assert "syntax error" in problem.message


def test_used_names() -> None:
    assert used_names("mean(a, axis=-1, keepdims=true) + b * maximum(c, 2)") == {"a", "b", "c"}
    assert used_names("relu(a) * 2") == {"a"}
    assert used_names("(a") == frozenset()
    assert used_names("a" * 5000) == frozenset()


def test_problem_is_frozen() -> None:
    problem = ExprProblem("message", 3)
    with pytest.raises(AttributeError):
        problem.column = 4  # type: ignore[misc]
    assert problem.hint is None


# --------------------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    ("shapes", "expected"),
    [
        ([(None, 3), (1,)], (None, 3)),
        ([(None, 3), ()], (None, 3)),
        ([(None, 4, 1), (None, 1, 5)], (None, 4, 5)),
        ([(None, None), (5, 1)], (5, None)),
        ([(None, 1), (None, 1)], (None, 1)),
        ([(2, 0), (1, 1)], (2, 0)),
        ([], ()),
    ],
)
def test_broadcast_shapes(
    shapes: list[tuple[int | None, ...]], expected: tuple[int | None, ...]
) -> None:
    assert broadcast_shapes(shapes) == expected


def test_broadcast_conflict_names_both_dims() -> None:
    with pytest.raises(ValueError, match=r"\(None, 3\) and \(None, 4\).*3 and 4 at axis -1"):
        broadcast_shapes([(None, 3), (None, 1), (None, 4)])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(a + b + c) / 3", (None, 4, 3)),
        ("a * 2", (None, 4, 3)),
        ("mean(a, axis=-1, keepdims=true)", (None, 4, 1)),
        ("mean(a, axis=-1)", (None, 4)),
        ("sum(a, axis=(1, 2))", (None,)),
        ("max(a, axis=1, keepdims=True) + c", (None, 4, 3)),
        ("softmax(a, axis=1)", (None, 4, 3)),
        ("clip(a, 0, c)", (None, 4, 3)),
        ("maximum(c, 0)", (None, 4, 1)),
        ("norm(a, axis=(-2, -1))", (None,)),
    ],
)
def test_infer_expr_shape(text: str, expected: tuple[int | None, ...]) -> None:
    shapes = {"a": (None, 4, 3), "b": (None, 4, 3), "c": (None, 4, 1)}
    assert infer_expr_shape(text, shapes) == expected


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("a + d", r"'a' has shape \(None, 4, 3\) but 'd' has shape \(None, 5\)"),
        ("mean(a, axis=3)", "axis 3 is out of range"),
        ("mean(a, axis=-3)", "batch axis"),
        ("softmax(d, axis=-2)", "batch axis"),
        ("clip(c, 0, a)", "larger than the clipped shape"),
        ("a.x", "attribute access"),
    ],
)
def test_infer_expr_shape_errors(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        infer_expr_shape(text, {"a": (None, 4, 3), "c": (None, 4, 1), "d": (None, 5)})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "mean(a, axis=3)",
            "in 'mean(a, axis=3)': axis 3 is out of range for shape (None, 4, 3) (rank 3)",
        ),
        (
            "clip(sum(a, axis=(1, 2)), 0, d)",
            "in 'clip(sum(a, axis=(1, 2)), 0, d)': the bounds broadcast to (None, 5), larger "
            "than the clipped shape (None,)",
        ),
    ],
)
def test_expression_shapes_print_as_everywhere_else(text: str, message: str) -> None:
    """Shapes with the batch dimension first, ranks counting it, as the shape rules and
    `summary` print them (`graphspec.shape.format_shape`)."""
    with pytest.raises(ValueError) as caught:
        infer_expr_shape(text, {"a": (None, 4, 3), "d": (None, 5)})
    assert str(caught.value) == message


def test_importing_expr_does_not_import_keras() -> None:
    code = (
        "import sys, graphspec.spec.expression\n"
        "heavy = sorted(m for m in ('keras', 'tensorflow', 'numpy') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


# --------------------------------------------------------------------------- the Keras layer

LAYER_CASES: dict[str, str] = {
    "avg3": "(a + b + c) / 3",
    "poly": "-a * 2 + b ** 2",
    "extremes": "maximum(a, b) - minimum(a, c)",
    "reduce": "mean(a, axis=-1, keepdims=True) + sum(b, axis=(1, 2), keepdims=true)",
    "clipped": "clip(a, 0.25, 0.75) * sqrt(b) + exp(-c)",
    "soft": "softmax(a, axis=-1)",
    "peak": "max(a, axis=1)",
    "smooth": "gelu(a, approximate=false) + leaky_relu(b - 0.5, negative_slope=0.1)",
}


def _numpy_reference(name: str, a: Any, b: Any, c: Any) -> Any:
    import numpy as np

    erf = np.vectorize(math.erf)
    if name == "avg3":
        return (a + b + c) / 3
    if name == "poly":
        return -a * 2 + b**2
    if name == "extremes":
        return np.maximum(a, b) - np.minimum(a, c)
    if name == "reduce":
        return a.mean(axis=-1, keepdims=True) + b.sum(axis=(1, 2), keepdims=True)
    if name == "clipped":
        return np.clip(a, 0.25, 0.75) * np.sqrt(b) + np.exp(-c)
    if name == "soft":
        e = np.exp(a - a.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if name == "peak":
        return a.max(axis=1)
    if name == "smooth":
        d = b - 0.5
        return 0.5 * a * (1 + erf(a / math.sqrt(2))) + np.where(d > 0, d, 0.1 * d)
    raise AssertionError(name)


@pytest.fixture(scope="module")
def keras_module() -> ModuleType:
    keras: ModuleType = pytest.importorskip("keras")
    return keras


@pytest.fixture(scope="module")
def built(keras_module: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One model with every case as an output, its data, predictions and a saved copy."""
    import numpy as np

    from graphspec.emit.expression_layer import ExpressionLayer

    keras = keras_module
    inputs = {
        "a": keras.Input((4, 3), name="a"),
        "b": keras.Input((4, 3), name="b"),
        "c": keras.Input((4, 1), name="c"),
    }
    outputs = []
    for name, text in LAYER_CASES.items():
        used = sorted(used_names(text))
        layer = ExpressionLayer(text, used, name=name)
        outputs.append(layer([inputs[n] for n in used]))
    single = ExpressionLayer("relu(x - 0.5) * 2", ["x"], name="single")
    outputs.append(single(inputs["a"]))
    model = keras.Model(list(inputs.values()), outputs, name="expressions")
    rng = np.random.default_rng(0)
    data = [
        rng.random((5, 4, 3), dtype=np.float32),
        rng.random((5, 4, 3), dtype=np.float32),
        rng.random((5, 4, 1), dtype=np.float32),
    ]
    path = tmp_path_factory.mktemp("expr") / "model.keras"
    model.save(path)
    return {
        "keras": keras,
        "model": model,
        "data": data,
        "predictions": model.predict(data, verbose=0),
        "path": path,
    }


def test_layer_matches_numpy(built: dict[str, Any]) -> None:
    import numpy as np

    a, b, c = built["data"]
    predictions = built["predictions"]
    for index, name in enumerate(LAYER_CASES):
        expected = _numpy_reference(name, a, b, c)
        np.testing.assert_allclose(predictions[index], expected, rtol=1e-5, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(predictions[-1], np.maximum(a - 0.5, 0) * 2, rtol=1e-6)


def test_layer_static_shapes(built: dict[str, Any]) -> None:
    model = built["model"]
    shapes = {"a": (None, 4, 3), "b": (None, 4, 3), "c": (None, 4, 1)}
    for output, (name, text) in zip(model.outputs, LAYER_CASES.items(), strict=False):
        expected = infer_expr_shape(text, shapes)
        assert tuple(output.shape) == expected, name
        layer = model.get_layer(name)
        assert layer.compute_output_shape([shapes[n] for n in layer.input_names]) == expected
    assert model.get_layer("single").compute_output_shape((None, 4, 3)) == (None, 4, 3)


def test_layer_has_no_weights(built: dict[str, Any]) -> None:
    model = built["model"]
    assert model.weights == []
    assert model.count_params() == 0


def test_layer_dtype_follows_inputs(keras_module: ModuleType) -> None:
    from graphspec.emit.expression_layer import ExpressionLayer

    tokens = keras_module.Input((3,), dtype="int32")
    assert ExpressionLayer("x * 2 + 1", ["x"])(tokens).dtype == "int32"


def test_save_load_round_trip_safe_mode(built: dict[str, Any]) -> None:
    import numpy as np

    keras = built["keras"]
    loaded = keras.saving.load_model(built["path"], safe_mode=True)
    for got, want in zip(
        loaded.predict(built["data"], verbose=0), built["predictions"], strict=True
    ):
        np.testing.assert_array_equal(got, want)
    layer = loaded.get_layer("reduce")
    assert type(layer).__name__ == "ExpressionLayer"
    assert layer.expression == LAYER_CASES["reduce"]
    assert keras.saving.get_registered_name(type(layer)) == "graphspec>Expression"


def test_get_config_and_tampered_config(built: dict[str, Any]) -> None:
    from graphspec.emit.expression_layer import ExpressionLayer

    config = built["model"].get_layer("avg3").get_config()
    assert config["expression"] == "(a + b + c) / 3"
    assert config["input_names"] == ["a", "b", "c"]
    assert ExpressionLayer.from_config(dict(config)).expression == config["expression"]
    with pytest.raises(ValueError, match=re.escape("attribute access 'a.__class__'")):
        ExpressionLayer.from_config({**config, "expression": "a.__class__"})
    with pytest.raises(ValueError, match="not bound"):
        ExpressionLayer.from_config({**config, "input_names": ["a", "b"]})
    with pytest.raises(ValueError, match="needs 'expression'"):
        ExpressionLayer.from_config({"name": "x", "input_names": ["a"]})


def test_tampered_keras_file_fails_to_load(built: dict[str, Any], tmp_path: Path) -> None:
    keras = built["keras"]
    with zipfile.ZipFile(built["path"]) as source:
        files = {name: source.read(name) for name in source.namelist()}
    config = json.loads(files["config.json"])

    def tamper(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("registered_name") == "graphspec>Expression":
                value["config"]["expression"] = "__import__('os').system('echo hacked')"
            for item in value.values():
                tamper(item)
        elif isinstance(value, list):
            for item in value:
                tamper(item)

    tamper(config)
    files["config.json"] = json.dumps(config).encode()
    bad = tmp_path / "tampered.keras"
    with zipfile.ZipFile(bad, "w") as target:
        for name, content in files.items():
            target.writestr(name, content)
    with pytest.raises(ValueError, match=r"attribute access '__import__\('os'\)\.system'"):
        keras.saving.load_model(bad, safe_mode=True)


@pytest.mark.parametrize(
    ("expression", "input_names", "match"),
    [
        ("a + b", ["a"], "not bound"),
        ("a + b", "ab", "list of names"),
        ("a", [], "at least one"),
        ("a", ["a", "a"], "repeated: a"),
        ("a", ["a-b"], "not an identifier"),
        ("eval('a')", ["a"], "function 'eval'"),
    ],
)
def test_layer_rejects_bad_arguments(
    keras_module: ModuleType, expression: str, input_names: Any, match: str
) -> None:
    from graphspec.emit.expression_layer import ExpressionLayer

    with pytest.raises(ValueError, match=match):
        ExpressionLayer(expression, input_names)


def test_layer_checks_input_count(built: dict[str, Any]) -> None:
    import numpy as np

    layer = built["model"].get_layer("avg3")
    with pytest.raises(ValueError, match="takes 3 inputs"):
        layer.call([np.zeros((1, 1)), np.zeros((1, 1))])
    result = layer.call({"a": np.ones((1, 2)), "b": np.ones((1, 2)), "c": np.ones((1, 2))})
    np.testing.assert_allclose(np.asarray(result), np.ones((1, 2)))


def test_every_whitelisted_function_exists_in_keras_ops(keras_module: ModuleType) -> None:
    missing = [
        name
        for name in ALLOWED_FUNCTIONS
        if name not in COMPOSED_FUNCTIONS and not hasattr(keras_module.ops, name)
    ]
    assert missing == []


@pytest.mark.slow
def test_saved_model_loads_in_a_fresh_process(built: dict[str, Any]) -> None:
    import numpy as np

    code = (
        "import sys, numpy as np, keras, graphspec.emit.expression_layer\n"
        "model = keras.saving.load_model(sys.argv[1], safe_mode=True)\n"
        "data = [np.load(sys.argv[2])[k] for k in ('a', 'b', 'c')]\n"
        "np.save(sys.argv[3], model.predict(data, verbose=0)[0])\n"
    )
    folder = Path(built["path"]).parent
    a, b, c = built["data"]
    np.savez(folder / "data.npz", a=a, b=b, c=c)
    subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(built["path"]),
            str(folder / "data.npz"),
            str(folder / "out.npy"),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    np.testing.assert_array_equal(np.load(folder / "out.npy"), built["predictions"][0])


# --------------------------------------------------------------------------- the function list


def test_docs_list_every_function_with_its_signature() -> None:
    """docs/language.md's `expr` function table is the one `function_list` makes from
    ALLOWED_FUNCTIONS (regenerate it with that function when a function changes)."""
    from tests.conftest import ROOT

    text = (ROOT / "docs" / "language.md").read_text()
    match = re.search(r"<!-- list: expr-functions -->\n(.*?)<!-- end list -->", text, re.S)
    assert match is not None
    assert match[1] == function_list()
    for name, rule in ALLOWED_FUNCTIONS.items():
        assert f"`{name}`" in match[1]
        assert rule.summary, name


def test_documented_signatures_show_required_keywords_and_defaults() -> None:
    assert ALLOWED_FUNCTIONS["normal_like"].documented("normal_like") == (
        "normal_like(x, seed=..., mean=0.0, stddev=1.0)"
    )
    assert ALLOWED_FUNCTIONS["mean"].documented("mean") == "mean(x, axis=..., keepdims=false)"
    assert ALLOWED_FUNCTIONS["positions"].documented("positions") == "positions(x, axis=1)"


# --------------------------------------------------------------------------- added functions

NEW_SHAPES = {"a": (None, 4, 3), "c": (None, 4, 1), "t": (None, None), "s": (None, None, 8)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("normal_like(a, seed=7)", (None, 4, 3)),
        ("a + exp(0.5 * c) * normal_like(a, seed=1337, stddev=0.5)", (None, 4, 3)),
        ("uniform_like(c, seed=0, minval=-1, maxval=1)", (None, 4, 1)),
        ("positions(t)", (None, None)),
        ("positions(s, axis=1)", (None, None)),
        ("positions(a, axis=-1)", (None, 3)),
        ("positions(a, axis=2) * 2 + 1", (None, 3)),
        ("expand_dims(a, axis=1)", (None, 1, 4, 3)),
        ("expand_dims(a, axis=-1)", (None, 4, 3, 1)),
        ("squeeze(c, axis=-1)", (None, 4)),
        ("transpose(a, axes=(0, 2, 1))", (None, 3, 4)),
        ("one_hot(t, num_classes=5)", (None, None, 5)),
        ("cumsum(a, axis=1)", (None, 4, 3)),
        ("cumprod(s, axis=-1)", (None, None, 8)),
        ("argmax(a, axis=-1)", (None, 4)),
        ("argmin(a, axis=1, keepdims=true)", (None, 1, 3)),
        ('cast(a, dtype="float16")', (None, 4, 3)),
        ("round(a, decimals=2)", (None, 4, 3)),
        ('ones_like(t, dtype="float32") + zeros_like(t)', (None, None)),
    ],
)
def test_infer_new_function_shapes(text: str, expected: tuple[int | None, ...]) -> None:
    assert check_expression(text, NEW_SHAPES) == []
    assert infer_expr_shape(text, NEW_SHAPES) == expected


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("squeeze(a, axis=-1)", "of size 3; squeeze drops an axis of size 1 only"),
        ("squeeze(t, axis=1)", "of unknown size"),
        ("transpose(a, axes=(0, 1))", r"name 2 axes but the shape \(None, 4, 3\) has 3"),
        ("expand_dims(a, axis=5)", "out of range"),
        ("positions(t, axis=2)", "out of range"),
        ("positions(t, axis=-2)", "batch axis"),
        ("cumsum(a, axis=3)", "out of range"),
    ],
)
def test_new_function_shape_errors(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        infer_expr_shape(text, NEW_SHAPES)


@pytest.mark.parametrize(
    ("text", "kind", "words"),
    [
        ("normal_like(a)", "seed", ["needs an integer seed", "normal_like(x, seed=7)"]),
        ("uniform_like(a, minval=-1)", "seed", ["needs an integer seed"]),
        ("normal_like(a, seed=-1)", "value", ["seed -1", "0..4294967295"]),
        ("normal_like(a, seed=4294967296)", "value", ["outside"]),
        ("normal_like(a, seed=1, stddev=-0.5)", "value", ["stddev -0.5", "negative"]),
        ("uniform_like(a, seed=1, minval=1, maxval=1)", "value", ["minval 1 must be below"]),
        ('cast(a, dtype="float8")', "value", ["'float8' is not a dtype"]),
        ("transpose(a, axes=(1, 0, 2))", "value", ["batch axis 0 first"]),
        ("transpose(a, axes=(0, 0, 1))", "value", ["every axis once"]),
        ("one_hot(a, num_classes=0)", "value", ["at least 1"]),
        ("normal_like(a, seed=1.5)", "unsafe", ["must be an integer"]),
        ("normal_like(a, seed=seed)", "unsafe", ["must be a literal"]),
        ("cast(a, dtype=float32)", "unsafe", ["quoted dtype name"]),
        ("cast(a)", "unsafe", ["needs the keyword 'dtype'", "cast(x, dtype=...)"]),
        ("squeeze(a)", "unsafe", ["needs the keyword 'axis'"]),
        ("expand_dims(a, axis=0)", "unsafe", ["batch axis"]),
        ("positions(a, axis=0)", "unsafe", ["batch axis"]),
        ("normal_like(2.0, seed=1)", "unsafe", ["must be a tensor", "not '2.0'"]),
        ("positions(1 + 2)", "unsafe", ["must be a tensor"]),
        ("mean(a, axis='x')", "unsafe", ["literal"]),
        ("argmax(a, axis=(1, 2))", "unsafe", ["must be an integer"]),
    ],
)
def test_new_function_problems_have_their_kind(text: str, kind: str, words: list[str]) -> None:
    problems = check_expression(text, NAMES)
    assert problems, text
    assert problems[0].kind == kind
    for word in words:
        assert word in problems[0].message or word in (problems[0].hint or ""), (
            word,
            problems[0],
        )


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("random_normal(a)", "normal_like"),
        ("normal(a)", "normal_like"),
        ("uniform(a)", "uniform_like"),
        ("arange(a)", "positions"),
        ("unsqueeze(a, axis=1)", "expand_dims"),
        ("permute(a)", "transpose"),
        ("astype(a)", "cast"),
    ],
)
def test_foreign_names_suggest_the_function(text: str, suggestion: str) -> None:
    (problem, *_) = check_expression(text, NAMES)
    assert problem.hint == f"did you mean '{suggestion}'?"


def test_random_seeds_in_text_order() -> None:
    draws = random_seeds("uniform_like(a, seed=3) * normal_like(b, seed=4) + normal_like(a)")
    assert [(d.function, d.seed, d.column) for d in draws] == [
        ("uniform_like", 3, 0),
        ("normal_like", 4, 26),
    ]
    assert random_seeds("a +") == []
