"""parse_spec says what to write, in graphspec's words, where pydantic would say what it got."""

from __future__ import annotations

import pytest

from graphspec.read.source import load_text
from graphspec.spec.parse import parse_spec
from tests.conftest import FIXTURES

INVALID = FIXTURES / "invalid"


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        (
            "block_inputs_as_list",
            "'blocks.mlp.inputs': block inputs are a mapping of name to {shape: ...}: "
            "write inputs: {h: {}}",
        ),
        (
            "block_outputs_with_from",
            "'blocks.mlp.outputs.y': block outputs map a name to a reference: "
            "write outputs: {y: d}",
        ),
        ("expr_from_list", "'nodes.mean.from': expr binds names: write from: {a: x, b: y}"),
        ("shape_none_string", "'inputs.x.shape[0]': write null, not None"),
        ("shape_tuple_string", "'inputs.x.shape': write [16, 8], not (16, 8)"),
    ],
)
def test_common_mistakes_get_the_form_to_write(fixture: str, message: str) -> None:
    path = INVALID / f"{fixture}.yaml"
    tree, problems = load_text(path.read_text(encoding="utf-8"), str(path))
    assert tree is not None, problems
    spec, diagnostics = parse_spec(tree)
    assert spec is None
    assert [d.message for d in diagnostics] == [message]


_BASE = "graphspec: 1\nname: s\ninputs:\n  x: {shape: [8]}\noutputs:\n  out: x\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            _BASE.replace("{shape: [8]}", "{shape: 8}"),
            "'inputs.x.shape': expected a list (received 8)",
        ),
        (_BASE.replace("{shape: [8]}", "{shape: [8.5]}"), "expected an integer"),
        (_BASE.replace("{shape: [8]}", "{shape: [0]}"), "expected a number ≥ 1 (received 0)"),
        (_BASE.replace("{shape: [8]}", "[8]"), "'inputs.x': expected a mapping (received [8])"),
        (
            _BASE + "blocks:\n  b:\n    inputs: {h: [4]}\n    nodes: {}\n    outputs: {y: h}\n",
            "write inputs: {h: {shape: [4]}}",
        ),
        (
            _BASE + "blocks:\n  b:\n    inputs: {h: {}}\n    nodes: {}\n    outputs: [h]\n",
            "block outputs map a name to a reference: write outputs: {y: h}",
        ),
        (
            _BASE + "blocks:\n  b:\n    inputs: {h: {}}\n    nodes: {}\n    outputs: []\n",
            "'blocks.b.outputs': expected a mapping (received [])",
        ),
        (
            _BASE + "blocks:\n  b:\n    inputs: {h: {}}\n    nodes: {}\n    outputs: {y: {a: h}}\n",
            "'blocks.b.outputs.y': expected a string",
        ),
    ],
    ids=[
        "scalar-shape",
        "float-dim",
        "zero-dim",
        "input-as-list",
        "block-input-shape",
        "block-outputs-list",
        "block-outputs-empty",
        "block-output-mapping-without-from",
    ],
)
def test_no_pydantic_wording_reaches_the_user(text: str, message: str) -> None:
    tree, problems = load_text(text, "spec.yaml")
    assert tree is not None, problems
    _, diagnostics = parse_spec(tree)
    assert diagnostics
    assert any(message in d.message for d in diagnostics), [d.message for d in diagnostics]
    for diagnostic in diagnostics:
        assert "Input should" not in diagnostic.message
        assert "valid dictionary" not in diagnostic.message
