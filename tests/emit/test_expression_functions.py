"""The expr functions beyond element-wise math, built with Keras: static shapes equal Keras'
(symbolic and at run time, unknown lengths included), values equal numpy's, the random
functions draw new numbers each call and the same numbers in a rebuilt or reloaded model, and
a saved model loads in a fresh process (plain Keras; with graphspec's classes for random ones).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphspec
from graphspec.runtime.saving import save_model_atomically
from graphspec.spec.expression import infer_expr_shape

INPUTS = {"a": (4, 3), "c": (4, 1), "t": (None,), "s": (None, 8)}
DTYPES = {"t": "int32"}
CASES = {
    "expand_front": "expand_dims(a, axis=1)",
    "expand_back": "expand_dims(a, axis=-1)",
    "squeezed": "squeeze(c, axis=-1)",
    "transposed": "transpose(a, axes=(0, 2, 1))",
    "one_hot_ids": "one_hot(t, num_classes=5)",
    "running_sum": "cumsum(s, axis=1)",
    "running_product": "cumprod(a, axis=-1)",
    "arg_max": "argmax(a, axis=-1)",
    "arg_min_kept": "argmin(s, axis=1, keepdims=true)",
    "as_half": 'cast(a, dtype="float16")',
    "rounded": "round(a * 10, decimals=1)",
    "ones": 'ones_like(t, dtype="float32") + zeros_like(t)',
    "token_positions": "positions(t)",
    "sequence_positions": "positions(s, axis=1) * 2",
    "last_axis_positions": "positions(a, axis=-1)",
    "clipped_sum": "clip(sum(a, axis=-1, keepdims=true), 0, 1) + maximum(c, 0.5)",
}
RUNTIME = {"t": 7, "s": 5}
"""The lengths the unknown axes get in the data."""


def _spec(cases: dict[str, str]) -> str:
    lines = ["graphspec: 1", "name: functions", "inputs:"]
    for name, shape in INPUTS.items():
        dims = ", ".join("null" if d is None else str(d) for d in shape)
        dtype = f", dtype: {DTYPES[name]}" if name in DTYPES else ""
        lines.append(f"  {name}: {{shape: [{dims}]{dtype}}}")
    lines.append("nodes:")
    for node, text in cases.items():
        used = sorted(
            {n for n in INPUTS if f"({n}" in text or f" {n}" in text or text.startswith(n)}
        )
        refs = ", ".join(f"{n}: {n}" for n in used)
        lines.append(f"  {node}: {{expr: '{text}', from: {{{refs}}}}}")
    lines.append("outputs:")
    lines += [f"  {node}: {node}" for node in cases]
    return "\n".join(lines) + "\n"


def _data(rng: np.random.Generator, batch: int = 2) -> dict[str, np.ndarray]:
    data: dict[str, np.ndarray] = {}
    for name, shape in INPUTS.items():
        full = (batch, *(d or RUNTIME[name] for d in shape))
        if name in DTYPES:
            data[name] = rng.integers(0, 5, full).astype(DTYPES[name])
        else:
            data[name] = rng.normal(size=full).astype("float32")
    return data


def _static(text: str) -> tuple[int | None, ...]:
    return infer_expr_shape(text, {name: (None, *shape) for name, shape in INPUTS.items()})


@pytest.fixture(scope="module")
def functions(keras: Any) -> dict[str, Any]:
    model = graphspec.build(graphspec.loads(_spec(CASES)))
    data = _data(np.random.default_rng(0))
    outputs = model.predict(data, verbose=0)
    return {"model": model, "data": data, "outputs": dict(zip(CASES, outputs, strict=True))}


@pytest.mark.parametrize("node", CASES)
def test_static_shape_is_keras_symbolic_shape(functions: dict[str, Any], node: str) -> None:
    index = list(CASES).index(node)
    assert tuple(functions["model"].outputs[index].shape) == _static(CASES[node])


@pytest.mark.parametrize("node", CASES)
def test_static_shape_holds_at_run_time(functions: dict[str, Any], node: str) -> None:
    """Each unknown axis has the length the data gives it; the known ones are as inferred."""
    got = functions["outputs"][node].shape
    want = _static(CASES[node])
    assert len(got) == len(want)
    assert all(w is None or w == g for w, g in zip(want[1:], got[1:], strict=True))
    lengths = {name: (2, *(d or RUNTIME[name] for d in shape)) for name, shape in INPUTS.items()}
    assert got == infer_expr_shape(CASES[node], lengths)  # the unknown axes' lengths too


def test_values_are_numpy_s(functions: dict[str, Any]) -> None:
    out, data = functions["outputs"], functions["data"]
    a, c, t, s = data["a"], data["c"], data["t"], data["s"]
    np.testing.assert_array_equal(out["token_positions"], np.tile(np.arange(7), (2, 1)))
    np.testing.assert_array_equal(out["sequence_positions"], np.tile(np.arange(5) * 2, (2, 1)))
    np.testing.assert_array_equal(out["last_axis_positions"], np.tile(np.arange(3), (2, 1)))
    assert out["token_positions"].dtype == np.int32
    np.testing.assert_array_equal(out["one_hot_ids"], np.eye(5, dtype="float32")[t])
    np.testing.assert_allclose(out["transposed"], a.transpose(0, 2, 1))
    np.testing.assert_allclose(out["running_sum"], np.cumsum(s, axis=1), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(out["arg_max"], np.argmax(a, axis=-1))
    np.testing.assert_array_equal(out["arg_min_kept"], np.argmin(s, axis=1)[:, None])
    np.testing.assert_allclose(out["squeezed"], c[..., 0])
    assert out["as_half"].dtype == np.float16
    np.testing.assert_allclose(out["rounded"], np.round(a * 10, 1), atol=1e-5)
    np.testing.assert_array_equal(out["ones"], np.ones((2, 7), "float32"))


def test_positions_follow_the_length_of_each_batch(functions: dict[str, Any]) -> None:
    """One model, two lengths: positions come from the tensor's shape at run time."""
    data = _data(np.random.default_rng(1))
    data["t"] = np.zeros((2, 11), "int32")
    index = list(CASES).index("token_positions")
    got = functions["model"].predict(data, verbose=0)[index]
    np.testing.assert_array_equal(got, np.tile(np.arange(11), (2, 1)))


