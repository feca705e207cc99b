"""Compiling is a step after emit: emit gives an uncompiled model, `compile_model` applies the
spec's compile section (per-head losses, loss weights, metrics, optimizer arguments)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import graphspec
from graphspec.analyse.plan import Plan
from graphspec.diagnostics import Diagnostic, SpecError
from graphspec.emit.model import emit_model
from graphspec.train.compile import compile_model

TWO_HEADS = """\
graphspec: 1
name: two_heads
inputs:
  x: {shape: [3]}
nodes:
  a: {layer: Dense, from: x, units: 2}
  b: {layer: Dense, from: x, units: 1, activation: sigmoid}
outputs:
  a: {from: a, loss: mse, loss_weight: 0.5}
  b: {from: b, loss: binary_crossentropy, loss_weight: 2.0, metrics: [accuracy]}
compile:
  optimizer: {name: SGD, learning_rate: 0.05}
"""


def plan_of(text: str) -> Plan:
    report = graphspec.check(graphspec.loads(text, name="heads.yaml"))
    assert report.plan is not None, report.diagnostics
    return report.plan


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_of(TWO_HEADS)


@dataclass(frozen=True)
class Steps:
    """One model of the plan, looked at after emit and again after compile_model."""

    model: Any
    emit_problems: list[Diagnostic]
    compiled_after_emit: bool
    optimizer_after_emit: Any
    compile_problems: list[Diagnostic]


@pytest.fixture(scope="module")
def steps(keras: Any, plan: Plan) -> Steps:
    model, emit_problems = emit_model(plan)
    compiled, optimizer = model.compiled, getattr(model, "optimizer", None)
    return Steps(model, emit_problems, compiled, optimizer, compile_model(model, plan))


@pytest.fixture(scope="module")
def compiled(steps: Steps) -> Any:
    assert steps.compile_problems == []
    return steps.model


def test_emit_gives_an_uncompiled_model(steps: Steps, keras: Any) -> None:
    assert steps.emit_problems == []
    assert isinstance(steps.model, keras.Model)
    assert not steps.compiled_after_emit
    assert steps.optimizer_after_emit is None


def test_compile_model_takes_the_optimizer_and_its_arguments(compiled: Any, keras: Any) -> None:
    assert compiled.compiled
    assert isinstance(compiled.optimizer, keras.optimizers.SGD)
    assert float(compiled.optimizer.learning_rate) == pytest.approx(0.05)


def test_losses_weights_and_metrics_are_keyed_by_head(compiled: Any) -> None:
    assert compiled.loss == {"a": "mse", "b": "binary_crossentropy"}
    rng = np.random.default_rng(0)
    x = rng.random((4, 3)).astype("float32")
    y = {"a": rng.random((4, 2)).astype("float32"), "b": rng.integers(0, 2, (4, 1)) * 1.0}
    scores = compiled.evaluate(x, y, batch_size=4, return_dict=True, verbose=0)
    assert {"a_loss", "b_loss", "b_accuracy"} <= set(scores)
    assert "a_accuracy" not in scores
    weighted = 0.5 * scores["a_loss"] + 2.0 * scores["b_loss"]
    assert scores["loss"] == pytest.approx(weighted, rel=1e-5)


def test_spec_without_compile_leaves_the_model_alone(keras: Any) -> None:
    plan = plan_of(TWO_HEADS.split("compile:")[0])
    model, _ = emit_model(plan)
    assert compile_model(model, plan.spec) == []
    assert not model.compiled


BAD_OPTIMIZER = TWO_HEADS.replace("learning_rate: 0.05", "learning_rate: 0.05, momentum: 2.0")


def test_a_bad_optimizer_argument_is_gs501_at_compile(keras: Any) -> None:
    plan = plan_of(BAD_OPTIMIZER)  # in range is for Keras to say
    model, _ = emit_model(plan)
    (diagnostic,) = compile_model(model, plan)
    assert diagnostic.code == "GS501"
    assert diagnostic.path == ("compile",)
    assert diagnostic.location.line == 11
    assert "momentum" in diagnostic.message


def test_build_still_compiles_and_reports_compile_errors(keras: Any) -> None:
    assert graphspec.build(graphspec.loads(TWO_HEADS)).compiled
    with pytest.raises(SpecError) as caught:
        graphspec.build(graphspec.loads(BAD_OPTIMIZER, name="bad.yaml"))
    assert [(d.code, d.location.line) for d in caught.value.diagnostics] == [("GS501", 11)]


def test_compile_model_builds_the_optimizer(compiled: Any) -> None:
    """Its variables exist before training, so a saved file holds them and loads without
    Keras' "Skipping variable loading for optimizer" warning."""
    assert compiled.optimizer.built
    assert len(compiled.optimizer.variables) >= 2
