"""Deep models: build and load chains deeper than Keras' own recursion allows.

Keras 3 walks a functional graph by recursion, one Python frame per layer on its longest path
(`_build_map_helper` in keras/src/ops/function.py), whenever a functional Model is made,
loading one included: a chain of about 990 layers passes Python's default recursion limit of
1,000. `deep_recursion(layers)` raises the limit by two frames per layer for one block and
puts it back afterwards, so graphspec builds and loads deep chains without the user raising
anything, and the model stays the one flat functional chain an expert would write.

It raises the limit in the caller's thread rather than running the work in a worker thread
with a large stack, because Keras keeps its dtype policy (`keras.config.set_dtype_policy`) and
TensorFlow its distribution-strategy and device scopes per thread: a worker would silently
build a float32 model outside the user's strategy. The caller's C stack is not at risk: since
CPython 3.11 a Python function calling a Python function adds no C stack frame, and Keras'
recursion is such a call (benchmarks/bench_depth.py builds, saves, loads and predicts chains
of up to 20,000 layers in a thread with a 512 KiB stack). What does recurse in C (json,
optree) follows the nesting of a spec or of a saved config, which stays shallow:
`Limits.max_depth` caps a spec's, and `saved_layer_bound` parses a saved config at the
unraised limit first. From Python 3.12 on, the recursion limit counts Python frames only.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphspec.analyse.graph import Plan
    from graphspec.catalogue.custom import CustomLayers

FRAMES_PER_LAYER = 2
"""Keras 3.15 recurses one frame per chained layer; two leave room for a release that takes two."""
UNKNOWN_LAYERS = 100_000
"""Layers assumed for a saved model whose config cannot be read up front (not a .keras zip)."""

_lock = threading.Lock()
_active = 0
_limit_before = 0


@contextlib.contextmanager
def deep_recursion(layers: int) -> Iterator[None]:
    """Let Keras walk a graph of up to `layers` chained layers inside the block.

    Raises the recursion limit by `FRAMES_PER_LAYER * layers` frames. Nested and concurrent
    uses add up; the limit returns to its value from before the first one when the last ends.

    >>> with deep_recursion(5_000):
    ...     model = keras.Model(inputs, outputs)  # doctest: +SKIP
    """
    global _active, _limit_before
    extra = FRAMES_PER_LAYER * max(0, layers)
    with _lock:
        if _active == 0:
            _limit_before = sys.getrecursionlimit()
        _active += 1
        sys.setrecursionlimit(sys.getrecursionlimit() + extra)
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                sys.setrecursionlimit(_limit_before)


def plan_layer_bound(plan: Plan) -> int:
    """At most how many layers one model of the plan chains: every layer of every scope."""
    from graphspec.analyse.graph import layer_names

    spec = plan.spec
    scopes = [spec.nodes, *(block.nodes for block in spec.blocks.values())]
    # A `use` makes no layer of its own but is one call on the path, hence the max(1, ...).
    calls = sum(
        max(1, len(layer_names(name, node))) for scope in scopes for name, node in scope.items()
    )
    return calls + len(spec.inputs) + len(spec.outputs)


def saved_layer_bound(path: str | Path) -> int:
    """At most how many layers a saved .keras model chains: the objects in its config.

    Its config.json is parsed here at the unraised recursion limit, so a config nested deeply
    enough to exhaust the C stack under a raised limit is refused (ValueError) before loading.
    """
    import zipfile  # here: `validate` never needs it

    try:
        with zipfile.ZipFile(path) as archive:
            config = archive.read("config.json")
    except (OSError, KeyError, zipfile.BadZipFile):
        return UNKNOWN_LAYERS  # Keras reports what is wrong with the file, or loads an .h5
    try:
        json.loads(config)
    except RecursionError:
        raise ValueError(f"{path}: the model config nests too deeply to load") from None
    except ValueError:
        return 0  # not JSON: Keras says so
    return config.count(b'"class_name"')  # every layer has one (so do its initializers)


def load_model(
    path: str | Path,
    *,
    compile: bool = True,
    custom_layers: CustomLayers | Sequence[str] | None = None,
) -> Any:
    """Load a model that `graphspec build` saved, however deep, with Keras' safe mode on.

    The same as `keras.saving.load_model(path, safe_mode=True)` in a process that has
    imported graphspec's expression layer, with the recursion limit raised for the load: plain
    Keras needs `sys.setrecursionlimit` raised by hand for a chain of about 1,000 layers or more.
    ``custom_layers``: the layer classes the spec was allowed to use (import paths or a
    `CustomLayers`), passed to Keras as custom objects.
    """
    from graphspec.emit.model import import_keras

    layers = saved_layer_bound(path)
    keras = import_keras()  # registers graphspec's expression layer
    objects = {}
    if custom_layers:
        from graphspec.catalogue.custom import CustomLayers, custom_objects

        allowed = (
            custom_layers
            if isinstance(custom_layers, CustomLayers)
            else CustomLayers.from_paths(custom_layers, "custom_layers")
        )
        objects = custom_objects(allowed, keras)
    with deep_recursion(layers):
        return keras.saving.load_model(
            path, compile=compile, safe_mode=True, custom_objects=objects or None
        )
