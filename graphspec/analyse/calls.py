"""`call:` arguments: each is one the layer's call takes, of the kind it takes (a reference
for a tensor, true or false for a flag), and an RNN's `initial_state` lists one tensor per
state (GS318-GS320). Their references are resolved with the node's others
(`graphspec.analyse.references`); the sizes of the states are checked with the shapes.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any, Final

from graphspec.analyse.state import Analysis
from graphspec.catalogue.layer_calls import CallKind, call_arguments
from graphspec.diagnostics import Diagnostic, SpecPath, codes
from graphspec.diagnostics.reporter import Reporter
from graphspec.spec.base import keras_arguments
from graphspec.spec.forms import LayerNode, UseNode
from graphspec.spec.model import Spec

_BLOCK_CALL: Final = {"training": CallKind.FLAG}
"""What a shared block's call (a nested keras.Model) takes."""
STATES: Final = {
    "LSTM": 2,
    "ConvLSTM1D": 2,
    "ConvLSTM2D": 2,
    "ConvLSTM3D": 2,
    "GRU": 1,
    "SimpleRNN": 1,
}
"""How many state tensors an RNN's `initial_state` lists."""


def check_call_arguments(analysis: Analysis) -> list[Diagnostic]:
    """Every `call:` of every scope against the call of the layer it calls."""
    spec = analysis.spec
    report = Reporter(spec.source)
    custom = analysis.options.custom_layers.layers
    for base, name, node in spec.walk():
        if not isinstance(node, LayerNode | UseNode) or not node.call:
            continue
        path = (*base, "nodes", name, "call")
        layer, args, allowed = _callee(spec, node, custom)
        for key, value in node.call.items():
            _check_one(report, (*path, key), layer, allowed, key, value)
        if layer is not None and "initial_state" in node.call:
            _check_state_count(report, (*path, "initial_state"), layer, args, node.call)
    return report.diagnostics


def _callee(
    spec: Spec, node: LayerNode | UseNode, custom: Collection[str]
) -> tuple[str | None, Mapping[str, Any], Mapping[str, CallKind] | None]:
    """The layer a node calls, its arguments, and what its call takes (None: anything); the
    layer is None for a shared block."""
    called = spec.called_layer(node)
    if called is None:
        return None, {}, _BLOCK_CALL
    layer, args = called
    allowed = None if layer in custom else call_arguments(layer)
    return layer, args, allowed


def _check_one(
    report: Reporter,
    path: SpecPath,
    layer: str | None,
    allowed: Mapping[str, CallKind] | None,
    key: str,
    value: Any,
) -> None:
    what = f"{layer}'s call" if layer is not None else "a shared block's call"
    if allowed is not None and key not in allowed:
        report.error(
            codes.UNKNOWN_CALL_ARGUMENT,
            f"{what} takes no argument '{key}'; it takes {', '.join(sorted(allowed))}",
            path,
            report.hint(key, allowed),
            key=True,
        )
        return
    kind = None if allowed is None else allowed[key]
    is_ref = isinstance(value, str | list)
    if kind is CallKind.TENSOR and not is_ref:
        report.error(
            codes.CALL_ARGUMENT_KIND,
            f"'{key}' of {what} takes a tensor, but received {json.dumps(value)}",
            path,
            f"give a reference to an input or node: `{key}: mask`",
        )
    elif kind is CallKind.FLAG and not isinstance(value, bool):
        report.error(
            codes.CALL_ARGUMENT_KIND,
            f"'{key}' of {what} takes true or false, but received {json.dumps(value)}",
            path,
            "a string in `call:` is a reference; write true or false unquoted" if is_ref else None,
        )


def _check_state_count(
    report: Reporter, path: SpecPath, layer: str, args: Mapping[str, Any], call: Mapping[str, Any]
) -> None:
    value = call["initial_state"]
    given = len(value) if isinstance(value, list) else 1
    if not isinstance(value, str | list):
        return  # GS319
    wanted = state_count(layer, args)
    if wanted is None or wanted == given:
        return
    report.error(
        codes.INITIAL_STATE,
        f"{layer} takes {wanted} initial state tensor{'s' if wanted > 1 else ''}, "
        f"but `initial_state` lists {given}",
        path,
        "LSTM: [h, c]; GRU, SimpleRNN: one state; Bidirectional: the forward states, then "
        "the backward ones",
    )


def state_count(layer: str, args: Mapping[str, Any]) -> int | None:
    """How many tensors an RNN's `initial_state` lists; None when unknown (a layer over a cell)."""
    if layer in STATES:
        return STATES[layer]
    if layer == "Bidirectional":
        inner = keras_arguments(layer, args).get("layer")
        if isinstance(inner, Mapping) and inner.get("layer") in STATES:
            return 2 * STATES[inner["layer"]]
    return None
