"""Diagnostics as text for people, GitHub workflow commands for CI, JSON and SARIF for tools.

Shared by every front end (the CLI and its SARIF log today; an editor later), so none of
them needs the CLI to print a diagnostic. Everything a spec controls (names, keys, values in
messages, file names) is escaped on the way out: a spec must not be able to move a terminal's
cursor, hide text with bidirectional controls, or forge a `::error::` line in a CI log.

`Diagnostic.format` (used by `SpecError`'s message) is a plainer, unescaped text form of the
same header; it stays beside the type so the exception needs nothing from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePath
from typing import Any, Final
from urllib.parse import quote

from graphspec.diagnostics import Diagnostic, Location, format_path
from graphspec.diagnostics.codes import Code
from graphspec.read.source import split_lines

__all__ = [
    "JSON_VERSION",
    "TAB_MARKER",
    "diagnostic_json",
    "escape",
    "file_json",
    "format_github",
    "format_text",
    "run_json",
    "sarif_log",
    "source_lines",
]

JSON_VERSION: Final = 1
"""The `version` of the JSON document of a run; raised when a field changes meaning."""

# Control characters (C0, DEL, C1; newline and tab too: a message is one line), zero-width and
# bidirectional formatting characters: none of them may reach a terminal or a CI log raw.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}

TAB_MARKER: Final = "\u2192"
"""What a tab shows as in a quoted source line (→): visible, and one column wide like the tab
YAML counts, so the caret stays under the right character."""

_WINDOW: Final = 240
"""Longest piece of a source line quoted under a diagnostic, in characters."""
_LEAD: Final = 160
"""How much of the line before the column a quoted window keeps when the line is cut."""


def escape(text: str) -> str:
    """Make spec-controlled text safe for a terminal: no control characters or ANSI escapes.

    >>> escape("a\\tb\\x1b[31m\\u202e")
    'a\\\\tb\\\\x1b[31m\\\\u202e'
    """
    return CONTROL.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _github_escape(text: str) -> str:
    return escape(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_escape(text).replace(":", "%3A").replace(",", "%2C")


def source_lines(file: str) -> list[str]:
    """The spec's lines as the loader numbers them, for quoting under a diagnostic (empty when
    the file cannot be read)."""
    try:
        return split_lines(Path(file).read_bytes().decode("utf-8", errors="replace"))
    except OSError:
        return []


def format_text(diagnostic: Diagnostic, lines: Sequence[str] | None = None) -> str:
    """The header line, then the source line with a caret under the column, notes and hint.

    `lines` are the spec's lines (`source_lines`); read from the diagnostic's file when None.
    """
    location = diagnostic.location
    parts = [escape(f"{location}: {diagnostic.severity}[{diagnostic.code}] {diagnostic.message}")]
    if lines is None:
        lines = source_lines(location.file) if location.line else []
    if 0 < location.line <= len(lines) and diagnostic.code.quotes_source:
        # A window of the line around the column: long lines stay cheap and readable.
        whole = lines[location.line - 1].replace("\t", TAB_MARKER)  # one column, visible
        start = max(0, location.column - 1 - _LEAD)
        source = whole[start : start + _WINDOW]
        gutter = f"{location.line:>5} | "
        parts.append(gutter + ("..." if start else "") + escape(source)[:_WINDOW])
        pad = len(escape(source[: max(location.column - 1 - start, 0)])) + (3 if start else 0)
        parts.append(" " * (len(gutter) - 2) + "| " + " " * min(pad, _WINDOW + 3) + "^")
    parts += [f"    note: see also {escape(str(other))}" for other in diagnostic.related]
    if diagnostic.hint:
        parts.append(f"    hint: {escape(diagnostic.hint)}")
    return "\n".join(parts)


def format_github(diagnostic: Diagnostic) -> str:
    """One GitHub Actions workflow command (`::error file=…,line=…::message`), on one line."""
    level = {"error": "error", "warning": "warning", "info": "notice"}[diagnostic.severity]
    loc = diagnostic.location
    props = f"file={_github_property(loc.file)}"
    if loc.line:
        props += f",line={loc.line},col={loc.column}"
    props += f",title={_github_property(diagnostic.code.id)}"
    message = diagnostic.message + (f" (hint: {diagnostic.hint})" if diagnostic.hint else "")
    return f"::{level} {props}::{_github_escape(message)}"


def diagnostic_json(diagnostic: Diagnostic) -> dict[str, Any]:
    """A diagnostic as plain JSON values (unescaped: JSON encoding makes them safe)."""
    return {
        "code": diagnostic.code.id,
        "severity": str(diagnostic.severity),
        "message": diagnostic.message,
        "path": format_path(diagnostic.path) if diagnostic.path else "",
        "line": diagnostic.location.line,
        "column": diagnostic.location.column,
        "hint": diagnostic.hint,
        "related": [
            {"file": other.file, "line": other.line, "column": other.column}
            for other in diagnostic.related
        ],
    }


def file_json(file: str, diagnostics: Sequence[Diagnostic]) -> dict[str, Any]:
    """One checked file in a run's JSON document: invalid when any diagnostic is an error."""
    return {
        "file": file,
        "status": "invalid" if any(d.is_error for d in diagnostics) else "valid",
        "diagnostics": [diagnostic_json(d) for d in diagnostics],
    }


