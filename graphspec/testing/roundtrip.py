"""Round trip: a Keras model → its imported spec → the model graphspec builds, compared.

Used by `graphspec import --verify`, the zoo benchmark and the tests. Imports keras (through
the build path) only when called.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphspec.analyse.plan import Plan
from graphspec.catalogue.custom import CustomLayers
from graphspec.diagnostics import SpecError
from graphspec.pipeline import analyse, build_report, check_text, loads
from graphspec.settings import Options
from graphspec.spec.forms import UseNode

EQUIVALENT_CLASSES = {
    ("CustomScaleLayer", "Add"),  # `a + b * scale`: an expr node whose last operation adds
    ("CustomScaleLayer", "ExpressionLayer"),
    ("Add", "ExpressionLayer"),
    ("Multiply", "ExpressionLayer"),
    ("Subtract", "ExpressionLayer"),
    ("Divide", "ExpressionLayer"),
    ("TrueDivide", "ExpressionLayer"),
    ("Sequential", "Functional"),
}
"""(Keras class, graphspec class) pairs that compute the same thing: an operation on tensors
(`x + 3.0`) or CustomScaleLayer written as an `expr` node (emitted as keras.ops calls, the
last one named after the node; the ones before it, `<node>.<function>`, have no counterpart)."""


@dataclass(frozen=True)
class RoundTrip:
    """What comparing a model with its spec's build found."""

    name: str
    params: int
    layers: int
    validate_s: float
    build_s: float
    static_params: int | None
    built_params: int
    mismatches: tuple[str, ...] = ()
    """Differences in structure, shapes or parameter counts (empty when identical)."""
    max_abs_diff: float | None = None
    """Largest difference over the heads and the probed inner layers' outputs."""
    compared_outputs: int = 0
    """How many tensors were compared (heads + probed layers)."""
    varying_outputs: int = 0
    """How many of them vary across their values (std > 1e-6), so that an equal result is
    not the trivial equality of constants (a saturated softmax)."""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.mismatches and (self.max_abs_diff is None or self.max_abs_diff < 1e-5)


def _layer_signature(model: Any) -> list[tuple[str, str, int]]:
    """Every operation of the model (layers, and operations such as `x + y` that are not
    layers), with its class and parameter count."""
    operations = getattr(model, "operations", None) or model.layers
    return [
        (op.name, type(op).__name__, op.count_params() if hasattr(op, "count_params") else 0)
        for op in operations
        if type(op).__name__ != "InputLayer"
    ]


def _shape(value: Any) -> tuple[int | None, ...]:
    return tuple(value)[1:]


