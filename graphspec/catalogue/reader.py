"""The Keras catalogue, read without Keras: layer arguments and known names.

`load_catalogue` parses the checked-in ``data/keras_catalogue.json`` with nothing but the
standard library, so `graphspec validate` can check layer arguments and loss/metric/optimizer
names without importing Keras. `graphspec.catalogue.generate` rebuilds that file from the
installed Keras (``python -m graphspec.catalogue [--check] [-o PATH]``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "CATALOGUE_PATH",
    "COMPILE_METRIC_NAMES",
    "FORMAT_VERSION",
    "OBJECT_KINDS",
    "UNSAFE_LAYERS",
    "ArgInfo",
    "Catalogue",
    "LayerInfo",
    "catalogue_from_dict",
    "load_catalogue",
    "object_kind",
]

CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "keras_catalogue.json"
"""Where the checked-in catalogue lives; the reader and the generator's default output."""

FORMAT_VERSION = 2
OBJECT_KINDS = ("initializers", "regularizers", "constraints")
_OBJECT_SUFFIXES = {
    "_initializer": "initializers",
    "_regularizer": "regularizers",
    "_constraint": "constraints",
}


def object_kind(argument: str) -> str | None:
    """Which kind of Keras object a layer argument takes: `kernel_initializer` →
    "initializers"; None for other arguments."""
    return next((k for s, k in _OBJECT_SUFFIXES.items() if argument.endswith(s)), None)


"""Version of the JSON layout; bump it when the reader must change with the file."""

UNSAFE_LAYERS: frozenset[str] = frozenset(
    {"Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer", "InputLayer"}
)
"""Layers a spec may never name: they run arbitrary code or are structural, not computation."""

COMPILE_METRIC_NAMES: frozenset[str] = frozenset({"accuracy", "acc", "crossentropy", "ce"})
"""Metric strings `Model.compile` resolves itself (by the output's shape) before `metrics.get`."""

