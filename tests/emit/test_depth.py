"""Depth without limit: chains deeper than Keras' own recursion allows build, save and load.

Keras' Model() recurses once per chained layer and fails past ~990 layers at Python's default
recursion limit; graphspec raises the limit only while it builds or loads
(graphspec.emit.recursion).
The chain is built, saved and loaded once per module; timing lives in benchmarks/bench_depth.py.
"""

from __future__ import annotations

import sys
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphspec
from benchmarks.generate_specs import generate_chain
from graphspec.emit.recursion import FRAMES_PER_LAYER, deep_recursion, saved_layer_bound
from graphspec.pipeline import check_path
from graphspec.settings import DEFAULT_LIMITS

DEPTH = 1_200
"""Past Keras' own limit (~990 chained layers), small enough to build in seconds."""
STATIC_DEPTH = 20_000
"""Validated here; the 100,000-node chain is timed in the benchmark (~10 s)."""


@dataclass(frozen=True)
class Deep:
    model: Any
    loaded: Any
    limits: tuple[int, int, int]
    """The recursion limit before the build, after it, and after the load."""


@pytest.fixture(scope="module")
def deep(keras: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deep]:
    from graphspec.runtime.saving import save_model_atomically

    folder = tmp_path_factory.mktemp("deep")
    spec = folder / "chain.yaml"
    spec.write_text(generate_chain(DEPTH), encoding="utf-8")
    before = sys.getrecursionlimit()
    model = graphspec.build(spec)
    after_build = sys.getrecursionlimit()
    saved = folder / "chain.keras"
    save_model_atomically(model, saved)
    loaded = graphspec.load_model(saved)
    yield Deep(model, loaded, (before, after_build, sys.getrecursionlimit()))
    keras.backend.clear_session()


def test_deep_chain_is_one_flat_functional_model(deep: Deep) -> None:
    kinds = {type(layer).__name__ for layer in deep.model.layers}
    assert kinds == {"InputLayer", "Dense"}
    assert len(deep.model.layers) == DEPTH + 1
    assert deep.model.layers[-1].name == "out"


def test_recursion_limit_is_raised_only_while_building_and_loading(deep: Deep) -> None:
    before, after_build, after_load = deep.limits
    assert before == after_build == after_load == sys.getrecursionlimit()


def test_loaded_chain_has_the_same_layers_weights_and_predictions(deep: Deep) -> None:
    model, loaded = deep.model, deep.loaded
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    for built, restored in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(built, restored)
    batch = np.random.default_rng(0).normal(size=(4, 2)).astype("float32")
    expected = np.asarray(model(batch))
    assert np.all(np.isfinite(expected)) and np.abs(expected).max() > 1e-3  # not washed out
    np.testing.assert_allclose(np.asarray(loaded(batch)), expected, rtol=1e-5, atol=1e-6)


def test_plain_keras_needs_a_raised_limit_for_the_same_chain(deep: Deep, keras: Any) -> None:
    """The premise: if this fails, Keras walks graphs iteratively and emit.recursion can go."""
    with pytest.raises(RecursionError):
        keras.Model(deep.model.inputs, deep.model.outputs)


def test_build_keeps_the_callers_dtype_policy(keras: Any) -> None:
    """The limit is raised in the caller's thread: Keras' dtype policy is per thread, and a
    build in a worker thread would silently make a float32 model."""
    spec = graphspec.loads(generate_chain(3))
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = graphspec.build(spec)
    finally:
        keras.config.set_dtype_policy(previous)
    assert {layer.dtype_policy.name for layer in model.layers[1:]} == {"mixed_float16"}


# ---- the recursion limit ---------------------------------------------------------------------


def test_deep_recursion_restores_the_limit_after_an_error() -> None:
    before = sys.getrecursionlimit()
    with pytest.raises(ZeroDivisionError), deep_recursion(1_000):
        assert sys.getrecursionlimit() == before + FRAMES_PER_LAYER * 1_000
        _ = 1 / 0
    assert sys.getrecursionlimit() == before


def test_deep_recursion_nested_and_concurrent_uses_add_up() -> None:
    before = sys.getrecursionlimit()
    inside = threading.Event()
    release = threading.Event()

    def other_thread() -> None:
        with deep_recursion(500):
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=other_thread)
    with deep_recursion(1_000):
        worker.start()
        assert inside.wait(10)
        with deep_recursion(10):
            assert sys.getrecursionlimit() == before + FRAMES_PER_LAYER * 1_510
        release.set()
        worker.join(10)
        assert sys.getrecursionlimit() >= before + FRAMES_PER_LAYER * 1_000
    assert sys.getrecursionlimit() == before


def test_saved_config_nested_too_deeply_is_refused_before_the_limit_is_raised(
    tmp_path: Path,
) -> None:
    """Under a raised limit, json would recurse in C over this nesting and could overflow the
    C stack; it is parsed at the unraised limit first, and refused."""
    names = ", ".join(['"class_name"'] * 100_000)  # claims 100,000 layers
    config = f'{{"names": [{names}], "x": {"[" * 100_000 + "]" * 100_000}}}'
    path = tmp_path / "hostile.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", config)
    with pytest.raises(ValueError, match="nests too deeply"):
        saved_layer_bound(path)
    with pytest.raises(ValueError, match="nests too deeply"):
        graphspec.load_model(path)


def test_saved_layer_bound_counts_every_layer(tmp_path: Path) -> None:
    path = tmp_path / "small.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", '{"class_name": "F", "layers": [{"class_name": "D"}]}')
    assert saved_layer_bound(path) == 2


# ---- static validation -----------------------------------------------------------------------


def test_deep_chain_validates_statically_with_default_caps(tmp_path: Path) -> None:
    spec = tmp_path / "chain.yaml"
    spec.write_text(generate_chain(STATIC_DEPTH), encoding="utf-8")
    report = check_path(spec)
    assert report.ok, [d.format() for d in report.diagnostics[:3]]
    assert report.plan is not None
    assert len(report.plan.top.live_order) == STATIC_DEPTH
    assert report.plan.static[f"d{STATIC_DEPTH}"].shape == (2,)


def test_default_caps_admit_a_100000_node_chain() -> None:
    text = generate_chain(100_000)
    assert len(text.encode()) <= DEFAULT_LIMITS.max_bytes
    assert text.count("{layer: Dense") == 100_000 <= DEFAULT_LIMITS.max_nodes