# --------------------------------------------------------------------------- random numbers

RANDOM_SPEC = """\
graphspec: 1
name: sampler
inputs:
  m: {shape: [500]}
  v: {shape: [500]}
nodes:
  z: {expr: "a + exp(0.5 * b) * normal_like(a, seed=1337)", from: {a: m, b: v}}
  u: {expr: "uniform_like(a, seed=3, minval=-2, maxval=1)", from: {a: m}}
outputs:
  z: z
  u: u
"""


def _zeros() -> dict[str, np.ndarray]:
    return {"m": np.zeros((4, 500), "float32"), "v": np.zeros((4, 500), "float32")}


@pytest.fixture(scope="module")
def sampler(keras: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    model = graphspec.build(graphspec.loads(RANDOM_SPEC))
    folder = tmp_path_factory.mktemp("random")
    save_model_atomically(model, folder / "sampler.keras")
    first = model.predict(_zeros(), verbose=0)
    second = model.predict(_zeros(), verbose=0)
    return {"model": model, "folder": folder, "first": first, "second": second}


def test_random_functions_have_the_input_shape_and_no_weights(sampler: dict[str, Any]) -> None:
    model = sampler["model"]
    assert [tuple(t.shape) for t in model.outputs] == [(None, 500), (None, 500)]
    assert model.count_params() == 0
    assert type(model.get_layer("z.normal_like")).__name__ == "NormalLike"
    assert type(model.get_layer("u")).__name__ == "UniformLike"


def test_random_functions_draw_from_their_distribution(sampler: dict[str, Any]) -> None:
    z, u = sampler["first"]
    assert abs(float(np.mean(z))) < 0.1 and abs(float(np.std(z)) - 1) < 0.1
    assert float(np.min(u)) >= -2 and float(np.max(u)) < 1
    assert abs(float(np.mean(u)) + 0.5) < 0.1


def test_each_call_draws_new_numbers(sampler: dict[str, Any]) -> None:
    assert not np.array_equal(sampler["first"][0], sampler["second"][0])
    assert not np.array_equal(sampler["first"][1], sampler["second"][1])


def test_training_and_prediction_both_draw(sampler: dict[str, Any]) -> None:
    model = sampler["model"]
    zeros = _zeros()
    for training in (True, False):
        z = np.asarray(model(zeros, training=training)[0])
        assert float(np.std(z)) > 0.5


def test_a_rebuilt_model_draws_the_same_numbers(sampler: dict[str, Any]) -> None:
    rebuilt = graphspec.build(graphspec.loads(RANDOM_SPEC))
    first = rebuilt.predict(_zeros(), verbose=0)
    second = rebuilt.predict(_zeros(), verbose=0)
    for want, got in zip([*sampler["first"], *sampler["second"]], [*first, *second], strict=True):
        np.testing.assert_array_equal(got, want)


def test_graphspec_load_model_draws_what_the_built_model_drew(sampler: dict[str, Any]) -> None:
    """`graphspec.load_model` registers the random layers; the generator starts at the seed."""
    loaded = graphspec.load_model(sampler["folder"] / "sampler.keras")
    for want, got in zip(sampler["first"], loaded.predict(_zeros(), verbose=0), strict=True):
        np.testing.assert_array_equal(got, want)


def test_random_layer_config_round_trips_and_refuses_a_bad_seed(keras: Any) -> None:
    from graphspec.emit.expression_layer import NormalLike, UniformLike

    layer = UniformLike(seed=5, minval=-1, maxval=2, name="u")
    config = layer.get_config()
    assert (config["seed"], config["minval"], config["maxval"]) == (5, -1, 2)
    assert UniformLike.from_config(config).get_config() == config
    for seed in (-1, 2**32, 1.5, True, "7"):
        with pytest.raises(ValueError, match="seed must be an integer"):
            NormalLike(seed=seed)
    with pytest.raises(ValueError, match="stddev must be a number"):
        NormalLike(seed=1, stddev="1")


# --------------------------------------------------------------------------- saved files

_LOADER = """
import json, sys
import numpy as np
import keras

folder = sys.argv[1]
report = {}
plain = keras.saving.load_model(folder + "/functions.keras")  # before graphspec is imported
report["plain_modules"] = sorted({type(op).__module__.split(".")[0] for op in plain.operations})
report["graphspec_imported"] = "graphspec" in sys.modules
out = plain.predict(dict(np.load(folder + "/data.npz")), verbose=0)
np.savez(folder + "/functions.loaded.npz", *out)
try:
    keras.saving.load_model(folder + "/sampler.keras")
except Exception as error:  # TypeError in Keras 3.15: the class is unknown
    report["without_graphspec"] = str(error)
import graphspec.emit.expression_layer
sampler = keras.saving.load_model(folder + "/sampler.keras")
zeros = {"m": np.zeros((4, 500), "float32"), "v": np.zeros((4, 500), "float32")}
first = sampler.predict(zeros, verbose=0)
second = sampler.predict(zeros, verbose=0)
np.savez(folder + "/sampler.loaded.npz", *first, *second)
print(json.dumps(report))
"""


@pytest.mark.slow
def test_saved_models_load_in_a_fresh_process(
    functions: dict[str, Any], sampler: dict[str, Any], keras: Any
) -> None:
    folder: Path = sampler["folder"]
    save_model_atomically(functions["model"], folder / "functions.keras")
    np.savez(folder / "data.npz", **functions["data"])
    result = subprocess.run(
        [sys.executable, "-c", _LOADER, str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["plain_modules"] == ["keras"]
    assert report["graphspec_imported"] is False
    assert "NormalLike" in report["without_graphspec"]
    with np.load(folder / "functions.loaded.npz") as loaded:
        for index, node in enumerate(CASES):
            np.testing.assert_array_equal(loaded[f"arr_{index}"], functions["outputs"][node])
    with np.load(folder / "sampler.loaded.npz") as loaded:
        want = [*sampler["first"], *sampler["second"]]
        for index, array in enumerate(want):
            np.testing.assert_array_equal(loaded[f"arr_{index}"], array)
