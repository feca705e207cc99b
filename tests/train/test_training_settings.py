"""Training settings: the spec's `training` section merged with the flags (flags win), the
monitored value's default and direction, and the static checks' tables against Keras."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest

import graphspec
from graphspec.analyse.training import CALLBACKS, logged_names, snake_case
from graphspec.spec.write import write_spec
from graphspec.train.settings import TrainingSettings, improves_upwards, training_settings
from tests.train.tiny import TINY

BARE = TINY.split("training:")[0]


def test_without_a_section_the_defaults_apply() -> None:
    settings = training_settings(graphspec.loads(BARE))
    assert settings == TrainingSettings(
        epochs=10,
        batch_size=32,
        validation_split=0.0,
        shuffle=True,
        seed=None,
        monitor="loss",
        mode="min",
    )


def test_flags_win_over_the_spec() -> None:
    spec = graphspec.loads(TINY)
    assert (training_settings(spec).epochs, training_settings(spec).seed) == (2, 1)
    merged = training_settings(spec, epochs=7, batch_size=3, seed=0)
    assert (merged.epochs, merged.batch_size, merged.seed) == (7, 3, 0)
    assert training_settings(spec, epochs=None).epochs == 2


def test_the_default_monitor_follows_the_validation() -> None:
    split = graphspec.loads(TINY.replace("  seed: 1", "  seed: 1\n  validation_split: 0.2"))
    assert training_settings(split).monitor == "val_loss"
    assert training_settings(split).validation_split == 0.2
    given = training_settings(split, validation_data=True)  # the split is then not used
    assert (given.monitor, given.validation_split, given.validates) == ("val_loss", 0.0, False)
    assert training_settings(graphspec.loads(TINY), validation_data=True).monitor == "val_loss"


@pytest.mark.parametrize(
    ("monitor", "up"),
    [
        ("val_accuracy", True),
        ("digit_sparse_top_k_categorical_accuracy", True),
        ("val_auc", True),
        ("precision", True),
        ("val_loss", False),
        ("digit_loss", False),
        ("val_mae", False),
        ("mean_squared_error", False),
    ],
)
def test_the_direction_of_a_monitored_value(monitor: str, up: bool) -> None:
    assert improves_upwards(monitor) is up


def test_mode_written_in_the_spec_wins() -> None:
    text = TINY.replace("  seed: 1", "  seed: 1\n  monitor: accuracy\n  mode: min")
    assert training_settings(graphspec.loads(text)).mode == "min"
    auto = TINY.replace("  seed: 1", "  seed: 1\n  monitor: accuracy")
    assert training_settings(graphspec.loads(auto)).mode == "max"


def test_the_section_is_language_1_1_and_written_back() -> None:
    spec = graphspec.loads(TINY.replace("graphspec: 1.1", "graphspec: 1"))
    report = graphspec.check(spec)
    assert [str(d.code) for d in report.diagnostics] == ["GS109"]
    text = TINY.replace(
        "  seed: 1\n",
        "  seed: 1\n  callbacks: [TerminateOnNaN, {name: EarlyStopping, patience: 2}]\n",
    )
    again = graphspec.loads(write_spec(graphspec.loads(text)))
    assert again.training == graphspec.loads(text).training
    empty = graphspec.loads(BARE + "training: {}\n")
    assert graphspec.loads(write_spec(empty)).training is not None


@pytest.mark.parametrize("name", sorted(CALLBACKS))
def test_the_callback_table_is_keras_signature(name: str, keras: Any) -> None:
    parameters = inspect.signature(getattr(keras.callbacks, name)).parameters
    taken = [p for p, value in parameters.items() if value.kind is not value.VAR_KEYWORD]
    assert list(CALLBACKS[name]) == taken


def test_snake_case_is_keras_default_metric_name(keras: Any) -> None:
    for name in ("SparseTopKCategoricalAccuracy", "AUC", "MeanSquaredError", "R2Score"):
        assert snake_case(name) == getattr(keras.metrics, name)().name


def test_logged_names_are_what_keras_logs(keras: Any) -> None:
    """Two heads, a metric by name and one by class: the static names are Keras' logs."""
    text = """\
graphspec: 1.1
name: two
inputs: {x: {shape: [3]}}
nodes:
  d: {layer: Dense, from: x, units: 3, activation: softmax}
  s: {layer: Dense, from: x, units: 1}
outputs:
  digit: {from: d, loss: sparse_categorical_crossentropy,
          metrics: [accuracy, {name: SparseTopKCategoricalAccuracy, k: 2}]}
  size: {from: s, loss: mse, metrics: [mae]}
compile: {optimizer: adam}
"""
    spec = graphspec.loads(text)
    model = graphspec.build(spec)
    x = np.zeros((4, 3), "float32")
    logs = model.evaluate(
        x, {"digit": np.zeros(4), "size": np.zeros(4)}, return_dict=True, verbose=0
    )
    assert sorted(logged_names(spec)) == sorted(logs)
