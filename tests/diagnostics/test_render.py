"""Diagnostic renderers: text with the source line and a caret, GitHub workflow commands, JSON;
everything a spec controls escaped. Run over every invalid fixture, plus exact cases."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from graphspec.diagnostics import Diagnostic, Location, Severity
from graphspec.diagnostics.render import (
    JSON_VERSION,
    TAB_MARKER,
    diagnostic_json,
    escape,
    file_json,
    format_github,
    format_text,
    run_json,
    source_lines,
)
from graphspec.pipeline import check_path
from tests.test_invalid_fixtures import Fixture, fixtures

INVALID = fixtures("invalid")
GUTTER = len("    9 | ")


def _diagnostic(
    message: str = "reference 'y' names no input or node",
    line: int = 1,
    column: int = 1,
    **fields: Any,
) -> Diagnostic:
    base = Diagnostic("GS201", Severity.ERROR, message, Location("spec.yaml", line, column))
    return dataclasses.replace(base, **fields)


# ---- escape -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("\n", "\\n"),
        ("\t", "\\t"),
        ("\r", "\\r"),
        ("\x00", "\\x00"),
        ("\x1b[31m", "\\x1b[31m"),  # ANSI colour: the escape goes, the rest is harmless text
        ("\x7f", "\\x7f"),
        ("\x85", "\\x85"),  # C1 next-line
        ("\u061c", "\\u061c"),  # Arabic letter mark
        ("\u200b", "\\u200b"),  # zero-width space
        ("\u202e", "\\u202e"),  # right-to-left override
        ("\u2066", "\\u2066"),  # left-to-right isolate
        ("\u2028", "\\u2028"),  # line separator
        ("\ufeff", "\\ufeff"),  # byte-order mark
    ],
)
def test_escape_spells_out_each_control_character(raw: str, escaped: str) -> None:
    assert escape(f"a{raw}b") == f"a{escaped}b"


def test_escape_keeps_printable_text() -> None:
    text = "dense_1: Conv2D → (None, 32) é 中文 %:,"
    assert escape(text) == text


# ---- text -------------------------------------------------------------------------------------


def test_text_quotes_the_line_with_a_caret_under_the_column() -> None:
    lines = ["nodes:", "  a: {layer: Dense, from: y, units: 4}"]
    diagnostic = _diagnostic(line=2, column=27, hint="did you mean 'x'?")
    assert format_text(diagnostic, lines) == (
        "spec.yaml:2:27: error[GS201] reference 'y' names no input or node\n"
        "    2 |   a: {layer: Dense, from: y, units: 4}\n"
        "      |                           ^\n"
        "    hint: did you mean 'x'?"
    )


def test_text_lists_related_locations_before_the_hint() -> None:
    diagnostic = _diagnostic(
        line=0, related=(Location("spec.yaml", 3, 5), Location("other.yaml")), hint="rename one"
    )
    assert format_text(diagnostic, []).splitlines() == [
        "spec.yaml: error[GS201] reference 'y' names no input or node",
        "    note: see also spec.yaml:3:5",
        "    note: see also other.yaml",
        "    hint: rename one",
    ]


def test_text_escapes_message_hint_and_source_and_keeps_the_caret_aligned() -> None:
    lines = ["  \x1b[2J: {layer: Dense\u202e, from: x}"]
    column = lines[0].index("\u202e") + 1
    diagnostic = _diagnostic(
        "unknown layer 'Dense\u202e'\n::error::forged", column=column, hint="\x1b]0;title\x07"
    )
    header, quoted, caret, hint = format_text(diagnostic, lines).splitlines()
    assert header == (
        f"spec.yaml:1:{column}: error[GS201] unknown layer 'Dense\\u202e'\\n::error::forged"
    )
    assert quoted == "    1 |   \\x1b[2J: {layer: Dense\\u202e, from: x}"
    assert quoted[caret.index("^") :].startswith("\\u202e")
    assert hint == "    hint: \\x1b]0;title\\x07"


def test_text_shows_tabs_in_the_source_as_a_visible_marker() -> None:
    _, quoted, caret = format_text(_diagnostic(column=3), ["\t\tx: 1"]).splitlines()
    assert quoted == f"    1 | {TAB_MARKER}{TAB_MARKER}x: 1"
    assert quoted[caret.index("^")] == "x"


def test_text_shows_a_window_of_a_long_line_around_the_column() -> None:
    line = "k" * 1000 + "X" + "k" * 1000
    _, quoted, caret = format_text(_diagnostic(column=1001), [line]).splitlines()
    assert quoted.startswith("    1 | ...k")
    assert len(quoted) == GUTTER + 3 + 240
    assert quoted[caret.index("^")] == "X"


@pytest.mark.parametrize("line", [0, 3])
def test_text_quotes_nothing_without_a_line_to_quote(line: int) -> None:
    """Line 0 is 'no position'; a line past the end of the file cannot be quoted."""
    assert format_text(_diagnostic(line=line), ["only: one line"]).count("\n") == 0


def test_text_never_quotes_a_file_that_is_not_text() -> None:
    diagnostic = _diagnostic(code="GS018", message="the file is not UTF-8 text")
    assert format_text(diagnostic, ["\x00\x01binary"]) == (
        "spec.yaml:1:1: error[GS018] the file is not UTF-8 text"
    )


def test_text_reads_the_file_when_no_lines_are_given(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(b"first\r\nsecond: \xff\n")
    diagnostic = _diagnostic(line=2, column=9, location=Location(str(spec), 2, 9))
    assert source_lines(str(spec)) == ["first", "second: \ufffd"]
    assert format_text(diagnostic).splitlines()[1:] == [
        "    2 | second: \ufffd",
        "      |         ^",
    ]
    missing = _diagnostic(location=Location(str(tmp_path / "gone.yaml"), 1, 1))
    assert format_text(missing).count("\n") == 0


@pytest.mark.parametrize("fixture", INVALID, ids=lambda fixture: fixture.path.stem)
def test_every_fixture_diagnostic_prints_safely_with_its_caret_on_the_column(
    fixture: Fixture,
) -> None:
    lines = source_lines(str(fixture.path))
    report = check_path(fixture.path, fixture.options)  # the caps some fixtures lower
    assert report.diagnostics
    for diagnostic in report.diagnostics:
        text = format_text(diagnostic, lines)
        assert not any(0x7F <= ord(c) <= 0x9F or (ord(c) < 0x20 and c != "\n") for c in text)
        assert text.split("\n", 1)[0].startswith(escape(str(diagnostic.location)) + ": ")
        location = diagnostic.location
        if not diagnostic.code.quotes_source or not 0 < location.line <= len(lines):
            continue
        quoted, caret = text.splitlines()[1:3]
        source = lines[location.line - 1].replace("\t", TAB_MARKER)
        if location.column - 1 < len(source):  # the caret stands on the column's character
            expected = escape(source[location.column - 1])[0]
            assert quoted[caret.index("^")] == expected, (quoted, caret)


# ---- github -----------------------------------------------------------------------------------


def test_github_is_one_workflow_command_with_encoded_properties() -> None:
    diagnostic = Diagnostic(
        "GS102",
        Severity.WARNING,
        "unknown key 'x'\n::error::forged 100%",
        Location("dir,a:b/spec.yaml", 4, 7),
        hint="remove it",
    )
    assert format_github(diagnostic) == (
        "::warning file=dir%2Ca%3Ab/spec.yaml,line=4,col=7,title=GS102::"
        "unknown key 'x'\\n::error::forged 100%25 (hint: remove it)"
    )


def test_github_maps_info_to_notice_and_omits_an_unknown_position() -> None:
    diagnostic = Diagnostic("GS021", Severity.INFO, "3 more", Location("spec.yaml"))
    assert format_github(diagnostic) == "::notice file=spec.yaml,title=GS021::3 more"


# ---- json -------------------------------------------------------------------------------------


def test_json_fields_of_a_diagnostic() -> None:
    diagnostic = _diagnostic(
        "unknown layer 'a\x1b'",
        line=9,
        column=14,
        path=("nodes", "b", "from", 1),
        hint=None,
        related=(Location("spec.yaml", 2, 3),),
    )
    document = diagnostic_json(diagnostic)
    assert document == {
        "code": "GS201",
        "severity": "error",
        "message": "unknown layer 'a\x1b'",  # raw: JSON encoding escapes it
        "path": "nodes.b.from[1]",
        "line": 9,
        "column": 14,
        "hint": None,
        "related": [{"file": "spec.yaml", "line": 2, "column": 3}],
    }
    assert "\\u001b" in json.dumps(document)
    assert diagnostic_json(_diagnostic())["path"] == ""


def test_json_document_of_a_run() -> None:
    warning = _diagnostic(severity=Severity.WARNING)
    entries = [file_json("a.yaml", [warning]), file_json("b.yaml", [warning, _diagnostic()])]
    assert [(e["file"], e["status"], len(e["diagnostics"])) for e in entries] == [
        ("a.yaml", "valid", 1),
        ("b.yaml", "invalid", 2),
    ]
    assert list(run_json(entries)) == ["version", "files"]
    document = run_json(iter(entries), status="invalid")
    assert list(document) == ["version", "status", "files"]
    assert document["version"] == JSON_VERSION == 1
    assert document["files"] == entries
