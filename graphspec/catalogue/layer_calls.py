"""What a Keras layer's call gives and takes besides its input: the names of its outputs and
the keyword arguments of its ``call`` (a spec's ``call:``), as Keras 3.15 defines them.

One table each, read without Keras. ``tests/catalogue/test_layer_calls.py`` checks both against
the installed Keras: every call argument here is a parameter of the layer's ``call``, and the
outputs are what a call returns with the switch on.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from graphspec.catalogue.reader import load_catalogue
from graphspec.spec.base import WRAPPERS


class CallKind(enum.StrEnum):
    """What a call argument takes: tensors (references in a spec) or a plain flag."""

    TENSOR = "tensor"
    """A reference, or a list of references (``initial_state: [enc.state_h, enc.state_c]``)."""
    FLAG = "flag"
    """true or false (``use_causal_mask: true``)."""


_T, _F = CallKind.TENSOR, CallKind.FLAG
_RNN: Final = ("LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional")
_CONV_RNN: Final = ("ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")
_MHA: Final = ("MultiHeadAttention", "GroupQueryAttention")
_DOT_ATTENTION: Final = ("Attention", "AdditiveAttention")
_GROUPS: Final[tuple[tuple[tuple[str, ...], Mapping[str, CallKind]], ...]] = (
    ((*_RNN, *_CONV_RNN), {"initial_state": _T, "mask": _T}),
    (
        _MHA,
        {
            "query_mask": _T,
            "value_mask": _T,
            "key_mask": _T,
            "attention_mask": _T,
            "return_attention_scores": _F,
            "use_causal_mask": _F,
        },
    ),
    (_DOT_ATTENTION, {"mask": _T, "return_attention_scores": _F, "use_causal_mask": _F}),
    (
        ("BatchNormalization", "TimeDistributed", "Pipeline", "GlobalAveragePooling1D", "Softmax"),
        {"mask": _T},
    ),
    (("CategoryEncoding",), {"count_weights": _T}),
    (("ReversibleEmbedding",), {"reverse": _F}),
)
ANY_ARGUMENTS: Final = frozenset({"Layer", "Wrapper", "TFSMLayer", "TorchModuleWrapper"})
"""Layers whose call takes ``**kwargs``: any call argument may be theirs."""

CALL_ARGUMENTS: Final[Mapping[str, Mapping[str, CallKind]]] = MappingProxyType(
    {layer: MappingProxyType(dict(args)) for layers, args in _GROUPS for layer in layers}
)
"""Layer → its call's keyword arguments besides the input(s) and ``training``."""

COMMON_CALL_ARGUMENTS: Final[Mapping[str, CallKind]] = MappingProxyType({"training": _F})
"""What every layer's call takes: Keras passes ``training`` on to layers whose call has it and
drops it for the others."""


def _canonical(layer: str) -> str | None:
    """The class name of a catalogue layer (``MaxPool2D`` is ``MaxPooling2D``); None outside it."""
    info = load_catalogue().layers.get(layer)
    return None if info is None else info.canonical


def call_arguments(layer: str) -> Mapping[str, CallKind] | None:
    """The call arguments a catalogue layer takes; None: any (``**kwargs``, or a layer outside
    the catalogue, whose call only Keras knows)."""
    name = _canonical(layer)
    if name is None or name in ANY_ARGUMENTS:
        return None
    return {**COMMON_CALL_ARGUMENTS, **CALL_ARGUMENTS.get(name, {})}


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Switch:
    """The argument that gives a layer its other outputs (``return_state: true``)."""

    argument: str
    in_call: bool = False
    """True when it is a call argument (``call: {return_attention_scores: true}``)."""

    @property
    def written(self) -> str:
        """How a spec writes it on."""
        if self.in_call:
            return f"call: {{{self.argument}: true}}"
        return f"{self.argument}: true"


@dataclass(frozen=True)
class LayerOutputs:
    """The outputs of one call of a layer, by name, in the order Keras returns them."""

    names: tuple[str, ...]
    """What the call gives as the spec configures it: ``("output",)`` for most layers."""
    switched: tuple[str, ...] = ()
    """The names the call would give with the switch on (empty without a switch)."""
    switch: Switch | None = None


SINGLE: Final = LayerOutputs(("output",))
_STATE_NAMES: Final = {
    "LSTM": ("state_h", "state_c"),
    "ConvLSTM1D": ("state_h", "state_c"),
    "ConvLSTM2D": ("state_h", "state_c"),
    "ConvLSTM3D": ("state_h", "state_c"),
    "GRU": ("state",),
    "SimpleRNN": ("state",),
}
"""The states an RNN returns after its output with ``return_state: true``."""
_RETURN_STATE: Final = Switch("return_state")
_RETURN_SCORES: Final = Switch("return_attention_scores", in_call=True)


def _switched(
    base: tuple[str, ...], extra: tuple[str, ...], on: Any, switch: Switch
) -> LayerOutputs:
    full = (*base, *extra)
    if isinstance(on, bool):
        return LayerOutputs(full if on else base, full, switch)
    return LayerOutputs(full, full, switch)  # a ${param} in a block body: Keras will judge


def layer_outputs(
    layer: str, args: Mapping[str, Any], call: Mapping[str, Any] | None = None
) -> LayerOutputs | None:
    """The outputs of ``layer`` built with ``args`` and called with ``call``; None when they are
    not known without building it (a layer outside the catalogue, an RNN over a cell).

    A switch given as a ``${param}`` (in a block body) counts as on: each instance is built
    with its value, and Keras judges a reference to an output it does not give."""
    call = call or {}
    name = _canonical(layer)
    if name is None:
        return None
    layer = name
    if layer in _STATE_NAMES:
        return _switched(
            ("output",), _STATE_NAMES[layer], args.get("return_state", False), _RETURN_STATE
        )
    if layer in (*_MHA, *_DOT_ATTENTION):
        on = call.get("return_attention_scores", False)
        return _switched(("output",), ("scores",), on, _RETURN_SCORES)
    if layer == "Bidirectional":
        return _bidirectional(args)
    if layer == "RNN" or layer in WRAPPERS:
        return None  # the cell's (or the wrapped layer's) states
    return SINGLE


def _bidirectional(args: Mapping[str, Any]) -> LayerOutputs | None:
    inner = args.get("wraps", args.get("layer"))
    if not isinstance(inner, Mapping) or inner.get("layer") not in _STATE_NAMES:
        return None
    if args.get("backward_layer") is not None:
        return None
    merge_mode = args.get("merge_mode", "concat")
    if merge_mode is None:
        base: tuple[str, ...] = ("forward_output", "backward_output")
    elif isinstance(merge_mode, str):
        base = ("output",)
    else:
        return None
    states = _STATE_NAMES[inner["layer"]]
    extra = (*(f"forward_{s}" for s in states), *(f"backward_{s}" for s in states))
    return _switched(base, extra, inner.get("return_state", False), _RETURN_STATE)
