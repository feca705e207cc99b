"""Names beyond nodes and inputs, in this process (the server calls the same functions): the
names an `expr` node binds (hover, definition, references, rename) and a block parameter
given per repeat by `each:` (renamed with the parameter)."""

from __future__ import annotations

import pytest
from lsprotocol import types

from graphspec.lsp import features
from graphspec.lsp.document import Document, analyse_text
from graphspec.settings import Options
from tests.conftest import SPECS

SPEC = """\
graphspec: 1.1
name: names
inputs:
  x: {shape: [4]}
  y: {shape: [4]}
blocks:
  unit:
    params: {units: 4}
    inputs: {h: {}}
    nodes:
      d: {layer: Dense, from: h, units: "${units}"}
      e: {expr: "sqrt(a * a)", from: {a: d}}
    outputs: {out: e}
nodes:
  s: {op: add, from: [x, y]}
  m: {expr: "a * 2 + abs(b) + mean(a, axis=-1, keepdims=true)", from: {a: s, b: y}}
  r: {block: unit, from: m, repeat: 2, each: {units: [4, 4]}}
outputs:
  o: r.out
"""


@pytest.fixture(scope="module")
def document() -> Document:
    document = Document("file:///specs/names.yaml", "/specs/names.yaml")
    analysis = analyse_text(SPEC, document.file, Options())
    assert analysis.plan is not None, analysis.report.diagnostics
    document.record(analysis)
    return document


def at(needle: str, offset: int = 0) -> types.Position:
    index = SPEC.index(needle) + offset
    line = SPEC.count("\n", 0, index)
    return types.Position(line, index - (SPEC.rfind("\n", 0, index) + 1))


def text_of(where: types.Range) -> str:
    assert where.start.line == where.end.line
    return SPEC.splitlines()[where.start.line][where.start.character : where.end.character]


def spots(locations: list[types.Location]) -> list[tuple[int, int]]:
    return [(place.range.start.line, place.range.start.character) for place in locations]


@pytest.mark.parametrize(
    "where", [at('"a * 2', 1), at("{a: s", 1), at("mean(a", 5)], ids=["use", "key", "argument"]
)
def test_hover_on_an_expression_name_says_what_it_is_bound_to(
    document: Document, where: types.Position
) -> None:
    hover = features.hover(document, where, Options())
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "**expression name** `a` of `m` ← `s`" in hover.contents.value
    assert "shape: `(None, 4)`" in hover.contents.value
    assert text_of(hover.range) == "a"


def test_an_expression_name_goes_to_its_binding_and_finds_its_uses(document: Document) -> None:
    definition = features.definition(document, at('"a * 2', 1))
    assert spots(definition) == [(at("{a: s", 1).line, at("{a: s", 1).character)]
    uses = features.references(document, at("{a: s", 1), include_declaration=True)
    line = at("{a: s").line
    assert [text_of(place.range) for place in uses] == ["a"] * 3
    assert {place.range.start.line for place in uses} == {line}
    # `abs`, `mean`, `axis`, `keepdims` and `true` are not names of the expression
    assert len(features.references(document, at("abs(b", 4), include_declaration=True)) == 2


def test_an_expression_name_inside_a_block_is_indexed_too(document: Document) -> None:
    uses = features.references(document, at("{a: d", 1), include_declaration=True)
    assert [text_of(place.range) for place in uses] == ["a", "a", "a"]


def test_renaming_an_expression_name_edits_its_binding_and_uses_only(document: Document) -> None:
    edit = features.rename(document, SPEC, at("{a: s", 1), "u")
    assert edit is not None and edit.changes is not None
    lines = SPEC.splitlines()
    for change in edit.changes[document.uri]:
        row = change.range.start.line
        lines[row] = (
            lines[row][: change.range.start.character]
            + change.new_text
            + lines[row][change.range.end.character :]
        )
    renamed = "\n".join(lines) + "\n"
    assert '{expr: "u * 2 + abs(b) + mean(u, axis=-1, keepdims=true)", from: {u: s, b: y}}' in (
        renamed
    )
    assert '{expr: "sqrt(a * a)", from: {a: d}}' in renamed  # another node's `a`
    assert analyse_text(renamed, "/specs/names.yaml", Options()).plan is not None


