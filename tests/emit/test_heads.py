"""Heads are named after themselves whatever their node's form: `model.output_names` are the
heads in declaration order, so losses, loss weights and metrics keyed by head always match."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import graphspec

# One head per node form, and the cases where the final layer is not the head's to rename:
# a shared layer used twice, a shared block, a node read by two heads, a head on an input
# (`same` is named like its input, so it is that Input),
# one output of a two-output block. `other` renames the last item of a sequence named
# otherwise; `named` one with an explicit item name; `blkr` a repeated block.
EVERY_FORM = """\
graphspec: 1
name: every_form
inputs:
  x: {shape: [4]}
  raw: {shape: [4]}
  same: {shape: [2]}
shared:
  sh: {layer: Dense, units: 4}
  tower: {block: pair, with: {units: 2}}
blocks:
  pair:
    params: {units: 2}
    inputs: {i: {}}
    nodes:
      h: {layer: Dense, from: i, units: "${units}"}
    outputs: {o: h}
  split:
    inputs: {i: {}}
    nodes:
      left: {layer: Dense, from: i, units: 2}
      right: {layer: Dense, from: i, units: 3}
    outputs: {l: left, r: right}
nodes:
  lay: {layer: Dense, from: x, units: 4}
  seq: {sequence: [{layer: Dense, units: 3}, {layer: Dense, units: 4}], from: x}
  seq2: {sequence: [{layer: Dense, units: 3}, {layer: Dense, units: 2}], from: x}
  seq3: {sequence: [{layer: Dense, units: 3}, {layer: Dense, name: last, units: 2}], from: x}
  blk: {block: pair, from: x}
  blkr: {block: pair, from: x, repeat: 2}
  two: {block: split, from: x}
  u1: {use: sh, from: x}
  u2: {use: sh, from: lay}
  t1: {use: tower, from: x}
  o: {op: add, from: [lay, seq]}
  e: {expr: "a * 2.0", from: {a: lay}}
outputs:
  lay: {from: lay, loss: mse}
  seq: {from: seq, loss: mse}
  other: {from: seq2, loss: mse}
  named: {from: seq3, loss: mse}
  blk: {from: blk, loss: mse}
  blkr: {from: blkr, loss: mse}
  two_r: {from: two.r, loss: mse}
  u1: {from: u1, loss: mse}
  u2: {from: u2, loss: mse}
  t1: {from: t1, loss: mse}
  o: {from: o, loss: mse}
  e2: {from: e, loss: mse}
  e: {from: e, loss: mse, loss_weight: 0.5}
  raw_copy: {from: raw, loss: mse}
  same: {from: same, loss: mse}
compile:
  optimizer: sgd
"""

# The cases: a head on a sequence keeps its own name.
SEQUENCE_HEADS = """\
graphspec: 1
name: sequence_heads
inputs:
  x: {shape: [3]}
nodes:
  a: {sequence: [{layer: Dense, units: 4}, {layer: Dense, units: 2, activation: softmax}], from: x}
  b: {sequence: [{layer: Dense, units: 4}, {layer: Dense, units: 1}], from: x}
outputs:
  a: {from: a, loss: categorical_crossentropy, metrics: [accuracy]}
  b: {from: b, loss: mse}
compile:
  optimizer: adam
"""

ONE_SEQUENCE_HEAD = """\
graphspec: 1
name: autoencoder
inputs:
  image: {shape: [6]}
nodes:
  decoded: {sequence: [{layer: Dense, units: 2}, {layer: Dense, units: 6}], from: image}
outputs:
  decoded: {from: decoded, loss: mse}
