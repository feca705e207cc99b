"""spec.write: any Spec printed as the YAML a person writes, and read back unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphspec.pipeline import load, loads
from graphspec.spec.model import Block, Spec
from graphspec.spec.write import WRITTEN_FIELDS, write_spec
from tests.conftest import spec_files


def rewrite(text: str) -> str:
    """Write the spec of ``text``; check the written text reads back as an equal spec."""
    spec = loads(text)
    written = write_spec(spec)
    again = loads(written, "<written>")
    assert again.model_dump(by_alias=True) == spec.model_dump(by_alias=True)
    return written


@pytest.mark.parametrize("path", spec_files(), ids=lambda p: p.name)
def test_every_example_spec_reads_back_equal_and_writes_the_same_twice(path: Path) -> None:
    spec = load(path)
    written = write_spec(spec)
    again = loads(written, f"<{path.name} written>")
    assert again.model_dump(by_alias=True) == spec.model_dump(by_alias=True)
    assert write_spec(again) == written


def test_the_layout_people_write() -> None:
    text = """\
graphspec: 1
name: tiny
inputs:
  x: {dtype: float32, shape: [4]}
nodes:
  hidden:
    sequence:
      - {units: 8, layer: Dense, activation: relu, name: first}
      - {layer: Dropout, rate: 0.1}
    from: [x]
  y: {from: hidden, units: 2, layer: Dense}
outputs:
  y: {from: y}
"""
    assert write_spec(loads(text), "Made by hand.\n\nSecond line.") == (
        "# Made by hand.\n"
        "#\n"
        "# Second line.\n"
        "graphspec: 1\n"
        "name: tiny\n"
        "inputs:\n"
        "  x: {shape: [4]}\n"
        "nodes:\n"
        "  hidden:\n"
        "    from: x\n"
        "    sequence:\n"
        "      - {layer: Dense, name: first, units: 8, activation: relu}\n"
        "      - {layer: Dropout, rate: 0.1}\n"
        "  y: {layer: Dense, from: hidden, units: 2}\n"
        "outputs:\n"
        "  y: y\n"
    )


def test_every_field_of_a_spec_and_a_block_is_written() -> None:
    """A field added to the language must be added to the writer, or it would be dropped."""
    assert set(WRITTEN_FIELDS[Spec]) == set(Spec.model_fields)
    assert set(WRITTEN_FIELDS[Block]) == set(Block.model_fields)


# --------------------------------------------------------------------------- node forms

HEAD = """\
graphspec: 1
name: forms
inputs:
  a: {shape: [4]}
  b: {shape: [4], dtype: int32}
