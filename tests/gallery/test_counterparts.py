"""Each gallery spec with a hand-written Keras counterpart builds the same model: equal
parameters, trainable parameters and output shapes and, with the counterpart's weights copied
into the spec's model by layer name, equal predictions; the spec's model trains one step.

Counterparts live in ``tests/gallery/counterparts/<spec stem>.py`` (see its ``__init__``).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from tests.conftest import SPECS
from tests.gallery import counterparts

GALLERY = SPECS / "gallery"
NAMES = sorted(info.name for info in pkgutil.iter_modules(counterparts.__path__))
SAMPLES = 4


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{counterparts.__name__}.{name}")


def test_every_counterpart_names_a_gallery_spec() -> None:
    missing = [name for name in NAMES if not (GALLERY / f"{name}.yaml").is_file()]
    assert not missing


def _layers(model: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every layer with weights, keyed by its path through nested models."""
    for layer in model.layers:
        path = f"{prefix}{layer.name}"
        if getattr(layer, "layers", None):
            inner = list(_layers(layer, f"{path}/"))
            if inner:
                yield from inner
                continue
        if layer.weights:
            yield path, layer


def _inputs(module: ModuleType, model: Any, rng: np.random.Generator) -> dict[str, Any]:
    if hasattr(module, "sample_inputs"):
        return dict(module.sample_inputs(SAMPLES, rng))
    data: dict[str, Any] = {}
    for tensor in model.inputs:
        shape = (SAMPLES, *(d or 3 for d in tensor.shape[1:]))
        if "int" in str(tensor.dtype):
            data[tensor.name] = rng.integers(0, 2, shape).astype(str(tensor.dtype))
        else:
            data[tensor.name] = rng.normal(size=shape).astype(str(tensor.dtype))
    return data


def _targets(module: ModuleType, model: Any, rng: np.random.Generator) -> dict[str, Any]:
    if hasattr(module, "sample_targets"):
        return dict(module.sample_targets(SAMPLES, rng))
    return {
        name: np.zeros((SAMPLES, *tensor.shape[1:]), "float32")
        for name, tensor in zip(model.output_names, model.outputs, strict=True)
    }


def _as_list(predictions: Any, model: Any) -> list[np.ndarray]:
    if isinstance(predictions, dict):
        return [np.asarray(predictions[name]) for name in model.output_names]
    if isinstance(predictions, (list, tuple)):
        return [np.asarray(p) for p in predictions]
    return [np.asarray(predictions)]


@pytest.fixture(scope="module", params=NAMES)
def pair(request: pytest.FixtureRequest, keras: Any) -> tuple[ModuleType, Any, Any]:
    from graphspec.pipeline import build

    module = _module(request.param)
    spec_model = build(GALLERY / f"{request.param}.yaml", **getattr(module, "BUILD_KWARGS", {}))
    return module, spec_model, module.keras_model(keras)


def test_same_parameters_and_shapes(pair: tuple[ModuleType, Any, Any], keras: Any) -> None:
    _, spec_model, reference = pair

    def trainable(model: Any) -> int:
        return sum(int(np.prod(w.shape)) for w in model.trainable_weights)

    assert spec_model.count_params() == reference.count_params()
    assert trainable(spec_model) == trainable(reference)
    assert [tuple(t.shape) for t in spec_model.outputs] == [
        tuple(t.shape) for t in reference.outputs
    ]


def test_same_predictions_with_weights_copied_by_name(
    pair: tuple[ModuleType, Any, Any],
) -> None:
    module, spec_model, reference = pair
    theirs = dict(_layers(reference))
    ours = dict(_layers(spec_model))
    groups: dict[str, tuple[str, ...]] = getattr(module, "SPEC_LAYERS", {})
    named = sorted(name for path in theirs for name in groups.get(path, (path,)))
    assert named == sorted(ours), "layers with weights differ by name"
    for path, layer in theirs.items():
        weights = layer.get_weights()
        for name in groups.get(path, (path,)):
            count = len(ours[name].weights)
            ours[name].set_weights(weights[:count])
            weights = weights[count:]
        assert weights == [], f"{path} has more weights than {groups.get(path, (path,))}"
    data = _inputs(module, reference, np.random.default_rng(0))
    expected = _as_list(reference.predict(data, verbose=0), reference)
    got = _as_list(spec_model.predict(data, verbose=0), spec_model)
    atol = getattr(module, "ATOL", 1e-5)
    assert len(got) == len(expected)
    for ours_out, theirs_out in zip(got, expected, strict=True):
        np.testing.assert_allclose(ours_out, theirs_out, atol=atol, rtol=1e-4)


def test_trains_one_step(pair: tuple[ModuleType, Any, Any]) -> None:
    module, spec_model, reference = pair
    rng = np.random.default_rng(1)
    data = _inputs(module, reference, rng)
    targets: Any = _targets(module, spec_model, rng)
    if len(spec_model.outputs) == 1:  # a one-output model takes its targets as one array
        (targets,) = targets.values()
    history = spec_model.fit(data, targets, epochs=1, batch_size=SAMPLES, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
