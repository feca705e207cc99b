"""Training data: reading (.npz, .npy folders memory-mapped, arrays, data functions) and the
checks against the Plan that the fixtures under tests/fixtures/data/ do not show one by one:
clean data passes in every form, dtype and shape rules case by case, chunked scans, no Keras.
Each diagnostic's code and position is the fixtures' business (test_data_fixtures.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphspec
from graphspec.analyse.plan import Plan
from graphspec.catalogue.custom import CustomLayerError
from graphspec.diagnostics import Diagnostic
from graphspec.train import data_scan
from graphspec.train.data import (
    DataFunctions,
    TrainingData,
    allowed_data_functions,
    check_data,
    fit_arguments,
    read_data,
    split_xy,
)
from graphspec.train.data_checks import shapes_fit
from tests.conftest import ROOT

SPEC = """\
graphspec: 1
name: mixed
inputs:
  image: {shape: [4, 4, 1]}
  tokens: {shape: [null], dtype: int32}
  unused: {shape: [2]}
nodes:
  flat: {layer: Flatten, from: image}
  vectors: {layer: Embedding, from: tokens, input_dim: 20, output_dim: 3}
  pooled: {layer: GlobalAveragePooling1D, from: vectors}
  joined: {op: concatenate, from: [flat, pooled]}
  kind: {layer: Dense, from: joined, units: 5, activation: softmax}
  size: {layer: Dense, from: joined, units: 1}
  spare: {layer: Dense, from: unused, units: 1}
outputs:
  kind: {from: kind, loss: sparse_categorical_crossentropy}
  size: {from: size, loss: mse}
