"""The Plan: complete after analysis, so no later stage re-sorts, re-substitutes or guards."""

from __future__ import annotations

import dataclasses

import pytest

from graphspec.analyse.passes import PASSES, run_passes
from graphspec.analyse.plan import Plan
from graphspec.diagnostics.codes import Group
from graphspec.pipeline import check, loads
from graphspec.settings import Options
from graphspec.spec.forms import BlockNode, LayerNode

NESTED = """
graphspec: 1
name: nested
inputs: {x: {shape: [8]}}
blocks:
  dense:
    params: {units: 8, activation: relu}
    inputs: {x: {}}
    nodes:
      d: {layer: Dense, from: x, units: "${units}", activation: "${activation}"}
    outputs: {y: d}
  pair:
    params: {width: 16}
    inputs: {x: {}}
    nodes:
      first: {block: dense, from: x, with: {units: "${width}"}}
      second: {block: dense, from: first}
      unused: {layer: Dense, from: x, units: 1}
    outputs: {y: second}
shared:
  tower: {block: dense, with: {units: 3}}
nodes:
  a: {block: pair, from: x, with: {width: 4}}
  b: {block: pair, from: x}
  c: {block: pair, from: x, with: {width: 4}}
  t1: {use: tower, from: a}
  t2: {use: tower, from: b}
  both: {op: concatenate, from: [t1, t2, c]}
  spare: {layer: Dense, from: x, units: 2}
outputs:
  out: {from: both, loss: mse}
"""


@pytest.fixture(scope="module")
def plan() -> Plan:
    report = check(loads(NESTED, "nested.yaml"))
    assert report.plan is not None, [d.format() for d in report.diagnostics]
    return report.plan


def test_full_order_and_live_set(plan: Plan) -> None:
    top = plan.top
    assert set(top.order) == set(plan.spec.nodes)  # every node, pruned ones too
    assert "spare" in top.order and "spare" not in top.live
    assert top.live_order == tuple(n for n in top.order if n in top.live)
    assert top.pruned_nodes == {"spare"}
    assert top.order.index("a") < top.order.index("t1") < top.order.index("both")
    body = plan.blocks["pair"]
    assert body.order == ("first", "second", "unused") and body.pruned_nodes == {"unused"}


def test_instances_have_their_parameters_substituted(plan: Plan) -> None:
    a = plan.instance(None, "a", plan.spec.nodes["a"])
    b = plan.instance(None, "b", plan.spec.nodes["b"])
    assert a.params == {"width": 4} and b.params == {"width": 16}
    assert list(a.nodes) == ["first", "second"]  # live nodes only, in build order
    first = a.nodes["first"]
    assert isinstance(first, BlockNode) and first.with_ == {"units": 4}
    inner = plan.instance(a, "first", first)
    dense = inner.nodes["d"]
    assert isinstance(dense, LayerNode) and dense.args == {"units": 4, "activation": "relu"}
    default = plan.instance(a, "second", a.nodes["second"])
    assert default.nodes["d"].args["units"] == 8
    assert plan.instance(b, "first", b.nodes["first"]).params["units"] == 16


def test_equal_instances_are_resolved_once(plan: Plan) -> None:
    a = plan.instance(None, "a", plan.spec.nodes["a"])
    c = plan.instance(None, "c", plan.spec.nodes["c"])
    assert a is c
    blocks = sorted(instance.block for instance in plan.instances.values())
    assert blocks == ["dense", "dense", "dense", "dense", "pair", "pair"]


def test_shared_block_has_one_instance(plan: Plan) -> None:
    t1 = plan.instance(None, "t1", plan.spec.nodes["t1"])
    t2 = plan.instance(None, "t2", plan.spec.nodes["t2"])
    assert t1 is t2 and t1.params == {"units": 3, "activation": "relu"}


def test_static_covers_every_live_node_and_input(plan: Plan) -> None:
    assert set(plan.static) == {"x", *plan.top.live_order}
    assert plan.static["a"].shape == (8,) and plan.static["b"].shape == (8,)
    assert plan.static["both"].shape == (3 + 3 + 8,)
    # pair(width 4): Dense 8→4 then 4→8; the shared tower's weights count once.
    assert plan.static["a"].trainable == (8 * 4 + 4) + (4 * 8 + 8)
    assert plan.static["t2"].trainable == 0
    assert plan.head_shapes == {"out": (14,)}
    assert plan.head_layers == {"out": "both"}


def test_plan_is_frozen(plan: Plan) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.static = {}


def test_passes_share_one_signature_and_stop_where_marked() -> None:
    assert [step.run.__name__ for step in PASSES] == [
        "check_version",
        "check_arguments",
        "check_heads",
        "check_training",
        "check_block_nesting",
        "check_names",
        "check_call_arguments",
        "resolve_scopes",
        "read_vocabularies",
        "resolve_instances",
        "infer_shapes",
        "infer_dtypes",
        "check_backend",
    ]
    cyclic = loads(
        """
graphspec: 1
name: cyclic
inputs: {x: {shape: [4]}}
blocks:
  a: {inputs: {x: {}}, nodes: {n: {block: b, from: x}}, outputs: {y: n}}
  b: {inputs: {x: {}}, nodes: {n: {block: a, from: x}}, outputs: {y: n}}
nodes:
  y: {block: a, from: nowhere}
  z: {layer: Dense, from: x, units: -1.5}
outputs: {y: y}
"""
    )
    plan, diagnostics = run_passes(cyclic, Options())
    found = {d.code for d in diagnostics}
    # the argument check runs whatever else is wrong; the block cycle stops the rest (no GS201)
    assert plan is None and "GS204" in found and "GS201" not in found
    assert any(code.group is Group.ARGUMENTS for code in found)


def test_a_heads_upstream_and_its_parameters(plan: Plan) -> None:
    """The head reads `both`, which reads everything but the pruned `spare`; its parameters
    are those of the nodes it depends on (the shared tower's weights once, at `t1`)."""
    upstream = plan.head_upstream("out")
    assert upstream == {"x", "a", "b", "c", "t1", "t2", "both"}
    trainable, non_trainable = plan.parameters_of(upstream)
    assert trainable == plan.trainable and non_trainable == plan.non_trainable == 0
    assert plan.parameters_of(["x", "spare"]) == (0, 0)  # an input and a pruned node count nothing
    assert plan.parameters_of(["t1"]) == (plan.static["t1"].trainable, 0)
    assert plan.parameters_of(["t2"]) == (0, 0)
