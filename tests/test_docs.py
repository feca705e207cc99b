"""docs/diagnostics.md lists every diagnostic code graphspec can emit."""

from __future__ import annotations

import re

from tests.conftest import ROOT

DOCS = (ROOT / "docs" / "diagnostics.md").read_text()
SOURCE = "\n".join(p.read_text() for p in (ROOT / "graphspec").rglob("*.py"))


def test_every_emitted_code_is_documented() -> None:
    emitted = set(re.findall(r'"(GS\d{3})"', SOURCE))
    documented = set(re.findall(r"^\| (GS\d{3}) \|", DOCS, re.M))
    assert len(emitted) >= 40
    assert emitted - documented == set(), "document these codes in docs/diagnostics.md"


def test_documented_codes_exist() -> None:
    emitted = set(re.findall(r'"(GS\d{3})"', SOURCE))
    documented = set(re.findall(r"^\| (GS\d{3}) \|", DOCS, re.M))
    assert documented - emitted == set(), "these documented codes are never emitted"


def test_fixture_codes_are_documented() -> None:
    fixtures = ROOT / "tests" / "fixtures" / "invalid"
    used = {c for p in fixtures.glob("*.yaml") for c in re.findall(r"GS\d{3}", p.read_text())}
    documented = set(re.findall(r"^\| (GS\d{3}) \|", DOCS, re.M))
    assert used <= documented
