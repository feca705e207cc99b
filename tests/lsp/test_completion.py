"""Completion where a spec's author types it, in this process (the server calls the same
function): `call:` arguments, a block's parameters under `with:` of a node or a shared entry,
the arguments of a layer in a `sequence` written over lines, references in JSON."""

from __future__ import annotations

import json

import pytest
from lsprotocol import types

from graphspec.lsp.completion import completion
from graphspec.lsp.document import Document, analyse_text
from graphspec.settings import Options
from tests.lsp.test_server import SPEC

OPTIONS = Options()
NODES = ["image", "first", "first.y", "flat", "logits"]
"""What the demo spec's top-level `from:` may name (every input and node but `unused`)."""
FULL = "  unused: {layer: Dense, from: flat, units: 3}\n"


def document_of(text: str, file: str = "/specs/demo.yaml") -> Document:
    document = Document("file://" + file, file)
    document.record(analyse_text(text, file, OPTIONS))
    return document


@pytest.fixture(scope="module")
def demo() -> Document:
    return document_of(SPEC)


def items_at(document: Document, text: str) -> list[types.CompletionItem]:
    """The items offered at the `‸` in `text` (the marker removed)."""
    index = text.index("‸")
    text = text.replace("‸", "")
    line = text.count("\n", 0, index)
    column = index - (text.rfind("\n", 0, index) + 1)
    return completion(document, text, types.Position(line, column), OPTIONS)


def labels_at(document: Document, text: str) -> list[str]:
    return [item.label for item in items_at(document, text)]


def typed(node: str) -> str:
    """The demo spec with its `unused` node rewritten as `node` (a `‸` marks the cursor)."""
    assert FULL in SPEC
    return SPEC.replace(FULL, node)


@pytest.mark.parametrize(
    "node",
    [
        "  unused: {layer: MultiHeadAttention, num_heads: 2, key_dim: 2, call: {query: ‸",
        "  unused: {layer: MultiHeadAttention, call: {query: flat, value: f‸}}\n",
        "  unused:\n    layer: MultiHeadAttention\n    call:\n      query: ‸\n",
        "  unused:\n    layer: Add\n    call:\n      inputs:\n        - flat\n        - ‸\n",
    ],
    ids=["flow", "flow-second", "block", "block-list"],
)
def test_call_arguments_offer_the_scope_tensors(demo: Document, node: str) -> None:
    assert labels_at(demo, typed(node)) == NODES


def test_with_of_a_shared_block_entry_offers_the_block_parameters(demo: Document) -> None:
    text = SPEC.replace(
        "  proj: {layer: Dense, units: 4}\n",
        "  proj: {layer: Dense, units: 4}\n  twice: {block: unit, with: {‸\n",
    )
    assert labels_at(demo, text) == ["width"]


def test_with_over_lines_offers_the_parameters_not_written_now(demo: Document) -> None:
    """The last text that read had `with: {width: 8}`; the author rewrote the node over lines
    and has not written `width` yet: it is offered."""
    rewritten = "  first:\n    block: unit\n    from: image\n    with:\n      w‸\n"
    text = SPEC.replace("  first: {block: unit, from: image, with: {width: 8}}\n", rewritten)
    assert labels_at(demo, text) == ["width"]
    written = rewritten.replace("      w‸\n", "      width: 4\n      ‸\n")
    text = SPEC.replace("  first: {block: unit, from: image, with: {width: 8}}\n", written)
    assert labels_at(demo, text) == []


@pytest.mark.parametrize(
    "node",
    [
        "  unused:\n    from: flat\n    sequence:\n      - layer: Dense\n        un‸\n",
        "  unused:\n    from: flat\n    sequence:\n      - {layer: Dense, un‸}\n",
    ],
    ids=["block", "flow"],
)
def test_a_layer_in_a_sequence_offers_its_arguments_and_name(demo: Document, node: str) -> None:
    labels = labels_at(demo, typed(node))
    assert "units" in labels and "activation" in labels and "name" in labels
    assert "layer" not in labels and "from" not in labels and "call" not in labels


def test_a_second_layer_in_a_sequence_offers_its_own_arguments(demo: Document) -> None:
    node = (
        "  unused:\n    from: flat\n    sequence:\n      - layer: Dense\n        units: 3\n"
        "      - layer: Dropout\n        ‸\n"
    )
    labels = labels_at(demo, typed(node))
    assert "rate" in labels and "units" not in labels