"""


def nodes_of(written: str) -> list[str]:
    lines = written.splitlines()
    return lines[lines.index("nodes:") + 1 : lines.index("outputs:")]


def test_layer_node_keeps_its_arguments_in_order_and_from_shorthand() -> None:
    written = rewrite(
        HEAD
        + "nodes:\n"
        + "  c: {layer: Concatenate, from: [a, b], axis: -1}\n"
        + "  d: {layer: Dense, from: [c], use_bias: false, units: 3, kernel_size: [3, 1]}\n"
        + "outputs: {d: d}\n"
    )
    assert nodes_of(written) == [
        "  c: {layer: Concatenate, from: [a, b], axis: -1}",
        "  d: {layer: Dense, from: c, use_bias: false, units: 3, kernel_size: [3, 1]}",
    ]
    assert "  b: {shape: [4], dtype: int32}" in written


def test_op_and_expr_nodes() -> None:
    written = rewrite(
        HEAD
        + "nodes:\n"
        + "  s: {op: add, from: [a, a], normalize: false, axis: null}\n"
        + "  t: {op: dot, from: [a, s], axes: [1, 1], normalize: true}\n"
        + '  u: {expr: "(x + y) / 2", from: {x: s, y: t}}\n'
        + "outputs: {u: u}\n"
    )
    assert nodes_of(written) == [
        "  s: {op: add, from: [a, a]}",
        "  t: {op: dot, from: [a, s], axes: [1, 1], normalize: true}",
        "  u: {expr: (x + y) / 2, from: {x: s, y: t}}",
    ]


def test_shared_entries_blocks_params_with_and_repeat() -> None:
    written = rewrite(
        HEAD
        + "shared:\n"
        + "  enc: {layer: Dense, units: 4}\n"
        + "  tower: {block: unit, with: {units: 2}}\n"
        + "  plain: {block: unit, with: {}}\n"
        + "blocks:\n"
        + "  unit:\n"
        + "    params: {units: 4}\n"
        + "    inputs: {x: null, y: {shape: [4], dtype: float32}}\n"
        + "    nodes:\n"
        + "      h: {layer: Dense, from: x, units: '${units}'}\n"
        + "    outputs: {out: h, raw: x}\n"
        + "nodes:\n"
        + "  e1: {use: enc, from: a}\n"
        + "  e2: {use: enc, from: [e1]}\n"
        + "  t1: {use: tower, from: [e1, e2]}\n"
        + "  r: {block: unit, from: [e2, e1], with: {units: 3}, repeat: 2}\n"
        + "  once: {block: unit, from: [e2, e1], with: {}, repeat: 1}\n"
        + "outputs: {r: r.out, t1: t1.raw}\n"
    )
    lines = written.splitlines()
    shared = lines.index("shared:")
    assert lines[shared : shared + 4] == [
        "shared:",
        "  enc: {layer: Dense, units: 4}",
        "  tower: {block: unit, with: {units: 2}}",
        "  plain: {block: unit}",
    ]
    blocks = lines.index("blocks:")
    assert lines[blocks : blocks + 7] == [
        "blocks:",
        "  unit:",
        "    params: {units: 4}",
        "    inputs: {x: {}, y: {shape: [4], dtype: float32}}",
        "    nodes:",
        "      h: {layer: Dense, from: x, units: '${units}'}",
        "    outputs: {out: h, raw: x}",
    ]
    assert nodes_of(written) == [
        "  e1: {use: enc, from: a}",
        "  e2: {use: enc, from: e1}",
        "  t1: {use: tower, from: [e1, e2]}",
        "  r: {block: unit, from: [e2, e1], with: {units: 3}, repeat: 2}",
        "  once: {block: unit, from: [e2, e1]}",
    ]
    assert lines[-3:] == ["outputs:", "  r: r.out", "  t1: t1.raw"]


def test_a_block_without_nodes_and_a_spec_without_nodes() -> None:
    written = rewrite(
        HEAD
        + "blocks:\n"
        + "  identity: {inputs: {x: {}}, outputs: {y: x}}\n"
        + "nodes: {}\n"
        + "outputs: {a: a}\n"
    )
    assert "nodes:" not in written
    assert "  identity:\n    inputs: {x: {}}\n    outputs: {y: x}\n" in written


def test_sequence_reading_several_tensors() -> None:
    written = rewrite(
        HEAD
        + "nodes:\n"
        + "  s:\n"
        + "    from: [a, b]\n"
        + "    sequence: [{layer: Concatenate}, {layer: Dense, units: 2, name: dense_out}]\n"
        + "outputs: {s: s}\n"
    )
    assert nodes_of(written) == [
        "  s:",
        "    from: [a, b]",
        "    sequence:",
        "      - {layer: Concatenate}",
        "      - {layer: Dense, name: dense_out, units: 2}",
    ]


# --------------------------------------------------------------------------- sections


def test_heads_with_training_settings_and_compile() -> None:
    written = rewrite(
        HEAD
        + "unreachable: error\n"
        + "nodes:\n"
        + "  p: {layer: Dense, from: a, units: 1}\n"
        + "outputs:\n"
        + "  p: {from: p, loss: mse, loss_weight: 0.5, metrics: [mae]}\n"
        + "  raw: {from: a, metrics: []}\n"
        + "compile: {optimizer: {name: adam}}\n"
    )
    assert written.endswith(
        "outputs:\n"
        "  p: {from: p, loss: mse, loss_weight: 0.5, metrics: [mae]}\n"
        "  raw: a\n"
        "compile:\n"
        "  optimizer: adam\n"
    )
    assert "name: forms\nunreachable: error\ninputs:\n" in written
    with_arguments = rewrite(
        HEAD + "outputs: {a: a}\ncompile: {optimizer: {name: SGD, learning_rate: 0.1}}\n"
    )
    assert with_arguments.endswith("compile:\n  optimizer: {name: SGD, learning_rate: 0.1}\n")


def test_defaults_are_left_out() -> None:
    written = rewrite(
        HEAD.replace("name: forms", 'name: forms\ndescription: ""\nunreachable: warning')
        + "outputs: {a: {from: a, metrics: []}}\n"
    )
    assert "description" not in written and "unreachable" not in written
    assert written.endswith("outputs:\n  a: a\n")


def test_descriptions_short_long_and_unfoldable() -> None:
    short = rewrite(
        HEAD.replace("name: forms", "name: forms\ndescription: Two inputs.") + "outputs: {a: a}\n"
    )
    assert "\ndescription: Two inputs.\n" in short
    words = " ".join(f"word{i}" for i in range(40))
    long = rewrite(
        HEAD.replace("name: forms", f"name: forms\ndescription: {words}") + "outputs: {a: a}\n"
    )
    lines = long.splitlines()
    start = lines.index("description: >-")
    folded = lines[start + 1 : lines.index("inputs:")]
    assert len(folded) > 1 and all(line.startswith("  ") and len(line) <= 80 for line in folded)
    spaced = '"' + words.replace("word3 ", "word3  ") + '\\nlast line"'
    kept = rewrite(
        HEAD.replace("name: forms", f"name: forms\ndescription: {spaced}") + "outputs: {a: a}\n"
    )
    assert ">-" not in kept
    assert len(kept.splitlines()) == len(short.splitlines())  # on one line, escaped


# --------------------------------------------------------------------------- scalars and keys


@pytest.mark.parametrize(
    "value",
    ["1e3", "0o17", "0129", "1.5E3", "null", "true", "on", "", " padded ", "two\nlines", "a: b"],
)
def test_strings_read_back_as_the_same_string_on_one_line(value: str) -> None:
    """Quoted where graphspec's YAML 1.2 reader would read another value; never folded."""
    note = json.dumps(value)  # a JSON string is a YAML double-quoted scalar
    node = f"{{layer: Dense, from: a, units: 2, note: {note}}}"
    written = rewrite(HEAD + f"nodes:\n  d: {node}\noutputs: {{d: d}}\n")
    assert len(nodes_of(written)) == 1
    assert loads(written).nodes["d"].model_dump()["note"] == value


def test_names_yaml_would_read_as_other_values_are_quoted() -> None:
    written = rewrite(
        HEAD
        + "nodes:\n"
        + "  'null': {layer: Dense, from: a, units: 2}\n"
        + "  'True': {layer: Dense, from: 'null', units: 2}\n"
        + "  on: {layer: Dense, from: 'True', units: 2}\n"
        + "outputs: {'on': 'on'}\n"
    )
    assert nodes_of(written) == [
        "  'null': {layer: Dense, from: a, units: 2}",
        "  'True': {layer: Dense, from: 'null', units: 2}",
        "  on: {layer: Dense, from: 'True', units: 2}",
    ]
