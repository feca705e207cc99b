"""The code registry (graphspec.diagnostics.codes): well formed, and every code has an example
fixture under tests/fixtures/ that produces it (tests/test_invalid_fixtures.py runs them)."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from graphspec.diagnostics import Diagnostic, Location, Severity
from graphspec.diagnostics.codes import REGISTRY, Code, Group, in_group, lookup
from tests.test_invalid_fixtures import all_fixtures

# code → the severities its fixtures declare (and the fixture test checks were produced)
DECLARED: dict[str, set[Severity]] = defaultdict(set)
for _fixture in all_fixtures():
    for _expected in _fixture.expected:
        DECLARED[_expected.code].add(_expected.severity)


def test_every_code_has_a_fixture() -> None:
    missing = [code_id for code_id in REGISTRY if code_id not in DECLARED]
    assert missing == [], "codes without an example under tests/fixtures/"


def test_every_fixture_code_is_declared() -> None:
    assert sorted(set(DECLARED) - set(REGISTRY)) == []


@pytest.mark.parametrize("code", REGISTRY.values(), ids=str)
def test_a_fixture_shows_the_default_severity(code: Code) -> None:
    """GS401 is a warning, GS601 info: some fixture produces each code at its default severity
    (it may appear at others too: GS401 is an error with --strict)."""
    assert code.severity in DECLARED[code.id], sorted(DECLARED[code.id])


def test_ids_are_unique_and_well_formed() -> None:
    ids = [code.id for code in REGISTRY.values()]
    assert len(ids) == len(set(ids))
    assert list(REGISTRY) == ids
    for code in REGISTRY.values():
        assert re.fullmatch(r"GS\d{3}", code.id), code.id
        assert code.id.startswith(code.group.prefix), code.id
        assert code.stage is code.group.stage
        assert code.title and code.example and code.fix, code.id


def test_groups_have_distinct_prefixes_and_codes() -> None:
    prefixes = [group.prefix for group in Group]
    assert len(prefixes) == len(set(prefixes))
    for group in Group:
        assert list(in_group(group)), f"{group.heading} declares no code"
    assert sum(len(list(in_group(group))) for group in Group) == len(REGISTRY)


@pytest.mark.parametrize("code", REGISTRY.values(), ids=str)
def test_lookup_round_trips(code: Code) -> None:
    assert lookup(code.id) is code
    assert lookup(str(code)) is code
    assert code == code.id and hash(code) == hash(code.id)
    # a diagnostic made with the bare id carries the declared code
    made = Diagnostic(code.id, code.severity, "m", Location("f"))  # type: ignore[arg-type]
    assert made.code is code


def test_lookup_refuses_an_undeclared_id() -> None:
    with pytest.raises(KeyError):
        lookup("GS999")