JSON_SPEC = json.dumps(
    {
        "graphspec": 1,
        "name": "j",
        "inputs": {"x": {"shape": [4]}},
        "nodes": {
            "d": {"layer": "Dense", "from": "x", "units": 4},
            "e": {"op": "add", "from": ["x", "d"]},
        },
        "outputs": {"y": "e"},
    },
    indent=2,
)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ('"from": "x', '"from": "‸x', ["x", "e"]),  # in d: every tensor but d itself
        ('"from": [\n        "x"', '"from": [\n        "‸x"', ["x", "d"]),  # in e
    ],
    ids=["value", "list-item"],
)
def test_json_references_are_completed(before: str, after: str, expected: list[str]) -> None:
    document = document_of(JSON_SPEC, "/specs/demo.json")
    assert labels_at(document, JSON_SPEC.replace(before, after, 1)) == expected


def test_json_layer_names_are_completed() -> None:
    document = document_of(JSON_SPEC, "/specs/demo.json")
    labels = labels_at(document, JSON_SPEC.replace('"layer": "Dense"', '"layer": "Den‸se"'))
    assert "Dense" in labels and "Conv2D" in labels


def test_references_offered_show_their_shapes(demo: Document) -> None:
    """At the top level each input, node and block output offered comes with its static
    shape (from the last version without errors); inside a block, shapes are per instance,
    so none is shown."""
    text = typed("  unused: {layer: Dense, from: ‸\n")
    assert {item.label: item.detail for item in items_at(demo, text)} == {
        "image": "input (None, 8, 8, 1)",
        "first": "node (None, 8, 8, 8)",
        "first.y": "output (None, 8, 8, 8)",
        "flat": "node (None, 512)",
        "logits": "node (None, 4)",
    }
    inside = SPEC.replace("act: {layer: ReLU, from: conv}", "act: {layer: ReLU, from: ‸}")
    assert {item.label: item.detail for item in items_at(demo, inside)} == {
        "x": "input",
        "conv": "node",
    }


@pytest.mark.parametrize(
    ("node", "written"),
    [
        ("  unused: {layer: Dense, from: first.‸}\n", "first."),
        ("  unused: {layer: Dense, from: [image, fl‸]}\n", "fl"),
        ("  unused: {layer: Den‸}\n", "Den"),
        ("  unused: {layer: Dense, from: ‸}\n", ""),
    ],
    ids=["dotted", "list", "layer", "nothing-typed"],
)
def test_a_value_item_replaces_what_is_typed_of_the_name(
    demo: Document, node: str, written: str
) -> None:
    """Editors end a word at a dot: without an edit of its own, `first.y` chosen after
    `first.` would be inserted after the dot, giving `first.first.y`."""
    items = items_at(demo, typed(node))
    assert items
    line = node.replace("‸", "").rstrip("\n")
    cursor = node.index("‸")
    for item in items:
        assert isinstance(item.text_edit, types.TextEdit)
        where = item.text_edit.range
        assert (where.start.character, where.end.character) == (cursor - len(written), cursor)
        assert line[where.start.character : where.end.character] == written
        assert item.text_edit.new_text == item.label


@pytest.mark.parametrize(
    "entry",
    [
        "  proj: {layer: Dense, un‸}\n",
        "  proj:\n    layer: Dense\n    ‸\n",
    ],
    ids=["flow", "block"],
)
def test_a_shared_layer_offers_its_arguments_only(demo: Document, entry: str) -> None:
    """A shared entry is a layer and its arguments: no `from`, `name` or `call` (a node's)."""
    labels = labels_at(demo, SPEC.replace("  proj: {layer: Dense, units: 4}\n", entry))
    assert "units" in labels and "activation" in labels
    assert not {"from", "name", "call"} & set(labels)


def test_a_layer_node_is_not_offered_the_arguments_a_spec_never_writes(demo: Document) -> None:
    """`name`, `input_shape`, `batch_size`... are Keras arguments a spec may not write
    (GS302): offering them led straight to an error."""
    labels = labels_at(demo, typed("  unused: {layer: Dense, from: flat, ‸}\n"))
    assert "units" in labels and "call" in labels
    assert not {"name", "input_shape", "input_dim", "batch_size", "weights"} & set(labels)
