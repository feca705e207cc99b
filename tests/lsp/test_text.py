"""Ranges, the name index and the completion context, in this process (no server)."""

from __future__ import annotations

import time

import pytest

from graphspec.lsp.completion import ancestors
from graphspec.lsp.document import analyse_text, is_spec
from graphspec.lsp.features import lsp_diagnostics
from graphspec.lsp.index import PARAM, TENSOR, SpecIndex, Target
from graphspec.lsp.text import (
    UTF8,
    UTF16,
    UTF32,
    character_column,
    from_units,
    to_units,
    token_span,
    utf16_column,
)
from graphspec.read.source import load_text, split_lines
from graphspec.settings import Options
from tests.conftest import FIXTURES, ROOT


@pytest.mark.parametrize(
    ("line", "column", "span"),
    [
        ("  a: {layer: Dense, from: x, units: 4}", 27, (0, 26, 0, 27)),  # flow: stops at ','
        ("  a: {layer: Dense, from: x}", 27, (0, 26, 0, 27)),  # flow: stops at '}'
        ("  from: conv_1   # the first", 9, (0, 8, 0, 14)),  # block: before the comment
        ('  units: "${width}"', 10, (0, 9, 0, 19)),  # quoted, with its quotes
        ("  name: 'it''s'", 9, (0, 8, 0, 15)),  # '' inside single quotes
        ("  shape: [28, 28, 1]", 10, (0, 9, 0, 20)),  # a flow list, brackets included
        ("  conv1: {from: x}", 3, (0, 2, 0, 7)),  # a key ends before ': '
        ("  - x", 3, (0, 2, 0, 3)),  # a block list's marker: one character
        ("ab", 9, (0, 2, 0, 2)),  # past the end: empty, at the end
    ],
)
def test_token_span_covers_the_whole_token(
    line: str, column: int, span: tuple[int, int, int, int]
) -> None:
    assert token_span([line], 1, column) == span


def test_token_span_follows_a_flow_mapping_over_lines() -> None:
    lines = ["a: {b: 1,", "   c: [2, '}'],", "   d: 3}", "e: 4"]
    assert token_span(lines, 1, 4) == (0, 3, 2, 8)


def test_columns_convert_to_utf16_and_back() -> None:
    text = "a: 😀 b"
    assert utf16_column(text, 5) == 6
    assert character_column(text, 6) == 5
    assert utf16_column("plain", 3) == 3


def test_index_resolves_references_in_blocks_and_placeholders() -> None:
    text = (ROOT / "specs" / "seeds" / "seed001_ensemble_pruned.yaml").read_text()
    source, problems = load_text(text, "seed.yaml")
    assert source is not None and problems == []
    index = SpecIndex(source)
    lines = split_lines(text)
    row = next(i for i, line in enumerate(lines) if '"${classes}"' in line)
    site = index.at(row, lines[row].index("classes}"))
    assert site is not None and site.target == Target(("blocks", "cnn"), PARAM, "classes")
    declared = index.declaration(site.target)
    assert declared is not None and lines[declared.line].strip().startswith("params:")
    cnn1 = Target((), TENSOR, "cnn1")
    assert [s.declaration for s in index.references(cnn1)] == [True, False]


def test_ancestors_read_the_enclosing_keys_from_indentation() -> None:
    lines = ["blocks:", "  unit:", "    nodes:", "      h:", "        un", "nodes:"]
    assert ancestors(lines, 4, 10) == ["blocks", "unit", "nodes", "h"]
    assert ancestors(["nodes:", "  a: {layer: Dense, "], 1, 20) == ["nodes", "a"]


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("graphspec: 1\nname: a\n", True),
        ("# a comment\n'graphspec' : 1.1\n", True),
        ('{"name": "a", "graphspec": 1}', True),
        ("name: ci\non: push\n", False),
        ("jobs:\n  graphspec: {}\n", False),  # not the top level
        ("\ufeffgraphspec: 1\nname: a\n", True),  # a byte order mark the editor kept
        ('\ufeff{"graphspec": 1}', True),
    ],
)
def test_only_specs_are_checked(text: str, spec: bool) -> None:
    assert is_spec(text) is spec


