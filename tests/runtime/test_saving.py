"""Saving never leaves a half-written file, and what it saves loads with plain Keras in safe
mode, without a warning; graphspec's loader still reads files with its old expression layer."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphspec
from graphspec.runtime.saving import build_optimizer, load_model, save_model_atomically


class FakeModel:
    """Writes `content` where it is told to save, then fails if told to."""

    def __init__(self, content: bytes, fail: bool = False) -> None:
        self.content, self.fail = content, fail
        self.saved_to: list[Path] = []

    def save(self, path: str) -> None:
        self.saved_to.append(Path(path))
        Path(path).write_bytes(self.content[:3])
        if self.fail:
            raise OSError("disk full")
        Path(path).write_bytes(self.content)


def test_failed_save_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    with pytest.raises(OSError, match="disk full"):
        save_model_atomically(FakeModel(b"weights", fail=True), target)
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    target.write_bytes(b"old model")
    with pytest.raises(OSError):
        save_model_atomically(FakeModel(b"new model", fail=True), target)
    assert list(tmp_path.iterdir()) == [target]
    assert target.read_bytes() == b"old model"


def test_save_replaces_the_file_in_one_rename(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    target.write_bytes(b"old model")
    model = FakeModel(b"new model")
    with target.open("rb") as reader:  # a reader of the old file keeps reading the old file
        save_model_atomically(model, str(target))
        assert reader.read() == b"old model"
    assert target.read_bytes() == b"new model"
    assert list(tmp_path.iterdir()) == [target]
    (temporary,) = model.saved_to
    assert temporary.parent == tmp_path  # same file system, so os.replace is atomic
    assert temporary.name.endswith(".keras")  # Keras picks the format from the suffix


HALVES = """\
graphspec: 1
name: halves
inputs:
  x: {shape: [2]}
nodes:
  dense: {layer: Dense, from: x, units: 2}
  half: {expr: "a / 2", from: {a: dense}}
outputs:
  out: {from: half, loss: mse}
compile:
  optimizer: {name: adam, learning_rate: 0.01}
"""


@pytest.fixture(scope="module")
def halves(keras: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """A compiled model with an expr head, saved as `graphspec build -o` saves it."""
    model = graphspec.build(graphspec.loads(HALVES))
    target = tmp_path_factory.mktemp("halves") / "halves.keras"
    save_model_atomically(model, target)
    return model, target


def test_saved_model_loads_with_plain_keras(keras: Any, halves: tuple[Any, Path]) -> None:
    model, target = halves
    loaded = keras.saving.load_model(target)  # safe mode, no graphspec object registered
    assert loaded.output_names == ["out"]  # the expr node's last operation has the head's name
    assert {type(op).__name__ for op in loaded.operations} == {"InputLayer", "Dense", "Divide"}
    batch = np.ones((1, 2), dtype="float32")
    np.testing.assert_allclose(np.asarray(loaded(batch)), np.asarray(model(batch)), rtol=1e-6)


@pytest.mark.parametrize("loader", ["graphspec", "keras"])
def test_a_compiled_model_loads_without_a_warning(
    keras: Any, halves: tuple[Any, Path], loader: str
) -> None:
    """The optimizer is saved built (its 5 variables for Adam here), so Keras does not skip
    loading them ("Skipping variable loading for optimizer 'adam'...")."""
    _, target = halves
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load_model(target) if loader == "graphspec" else keras.saving.load_model(target)
    assert [str(w.message) for w in caught] == []
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.01)
    assert len(loaded.optimizer.variables) > 2  # iterations, learning rate and the moments


def test_build_optimizer_leaves_other_models_alone(keras: Any) -> None:
    build_optimizer(FakeModel(b""))  # no optimizer attribute
    model = graphspec.build(graphspec.loads(HALVES))
    before = [id(v) for v in model.optimizer.variables]
    build_optimizer(model)  # built already by compile: nothing new
    assert [id(v) for v in model.optimizer.variables] == before


def test_a_model_saved_with_the_old_expression_layer_still_loads(
    keras: Any, tmp_path: Path
) -> None:
    """Files from before expr nodes became keras.ops calls hold graphspec's ExpressionLayer;
    `graphspec.load_model` still reads them (the layer stays registered)."""
    from graphspec.emit.expression_layer import ExpressionLayer

    x = keras.Input((2,), name="x")
    dense = keras.layers.Dense(2, name="dense")(x)
    model = keras.Model(x, ExpressionLayer("a / 2", ["a"], name="out")(dense))
    target = tmp_path / "old.keras"
    save_model_atomically(model, target)
    loaded = load_model(target)
    assert type(loaded.get_layer("out")).__name__ == "ExpressionLayer"
    batch = np.ones((1, 2), dtype="float32")
    np.testing.assert_allclose(np.asarray(loaded(batch)), np.asarray(model(batch)), rtol=1e-6)