def run_json(files: Iterable[dict[str, Any]], status: str | None = None) -> dict[str, Any]:
    """The JSON document of a run: the format version, the run's status when it has one
    (`diff` says why nothing was compared), then one `file_json` entry per file."""
    document: dict[str, Any] = {"version": JSON_VERSION}
    if status is not None:
        document["status"] = status
    document["files"] = list(files)
    return document


SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
"""The `$schema` of a SARIF log, as GitHub code scanning and the SARIF validators expect it."""
_SARIF_LEVEL: Final = {"error": "error", "warning": "warning", "info": "note"}
_DOCS: Final = "docs/diagnostics.md"


def _anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to `-`."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def _artifact_uri(file: str) -> str:
    """A spec path as a SARIF URI reference: relative as given (``/`` separators,
    percent-encoded), relative to the working directory when it lies below it, else file:."""
    path = PurePath(file)
    if path.is_absolute():
        try:
            path = Path(file).relative_to(Path.cwd())
        except ValueError:
            return Path(file).as_uri()
    return quote(path.as_posix(), safe="/-._~!$&'()*+,;=:@")


def _sarif_location(location: Location) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _artifact_uri(location.file)}}
    if location.line > 0:
        region = {"startLine": location.line}
        if location.column > 0:
            region["startColumn"] = location.column
        physical["region"] = region
    return {"physicalLocation": physical}


def _sarif_rule(code: Code) -> dict[str, Any]:
    section = f"{_DOCS}#{_anchor(code.group.heading)}"
    return {
        "id": code.id,
        "name": code.id,
        "shortDescription": {"text": code.title},
        "help": {
            "text": f"{code.title}. Fix: {code.fix}. See {section}.",
            "markdown": f"{code.title}.\n\n**Fix:** {code.fix}.\n\nSee [{code.group.heading}]"
            f"({section}).",
        },
        "defaultConfiguration": {"level": _SARIF_LEVEL[str(code.severity)]},
        "properties": {"stage": str(code.stage)},
    }


def _sarif_result(diagnostic: Diagnostic, rule_index: int) -> dict[str, Any]:
    message = diagnostic.message + (f" (hint: {diagnostic.hint})" if diagnostic.hint else "")
    result: dict[str, Any] = {
        "ruleId": diagnostic.code.id,
        "ruleIndex": rule_index,
        "level": _SARIF_LEVEL[str(diagnostic.severity)],
        "message": {"text": message},
        "locations": [_sarif_location(diagnostic.location)],
    }
    if diagnostic.path:
        result["locations"][0]["logicalLocations"] = [
            {"fullyQualifiedName": format_path(diagnostic.path), "kind": "member"}
        ]
    if diagnostic.related:
        result["relatedLocations"] = [
            {"id": number, **_sarif_location(other), "message": {"text": "see also"}}
            for number, other in enumerate(diagnostic.related)
        ]
    return result


def sarif_log(
    diagnostics: Iterable[Diagnostic], version: str, *, successful: bool = True
) -> dict[str, Any]:
    """One SARIF 2.1.0 log for a run: one rule per code used (its title, fix and section of
    docs/diagnostics.md), one result per diagnostic, in the order given.

    Columns count Unicode code points, as the reader does (`columnKind`). Message text goes
    out unescaped: JSON encoding makes it safe, and SARIF viewers show `text` as plain text.
    """
    rules: dict[str, int] = {}
    codes: list[Code] = []
    results = []
    for diagnostic in diagnostics:
        code = diagnostic.code
        if code.id not in rules:
            rules[code.id] = len(codes)
            codes.append(code)
        results.append(_sarif_result(diagnostic, rules[code.id]))
    driver = {
        "name": "graphspec",
        "version": version,
        "semanticVersion": version,
        "rules": [_sarif_rule(code) for code in codes],
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "invocations": [{"executionSuccessful": successful}],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
