"""Every spec under specs/ validates and builds to the figures in its expected.toml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphspec.pipeline import build, check_path
from tests.conftest import expected_figures, spec_files, spec_options

FIGURES = expected_figures()
SPECS = spec_files(custom=True)


def test_every_spec_has_figures() -> None:
    assert SPECS
    assert set(SPECS) == set(FIGURES)


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_spec_validates(path: Path) -> None:
    report = check_path(path, spec_options(path))
    assert report.ok, [d.format() for d in report.diagnostics]
    codes = sorted(d.code for d in report.diagnostics)
    assert codes == sorted(FIGURES[path].get("warnings", []))


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_static_figures_equal_the_keras_figures(path: Path) -> None:
    """Shapes and parameters inferred without Keras match what Keras builds (expected.toml)."""
    from graphspec.shape import format_shape

    plan = check_path(path, spec_options(path)).plan
    assert plan is not None
    row = FIGURES[path]
    assert plan.trainable == row["trainable"]
    assert plan.non_trainable == row["params"] - row["trainable"]
    shapes = [format_shape(plan.head_shapes[head], batch=True) for head in plan.spec.outputs]
    assert shapes == row["outputs"]


@pytest.fixture(scope="module")
def built(keras: Any) -> dict[Path, Any]:
    return {path: build(path, custom_objects=FIGURES[path].get("custom_objects")) for path in SPECS}


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_spec_builds_to_expected_figures(path: Path, built: dict[Path, Any], keras: Any) -> None:
    model = built[path]
    row = FIGURES[path]
    trainable = sum(int(keras.ops.size(w)) for w in model.trainable_weights)
    assert model.count_params() == row["params"]
    assert trainable == row["trainable"]
    assert [str(tuple(output.shape)) for output in model.outputs] == row["outputs"]