@pytest.mark.parametrize(
    ("fixture", "code", "underlined"),
    [
        ("unknown_reference.yaml", "GS201", "dense_1"),  # a reference, whole
        ("arg_type_string_number.yaml", "GS310", '"64"'),  # a quoted value, with its quotes
        ("missing_key.yaml", "GS101", "{dtype: float32}"),  # a flow mapping, whole
        ("shape_residual_add.yaml", "GS603", "merge"),  # a node over several lines: its name
        ("hostile_expr_attribute.yaml", "GS304", "a.__class__.__mro__"),  # inside an expr
        ("hostile_expr_comprehension.yaml", "GS304", "[t for t in a]"),
        ("hostile_anchor.yaml", "GS013", "&dims"),  # an anchor: its name
        ("unknown_argument.yaml", "GS302", "filter"),  # a key
    ],
)
def test_diagnostic_ranges_cover_the_offending_value(
    fixture: str, code: str, underlined: str
) -> None:
    path = FIXTURES / "invalid" / fixture
    analysis = analyse_text(path.read_text(encoding="utf-8"), str(path), Options())
    found = lsp_diagnostics(analysis, path.as_uri(), str(path))
    first = next(d for d in found if d.code == code)
    start, end = first.range.start, first.range.end
    assert start.line == end.line
    assert analysis.lines[start.line][start.character : end.character] == underlined


def test_a_lone_surrogate_is_a_diagnostic_not_a_crash() -> None:
    analysis = analyse_text("graphspec: 1\nname: '\udce9'\n", "odd.yaml", Options())
    assert [str(d.code) for d in analysis.report.diagnostics] == ["GS018"]
    assert analysis.report.diagnostics[0].location.line == 2


def test_columns_count_in_the_negotiated_encoding() -> None:
    text = 'a: {name: "né😀", from: flatt}'
    column = text.index("flatt")
    assert to_units(text, column, UTF8) == column + 1 + 3  # é: 2 bytes, 😀: 4
    assert to_units(text, column, UTF16) == column + 1  # 😀: 2 units
    assert to_units(text, column, UTF32) == column
    for encoding in (UTF8, UTF16, UTF32):
        assert from_units(text, to_units(text, column, encoding), encoding) == column


BOM_YAML = "\ufeffgraphspec: 7\nname: a\ninputs: {x: {shape: [4]}}\n" + (
    "nodes: {d: {layer: Dense, from: x, units: 2}}\noutputs: {y: d}\n"
)
BOM_JSON = (
    '\ufeff{"graphspec": 1, "name": "a", "inputs": {"x": {"shape": [4]}}, '
    '"nodes": {"d": {"layer": "Dense", "from": "x", "units": 2, "bogus": 1}}, '
    '"outputs": {"y": "d"}}'
)


@pytest.mark.parametrize(
    ("text", "underlined"),
    [
        (BOM_YAML, {"GS106": "7"}),
        (BOM_JSON, {"GS302": '"bogus"'}),  # not GS010: the mark is not invalid JSON
    ],
    ids=["yaml", "json"],
)
def test_a_byte_order_mark_is_skipped_as_validate_skips_it(
    text: str, underlined: dict[str, str]
) -> None:
    """An editor that keeps a file's byte order mark sends it as the text's first character:
    the spec is checked as `graphspec validate` checks the file, and every range still
    underlines the offending text (one column further on the first line)."""
    file = "/specs/bom.json" if text[1] == "{" else "/specs/bom.yaml"
    analysis = analyse_text(text, file, Options())
    found = {
        str(d.code): analysis.lines[d.range.start.line][
            d.range.start.character : d.range.end.character
        ]
        for d in lsp_diagnostics(analysis, "file://" + file, file)
    }
    assert found == underlined
    assert analysis.index is not None
    reference = next(
        site
        for site in analysis.index.sites
        if site.target == Target((), TENSOR, "x") and not site.declaration
    )
    assert analysis.lines[reference.line][reference.start : reference.end] == "x"


def test_tokens_on_one_long_line_cost_one_read_of_the_line() -> None:
    """A spec written on one line (minified, 10^5 characters) with hundreds of diagnostics:
    each range was a scan of the line up to its token (seconds in all, on the event loop)."""
    items = ", ".join(f"n{i}: {{from: x{i}, units: {i}}}" for i in range(4000))
    line = "{nodes: {" + items + "}}"
    assert len(line) > 100_000
    starts = [line.index(f"from: x{i},") + len("from: ") for i in range(0, 4000, 4)]
    began = time.perf_counter()
    spans = [token_span([line], 1, start + 1) for start in starts]
    assert time.perf_counter() - began < 1.0  # a scan per token: 2.9 s here, 0.04 s now
    for start, span, i in zip(starts, spans, range(0, 4000, 4), strict=True):
        assert span == (0, start, 0, start + len(f"x{i}"))
