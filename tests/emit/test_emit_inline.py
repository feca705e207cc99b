"""Inline block instances build into the parent graph: flat layers named as
`graphspec.analyse.names` says, no nested models, the same weights as the nested build;
per-repetition parameters and arithmetic reach the layers as plain numbers."""

from __future__ import annotations

from typing import Any

import pytest

import graphspec

SPEC = """
graphspec: 1
name: inline
inputs: {x: {shape: [8]}}
shared:
  proj: {layer: Dense, units: 8}
blocks:
  unit:
    params: {units: 8, wide: "${units * 2}"}
    inputs: {x: {}}
    nodes:
      up: {layer: Dense, from: x, units: "${wide}"}
      down:
        from: up
        sequence:
          - {layer: Dense, units: "${units}"}
          - {layer: Dropout, rate: "${1 / 10}", name: drop}
    outputs: {y: down}
  pair:
    INLINE
    params: {units: 4}
    inputs: {x: {}}
    nodes:
      inner: {block: unit, from: x, with: {units: "${units}"}, inline: true}
      nested: {block: unit, from: inner, inline: false}
      shared: {use: proj, from: nested}
      side: {layer: Dense, from: x, units: 2}
    outputs: {y: shared, side: side}
nodes:
  scaled: {layer: Rescaling, from: x, scale: 1/255}
  p: {block: pair, from: scaled}
  stack: {block: unit, from: p.y, inline: true, each: {units: [16, 8]}}
  again: {use: proj, from: stack}
  both: {op: concatenate, from: [again, p.side]}
outputs:
  out: both
  stacked: stack
"""


@pytest.fixture(scope="module")
def flat(keras: Any) -> Any:
    return graphspec.build(graphspec.loads(SPEC.replace("INLINE", "inline: true"), "i.yaml"))


@pytest.fixture(scope="module")
def nested(keras: Any) -> Any:
    return graphspec.build(graphspec.loads(SPEC.replace("INLINE", "inline: false"), "n.yaml"))


def test_inline_layers_join_the_model_with_flat_names(flat: Any) -> None:
    names = [layer.name for layer in flat.layers]
    for expected in (
        "p_inner_up",
        "p_inner_down_1",
        "p_inner_drop",  # a sequence item's own name, renamed like the rest
        "p_nested",  # the nested-model instance inside the inline block
        "p_side",
        "proj",  # the shared entry: one layer, named after the entry
        "stack_1_up",
        "stack_2_down_1",
        "stacked",  # the head on an inline instance is an Identity
    ):
        assert expected in names
    models = [layer.name for layer in flat.layers if hasattr(layer, "layers")]
    assert models == ["p_nested"]


def test_the_flat_build_has_the_nested_builds_weights(flat: Any, nested: Any) -> None:
    def shapes(model: Any, trainable: bool) -> list[tuple[int, ...]]:
        weights = model.trainable_weights if trainable else model.non_trainable_weights
        return sorted(tuple(w.shape) for w in weights)

    assert shapes(flat, True) == shapes(nested, True)
    assert shapes(flat, False) == shapes(nested, False)
    assert flat.count_params() == nested.count_params()
    assert [tuple(t.shape) for t in flat.outputs] == [tuple(t.shape) for t in nested.outputs]


def test_shared_entry_inside_an_inline_block_is_the_one_layer(flat: Any) -> None:
    proj = flat.get_layer("proj")
    assert len(proj._inbound_nodes) == 2  # called in p (inline) and by `again`


def test_each_and_arithmetic_reach_the_layers_as_numbers(flat: Any) -> None:
    assert flat.get_layer("stack_1_up").units == 32
    assert flat.get_layer("stack_2_up").units == 16  # wide = units * 2, per repetition
    assert flat.get_layer("p_inner_up").units == 8
    assert flat.get_layer("p_inner_drop").rate == pytest.approx(0.1)
    assert flat.get_layer("scaled").scale == pytest.approx(1 / 255)


def test_the_recursion_bound_counts_every_inline_layer() -> None:
    from graphspec.emit.recursion import plan_layer_bound
    from graphspec.pipeline import check

    text = SPEC.replace("INLINE", "inline: true").replace("units: [16, 8]", "units: [8] * 1")
    text = text.replace("each: {units: [8] * 1}", "repeat: 300")
    plan = check(graphspec.loads(text, "deep.yaml")).plan
    assert plan is not None
    assert plan_layer_bound(plan) > 300 * 3  # three layers per repetition of `unit`
