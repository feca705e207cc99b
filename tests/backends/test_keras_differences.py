"""What Keras itself computes differently by backend, shown with hand-written Keras layers, and
that GS502 (`graphspec.analyse.backends.DIFFERENCES`) warns about exactly such layers.

Keras 3.15's PyTorch backend pads ``padding="same"`` average pooling itself when the padding of
some axis is uneven (one more at the end), with copies of the edge values that then count in
the average; TensorFlow and JAX leave padding out of the average. A copy changes a border
window's average only where the window also holds two or more real values. When a Keras
release fixes this, the test of the difference fails and its row in DIFFERENCES goes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from graphspec.analyse.backends import DIFFERENCES
from tests.backends.runs import finish, need, start

pytestmark = pytest.mark.backends

# (layer, pool_size, strides, input size): each spatial axis of the input has that size.
CASES = [
    ("AveragePooling2D", 3, 2, 8),  # seed002_inception's pooling: pads 1, at the end
    ("AveragePooling2D", 3, 2, 7),  # pads 1 + 1: even
    ("AveragePooling2D", 3, 1, 8),  # pads 1 + 1 on every size
    ("AveragePooling2D", 2, 1, 8),  # pads 0 + 1, but a border window holds one real value
    ("AveragePooling2D", 4, 1, 8),  # pads 1 + 2
    ("AveragePooling2D", 2, 2, 8),  # no padding
    ("AveragePooling1D", 4, 1, 8),
    ("AveragePooling3D", 3, 2, 4),  # pads 0 + 1
]

SCRIPT = """
import json, sys
import numpy as np
import keras
cases = json.loads(sys.argv[1])
results = []
for layer, pool, strides, size in cases:
    axes = int(layer[-2])
    x = np.random.default_rng(0).standard_normal((1, *[size] * axes, 2)).astype("float32")
    pooling = getattr(keras.layers, layer)(pool, strides=strides, padding="same")
    results.append(keras.ops.convert_to_numpy(pooling(x)).ravel().tolist())
print(json.dumps({"backend": keras.backend.backend(), "results": results}))
"""


def _differs(pool: int, strides: int, size: int) -> bool:
    """Whether PyTorch averages edge copies in (the same pool, strides and size on every
    axis): the padding is uneven (Keras' arithmetic, torch/nn.py) and a padded border
    window holds two or more real values."""
    total = pool - 1 if strides == 1 else max(0, (-(-size // strides) - 1) * strides + pool - size)
    left, right = total // 2, total - total // 2
    return total % 2 == 1 and any(pad > 0 and pool - pad >= 2 for pad in (left, right))


@pytest.fixture(scope="module")
def pooled() -> Mapping[str, list[Any]]:
    """Every case's output on every installed backend, each backend in its own process."""
    found = {}
    for backend in ("tensorflow", "jax", "torch"):
        need(backend)
        run = finish(start(backend, ["-c", SCRIPT, json.dumps(CASES)]), timeout=300)
        data = json.loads(run.strip().splitlines()[-1])
        assert data["backend"] == backend
        found[backend] = [np.asarray(r) for r in data["results"]]
    return found


@pytest.mark.parametrize("index", range(len(CASES)), ids=[str(c) for c in CASES])
def test_torch_averages_uneven_same_padding_differently(
    pooled: Mapping[str, list[Any]], index: int
) -> None:
    _, pool, strides, size = CASES[index]
    reference = pooled["tensorflow"][index]
    assert np.max(np.abs(pooled["jax"][index] - reference)) <= 1e-6
    torch_difference = float(np.max(np.abs(pooled["torch"][index] - reference)))
    assert (torch_difference > 1e-3) == _differs(pool, strides, size), torch_difference


@pytest.mark.parametrize("index", range(len(CASES)), ids=[str(c) for c in CASES])
def test_gs801_warns_wherever_torch_can_differ(index: int) -> None:
    """The rule reads arguments, not input sizes: it warns for every case that differs,
    and for strides above 1 on any size (the size decides); never on JAX."""
    layer, pool, strides, size = CASES[index]
    (rule,) = [d for d in DIFFERENCES if layer in d.layers]
    assert rule.backends == {"torch"}
    reason = rule.why({"pool_size": pool, "strides": strides, "padding": "same"}, int(layer[-2]))
    if _differs(pool, strides, size):
        assert reason is not None
    if strides == 1:
        assert (reason is not None) == _differs(pool, strides, size)
    assert rule.why({"pool_size": pool, "strides": strides}, int(layer[-2])) is None  # valid