"""


def targets(model: Any, batch: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        name: rng.random((batch, *tensor.shape[1:]), dtype=np.float32)
        for name, tensor in zip(model.output_names, model.outputs, strict=True)
    }


def inputs(model: Any, batch: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    return {t.name: rng.random((batch, *t.shape[1:]), dtype=np.float32) for t in model.inputs}


@pytest.fixture(scope="module")
def every_form(keras: Any) -> Any:
    return graphspec.build(graphspec.loads(EVERY_FORM, name="every_form.yaml"))


def test_output_names_are_the_heads_in_order(every_form: Any) -> None:
    heads = list(graphspec.loads(EVERY_FORM).outputs)
    assert every_form.output_names == heads


def test_a_head_renames_the_final_layer_it_owns(every_form: Any, keras: Any) -> None:
    names = [layer.name for layer in every_form.layers]
    # sequences: the last item is the head, the others keep their names
    assert {"seq_1", "seq", "seq2_1", "other", "seq3_1", "named"} <= set(names)
    assert "last" not in names and "seq_2" not in names and "seq2_2" not in names
    # blocks: the nested model is the head (a repeated block's last instance)
    assert isinstance(every_form.get_layer("blk"), keras.Model)
    assert isinstance(every_form.get_layer("blkr"), keras.Model)
    assert "blkr_1" in names
    # of two heads on one node, the one named like its layer keeps it; the other is an Identity
    assert "e" in [op.name for op in every_form.operations]  # keras.ops calls, not a layer
    assert isinstance(every_form.get_layer("e2"), keras.layers.Identity)


def test_heads_that_cannot_rename_get_an_identity(every_form: Any, keras: Any) -> None:
    for head in ("u1", "u2", "t1", "two_r", "raw_copy"):
        assert isinstance(every_form.get_layer(head), keras.layers.Identity), head
    assert isinstance(every_form.get_layer("same"), keras.layers.InputLayer)
    # the shared layer keeps its entry's name and is called twice
    assert len(every_form.get_layer("sh")._inbound_nodes) == 2


# the block `split`'s output `l` is read by no head: its Dense gets no gradient (by design)
@pytest.mark.filterwarnings("ignore:Gradients do not exist:UserWarning")
def test_losses_keyed_by_head_compile_and_train(every_form: Any) -> None:
    plan = graphspec.check(graphspec.loads(EVERY_FORM)).plan
    assert plan is not None
    from graphspec.train.compile import compile_model

    assert compile_model(every_form, plan) == []
    x, y = inputs(every_form, 2), targets(every_form, 2)
    logs = every_form.train_on_batch(x, y, return_dict=True)
    assert {f"{head}_loss" for head in every_form.output_names} <= set(logs)
    assert np.isfinite(logs["loss"])


@pytest.mark.parametrize("text", [SEQUENCE_HEADS, ONE_SEQUENCE_HEAD], ids=["two", "one"])
def test_heads_on_sequences_take_losses_by_head(text: str, keras: Any) -> None:
    spec = graphspec.loads(text)
    model = graphspec.build(spec)
    heads = list(spec.outputs)
    assert model.output_names == heads
    model.compile(optimizer="adam", loss={head: "mse" for head in heads})
    x, y = inputs(model, 2), targets(model, 2)
    if len(heads) == 1:  # Keras takes dict targets only for several outputs
        (y,) = y.values()
    assert np.isfinite(model.train_on_batch(x, y, return_dict=True)["loss"])
    assert np.isfinite(model.evaluate(x, y, verbose=0, return_dict=True)["loss"])


def head_errors(text: str) -> list[tuple[str, int | None]]:
    report = graphspec.check(graphspec.loads(text, name="heads.yaml"))
    return [(str(d.code), d.location.line) for d in report.diagnostics]


HEADER = "graphspec: 1\nname: t\ninputs:\n  x: {shape: [4]}\nnodes:\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # the fixture's case: a head named like another node's layer
        (
            "  hidden: {layer: Dense, from: x, units: 4}\n"
            "  logits: {layer: Dense, from: hidden, units: 2}\n"
            "outputs:\n  hidden: logits\n",
            [("GS210", 9)],
        ),
        # like a sequence item's generated name
        (
            "  s: {sequence: [{layer: Dense, units: 3}, {layer: Dense, units: 2}], from: x}\n"
            "  d: {layer: Dense, from: s, units: 2}\n"
            "outputs:\n  s_1: d\n",
            [("GS210", 9)],
        ),
        # like a repeated block's last instance, which is named after its node
        (
            "  r: {block: b, from: x, repeat: 2}\n"
            "  d: {layer: Dense, from: r, units: 2}\n"
            "outputs:\n  r: d\n"
            "blocks:\n  b:\n    inputs: {i: {}}\n"
            "    nodes: {h: {layer: Dense, from: i, units: 4}}\n"
            "    outputs: {o: h}\n",
            [("GS210", 9)],
        ),
        # like an input it does not read: an Identity of that name would clash with it
        ("  d: {layer: Dense, from: x, units: 2}\noutputs:\n  x: d\n", [("GS210", 8)]),
        # like the input it reads: the head is the Input itself
        ("  d: {layer: Dense, from: x, units: 2}\noutputs:\n  x: x\n  d: d\n", []),
        # a name freed by a rename is free: `a` renames d's layer, so `d` may rename e's
        (
            "  d: {layer: Dense, from: x, units: 2}\n"
            "  e: {layer: Dense, from: d, units: 2}\noutputs:\n  a: d\n  d: e\n",
            [],
        ),
        # of two heads on one node, the node's own name wins; the other is an Identity
        ("  d: {layer: Dense, from: x, units: 2}\noutputs:\n  c: d\n  d: d\n", []),
    ],
    ids=["node", "sequence-item", "repeat", "input", "own-input", "freed", "two-heads"],
)
def test_head_name_taken(body: str, expected: list[tuple[str, int]]) -> None:
    assert [e for e in head_errors(HEADER + body) if e[0] == "GS210"] == expected


def test_two_heads_on_one_node_plan() -> None:
    text = HEADER + "  d: {layer: Dense, from: x, units: 2}\noutputs:\n  c: d\n  d: d\n"
    plan = graphspec.check(graphspec.loads(text)).plan
    assert plan is not None and plan.head_layers == {"d": "d"}
