"""Property-based tests: random valid graph specs, and single mutations of them.

The strategies (tests/spec_strategies.py) draw small acyclic specs — 1–2 vector or image
inputs; Dense, Activation, Dropout, BatchNormalization, Conv2D, MaxPooling2D, Flatten;
``sequence`` chains; merges, ``concatenate`` and ``expr`` over fitting shapes; shared layers
and a shared block used 2–3 times; a block with ``${units}`` instantiated 1–2 times — and know
each one's head shapes and parameter counts. Properties:

- a drawn spec is valid, with no diagnostic except one GS401 for a deliberately unconnected
  node, and its static Plan agrees with the generator on head shapes and parameters;
- it builds with Keras, and Keras agrees with the Plan on parameters and output shapes;
- one mutation (a missing required key, a wrongly typed value, a dangling reference, a back
  edge closing a cycle, a duplicate name) gives an error on the mutated line.

``HYPOTHESIS_PROFILE=nightly`` runs many more examples (``ci`` is the default). Only the tests
that build take the session-wide ``keras`` fixture (tests/conftest.py), so the others run, and
fast, where Keras is not installed.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis.errors import InvalidArgument

import graphspec
from graphspec.pipeline import check_text
from tests.spec_strategies import GenSpec, Mutation, mutated_specs, valid_specs

# Profiles: registered here unless another module already did; only this module's tests use
# them (as parents of their settings), so loading nothing here changes no other test file.
_COUNTS = {"ci": {"build": 40, "static": 150, "mutation": 250}}
_COUNTS["nightly"] = {"build": 300, "static": 3000, "mutation": 5000}
for _name, _examples in (("ci", 100), ("nightly", 1000)):
    try:
        settings.get_profile(_name)
    except InvalidArgument:
        settings.register_profile(_name, max_examples=_examples, deadline=None)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
COUNTS = _COUNTS.get(PROFILE, _COUNTS["ci"])


def _settings(kind: str) -> settings:
    return settings(
        settings.get_profile(PROFILE if PROFILE in _COUNTS else "ci"),
        max_examples=COUNTS[kind],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _formatted(report: Any) -> list[str]:
    return [d.format() for d in report.diagnostics]


# --------------------------------------------------------------------------- valid specs


def _features(gen: GenSpec) -> None:
    """Tell `--hypothesis-show-statistics` which constructs the drawn specs held."""
    for node in gen.nodes:
        form = next(
            k for k in ("layer", "use", "block", "op", "expr", "sequence") if k in node.body
        )
        event(f"form {form}: {node.body[form] if form in ('layer', 'op') else ''}".rstrip(": "))
        if node.body.get("repeat"):
            event("block repeat")
    if any(len(shape) == 3 for shape in gen.inputs.values()):
        event("image input")
    if any(ref in gen.inputs for ref in gen.heads.values()):
        event("a head reads an input")
    if any("block" in entry for entry in gen.shared.values()):
        event("shared block")
    event(f"{len(gen.heads)} head(s)")
    if gen.unconnected:
        event("one unconnected node")


def _check_valid(gen: GenSpec) -> Any:
    """check_text finds no problem (one GS401 on the unconnected node); returns the Plan."""
    _features(gen)
    text, where = gen.render()
    report = check_text(text, "prop.yaml")
    assert report.ok, _formatted(report)
    if gen.unconnected is None:
        assert report.diagnostics == (), _formatted(report)
    else:
        assert [d.code for d in report.diagnostics] == ["GS401"], _formatted(report)
        assert report.diagnostics[0].location.line == where[f"nodes.{gen.unconnected}"]
    plan = report.plan
    assert plan is not None
    if gen.unconnected is not None:
        assert plan.pruned == {gen.unconnected}
    else:
        assert plan.pruned == frozenset()
    return plan


@_settings("static")
@given(valid_specs())
def test_valid_spec_checks_clean_and_plan_matches_the_generator(gen: GenSpec) -> None:
    plan = _check_valid(gen)
    assert (plan.trainable, plan.non_trainable) == gen.params
    assert dict(plan.head_shapes) == gen.head_shapes


@_settings("build")
@given(valid_specs())
def test_valid_spec_builds_and_keras_agrees_with_the_plan(keras: Any, gen: GenSpec) -> None:
    plan = _check_valid(gen)
    model = graphspec.build(graphspec.loads(gen.text, "prop.yaml"))
    trainable = sum(int(keras.ops.size(w)) for w in model.trainable_weights)
    non_trainable = sum(int(keras.ops.size(w)) for w in model.non_trainable_weights)
    assert (trainable, non_trainable) == (plan.trainable, plan.non_trainable)
    assert (trainable, non_trainable) == gen.params
    shapes = [tuple(output.shape) for output in model.outputs]
    assert shapes == [(None, *plan.head_shapes[head]) for head in gen.heads]
    assert list(model.output_names) == list(gen.heads)
    assert [model.get_layer(name).name for name in gen.inputs] == list(gen.inputs)
    if gen.unconnected is not None:
        assert gen.unconnected not in {layer.name for layer in model.layers}


# --------------------------------------------------------------------------- mutations


@_settings("mutation")
@given(mutated_specs())
def test_one_mutation_gives_an_error_on_its_line(mutation: Mutation) -> None:
    event(f"mutation {mutation.kind}")
    report = check_text(mutation.text, "mutant.yaml")  # any exception fails the test
    errors = [d for d in report.diagnostics if d.is_error]
    assert errors, f"no error for {mutation.kind}: {mutation.note}"
    assert not report.ok
    assert report.plan is None
    lines = {d.location.line for d in errors}
    assert lines & mutation.lines, (
        f"{mutation.kind} ({mutation.note}) wants an error on line(s) {sorted(mutation.lines)}",
        _formatted(report),
    )


# --------------------------------------------------------------------------- found by the above
# Minimal specs for the graphspec bugs these properties found, kept as regression tests.


def _one_node(shape: str, node: str) -> str:
    return (
        f"graphspec: 1\nname: m\ninputs:\n  x: {{shape: {shape}}}\n"
        f"nodes:\n  n: {node}\noutputs:\n  out: n\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        _one_node("[4]", "{layer: Dense, from: x, units: null}"),
        _one_node("[4]", "{layer: Dropout, from: x, rate: null}"),
        _one_node("[4, 4, 1]", "{layer: Conv2D, from: x, filters: null, kernel_size: 3}"),
    ],
    ids=["Dense.units", "Dropout.rate", "Conv2D.filters"],
)
def test_a_required_argument_given_as_null_is_an_error(text: str) -> None:
    report = check_text(text, "null.yaml")
    assert any(d.is_error and d.location.line == 6 for d in report.diagnostics), _formatted(report)


_BLOCK_SPEC = """graphspec: 1
name: m
inputs:
  x0: {{shape: [4]}}