# --------------------------------------------------------------------------------------------
# Reader: standard library only.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArgInfo:
    """One constructor argument; `default` is None when required or not JSON-representable."""

    name: str
    required: bool
    default: object | None = None
    default_repr: str | None = None
    """The default's `repr` when it is not a JSON value (then `default` is None)."""
    inherited_from: str | None = None
    """The base class whose ``__init__`` takes the argument when it arrives through **kwargs."""
    description: str | None = None
    """One line from Keras' docstrings (the first sentence of the argument's entry)."""


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """What a `keras.layers` name accepts; aliases share their canonical class's arguments."""

    name: str
    canonical: str
    module: str
    args: Mapping[str, ArgInfo]
    accepts_kwargs: bool
    merge: bool
    base_args: frozenset[str] = field(default_factory=frozenset)
    """Base `Layer` keywords (``name``, ``trainable``, ...) that reach `Layer.__init__`."""
    description: str | None = None
    """The first sentence of the class's docstring ("Just your regular densely-connected NN
    layer.")."""

    def accepts(self, arg: str) -> bool:
        """Whether ``arg`` is a valid keyword for this layer: its own or a base `Layer` one."""
        return arg in self.args or arg in self.base_args

    @property
    def required(self) -> tuple[str, ...]:
        """Arguments without a default, in signature order."""
        return tuple(a.name for a in self.args.values() if a.required)

    @property
    def alias(self) -> bool:
        """Whether this name is an alias (``MaxPool2D``) of another class name."""
        return self.name != self.canonical

    @property
    def safe(self) -> bool:
        """Whether a spec may use this layer (it is not in `UNSAFE_LAYERS`, nor an alias of one)."""
        return self.name not in UNSAFE_LAYERS and self.canonical not in UNSAFE_LAYERS

    def all_args(self) -> tuple[str, ...]:
        """Every keyword this layer accepts: own arguments then base `Layer` ones, for hints."""
        return tuple(self.args) + tuple(sorted(self.base_args - self.args.keys()))


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Everything graphspec knows about the installed Keras, read from the checked-in JSON."""

    keras_version: str
    layers: Mapping[str, LayerInfo]
    activations: frozenset[str]
    losses: frozenset[str]
    metrics: frozenset[str]
    optimizers: frozenset[str]
    initializers: frozenset[str]
    regularizers: frozenset[str]
    constraints: frozenset[str]
    base_layer_args: frozenset[str]
    deprecated_layer_args: frozenset[str] = frozenset()
    """Keywords base `Layer` still swallows with a warning (``input_shape``, ``input_dim``)."""
    base_arguments: Mapping[str, ArgInfo] = field(default_factory=lambda: MappingProxyType({}))
    """The base `Layer` arguments (names in `base_layer_args`) with their defaults and
    descriptions."""
    optimizer_args: Mapping[str, Mapping[str, ArgInfo]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    """Constructor arguments per optimizer name (every name in `optimizers`)."""
    object_args: Mapping[str, Mapping[str, Mapping[str, ArgInfo]]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    """Per kind (initializers, regularizers, constraints): constructor arguments per name, for
    the `{name: VarianceScaling, scale: 2.0}` form of those arguments."""
    loss_args: Mapping[str, Mapping[str, ArgInfo]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    """Constructor arguments per loss class (`SparseCategoricalCrossentropy`), for the
    `{name: SparseCategoricalCrossentropy, from_logits: true}` form of a head's loss."""
    loss_classes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """The class each loss name stands for: `mse` → `MeanSquaredError` (a class to itself)."""
    metric_args: Mapping[str, Mapping[str, ArgInfo]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    """Constructor arguments per metric class, those `get` cannot make alone (`MeanIoU` needs
    `num_classes`) included."""
    metric_classes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """The class each metric name stands for: `auc` → `AUC`; none for `accuracy`, which
    compile resolves by the output's shape."""

    def layer(self, name: str) -> LayerInfo | None:
        """The layer called ``name``, or None when Keras has no such layer."""
        return self.layers.get(name)

    def layer_description(self, layer: str) -> str | None:
        """One line saying what ``layer`` is (from its Keras docstring); None when unknown."""
        info = self.layers.get(layer)
        return info.description if info is not None else None

    def argument_description(self, layer: str, argument: str) -> str | None:
        """One line saying what ``argument`` of ``layer`` is, from Keras' docstrings: the
        layer's own entry, else the base `Layer`'s when the layer takes that keyword; None
        when the layer does not take it or nothing documents it."""
        info = self.layers.get(layer)
        if info is None:
            return None
        if argument in info.args:
            return info.args[argument].description
        base = self.base_arguments.get(argument)
        return base.description if base is not None and argument in info.base_args else None

    def safe_layer_names(self) -> tuple[str, ...]:
        """Sorted names a spec may use: all but `UNSAFE_LAYERS` and their aliases."""
        return tuple(sorted(n for n, info in self.layers.items() if info.safe))


def _arg_from_json(raw: Mapping[str, Any]) -> ArgInfo:
    """Build an `ArgInfo` from one entry of a JSON ``args`` list."""
    return ArgInfo(
        name=raw["name"],
        required=raw["required"],
        default=raw.get("default"),
        default_repr=raw.get("default_repr"),
        inherited_from=raw.get("inherited_from"),
        description=raw.get("description"),
    )


def _args_from_json(raw: Sequence[Mapping[str, Any]]) -> Mapping[str, ArgInfo]:
    """Build a read-only name→`ArgInfo` map that keeps the signature order."""
    return MappingProxyType({a["name"]: _arg_from_json(a) for a in raw})


def catalogue_from_dict(data: Mapping[str, Any]) -> Catalogue:
    """Build a `Catalogue` from the decoded JSON document (see `generate` for the layout)."""
    if data.get("format") != FORMAT_VERSION:
        raise ValueError(
            f"keras catalogue format {data.get('format')!r} is not {FORMAT_VERSION}; "
            "regenerate it with `python -m graphspec.catalogue`"
        )
    base = frozenset(a["name"] for a in data["base_layer_args"])
    layers: dict[str, LayerInfo] = {}
    for name, raw in data["layers"].items():
        layers[name] = LayerInfo(
            name=name,
            canonical=raw["canonical"],
            module=raw["module"],
            args=_args_from_json(raw["args"]),
            accepts_kwargs=raw["accepts_kwargs"],
            merge=raw["merge"],
            base_args=base if raw["base_args"] else frozenset(),
            description=raw.get("description"),
        )
    for alias, target in data["layer_aliases"].items():
        info = layers[target]
        layers[alias] = LayerInfo(
            name=alias,
            canonical=info.canonical,
            module=info.module,
            args=info.args,
            accepts_kwargs=info.accepts_kwargs,
            merge=info.merge,
            base_args=info.base_args,
            description=info.description,
        )
    classes = {k: _args_from_json(v) for k, v in data["optimizer_classes"].items()}
    training = _training_from_json(data)
    object_classes = {k: _args_from_json(v) for k, v in data["object_classes"].items()}
    return Catalogue(
        keras_version=data["keras_version"],
        layers=MappingProxyType(dict(sorted(layers.items()))),
        activations=frozenset(data["activations"]),
        losses=frozenset(data["losses"]),
        metrics=frozenset(data["metrics"]),
        optimizers=frozenset(data["optimizers"]),
        initializers=frozenset(data["initializers"]),
        regularizers=frozenset(data["regularizers"]),
        constraints=frozenset(data["constraints"]),
        base_layer_args=base,
        deprecated_layer_args=frozenset(data["deprecated_layer_args"]),
        base_arguments=_args_from_json(data["base_layer_args"]),
        optimizer_args=MappingProxyType(
            {name: classes[cls] for name, cls in data["optimizers"].items()}
        ),
        object_args=MappingProxyType(
            {
                kind: MappingProxyType(
                    {name: object_classes[cls] for name, cls in data["object_names"][kind].items()}
                )
                for kind in OBJECT_KINDS
            }
        ),
        **training,
    )


def _training_from_json(data: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The loss and metric classes' arguments and the class of each name, as `Catalogue`
    fields."""
    found: dict[str, Mapping[str, Any]] = {}
    for kind in ("loss", "metric"):
        found[f"{kind}_args"] = MappingProxyType(
            {name: _args_from_json(args) for name, args in data[f"{kind}_classes"].items()}
        )
        found[f"{kind}_classes"] = MappingProxyType(dict(data[f"{kind}_names"]))
    return found


@functools.cache
def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read the checked-in catalogue (once per process) without importing Keras."""
    with open(path or CATALOGUE_PATH, encoding="utf-8") as handle:
        return catalogue_from_dict(json.load(handle))
