"""docs/diagnostics.md shows the code registry (graphspec.diagnostics.codes), table for table."""

from __future__ import annotations

import re

from graphspec.diagnostics import codes
from tests.conftest import ROOT

DOCS = (ROOT / "docs" / "diagnostics.md").read_text()
SOURCE = {
    path: path.read_text() for path in (ROOT / "graphspec").rglob("*.py") if path.name != "codes.py"
}


def _section(group: codes.Group) -> str:
    """The table under the group's heading in the docs."""
    heading = f"## {group.heading}\n"
    assert heading in DOCS, f"docs/diagnostics.md has no section '{heading.strip()}'"
    after = DOCS.split(heading, 1)[1]
    return "\n".join(re.findall(r"^\|.*\|$", after.split("\n## ", 1)[0], re.M))


def test_every_group_table_is_the_registry() -> None:
    for group in codes.Group:
        assert _section(group) == codes.markdown_table(group), group.heading


def test_every_declared_code_is_reported_somewhere() -> None:
    used = {name for text in SOURCE.values() for name in re.findall(r"codes\.([A-Z0-9_]+)", text)}
    declared = {name for name, value in vars(codes).items() if isinstance(value, codes.Code)}
    assert declared - used == set(), "declared but never reported"
    assert used - declared == set(), "reported but not declared"


def test_no_code_is_written_as_a_string() -> None:
    """Reporters pass declared codes; no behaviour reads a code's spelling."""
    for path, text in SOURCE.items():
        assert not re.findall(r"[\"']GS\d", text), path