blocks:
  blk:
    params: {{units: {default}}}
    inputs: {{x: {{}}}}
    nodes:
      d: {{layer: Dense, from: x, units: "${{units}}"}}
    outputs: {{y: d}}
nodes:
  n0: {{block: blk, from: x0{with_}}}
outputs:
  out0: n0
"""


@pytest.mark.parametrize(
    "text",
    [
        _BLOCK_SPEC.format(default="2", with_=", with: {units: eight}"),
        _BLOCK_SPEC.format(default="2", with_=", with: {units: 1.5}"),
        _BLOCK_SPEC.format(default="eight", with_=""),
    ],
    ids=["with-str", "with-float", "params-str"],
)
def test_a_wrongly_typed_block_parameter_is_an_error(text: str) -> None:
    report = check_text(text, "with.yaml")
    assert not report.ok, _formatted(report)


_SHARED_BLOCK = """graphspec: 1
name: m
inputs:
  x0: {shape: [4]}
shared:
  s0: {block: blk}
blocks:
  blk:
    inputs: {x: {}}
    nodes:
      d: {layer: Dense, from: x, units: 3}
    outputs: {y: d}
nodes:
  n0: {use: s0, from: x0}
  n1: {use: s0, from: x0}
  n2: {op: add, from: [n0, n1]}
outputs:
  out0: n2
"""


def test_a_shared_block_takes_its_input_shape_from_the_caller(keras: Any) -> None:
    report = check_text(_SHARED_BLOCK, "shared.yaml")
    assert report.ok and report.plan is not None, _formatted(report)
    assert report.plan.trainable == 15
    model = graphspec.build(graphspec.loads(_SHARED_BLOCK, "shared.yaml"))
    assert model.count_params() == 15
