"""The emitted Keras models: naming, data as lists or dicts, sharing, pruning, saving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphspec
from graphspec.diagnostics import SpecError
from tests.conftest import SPECS

SEEDS = SPECS / "seeds"


@pytest.fixture(scope="module")
def models(keras: Any) -> dict[str, Any]:
    names = ["seed000_mimo", "seed001_ensemble3", "seed001_ensemble_pruned", "seed002_siamese"]
    return {name: graphspec.build(SEEDS / f"{name}.yaml") for name in names}


def test_inputs_and_heads_are_named_in_declaration_order(models: dict[str, Any]) -> None:
    model = models["seed000_mimo"]
    assert [t.name for t in model.inputs] == ["image1", "image2"]
    assert model.output_names == ["prediction_one", "prediction_two"]


def test_data_as_lists_or_dicts(models: dict[str, Any]) -> None:
    model = models["seed000_mimo"]
    rng = np.random.default_rng(0)
    x1, x2 = rng.random((8, 32, 32, 3)), rng.random((8, 32, 32, 3))
    y1 = np.eye(10)[rng.integers(0, 10, 8)]
    y2 = np.eye(5)[rng.integers(0, 5, 8)]
    as_lists = model.fit([x1, x2], [y1, y2], epochs=1, batch_size=4, verbose=0)
    as_dicts = model.fit(
        {"image1": x1, "image2": x2},
        {"prediction_one": y1, "prediction_two": y2},
        epochs=1,
        batch_size=4,
        verbose=0,
    )
    assert set(as_lists.history) == set(as_dicts.history)
    assert "prediction_one_accuracy" in as_lists.history

    def batches() -> Any:
        while True:
            yield (x1[:4], x2[:4]), (y1[:4], y2[:4])

    from_generator = model.fit(batches(), steps_per_epoch=2, epochs=1, verbose=0, shuffle=False)
    assert np.isfinite(from_generator.history["loss"][0])
    scores = model.predict([x1, x2], verbose=0)
    assert [s.shape for s in scores] == [(8, 10), (8, 5)]


def test_pruned_branch_has_no_weights(models: dict[str, Any]) -> None:
    model = models["seed001_ensemble_pruned"]
    names = [layer.name for layer in model.layers]
    assert "cnn1" in names and "cnn2" in names
    assert "cnn3" not in names
    assert all("cnn3" not in w.path for w in model.weights)
    assert model.count_params() == 2 * models["seed001_ensemble3"].get_layer("cnn1").count_params()


def test_block_instances_are_nested_models(models: dict[str, Any], keras: Any) -> None:
    model = models["seed001_ensemble3"]
    towers = [model.get_layer(name) for name in ("cnn1", "cnn2", "cnn3")]
    assert all(isinstance(tower, keras.Model) for tower in towers)
    assert len({id(w) for tower in towers for w in tower.weights}) == sum(
        len(tower.weights) for tower in towers
    )


def test_shared_layer_is_one_layer_called_twice(models: dict[str, Any]) -> None:
    model = models["seed002_siamese"]
    lstm = model.get_layer("lstm")
    assert len(lstm._inbound_nodes) == 2
    assert sum(1 for layer in model.layers if layer is lstm) == 1


@pytest.mark.parametrize("name", ["seed001_ensemble3", "seed002_siamese"])
def test_saved_model_loads_in_safe_mode(
    name: str, models: dict[str, Any], keras: Any, tmp_path: Path
) -> None:
    model = models[name]
    rng = np.random.default_rng(1)
    shapes = [tuple(5 if d is None else d for d in t.shape[1:]) for t in model.inputs]
    data = [rng.random((3, *shape)) for shape in shapes]
    before = model.predict(data, verbose=0)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    after = loaded.predict(data, verbose=0)
    np.testing.assert_allclose(before, after, rtol=1e-6)


def test_keras_error_becomes_a_diagnostic_with_the_node_line(keras: Any) -> None:
    # RandomZoom's static rule gives its shape only, so only Keras can refuse its factor.
    text = """\
graphspec: 1
name: bad_factor
inputs:
  x: {shape: [8, 8, 3]}
nodes:
  hidden: {layer: Conv2D, from: x, filters: 4, kernel_size: 3}
  zoom: {layer: RandomZoom, from: hidden, height_factor: -2.0}
outputs:
  out: zoom
"""
    with pytest.raises(SpecError) as caught:
        graphspec.build(graphspec.loads(text, name="residual.yaml"))
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "GS501"
    assert diagnostic.location.line == 7
    assert "zoom" in diagnostic.message
    assert "height_factor" in diagnostic.message


def test_initializer_regularizer_constraint_with_arguments(keras: Any) -> None:
    text = """\
graphspec: 1
name: objects
inputs:
  x: {shape: [8]}
nodes:
  hidden:
    layer: Dense
    from: x
    units: 4
    kernel_initializer: {name: VarianceScaling, scale: 2.0, mode: fan_out}
    kernel_regularizer: {name: L2, l2: 0.001}
    bias_constraint: {name: MaxNorm, max_value: 2}
    bias_initializer: ones
outputs:
  out: hidden
"""
    layer = graphspec.build(graphspec.loads(text)).get_layer("out")
    assert isinstance(layer.kernel_initializer, keras.initializers.VarianceScaling)
    assert layer.kernel_initializer.get_config()["scale"] == 2.0
    assert layer.kernel_initializer.get_config()["mode"] == "fan_out"
    assert layer.kernel_regularizer.get_config() == {"l2": 0.001}
    assert layer.bias_constraint.get_config()["max_value"] == 2
    assert np.all(np.asarray(layer.bias) == 1.0)
