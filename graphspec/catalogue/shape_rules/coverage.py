"""Which catalogue layers have a static shape rule, why the others have none, and the page
``docs/shape-rules.md`` written from both (``python -m graphspec.catalogue.shape_rules.coverage``
prints it; a test compares it with the file, so the page cannot drift from the registry).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from graphspec.catalogue.reader import UNSAFE_LAYERS, load_catalogue
from graphspec.catalogue.shape_rules.base import RULES

_CELL: Final = (
    "a cell computes one step inside an RNN layer and is not called on a model's tensors; "
    "use SimpleRNN, GRU or LSTM"
)

NO_RULE: Final[Mapping[str, str]] = MappingProxyType(
    {
        "Layer": "the base class of every layer: a subclass defines what it computes",
        "Wrapper": "the base class of wrappers: Bidirectional and TimeDistributed have rules",
        "RNN": "it takes a cell object, which a spec cannot write; use SimpleRNN, GRU or LSTM",
        "SimpleRNNCell": _CELL,
        "GRUCell": _CELL,
        "LSTMCell": _CELL,
        "StackedRNNCells": _CELL,
        "Pipeline": "it takes a list of layer objects, which a spec cannot write; a `sequence` "
        "node chains layers",
        "SpectralNormalization": "it wraps a layer object, which a spec can write only for "
        "Bidirectional and TimeDistributed (`wraps:`)",
    }
    | {name: "a spec may not name it: it runs arbitrary code" for name in UNSAFE_LAYERS}
    | {"InputLayer": "a spec may not name it: a model's inputs are its `inputs`"}
)
"""Why each catalogue layer (by class name) without a rule has none."""

_FAMILIES: Final = {
    "core": "Core layers, activations, dropout and noise",
    "reshaping": "Reshaping, padding, cropping and up-sampling",
    "convolution": "Convolutions",
    "pooling": "Pooling",
    "recurrent": "Recurrent layers and wrappers",
    "normalization": "Normalization",
    "attention": "Attention",
    "merge": "Merges",
    "einsum": "EinsumDense",
    "preprocessing": "Lookups, hashing and encoding",
    "image": "Image preprocessing and augmentation",
    "misc": "Other layers",
}
"""The rule modules, in the order the page lists them, with their headings."""


def catalogue_classes() -> dict[str, list[str]]:
    """Each layer class of the catalogue, with its aliases (``MaxPool2D`` of MaxPooling2D)."""
    classes: dict[str, list[str]] = {}
    for name, info in sorted(load_catalogue().layers.items()):
        classes.setdefault(info.canonical, [])
        if name != info.canonical:
            classes[info.canonical].append(name)
    return classes


def _name(layer: str, aliases: list[str]) -> str:
    written = ", ".join(f"`{a}`" for a in aliases)
    return f"`{layer}`" + (f" ({written})" if written else "")


def shape_rules_page() -> str:
    """The text of ``docs/shape-rules.md``, written from the registry and `NO_RULE`."""
    classes = catalogue_classes()
    ruled = [layer for layer in classes if layer in RULES]
    lines = [
        "# Static shape rules",
        "",
        "`graphspec validate` infers each layer's output shape and parameter count without",
        "Keras (see [Static shapes](language.md#static-shapes)). This page lists the layers of",
        "the Keras catalogue that have such a rule and says why the others have none; a layer",
        "without a rule gets an unknown shape (GS601, info) and Keras checks it when building.",
        "Each rule is compared with the layer Keras builds by",
        "`tests/catalogue/test_shape_rules_differential.py` and",
        "`tests/catalogue/test_shape_rules_differential_more.py`.",
        "",
        f"{len(ruled)} of the {len(classes)} layer classes of the catalogue have a rule.",
        "",
        "<!-- Written by graphspec.catalogue.shape_rules.coverage.shape_rules_page; "
        "do not edit. -->",
        "",
        "## Layers with a rule",
    ]
    for module, heading in _FAMILIES.items():
        names = [
            _name(layer, classes[layer])
            for layer in ruled
            if RULES[layer].rule.__module__.rsplit(".", 1)[-1] == module
        ]
        if names:
            lines += ["", f"### {heading}", "", ", ".join(names) + "."]
    lines += ["", "## Layers without a rule", "", "| Layer | Why |", "| --- | --- |"]
    lines += [
        f"| {_name(layer, classes[layer])} | {NO_RULE[layer]} |"
        for layer in classes
        if layer not in RULES
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(shape_rules_page(), end="")
