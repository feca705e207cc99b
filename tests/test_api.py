"""The Python API: load, loads, check, build and SpecError."""

from __future__ import annotations

import pytest

import graphspec
from tests.conftest import FIXTURES, SPECS

MIMO = SPECS / "seeds" / "seed000_mimo.yaml"


def test_load_gives_a_frozen_spec() -> None:
    spec = graphspec.load(MIMO)
    assert spec.name == "seed000_mimo"
    assert list(spec.inputs) == ["image1", "image2"]
    with pytest.raises(Exception, match="frozen"):
        spec.name = "other"  # type: ignore[misc]


def test_loads_reads_json_too() -> None:
    text = '{"graphspec": 1, "name": "j", "inputs": {"x": {"shape": [4]}}, "outputs": {"y": "x"}}'
    spec = graphspec.loads(text, name="mem.json")
    assert spec.outputs["y"].from_ == "x"


def test_check_reports_plan_with_order_and_pruned_parts() -> None:
    report = graphspec.check(SPECS / "seeds" / "seed001_ensemble_pruned.yaml")
    assert report.ok
    assert report.plan is not None
    assert report.plan.top.live_order.index("cnn1") < report.plan.top.live_order.index("prediction")
    assert "cnn3" in report.plan.pruned
    assert [d.code for d in report.diagnostics] == ["GS401"]


def test_strict_makes_pruning_an_error() -> None:
    report = graphspec.check(SPECS / "seeds" / "seed001_ensemble_pruned.yaml", strict=True)
    assert not report.ok
    assert report.plan is None


def test_spec_error_carries_every_diagnostic() -> None:
    with pytest.raises(graphspec.SpecError) as caught:
        graphspec.load(FIXTURES / "invalid" / "wrong_type.yaml")
    assert [d.code for d in caught.value.diagnostics] == ["GS103"]
    assert "wrong_type.yaml:5:" in str(caught.value)


def test_build_refuses_an_invalid_spec_before_keras() -> None:
    with pytest.raises(graphspec.SpecError) as caught:
        graphspec.build(FIXTURES / "invalid" / "several_errors.yaml")
    assert sorted(d.code for d in caught.value.diagnostics) == ["GS201", "GS301", "GS302"]