"""


@pytest.fixture(scope="module")
def plan() -> Plan:
    report = graphspec.check(graphspec.loads(SPEC, name="mixed.yaml"))
    assert report.plan is not None, report.diagnostics
    return report.plan


def good(samples: int = 6) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    return {
        "image": rng.random((samples, 4, 4, 1), dtype="float32"),
        "tokens": rng.integers(0, 20, (samples, 7)).astype("int32"),
        "kind": rng.integers(0, 5, samples),
        "size": rng.random((samples, 1)),
    }


def codes_of(diagnostics: tuple[Diagnostic, ...]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


def _npz(folder: Path, arrays: dict[str, Any]) -> Path:
    np.savez(folder / "d.npz", **arrays)
    return folder / "d.npz"


def _npz_compressed(folder: Path, arrays: dict[str, Any]) -> Path:
    np.savez_compressed(folder / "d.npz", **arrays)
    return folder / "d.npz"


def _npy_folder(folder: Path, arrays: dict[str, Any]) -> Path:
    for key, value in arrays.items():
        np.save(folder / f"{key}.npy", value)
    return folder


@pytest.mark.parametrize("write", [_npz, _npz_compressed, _npy_folder, None])
def test_clean_data_passes_in_every_form(write: Any, plan: Plan, tmp_path: Path) -> None:
    arrays = good()
    data = read_data(arrays if write is None else write(tmp_path, arrays))
    assert check_data(plan, data, "training") == ()
    x, y = split_xy(plan, data)
    assert sorted(x) == ["image", "tokens"] and sorted(y) == ["kind", "size"]
    assert np.array_equal(np.asarray(y["kind"]), arrays["kind"])
    assert fit_arguments(plan, data) == {"x": x, "y": y}


@pytest.mark.parametrize("write", [_npz, _npy_folder])
def test_uncompressed_arrays_are_memory_mapped(write: Any, tmp_path: Path) -> None:
    arrays = good()
    arrays["image"] = np.asfortranarray(arrays["image"])  # Fortran order maps too
    data = read_data(write(tmp_path, arrays))
    for key, value in arrays.items():
        assert isinstance(data.arrays[key], np.memmap), key
        assert np.array_equal(data.arrays[key], value), key
    assert data.sources["image"].endswith("image.npy" if write is _npy_folder else "['image']")


def test_compressed_members_are_read_into_memory(tmp_path: Path) -> None:
    data = read_data(_npz_compressed(tmp_path, good()))
    assert not isinstance(data.arrays["image"], np.memmap)
    assert np.array_equal(data.arrays["image"], good()["image"])


def test_pruned_inputs_may_be_given_or_not(plan: Plan) -> None:
    """'unused' reaches no head: pruned, so not needed, and not extra either."""
    assert plan.top.pruned_inputs == {"unused"}
    with_it = {**good(), "unused": np.zeros((6, 2))}
    assert check_data(plan, read_data(with_it), "training") == ()
    assert "unused" not in split_xy(plan, read_data(with_it))[0]


def test_a_head_without_loss_needs_no_targets() -> None:
    spec = SPEC.replace("size: {from: size, loss: mse}", "size: {from: size}")
    report = graphspec.check(graphspec.loads(spec))
    assert report.plan is not None
    arrays = good()
    del arrays["size"]
    assert check_data(report.plan, read_data(arrays), "evaluation") == ()


def test_everything_is_reported_at_once(plan: Plan) -> None:
    arrays = good()
    arrays["image"] = arrays["image"].reshape(6, 16)  # GS805
    arrays["tokens"] = arrays["tokens"].astype("float32")  # GS807
    arrays["kind"] = np.array([0, 1, 2, 3, 4, 5])  # GS809: 5 units
    arrays["size"] = np.full((5, 1), np.inf)  # GS808, GS811
    arrays["sizes"] = arrays["size"]  # GS804
    found = check_data(plan, read_data(arrays), "validation")
    # 'sizes' is neither input nor head: reported, counted, never scanned
    assert codes_of(found) == ["GS804", "GS805", "GS807", "GS808", "GS808", "GS809", "GS811"]
    assert all(d.message.startswith("validation data: ") for d in found)


# ---- the rules, case by case -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected", "fits"),
    [
        ((4, 4, 1), (4, 4, 1), True),
        ((4, 4), (4, 4, 1), True),  # Keras expands a missing trailing 1
        ((1,), (), True),  # and squeezes an extra one
        ((), (1,), True),
        ((7,), (None,), True),
        ((4, 4, 3), (4, 4, 1), False),
        ((16,), (4, 4), False),
        ((4,), (4, 4), False),
        ((2, 1), (2, 2), False),
    ],
)
def test_shapes_fit_as_keras_takes_them(data: Any, expected: Any, fits: bool) -> None:
    assert shapes_fit(data, expected) is fits


@pytest.mark.parametrize(
    ("key", "value", "codes"),
    [
        ("image", np.zeros((6, 4, 4, 1), "float64"), []),  # float64 into float32: cast
        ("image", np.zeros((6, 4, 4, 1), "uint8"), []),  # pixels as bytes: cast
        ("image", np.zeros((6, 4, 4, 1), bool), []),
        ("image", np.full((6, 4, 4, 1), "x"), ["GS807"]),
        ("tokens", np.zeros((6, 7), "int64"), []),
        ("tokens", np.zeros((6, 7), "uint16"), []),
        ("tokens", np.zeros((6, 7), "float32"), ["GS807"]),  # fractions into ids
        ("tokens", np.full((6, 7), -1, "int32"), ["GS809"]),  # no negative ids
        ("tokens", np.full((6, 7), 20, "int32"), ["GS809"]),  # input_dim 20: ids 0..19
        ("tokens", np.full((6, 7), 19, "int32"), []),
        ("kind", np.array([0, 1, 2, 3, 4, 4], "uint8"), []),
        ("kind", np.array([0, 1, 2, 3, 4, 4], "float32"), []),  # whole numbers: fine
        ("kind", np.array([0, 1, 2, 3, 4, 4.5]), ["GS812"]),
        ("kind", np.array([[0], [1], [2], [3], [4], [4]]), []),  # (N, 1) labels
        ("kind", np.eye(5)[[0, 1, 2, 3, 4, 4]], ["GS806"]),
        ("kind", np.array(["a"] * 6), ["GS807"]),
        ("size", np.zeros(6), []),  # (N,) for a (None, 1) head
        ("size", np.zeros((6, 1), "int64"), []),
        ("size", np.zeros((6, 2)), ["GS806"]),
        ("size", np.array([0.0, np.nan, 1, 1, np.nan, 1]), ["GS811"]),
    ],
)
def test_dtype_shape_and_range_rules(plan: Plan, key: str, value: Any, codes: list[str]) -> None:
    arrays = {**good(), key: value}
    found = check_data(plan, read_data(arrays), "training")
    assert codes_of(found) == codes, [d.format() for d in found]
    assert all(f"'{key}'" in d.message for d in found)


def test_ignore_class_is_a_label_too() -> None:
    spec = SPEC.replace(
        "kind: {from: kind, loss: sparse_categorical_crossentropy}",
        "kind: {from: kind, loss: {name: SparseCategoricalCrossentropy, ignore_class: -1}}",
    )
    report = graphspec.check(graphspec.loads(spec))
    assert report.plan is not None
    arrays = {**good(), "kind": np.array([0, -1, 2, 3, 4, -1])}
    assert check_data(report.plan, read_data(arrays), "training") == ()
    arrays["kind"][0] = -2
    assert codes_of(check_data(report.plan, read_data(arrays), "training")) == ["GS809"]


def test_the_nan_message_counts_and_gives_the_first_index(plan: Plan) -> None:
    arrays = good()
    arrays["image"][2, 1, 3, 0] = np.nan
    arrays["image"][4, 0, 0, 0] = -np.inf
    (found,) = check_data(plan, read_data(arrays), "training")
    assert "2 NaN or infinite values, the first at [2, 1, 3, 0]" in found.message
    assert found.path == ("inputs", "image")


# ---- scanning in chunks -----------------------------------------------------------------


def test_scans_cross_chunks_with_the_right_indices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = np.zeros((1000, 3), "float32")
    values[777, 2] = np.nan
    values[901, 0] = np.inf
    np.save(tmp_path / "v.npy", values)
    mapped = read_data(tmp_path).arrays["v"]
    monkeypatch.setattr(data_scan, "CHUNK_BYTES", 12 * 10)  # 10 samples a chunk
    assert len(list(data_scan.chunks(mapped, data_scan.CHUNK_BYTES))) == 100
    found = data_scan.not_finite(mapped)
    assert found == data_scan.NotFinite(2, (777, 2))
    labels = np.arange(1000) % 7
    labels[640] = 9
    outside = data_scan.outside(labels, 0, 6)
    assert outside == data_scan.Outside(1, (640,), 9.0)
    assert data_scan.first_fraction(np.array([1.0, 2.0, 2.25])) == ((2,), 2.25)


def test_chunks_are_views_not_copies(tmp_path: Path) -> None:
    np.save(tmp_path / "v.npy", np.zeros((100, 4), "float32"))
    mapped = read_data(tmp_path).arrays["v"]
    for _, chunk in data_scan.chunks(mapped, 64):
        assert np.shares_memory(chunk, mapped)


# ---- what cannot be read ------------------------------------------------------------------


def test_pickled_arrays_are_never_unpickled(tmp_path: Path, plan: Plan) -> None:
    """The .npy header says 'object': refused before any byte of the pickle is read."""
    arrays: dict[str, Any] = {**good(), "kind": np.array([{"a": 1}] * 6, dtype=object)}
    for write in (_npz, _npy_folder):
        folder = tmp_path / write.__name__
        folder.mkdir()
        data = read_data(write(folder, arrays))
        assert "kind" not in data.arrays
        assert codes_of(check_data(plan, data, "training")) == ["GS802"]


def test_a_single_npy_file_is_refused(tmp_path: Path, plan: Plan) -> None:
    np.save(tmp_path / "image.npy", good()["image"])
    found = check_data(plan, read_data(tmp_path / "image.npy"), "training")
    assert codes_of(found) == ["GS801"] and "without a name" in found[0].message


def test_other_sources_are_refused(plan: Plan) -> None:
    found = check_data(plan, read_data(42), "training")
    assert codes_of(found) == ["GS801"]


# ---- data functions and datasets ----------------------------------------------------------

FUNCTIONS = "tests.train.data_functions"


def test_data_functions_are_named_by_their_last_component_or_path() -> None:
    allowed = DataFunctions.from_paths([f"{FUNCTIONS}.arrays"])
    assert allowed.get("arrays") is not None
    assert allowed.get(f"{FUNCTIONS}.arrays") is allowed.get("arrays")
    assert allowed.get("raises") is None
    with pytest.raises(CustomLayerError, match="not an import path"):
        DataFunctions.from_paths(["load"])


def test_data_functions_come_from_pyproject_and_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.graphspec]\ndata-functions = ["{FUNCTIONS}.arrays"]\n'
    )
    allowed = allowed_data_functions([f"{FUNCTIONS}.raises"], tmp_path)
    assert sorted(allowed.functions) == ["arrays", "raises"]
    assert allowed.functions["arrays"].source == str(tmp_path / "pyproject.toml")
    (tmp_path / "pyproject.toml").write_text("[tool.graphspec]\ndata-functions = 3\n")
    with pytest.raises(CustomLayerError, match="data-functions"):
        allowed_data_functions((), tmp_path)


def test_a_name_is_a_path_unless_a_function_is_allowed(tmp_path: Path) -> None:
    """Without the allowance, 'arrays' is a file that does not exist (and nothing runs)."""
    assert codes_of_read(read_data("arrays")) == ["GS801"]
    data = read_data("arrays", DataFunctions.from_paths([f"{FUNCTIONS}.arrays"]))
    assert data.origin == f"{FUNCTIONS}.arrays()" and not data.problems
    assert sorted(data.arrays) == ["image", "label"]


def codes_of_read(data: TrainingData) -> list[str]:
    return sorted(str(p.code) for p in data.problems)


def test_a_callable_is_a_data_function_in_python() -> None:
    data = read_data(lambda: {"x": [1.0, 2.0]})
    assert data.origin.endswith("<lambda>()") and data.arrays["x"].shape == (2,)


@pytest.fixture(scope="module")
def digits_plan() -> Plan:
    text = (ROOT / "tests" / "fixtures" / "data" / "label_out_of_range.yaml").read_text()
    report = graphspec.check(graphspec.loads(text))
    assert report.plan is not None
    return report.plan


@pytest.mark.parametrize("name", ["py_dataset", "tf_dataset"])
def test_datasets_pass_to_fit_as_x(name: str, digits_plan: Plan, keras: Any) -> None:
    data = read_data(name, DataFunctions.from_paths([f"{FUNCTIONS}.{name}"]))
    assert data.is_dataset and data.arrays == {}
    assert check_data(digits_plan, data, "training") == ()
    assert fit_arguments(digits_plan, data) == {"x": data.dataset}
    with pytest.raises(TypeError, match="dataset"):
        split_xy(digits_plan, data)
    assert {c.key: c.side for c in data.columns()} == {"image": "x", "label": "y"}


def test_what_passes_the_checks_trains_in_keras(plan: Plan, keras: Any) -> None:
    """The leniencies (uint8 into float32, (N,) for a (None, 1) head, (N, 1) sparse labels,
    int64 ids into int32) are Keras' own: one step of fit takes such data."""
    from graphspec.emit.model import emit_model

    arrays = {
        **good(),
        "image": np.zeros((6, 4, 4, 1), "uint8"),
        "tokens": np.zeros((6, 7), "int64"),
        "kind": np.zeros((6, 1), "int64"),
        "size": np.zeros(6),
    }
    data = read_data(arrays)
    assert check_data(plan, data, "training") == ()
    model, problems = emit_model(plan)
    assert problems == []
    model.compile(optimizer="sgd", loss={"kind": "sparse_categorical_crossentropy", "size": "mse"})
    history = model.fit(**fit_arguments(plan, data), epochs=1, batch_size=3, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_reading_and_checking_arrays_imports_no_keras(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.zeros((2, 3)))
    script = (
        "import json, sys, graphspec\n"
        "from graphspec.train.data import read_data, check_data\n"
        f"plan = graphspec.check(graphspec.loads({SPEC!r})).plan\n"
        f"check_data(plan, read_data({str(tmp_path / 'd.npz')!r}), 'training')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('keras', 'tensorflow', 'jax', 'torch'))))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(result.stdout.splitlines()[-1]) == []


def test_a_function_allowed_by_pyproject_imports_from_beside_it(
    tmp_path: Path, digits_plan: Plan
) -> None:
    """The project's own package needs no installation, as with custom layers."""
    package = tmp_path / "myloaders"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "load.py").write_text(
        "import numpy as np\n"
        "def train():\n"
        "    return {'image': np.zeros((3, 8, 8, 1)), 'label': np.array([0, 1, 9])}\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.graphspec]\ndata-functions = ["myloaders.load.train"]\n'
    )
    data = read_data("train", allowed_data_functions((), tmp_path))
    assert data.problems == () and data.origin == "myloaders.load.train()"
    assert check_data(digits_plan, data, "training") == ()
    assert str(tmp_path) not in sys.path  # searched for the import only
    missing = DataFunctions.from_paths(["myloaders.load.absent"], str(tmp_path / "pyproject.toml"))
    found = check_data(digits_plan, read_data("absent", missing), "training")
    assert codes_of(found) == ["GS813"] and "cannot be imported" in found[0].message


def test_sample_weights_may_ride_along(digits_plan: Plan, keras: Any) -> None:
    import tensorflow as tf

    x = {"image": np.zeros((4, 8, 8, 1), "float32")}
    y = {"label": np.arange(4)}
    dataset = tf.data.Dataset.from_tensor_slices((x, y, np.ones(4))).batch(2)
    data = read_data(dataset)
    assert data.is_dataset and check_data(digits_plan, data, "training") == ()


def test_a_datasets_dtypes_are_checked_from_its_element_spec(digits_plan: Plan, keras: Any) -> None:
    import tensorflow as tf

    x = {"image": np.zeros((4, 8, 8, 1), "float32")}
    dataset = tf.data.Dataset.from_tensor_slices((x, {"label": np.array(["a"] * 4)})).batch(2)
    found = check_data(digits_plan, read_data(dataset), "evaluation")
    assert codes_of(found) == ["GS807"]
    assert "y['label'] holds strings" in found[0].message


def test_without_functions_a_name_is_looked_up_in_pyproject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`graphspec fit --data load_train` works with [tool.graphspec] data-functions alone; a
    file of that name wins."""
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.graphspec]\ndata-functions = ["{FUNCTIONS}.arrays"]\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    assert read_data("arrays").origin == f"{FUNCTIONS}.arrays()"
    np.save(tmp_path / "arrays", np.zeros(2))  # arrays.npy: a file, not a folder
    (tmp_path / "arrays").mkdir()
    assert read_data("arrays").origin == "arrays"  # the folder named so wins
