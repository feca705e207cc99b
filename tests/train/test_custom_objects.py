"""Losses and metrics with arguments become Keras objects at compile; custom ones are imported
by build only, passed to compile, and given to load_model so a saved model loads, in graphspec
and in plain Keras with ``custom_objects`` keyed by the names the spec writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphspec
from graphspec.diagnostics import SpecError
from graphspec.runtime.saving import load_model, save_model_atomically
from tests.conftest import SPECS

CUSTOM = [
    "tests.gallery.objects.contrastive_loss",
    "tests.train.custom_objects.ScaledSquaredError",
    "tests.train.custom_objects.mean_difference",
]
SPEC = """\
graphspec: 1.1
name: custom_training
inputs: {x: {shape: [3]}}
nodes:
  distance: {layer: Dense, from: x, units: 1}
  scaled:   {layer: Dense, from: x, units: 2}
outputs:
  distance: {from: distance, loss: contrastive_loss, metrics: [mean_difference, mae]}
  scaled: {from: scaled, loss: {name: ScaledSquaredError, scale: 3.0}}
compile: {optimizer: adam}
"""


def _data() -> tuple[Any, dict[str, Any]]:
    rng = np.random.default_rng(0)
    x = rng.random((4, 3)).astype("float32")
    y = {"distance": rng.integers(0, 2, (4, 1)).astype("float32"), "scaled": rng.random((4, 2))}
    return x, y


@pytest.fixture(scope="module")
def model(keras: Any) -> Any:
    return graphspec.build(graphspec.loads(SPEC, "custom.yaml"), custom_objects=CUSTOM)


def test_custom_objects_are_compiled_as_the_spec_names_them(model: Any) -> None:
    from tests.gallery.objects import contrastive_loss
    from tests.train.custom_objects import ScaledSquaredError

    assert model.loss["distance"] is contrastive_loss
    assert isinstance(model.loss["scaled"], ScaledSquaredError)
    assert model.loss["scaled"].scale == 3.0
    x, y = _data()
    scores = model.evaluate(x, y, return_dict=True, verbose=0)
    assert {"distance_mean_difference", "distance_mae", "scaled_loss"} <= set(scores)


@pytest.fixture(scope="module")
def saved(model: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("custom") / "custom.keras"
    save_model_atomically(model, path)
    return path


def test_a_saved_model_loads_with_its_custom_objects(model: Any, saved: Path) -> None:
    x, y = _data()
    expected = model.evaluate(x, y, return_dict=True, verbose=0)
    loaded = load_model(saved, custom_objects=CUSTOM)
    assert loaded.evaluate(x, y, return_dict=True, verbose=0) == pytest.approx(expected)


def test_plain_keras_loads_it_with_the_names_the_spec_writes(
    model: Any, saved: Path, keras: Any
) -> None:
    from tests.gallery.objects import contrastive_loss
    from tests.train.custom_objects import ScaledSquaredError, mean_difference

    objects = {
        "contrastive_loss": contrastive_loss,
        "ScaledSquaredError": ScaledSquaredError,
        "mean_difference": mean_difference,
    }
    loaded = keras.saving.load_model(saved, custom_objects=objects)
    assert loaded.loss["distance"] is contrastive_loss
    with pytest.raises(TypeError, match="contrastive_loss"):
        keras.saving.load_model(saved)  # nothing registered: the names must be given


@pytest.mark.parametrize(
    ("path", "code", "match"),
    [
        ("tests.no_such_package.contrastive_loss", "GS313", "cannot import module"),
        ("tests.gallery.objects.no_such_loss", "GS313", "has no 'no_such_loss'"),
        ("tests.train.custom_objects.NOT_A_LOSS", "GS313", "not a function or a Keras"),
    ],
)
def test_a_custom_object_build_cannot_use(keras: Any, path: str, code: str, match: str) -> None:
    name = path.rpartition(".")[2]
    text = SPEC.replace("loss: contrastive_loss", f"loss: {name}")
    with pytest.raises(SpecError) as caught:
        graphspec.build(graphspec.loads(text, "custom.yaml"), custom_objects=[*CUSTOM, path])
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == code and match in diagnostic.message
    assert "import problem" in diagnostic.message and diagnostic.location.line == 8


def test_the_gallery_siamese_model_reloads(keras: Any, tmp_path: Path) -> None:
    from tests.gallery.counterparts import siamese_contrastive

    model = graphspec.build(
        SPECS / "gallery" / "siamese_contrastive.yaml", **siamese_contrastive.BUILD_KWARGS
    )
    path = tmp_path / "siamese.keras"
    save_model_atomically(model, path)
    loaded = keras.saving.load_model(path, custom_objects=siamese_contrastive.CUSTOM_OBJECTS)
    assert loaded.get_compile_config()["loss"] == model.get_compile_config()["loss"]


def test_loss_and_metric_arguments_make_keras_objects(keras: Any) -> None:
    model = graphspec.build(SPECS / "gallery" / "mnist_logits.yaml")
    loss = model.loss["logits"]
    assert isinstance(loss, keras.losses.SparseCategoricalCrossentropy)
    assert loss.get_config()["from_logits"] is True
    from tests.gallery.counterparts import mnist_logits

    reference = mnist_logits.keras_model(keras)
    ours, theirs = model.get_compile_config(), reference.get_compile_config()
    assert list(ours["loss"].values()) == [theirs["loss"]]
    assert list(ours["metrics"].values()) == [theirs["metrics"]]


@pytest.mark.parametrize("compiled", [True, False], ids=["compile", "no_compile"])
def test_smoke_runs_losses_with_arguments_and_custom_ones(keras: Any, compiled: bool) -> None:
    from graphspec.catalogue.custom import CustomObjects
    from graphspec.pipeline import check_text
    from graphspec.settings import Options
    from graphspec.train.smoke import smoke_report

    text = SPEC.replace(
        "{from: scaled, loss: {name: ScaledSquaredError, scale: 3.0}}",
        "{from: scaled, loss: {name: SparseCategoricalCrossentropy, from_logits: true}}",
    )
    if not compiled:
        text = text.split("compile:")[0]
    options = Options(custom_objects=CustomObjects.from_paths(CUSTOM))
    result = smoke_report(check_text(text, "smoke.yaml", options), options, eager=True)
    assert result.status == "ok", result.diagnostics
    assert [(h.name, h.loss_name) for h in result.heads] == [
        ("distance", "contrastive_loss"),
        ("scaled", "SparseCategoricalCrossentropy"),
    ]