def test_renaming_a_block_parameter_renames_its_each_key(document: Document) -> None:
    edit = features.rename(document, SPEC, at("units: 4}", 0), "width")
    assert edit is not None and edit.changes is not None
    assert sorted(text_of(change.range) for change in edit.changes[document.uri]) == [
        "units",
        "units",
        "units",
    ]
    each = at("units: [4")
    assert (each.line, each.character) in [
        (change.range.start.line, change.range.start.character)
        for change in edit.changes[document.uri]
    ]


HEADS = """\
graphspec: 1.1
name: two_heads
inputs:
  x: {shape: [4]}
nodes:
  a: {layer: Dense, from: x, units: 3, activation: softmax}
  b: {layer: Dense, from: x, units: 1}
outputs:
  digit: {from: a, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
  size: {from: b, loss: mse}
compile: {optimizer: adam}
training:
  epochs: 2
  monitor: val_digit_accuracy
  callbacks:
    - {name: EarlyStopping, monitor: size_loss, patience: 2}
"""


def test_renaming_a_head_renames_it_in_the_monitored_values() -> None:
    """`monitor: val_digit_accuracy` names the head `digit`: renamed with it, or the spec
    would monitor a value the model no longer logs (GS327)."""
    document = Document("file:///specs/heads.yaml", "/specs/heads.yaml")
    analysis = analyse_text(HEADS, document.file, Options())
    assert analysis.plan is not None and not analysis.report.diagnostics
    document.record(analysis)
    lines = HEADS.splitlines()
    monitor = types.Position(13, lines[13].index("digit") + 1)
    hover = features.hover(document, monitor, Options())
    assert hover is not None and "**head** `digit`" in str(hover.contents)
    renamed = HEADS
    for old, new, where in [("digit", "label", monitor), ("size", "extent", None)]:
        position = where or types.Position(9, 3)
        edit = features.rename(document, renamed, position, new)
        assert edit is not None and edit.changes is not None
        assert len(edit.changes[document.uri]) == 2, old  # the head and its monitored value
        rows = renamed.splitlines()
        for change in sorted(
            edit.changes[document.uri], key=lambda c: c.range.start.character, reverse=True
        ):
            row = change.range.start.line
            start, end = change.range.start.character, change.range.end.character
            rows[row] = rows[row][:start] + new + rows[row][end:]
        renamed = "\n".join(rows) + "\n"
        document = Document(document.uri, document.file)
        after = analyse_text(renamed, document.file, Options())
        assert after.plan is not None and not after.report.diagnostics, renamed
        document.record(after)
    assert "monitor: val_label_accuracy" in renamed and "monitor: extent_loss" in renamed


def test_hover_on_a_shared_entry_and_its_uses_says_where_its_weights_count() -> None:
    """A second use of a shared layer has 0 parameters of its own: the hover says why, and
    the entry's hover lists its uses and the weights' count."""
    path = SPECS / "seeds" / "seed002_siamese.yaml"
    text = path.read_text(encoding="utf-8")
    document = Document(path.as_uri(), str(path))
    document.record(analyse_text(text, str(path), Options()))
    lines = text.splitlines()

    def hover_on(needle: str) -> str:
        row = next(i for i, line in enumerate(lines) if line.lstrip().startswith(needle))
        column = lines[row].index(needle) + 1
        found = features.hover(document, types.Position(row, column), Options())
        assert found is not None and isinstance(found.contents, types.MarkupContent)
        return found.contents.value

    entry = hover_on("lstm:")
    assert "used by: `left_output`, `right_output`" in entry
    assert "parameters: 20,608" in entry
    first, second = hover_on("left_output:"), hover_on("right_output:")
    assert "parameters: 20,608" in first and "counted here for its 2 uses" in first
    assert "parameters: 0" in second and "counted once, at `left_output`" in second


def test_hover_on_a_node_of_a_block_says_which_instances_build_it() -> None:
    """The ensemble's `cnn` block is called by cnn1, cnn2 (one instance: the same
    parameters) and cnn3 (pruned: no head reads it, so it builds nothing)."""
    path = SPECS / "seeds" / "seed001_ensemble_pruned.yaml"
    text = path.read_text(encoding="utf-8")
    document = Document(path.as_uri(), str(path))
    document.record(analyse_text(text, str(path), Options()))
    row = next(i for i, line in enumerate(text.splitlines()) if line.startswith("      features:"))
    hover = features.hover(document, types.Position(row, 7), Options())
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "built in: `cnn1`, `cnn2` (classes=10)" in hover.contents.value
    assert "cnn3" not in hover.contents.value
