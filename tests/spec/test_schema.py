"""The JSON Schema (schemas/graphspec.schema.json) accepts every valid spec, refuses what
validate refuses at the schema level, and helps an editor: layer names, descriptions,
examples, each layer's arguments.

check-jsonschema (the dev extra) is the checker CI and pre-commit use; it runs once per test
over all the files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from graphspec.catalogue.reader import load_catalogue
from graphspec.pipeline import check_path, check_text
from graphspec.read.source import load_text
from graphspec.settings import DEFAULT_LIMITS
from graphspec.spec.schema import json_schema
from tests.conftest import FIXTURES, ROOT, spec_files
from tests.spec_strategies import GenSpec, valid_specs

pytest.importorskip("check_jsonschema")
jsonschema = pytest.importorskip("jsonschema")

SCHEMA_FILE = ROOT / "schemas" / "graphspec.schema.json"
SCHEMA = json_schema()
NOTES = sorted((FIXTURES / "notes").glob("*.yaml"))
SCHEMA_INVALID = sorted((FIXTURES / "schema_invalid").glob("*.yaml"))
SPEC_MODELS = (
    "Block",
    "BlockInput",
    "BlockNode",
    "Compile",
    "ExprNode",
    "Head",
    "InputSpec",
    "LayerNode",
    "OpNode",
    "Optimizer",
    "SequenceItem",
    "SequenceNode",
    "SharedBlock",
    "SharedLayer",
    "UseNode",
)


def check_jsonschema(files: list[Path]) -> tuple[int, dict[str, Any]]:
    """Run check-jsonschema once over `files`: its exit code and its JSON report."""
    result = subprocess.run(
        [
            *(sys.executable, "-m", "check_jsonschema", "--schemafile", str(SCHEMA_FILE)),
            *("--output-format", "json", *map(str, files)),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    return result.returncode, json.loads(result.stdout)


@pytest.fixture(scope="module")
def validator() -> Any:
    return jsonschema.Draft202012Validator(json_schema())


def test_the_schema_is_a_valid_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA_FILE.read_text()))


def test_the_checked_in_schema_is_current() -> None:
    expected = json.dumps(json_schema(), indent=2, sort_keys=False) + "\n"
    assert SCHEMA_FILE.read_text() == expected, "run 'make schema' and commit the result"


def test_every_spec_and_note_fixture_passes() -> None:
    files = spec_files() + NOTES
    assert len(spec_files()) >= 24 and NOTES
    code, report = check_jsonschema(files)
    assert code == 0, json.dumps(report.get("errors"), indent=2)


def test_the_invalid_fixtures_fail_both_the_schema_and_validate() -> None:
    assert len(SCHEMA_INVALID) >= 5
    code, report = check_jsonschema(SCHEMA_INVALID)
    assert code == 1
    failed = {Path(error["filename"]).name for error in report["errors"]}
    assert failed == {path.name for path in SCHEMA_INVALID}
    for path in SCHEMA_INVALID:
        assert not check_path(path).ok, f"{path.name}: validate accepts it"


def test_every_language_key_has_a_description_and_examples() -> None:
    schema = json_schema()
    models = [schema, *(schema["$defs"][name] for name in SPEC_MODELS)]
    missing = [
        f"{model.get('title')}.{key}"
        for model in models
        for key, value in model["properties"].items()
        if not (value.get("description") and value.get("examples"))
    ]
    assert missing == []


def test_layer_offers_the_catalogue_layers_and_allows_custom_ones(validator: Any) -> None:
    layer = json_schema()["$defs"]["LayerNode"]["properties"]["layer"]
    offered = layer["anyOf"][0]["enum"]
    assert offered == list(load_catalogue().safe_layer_names())
    assert "Dense" in offered and "Lambda" not in offered

    def node(**fields: Any) -> dict[str, Any]:
        return {"graphspec": 1, "name": "m", "inputs": {"x": {"shape": [4]}},
                "nodes": {"h": {"from": "x", **fields}}, "outputs": {"y": "h"}}  # fmt: skip

    assert validator.is_valid(node(layer="Dense", units=4, activation="relu"))
    assert not validator.is_valid(node(layer="Dense", unitz=4))
    assert not validator.is_valid(node(layer="Lambda", function="lambda t: t"))
    # A custom layer (not in the catalogue) takes any argument; validate checks it.
    assert validator.is_valid(node(layer="MyScale", factor=2.0))
    # Inside a block, any argument may be a ${param}.
    assert validator.is_valid(node(layer="Dense", units="${width}"))
    # A wrapper's layer is checked like a node's.
    assert validator.is_valid(node(layer="Bidirectional", wraps={"layer": "LSTM", "units": 3}))
    assert not validator.is_valid(node(layer="Bidirectional", wraps={"layer": "LSTM", "unit": 3}))
    sequence = [{"layer": "Dense", "units": 4, "name": "proj"}, {"layer": "Dropout", "rate": 0.1}]
    assert validator.is_valid(node(sequence=sequence))
    assert not validator.is_valid(node(sequence=[{"layer": "Dropout", "rat": 0.1}]))


def test_the_shorthands_are_in_the_schema(validator: Any) -> None:
    spec = {
        "graphspec": 1,
        "name": "m",
        "inputs": {"x": {"shape": [4]}},
        "blocks": {
            "unit": {
                "inputs": {"x": None},
                "nodes": {"h": {"layer": "Dense", "from": "x", "units": 2}},
                "outputs": {"y": "h"},
            }
        },
        "nodes": {"b": {"block": "unit", "from": "x"}},
        "outputs": {"y": "b.y"},
        "compile": {"optimizer": "adam"},
    }
    assert validator.is_valid(spec)
    assert not validator.is_valid({**spec, "outputs": {}})
    assert not validator.is_valid({**spec, "nodes": {"b": {"block": "unit", "from": []}}})


def test_argument_values_are_typed_as_validate_types_them(validator: Any) -> None:
    def dense(**arguments: Any) -> dict[str, Any]:
        return {"graphspec": 1, "name": "m", "inputs": {"x": {"shape": [4]}},
                "nodes": {"h": {"layer": "Dense", "from": "x", **arguments}},
                "outputs": {"y": "h"}}  # fmt: skip

    assert validator.is_valid(dense(units=4, use_bias=False, kernel_initializer="he_normal"))
    assert validator.is_valid(dense(units=4, kernel_initializer={"name": "VarianceScaling"}))
    assert validator.is_valid(dense(units="${width}", activation=None))
    assert not validator.is_valid(dense(units="4"))  # strict: no "4" for 4
    assert not validator.is_valid(dense(units=None))  # required
    assert not validator.is_valid(dense(units=4, use_bias="no"))  # YAML 1.2: a string
    assert not validator.is_valid(dense(units=4, name="h"))  # the node's key names it


@given(valid_specs())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_drawn_valid_specs_pass_the_schema(gen: GenSpec) -> None:
    text, _ = gen.render()
    assert check_text(text).ok
    data = load_text(text, "<drawn>", DEFAULT_LIMITS)[0].data
    errors = [e.message for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(data)]
    assert errors == [], text
