"""Inline block instances, per-repetition parameters and arithmetic, as analysis sees them:
the layer names an inline instance makes, the instances per repetition, and arithmetic
computed into the Plan."""

from __future__ import annotations

import pytest

from graphspec.analyse.names import node_layer_names
from graphspec.analyse.plan import Plan
from graphspec.pipeline import check, loads
from graphspec.spec.forms import BlockNode, LayerNode

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
      down: {layer: Dense, from: up, units: "${units}"}
    outputs: {y: down}
  pair:
    inline: true
    params: {units: 4}
    inputs: {x: {}}
    nodes:
      inner: {block: unit, from: x, inline: true, with: {units: "${units}"}}
      nested: {block: unit, from: inner, inline: false}
      shared: {use: proj, from: nested}
      side: {layer: Dense, from: x, units: 2}
    outputs: {y: shared, side: side}
nodes:
  p: {block: pair, from: x}
  stack: {block: unit, from: p.y, inline: true, each: {units: [8, 16, 8]}}
  named: {block: unit, from: stack, inline: true, repeat: 2, names: "layer{n}_{node}"}
  scaled: {layer: Dense, from: named, units: 2 * 4}
  both: {op: concatenate, from: [scaled, p.side]}
outputs:
  out: both
"""


@pytest.fixture(scope="module")
def plan() -> Plan:
    report = check(loads(SPEC, "inline.yaml"))
    assert report.plan is not None, [d.format() for d in report.diagnostics]
    return report.plan


def test_inline_layers_are_named_instance_node(plan: Plan) -> None:
    spec = plan.spec
    assert node_layer_names(spec, "p", spec.nodes["p"]) == [
        "p_inner_up",
        "p_inner_down",
        "p_nested",  # a nested-model instance inside an inline block: one model, renamed
        "p_side",  # `use` makes no layer: the shared entry's is named `proj`
    ]


def test_repetitions_are_numbered_and_patterns_apply(plan: Plan) -> None:
    spec = plan.spec
    assert node_layer_names(spec, "stack", spec.nodes["stack"]) == [
        "stack_1_up",
        "stack_1_down",
        "stack_2_up",
        "stack_2_down",
        "stack_3_up",
        "stack_3_down",
    ]
    assert node_layer_names(spec, "named", spec.nodes["named"]) == [
        "layer1_up",
        "layer1_down",
        "layer2_up",
        "layer2_down",
    ]


def test_each_gives_one_instance_per_repetition(plan: Plan) -> None:
    node = plan.spec.nodes["stack"]
    assert isinstance(node, BlockNode) and node.repeat == 3  # from the lists' length
    reps = plan.repetitions(None, "stack")
    assert [r.params["units"] for r in reps] == [8, 16, 8]
    assert reps[0] is reps[2]  # equal parameters, one resolved instance
    assert [r.params["wide"] for r in reps] == [16, 32, 16]  # derived per repetition


def test_shapes_and_parameters_are_inferred_per_repetition(plan: Plan) -> None:
    # units 8, 16, 8: Dense 8→16→8, 8→32→16, 16→16→8
    first, second = (8 * 16 + 16) + (16 * 8 + 8), (8 * 32 + 32) + (32 * 16 + 16)
    third = (16 * 16 + 16) + (16 * 8 + 8)
    expected = first + second + third
    assert plan.static["stack"].trainable == expected
    assert plan.static["stack"].shape == (8,)


def test_arithmetic_is_computed_into_the_plan(plan: Plan) -> None:
    scaled = plan.nodes["scaled"]
    assert isinstance(scaled, LayerNode) and scaled.args["units"] == 8
    inner = plan.repetitions(plan.instance(None, "p", plan.spec.nodes["p"]), "inner")[0]
    up = inner.nodes["up"]
    assert isinstance(up, LayerNode) and up.args["units"] == 8  # wide = units(4) * 2


def test_a_block_output_of_an_inline_instance_is_referred_to_as_today(plan: Plan) -> None:
    assert plan.static["p"].outputs == {"y": (8,), "side": (2,)}
    assert plan.static["both"].shape == (10,)


def _codes(text: str) -> list[str]:
    return [d.code for d in check(loads(text, "t.yaml")).diagnostics if d.is_error]


def _spec(nodes: str, block: str = "") -> str:
    return f"""