def compare(
    original: Any,
    text: str,
    layer_names: Mapping[str, str],
    custom: CustomLayers | None = None,
    predict: bool = True,
    seed: int = 0,
    probe_layers: int = 16,
) -> RoundTrip:
    """Validate and build ``text``, compare it with ``original`` layer by layer, copy the
    weights across and compare predictions on one random batch."""
    import numpy as np

    mismatches: list[str] = []
    start = time.perf_counter()
    options = Options(custom_layers=custom or CustomLayers())
    report = check_text(text, f"{original.name}.yaml", options)
    validate_s = time.perf_counter() - start
    if not report.ok or report.plan is None:
        raise SpecError(report.diagnostics)
    warnings = [d for d in report.diagnostics if d.severity != "info"]
    if warnings:
        mismatches.append(f"{len(warnings)} warning(s): {warnings[0].format()}")
    plan = report.plan
    static = None
    if plan.trainable is not None and plan.non_trainable is not None:
        static = plan.trainable + plan.non_trainable
    if static != original.count_params():
        mismatches.append(f"static params {static} != Keras {original.count_params():,}")
    mismatches += _static_against_keras(plan, original, layer_names)

    start = time.perf_counter()
    built, build = build_report(analyse(loads(text, f"{original.name}.yaml"), options), options)
    build_s = time.perf_counter() - start
    if built is None:
        raise SpecError(build.diagnostics)
    mine = {name: (cls, count) for name, cls, count in _layer_signature(built)}
    for name, cls, count in _layer_signature(original):
        target = layer_names.get(name, name)
        if target not in mine:
            mismatches.append(f"layer {name} ({cls}) missing from the build")
            continue
        built_cls, built_count = mine.pop(target)
        if built_cls != cls and (cls, built_cls) not in EQUIVALENT_CLASSES:
            mismatches.append(f"layer {name}: {cls} became {built_cls}")
        if built_count != count:
            mismatches.append(f"layer {name}: {count:,} params became {built_count:,}")
    # a head reading another output of a layer (`enc.2`) is an Identity named after the head
    other_outputs = {h for h, head in plan.spec.outputs.items() if "." in head.from_}
    for name, (cls, _) in mine.items():
        if "." in name:  # `<node>.<function>`: an operation inside an expr node
            continue
        if not (cls == "Identity" and name in other_outputs):
            mismatches.append(f"extra layer {name} ({cls}) in the build")
    diff = None
    compared = varying = 0
    if predict and not any("missing" in m or "params became" in m for m in mismatches):
        for layer in original.layers:
            if layer.weights:
                built.get_layer(layer_names.get(layer.name, layer.name)).set_weights(
                    layer.get_weights()
                )
        rng = np.random.default_rng(seed)
        batch = [
            rng.uniform(0, 255, size=(2, *(d or 224 for d in _shape(tensor.shape)))).astype(
                "float32"
            )
            for tensor in original.inputs
        ]
        feed = batch[0] if len(batch) == 1 else batch
        # The heads, and a sample of inner layers: a saturated softmax can hide a difference
        # that the activations before it show.
        keras = _keras()
        # operations too: an expr node standing for a layer (CustomScaleLayer) is keras.ops calls
        mine_ops = {op.name: op for op in getattr(built, "operations", built.layers)}
        inner = [
            layer.name
            for layer in original.layers
            if type(layer).__name__ != "InputLayer"
            and not isinstance(layer, keras.Model)  # its .output is its own, not its call's
            and layer_names.get(layer.name, layer.name) in mine_ops
            and len(getattr(layer, "_inbound_nodes", [])) == 1
            and not isinstance(layer.output, list | tuple)  # several outputs (return_state)
        ]
        probes = inner[:: max(1, len(inner) // probe_layers)][:probe_layers]
        theirs = keras.Model(
            original.inputs,
            [*_as_list(original.outputs), *(original.get_layer(n).output for n in probes)],
        )
        ours = keras.Model(
            built.inputs,
            [
                *_as_list(built.outputs),
                *(mine_ops[layer_names.get(n, n)].output for n in probes),
            ],
        )
        expected = theirs.predict(feed, verbose=0)
        got = ours.predict(feed, verbose=0)
        pairs = list(zip(_as_list(expected), _as_list(got), strict=True))
        diff = max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in pairs)
        varying = sum(float(np.std(np.asarray(a))) > 1e-6 for a, _ in pairs)
        compared = len(pairs)
    return RoundTrip(
        original.name,
        original.count_params(),
        len(original.layers),
        validate_s,
        build_s,
        static,
        built.count_params(),
        tuple(mismatches),
        diff,
        compared,
        varying,
    )


def _static_against_keras(plan: Plan, original: Any, layer_names: Mapping[str, str]) -> list[str]:
    """Every node's static output shape and parameter count against the Keras layers it
    stands for (a sequence: its layers; a block instance: the nested model)."""
    found: list[str] = []
    back = {mine: theirs for theirs, mine in layer_names.items()}
    keras_layers = {op.name: op for op in getattr(original, "operations", original.layers)}
    for name, info in plan.static.items():
        node = plan.spec.nodes.get(name)
        if node is None or isinstance(node, UseNode):
            continue  # an input, or a shared layer's weights (counted at its entry)
        created = [back.get(n, n) for n, _ in node.layer_names(name)]
        layers = [keras_layers[n] for n in created if n in keras_layers]
        if len(layers) != len(created):
            continue  # named differently on purpose (an equivalent form)
        params = sum(op.count_params() if hasattr(op, "count_params") else 0 for op in layers)
        if info.params is not None and info.params != params:
            found.append(f"{name}: static params {info.params:,} != Keras {params:,}")
        output = layers[-1].output
        output = output[0] if isinstance(output, list | tuple) else output
        if info.shape is not None and tuple(info.shape) != _shape(output.shape):
            found.append(f"{name}: static shape {info.shape} != Keras {tuple(output.shape)}")
    return found


def _keras() -> Any:
    from graphspec.runtime.backend import import_keras

    return import_keras()


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]
