"""Deep models: build and load chains deeper than Keras' own recursion allows.

Keras 3 walks a functional graph by recursion, one Python frame per layer on its longest path
(`_build_map_helper` in keras/src/ops/function.py), whenever a functional Model is made,
loading one included: a chain of about 990 layers passes Python's default recursion limit of
1,000. `deep_recursion(layers)` raises the limit by two frames per layer for one block and
puts it back afterwards, so graphspec builds (`graphspec.pipeline.build_report`) and loads
(`graphspec.runtime.saving.load_model`) deep chains without the user raising anything, and
the model stays the one flat functional chain an expert would write.

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
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphspec.analyse.plan import Plan

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
    """At most how many layers one model of the plan chains: every layer of every scope,
    inline instances expanded."""
    from graphspec.analyse.names import node_layer_names

    spec = plan.spec
    # A `use` makes no layer of its own but is one call on the path, hence the max(1, ...);
    # an inline instance counts every layer it expands into, repetitions included.
    calls = sum(max(1, len(node_layer_names(spec, name, node))) for _, name, node in spec.walk())
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