graphspec: 1
name: t
inputs: {{x: {{shape: [8]}}}}
blocks:
  unit:
    params: {{units: 8}}
    inputs: {{x: {{}}}}
    nodes:
      dense: {{layer: Dense, from: x, units: "${{units}}"}}{block}
    outputs: {{y: dense}}
nodes:
{nodes}
outputs:
  out: last
"""


def test_a_collision_with_a_later_inline_instance_is_gs216() -> None:
    inline = "\n  last: {block: unit, from: first, inline: true}"
    text = _spec("  first: {layer: Dense, from: x, units: 8}" + inline)
    assert _codes(text) == []
    text = text.replace("first", "last_dense")
    assert _codes(text) == ["GS216"]


def test_an_inline_name_a_head_takes_is_gs210() -> None:
    text = _spec("  last: {block: unit, from: x, inline: true}").replace(
        "out: last", "last_dense: last"
    )
    assert _codes(text) == ["GS210"]


def test_names_on_a_nested_instance_and_a_pattern_without_node_are_gs216() -> None:
    assert _codes(_spec('  last: {block: unit, from: x, names: "a_{node}"}')) == ["GS216"]
    assert _codes(_spec('  last: {block: unit, from: x, inline: true, names: "a_{n}"}')) == [
        "GS216"
    ]
    assert _codes(_spec('  last: {block: unit, from: x, inline: true, names: "{x}_{node}"}')) == [
        "GS216"
    ]


def test_the_instance_inline_wins_over_the_block() -> None:
    text = _spec("  last: {block: unit, from: x, inline: false}").replace(
        "    params: {units: 8}", "    inline: true\n    params: {units: 8}"
    )
    spec = check(loads(text, "t.yaml")).plan
    assert spec is not None
    assert not spec.spec.is_inline(spec.spec.nodes["last"])
    assert node_layer_names(spec.spec, "last", spec.spec.nodes["last"]) == ["last"]


def test_each_and_with_for_one_parameter_is_gs217() -> None:
    nodes = "  last: {block: unit, from: x, with: {units: 4}, each: {units: [4, 8]}}"
    assert _codes(_spec(nodes)) == ["GS217"]


def test_each_with_an_unknown_parameter_is_gs209() -> None:
    assert _codes(_spec("  last: {block: unit, from: x, each: {unitz: [4, 8]}}")) == ["GS209"]


def test_arithmetic_on_a_shared_entry_is_gs322() -> None:
    text = _spec("  last: {use: s, from: x}").replace(
        "blocks:", "shared:\n  s: {layer: Dense, units: 2 * 4}\nblocks:"
    )
    assert _codes(text) == ["GS322"]


def test_an_arithmetic_with_value_is_checked_per_instance() -> None:
    block = '\n      half: {layer: Dense, from: dense, units: "${units / 2}"}'
    assert _codes(_spec("  last: {block: unit, from: x, each: {units: [4, 8]}}", block)) == []
    assert _codes(_spec("  last: {block: unit, from: x, each: {units: [4, 5]}}", block)) == [
        "GS323"
    ]


def test_a_top_level_arithmetic_placeholder_is_outside_any_block() -> None:
    assert _codes(_spec('  last: {layer: Dense, from: x, units: "${a * 2}"}')) == ["GS209"]


def test_a_repeated_inline_instance_makes_no_layers_named_after_it() -> None:
    nodes = (
        "  s: {block: unit, from: x, inline: true, repeat: 2}\n"
        "  s_1: {layer: Dense, from: s, units: 8}\n"
        "  last: {layer: Dense, from: s_1, units: 8}"
    )
    assert _codes(_spec(nodes)) == []
