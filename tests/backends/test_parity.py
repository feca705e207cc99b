"""Every spec in specs/ builds on JAX and PyTorch, predicts what TensorFlow predicts with the
same weights (within 1e-5 in float32) and trains one step.

The exceptions are exactly the specs where `validate --backend B` warns GS502: Keras itself
computes one of their layers differently on B (tests/backends/test_keras_differences.py);
the specs it refuses on B (GS611: string inputs, TensorFlow only) are not run there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphspec.diagnostics import codes
from graphspec.pipeline import check_path
from graphspec.settings import Options
from tests.backends.runs import OTHER_BACKENDS, need
from tests.conftest import SPECS, spec_files

pytestmark = pytest.mark.backends

TOLERANCE = 1e-5
"""Largest absolute difference of a prediction from TensorFlow's (float32)."""
LOSS_TOLERANCE = 1e-5
"""Largest relative difference of the loss in inference mode from TensorFlow's."""


def _key(spec: Path) -> str:
    return spec.relative_to(SPECS).with_suffix("").as_posix()


def _listed(results: Mapping[str, Any], key: str, what: str) -> list[Any]:
    found = []
    while f"{key}/{what}/{len(found)}" in results:
        found.append(results[f"{key}/{what}/{len(found)}"])
    return found


KNOWN_FAILURES: dict[tuple[str, str], tuple[str, str]] = {
    ("unet_flat_segmentation", "torch"): (
        "grad_input must be contiguous",
        "PyTorch's backward pass of this U-Net raises 'grad_input must be contiguous' in Keras "
        "3.15's torch trainer (the layers one by one train; the whole graph does not); the "
        "model builds and predicts, training it on PyTorch fails in Keras, not in graphspec",
    ),
}
"""(spec stem, backend) → (the text of the error, why): failures of Keras itself on a backend.
Expected only while the error is exactly that; a spec that starts passing fails the test, so
that the entry is removed."""


def _results(parity: Mapping[str, Any], backend: str, spec: Path) -> Mapping[str, Any]:
    need(backend)
    key = _key(spec)
    known = KNOWN_FAILURES.get((spec.stem, backend))
    for name in ("tensorflow", backend):
        error = parity[name].get(f"{key}/error/0")
        if known is not None and name == backend:
            assert error is not None, f"{spec.name} runs on {backend} now: remove it from KNOWN"
            assert known[0] in str(error), f"{spec.name} failed otherwise on {name}:\n{error}"
            pytest.xfail(known[1])
        assert error is None, f"{spec.name} failed on {name}:\n{error}"
    return parity[backend]


def max_difference(parity: Mapping[str, Any], backend: str, spec: Path) -> float:
    """The largest absolute difference of the spec's predictions from TensorFlow's."""
    key = _key(spec)
    expected = _listed(parity["tensorflow"], key, "output")
    found = _listed(_results(parity, backend, spec), key, "output")
    assert len(found) == len(expected) > 0
    for mine, theirs in zip(found, expected, strict=True):
        assert mine.shape == theirs.shape
    return max(
        float(np.max(np.abs(mine.astype("float64") - theirs), initial=0.0))
        for mine, theirs in zip(found, expected, strict=True)
    )


def warned(spec: Path, backend: str) -> bool:
    """Whether `validate --backend BACKEND` warns that Keras computes the spec differently."""
    report = check_path(spec, Options(backend=backend))
    assert report.ok
    return any(d.code == codes.BACKEND_DIFFERENCE for d in report.diagnostics)


def refused(spec: Path, backend: str) -> bool:
    """Whether `validate --backend BACKEND` refuses the spec: its string inputs need
    TensorFlow (GS611), so the worker skips it."""
    report = check_path(spec, Options(backend=backend))
    return any(d.code == codes.STRING_BACKEND for d in report.diagnostics)


CASES = [
    (spec, backend)
    for spec in spec_files()
    for backend in OTHER_BACKENDS
    if not refused(spec, backend)
]


def _ids(case: tuple[Path, str]) -> str:
    return f"{case[0].stem}-{case[1]}"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_predicts_as_on_tensorflow(parity: Mapping[str, Any], case: tuple[Path, str]) -> None:
    spec, backend = case
    difference = max_difference(parity, backend, spec)
    if not warned(spec, backend):
        assert difference <= TOLERANCE, (
            f"{spec.name} predicts up to {difference:.3g} away from TensorFlow on {backend}, "
            "and validate does not warn (GS502) why"
        )


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_loss_and_one_training_step(parity: Mapping[str, Any], case: tuple[Path, str]) -> None:
    """The loss in inference mode is TensorFlow's; one training step runs to a finite loss
    (dropout makes its value differ by backend)."""
    spec, backend = case
    evaluated, trained = _listed(_results(parity, backend, spec), _key(spec), "loss")
    reference = float(parity["tensorflow"][f"{_key(spec)}/loss/0"])
    assert math.isfinite(float(trained))
    if not warned(spec, backend):
        assert float(evaluated) == pytest.approx(reference, rel=LOSS_TOLERANCE)


def test_string_specs_are_refused_off_tensorflow() -> None:
    strings = SPECS / "gallery" / "text_classifier_strings.yaml"
    assert all(refused(strings, backend) for backend in OTHER_BACKENDS)
    assert not refused(strings, "tensorflow")


def test_the_warned_specs_do_differ(parity: Mapping[str, Any]) -> None:
    """The warning is no blanket excuse: where Keras computes a spec differently, it shows."""
    inception = SPECS / "seeds" / "seed002_inception.yaml"
    need("torch")
    assert warned(inception, "torch") and not warned(inception, "jax")
    assert max_difference(parity, "torch", inception) > 0.01
