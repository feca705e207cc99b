"""Every spec in tests/fixtures/invalid/ produces exactly the diagnostics its header declares.

A fixture starts with `# expect: CODE@LINE ...` (the errors, in any order) and optionally
`# strict: true` and `# limits: max_nodes=2 ...` (caps lowered for the case, any `Limits`
field). A new case is one new file, not new test code. The header is read from the bytes with
undecodable ones replaced (as UTF-16 after a UTF-16 byte order mark), so a GS018 fixture keeps a
readable header before its bad bytes.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from graphspec.cli import main
from graphspec.pipeline import check_path
from graphspec.settings import DEFAULT_LIMITS, Limits, Options
from tests.conftest import FIXTURES

CASES = sorted((FIXTURES / "invalid").glob("*.yaml"))


def _text(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    return raw.decode("utf-8", errors="replace")


def _header(path: Path) -> tuple[list[tuple[str, int]], bool, Limits]:
    text = _text(path)
    match = re.search(r"^# expect: (.+)$", text, re.M)
    assert match, f"{path.name} has no '# expect:' header"
    expected = [(code, int(line)) for code, line in re.findall(r"(GS\d{3})@(\d+)", match[1])]
    caps = re.search(r"^# limits: (.+)$", text, re.M)
    settings = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", caps[1])} if caps else {}
    return sorted(expected), "# strict: true" in text, replace(DEFAULT_LIMITS, **settings)


def _limit_flags(limits: Limits) -> list[str]:
    """The caps the command line can set (max_diagnostics has no flag)."""
    flags = []
    for name in Limits.flags():
        flags += [f"--{name.replace('_', '-')}", str(getattr(limits, name))]
    return flags


def test_there_are_fixtures() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_invalid_spec(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected, strict, limits = _header(path)
    report = check_path(path, Options(strict=strict, limits=limits))
    assert not report.ok
    errors = sorted((d.code, d.location.line) for d in report.diagnostics if d.is_error)
    assert errors == expected
    assert (
        main(["validate", *(["--strict"] if strict else []), *_limit_flags(limits), str(path)]) == 1
    )
    for diagnostic in report.diagnostics:
        assert diagnostic.location.file == str(path)
        assert diagnostic.location.column >= 1
        assert diagnostic.message
