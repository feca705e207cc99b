"""Import: a layer's Keras config to the constructor arguments a person would write.

Keras serialises every constructor argument, defaults included, and objects in full
(``{class_name: GlorotUniform, config: {seed: null}}``). A spec written by hand names only
what differs from Keras' defaults, and objects by the name Keras' ``get()`` accepts
(``he_normal``). The defaults come from the catalogue (`graphspec.catalogue.reader`), which
was generated from the installed Keras, so no Keras is imported here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from graphspec.catalogue.reader import ArgInfo, Catalogue, object_kind
from graphspec.diagnostics import SpecPath, codes
from graphspec.importer.keras_config import problem, short
from graphspec.spec.base import WRAPPERS

_BASE_DROPPED = {"name", "build_config", "compile_config"}
"""Config keys that are not constructor arguments a spec writes (the name is the node's)."""

_DERIVED_CONFIG_KEYS = frozenset({"vocabulary_size"})
"""Config keys no constructor takes, whose value Keras derives from the arguments (the lookup
layers write their vocabulary's size)."""

_RESOLVED_DEFAULTS = {"data_format": "channels_last", "activation": "linear"}
"""What Keras writes into a config for an argument left at None: the same model."""

_SIZES = {"kernel_size", "strides", "pool_size", "dilation_rate", "size", "padding", "cropping"}
"""Arguments Keras expands to one entry per dimension (``3`` → ``[3, 3]``)."""


class ArgumentReader:
    """Reads layer configs into spec arguments: defaults left out, objects by name.

    It needs the catalogue (the defaults and the named objects Keras knows) and the model
    file's name for its diagnostics.
    """

    def __init__(self, file: str, catalogue: Catalogue) -> None:
        self.file = file
        self.catalogue = catalogue

    def layer_arguments(
        self,
        config: Mapping[str, Any],
        known: Mapping[str, ArgInfo] | None,
        path: SpecPath,
        kind: str = "",
    ) -> dict[str, Any]:
        """The config's constructor arguments that differ from Keras' defaults.

        ``known`` is the catalogue's arguments of the layer class (None for a custom layer:
        then every argument is kept); ``kind`` is the class name, for wrappers.
        """
        args: dict[str, Any] = {}
        for key, value in config.items():
            if key in _BASE_DROPPED:
                continue
            if key == "trainable":
                if value is False:
                    args[key] = False
                continue
            if key == "dtype":
                policy = _dtype_name(value)
                if policy not in (None, "float32"):
                    args[key] = policy
                continue
            if kind in WRAPPERS and key in ("layer", "backward_layer"):
                args["wraps" if key == "layer" else key] = self._wrapped(value, path)
                continue
            suffix = object_kind(key)
            if suffix is not None and isinstance(value, Mapping):
                value = self._named_object(suffix, value, path, key)
            elif _is_serialized(value):
                raise problem(
                    self.file,
                    codes.INEXPRESSIBLE_MODEL,
                    f"argument '{key}' holds a Keras object ({value.get('class_name')}) that a "
                    "spec cannot express",
                    (*path, key),
                )
            base = self.catalogue.base_arguments.get(key)
            if base is not None and _same(value, base.default):
                continue  # base Layer noise at its default (autocast: true, ...), custom too
            info = known.get(key) if known is not None else None
            if known is not None and info is None and value in (None, False):
                continue  # a config-only key at its off value (LayerNormalization.rms_scaling)
            if known is not None and info is None and key in _DERIVED_CONFIG_KEYS:
                continue  # Keras computes it from the other arguments (the vocabulary's size)
            if info is not None and not info.required and _implied(key, value, info.default):
                continue
            if info is not None and suffix is not None and self._same_object(suffix, value, info):
                continue  # `random_uniform` where the default is written `uniform`
            args[key] = _simplest(key, value)
        return _derived_backward_dropped(args) if kind == "Bidirectional" else args

    def _wrapped(self, value: Any, path: SpecPath) -> dict[str, Any]:
        """A wrapper's inner layer as a spec writes it: ``{layer: LSTM, units: 32}``."""
        if not isinstance(value, Mapping) or not isinstance(value.get("class_name"), str):
            raise problem(
                self.file, codes.INEXPRESSIBLE_MODEL, "a wrapper without its inner layer", path
            )
        kind = value["class_name"]
        info = self.catalogue.layer(kind)
        if info is None or not info.safe:
            raise problem(
                self.file,
                codes.UNKNOWN_CLASS,
                f"the wrapped layer {kind} is not a Keras layer",
                path,
            )
        arguments = self.layer_arguments(value.get("config") or {}, info.args, path, kind)
        return {"layer": kind, **arguments}

    def _same_object(self, kind: str, value: Any, info: ArgInfo) -> bool:
        """Two names of one Keras object without arguments (`uniform`, `random_uniform`)."""
        if not (isinstance(value, str) and isinstance(info.default, str)):
            return False
        classes = self.catalogue.object_args.get(kind, {})
        known = classes.get(value)
        return known is not None and known is classes.get(info.default)

    def _named_object(self, kind: str, value: Mapping[str, Any], path: SpecPath, key: str) -> Any:
        """`{class_name: VarianceScaling, config: {...}}` → `he_normal` or `{name: ..., ...}`."""
        class_name = value.get("class_name")
        classes = self.catalogue.object_args.get(kind, {})
        if not isinstance(class_name, str) or class_name not in classes:
            raise problem(
                self.file,
                codes.UNKNOWN_CLASS,
                f"'{key}' is {short(class_name)}, not a Keras {kind[:-1]}",
                (*path, key),
            )
        accepted = classes[class_name]
        given = {
            k: v
            for k, v in (value.get("config") or {}).items()
            if k in accepted and not _same(v, accepted[k].default)
        }
        if given:
            return {"name": class_name, **given}
        alias = _snake_alias(class_name, self.catalogue, kind)
        if alias in getattr(self.catalogue, kind):
            return alias
        return {"name": class_name}  # Keras makes it by name only with arguments: Constant


def _derived_backward_dropped(args: dict[str, Any]) -> dict[str, Any]:
    """A Bidirectional's arguments as a person writes them: Keras derives the backward layer
    (the forward one with ``go_backwards``) and forces ``zero_output_for_mask`` to
    ``return_sequences`` on both, and writes all of it into the config; a spec leaves out
    what Keras derives, so the static rule (which knows the derived layer) applies."""

    def underived(layer: Any) -> Any:
        if not isinstance(layer, dict):
            return layer
        forced = bool(layer.get("return_sequences", False))
        if layer.get("zero_output_for_mask", False) is forced:
            return {k: v for k, v in layer.items() if k != "zero_output_for_mask"}
        return layer

    args = {
        key: underived(value) if key in ("wraps", "backward_layer") else value
        for key, value in args.items()
    }
    forward, backward = args.get("wraps"), args.get("backward_layer")
    if isinstance(forward, dict) and isinstance(backward, dict):
        derived = dict(forward)
        if derived.pop("go_backwards", False) is False:
            derived["go_backwards"] = True
        if derived == backward:
            del args["backward_layer"]
    return args


def _same(value: Any, default: Any) -> bool:
    """JSON value equal to a catalogue default (lists and tuples alike; 1 is not True)."""
    if isinstance(value, bool) or isinstance(default, bool):
        return value is default
    if isinstance(value, list | tuple) and isinstance(default, list | tuple):
        return len(value) == len(default) and all(
            _same(a, b) for a, b in zip(value, default, strict=True)
        )
    if isinstance(value, int | float) and isinstance(default, int | float):
        return value == default
    return bool(value == default) and type(value) is type(default)


def _implied(key: str, value: Any, default: Any) -> bool:
    """The argument may be left out: it is the default, or what the default resolves to."""
    if _same(value, default):
        return True
    if default is None and _RESOLVED_DEFAULTS.get(key) == value:
        return True
    return isinstance(default, int) and _same(_simplest(key, value), default)


def _simplest(key: str, value: Any) -> Any:
    """`kernel_size: [3, 3]` → `3`; `padding: [[1, 1], [1, 1]]` → `1`: the form people write."""
    if key not in _SIZES or not isinstance(value, list) or not value:
        return value
    if all(isinstance(v, list) and len(v) == 2 and v[0] == v[1] for v in value):
        flat = [v[0] for v in value]
        if len(set(map(repr, flat))) == 1 and isinstance(flat[0], int):
            return flat[0]
        return value
    if (
        len(set(map(repr, value))) == 1
        and isinstance(value[0], int)
        and not isinstance(value[0], bool)
    ):
        return value[0]
    return value


def _is_serialized(value: Any) -> bool:
    return isinstance(value, Mapping) and "class_name" in value


def _dtype_name(value: Any) -> str | None:
    """A dtype policy's name (``{class_name: DTypePolicy, config: {name: ...}}`` or a string)."""
    if isinstance(value, Mapping):
        inner = value.get("config") or {}
        name = inner.get("name") if isinstance(inner, Mapping) else None
        return str(name) if name is not None else None
    return None if value is None else str(value)


def _snake_alias(class_name: str, catalogue: Catalogue, kind: str) -> str:
    """`GlorotUniform` → `glorot_uniform`, the form people write (when Keras has it)."""
    names = catalogue.object_args.get(kind, {})
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()
    if snake in names and names[snake] is names[class_name]:
        return snake
    return class_name
