"""tests/fixtures/export/*.yaml: specs whose export fails with the diagnostics their
``# expect:`` header declares (`tests/test_invalid_fixtures.py` reads the headers); ``# format:``
names the format, ``# tolerance:`` the bound. Nothing may be left at the output."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from graphspec.cli import main
from graphspec.export.exporter import DEFAULT_TOLERANCE, export_source
from graphspec.export.formats import FORMATS
from graphspec.settings import Options
from tests.test_invalid_fixtures import Expected, Fixture, _found, fixtures


def _setting(fixture: Fixture, name: str) -> str | None:
    found = re.search(rf"^# {name}: (\S+)$", fixture.path.read_text(), re.M)
    return found[1] if found else None


@pytest.mark.parametrize("fixture", fixtures("export"), ids=lambda f: f.path.stem)
def test_export_fails_as_declared(
    fixture: Fixture, tmp_path: Path, keras: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    format_name = _setting(fixture, "format")
    assert format_name in FORMATS, f"{fixture.path}: '# format:' names no format"
    if FORMATS[format_name].missing():
        pytest.skip(f"not installed: {FORMATS[format_name].missing()}")
    tolerance = float(_setting(fixture, "tolerance") or DEFAULT_TOLERANCE)
    output = tmp_path / f"out{FORMATS[format_name].suffix}"
    exported, diagnostics = export_source(
        fixture.path, output, format_name, fixture.options, tolerance=tolerance
    )
    assert exported is None
    assert _found(tuple(diagnostics), errors=True) == list(fixture.expected)
    for diagnostic in diagnostics:
        assert diagnostic.location.file == str(fixture.path)
        assert diagnostic.location.column >= 1 and diagnostic.hint
    assert list(tmp_path.iterdir()) == []  # nothing half-written, no temporary left
    command = ["export", str(fixture.path), "--format", format_name, "-o", str(output)]
    assert main([*command, "--tolerance", str(tolerance)]) == 1
    (expected,) = {Expected(e.code, e.line, e.severity) for e in fixture.expected}
    assert f":{expected.line}:" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_fixtures_exist() -> None:
    assert {e.code for f in fixtures("export") for e in f.expected} >= {"GS901", "GS902"}
    assert Options()  # the fixtures run with the defaults
