"""Spec values → Keras constructor values.

A spec is YAML or JSON, so it writes a Keras tuple (``kernel_size``, ``strides``) as a list and
an initializer, regularizer or constraint with arguments as a mapping with a ``name``. Analyse
has checked the names against the catalogue; here they become what Keras' constructors take.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphspec.catalogue.reader import object_kind


def keras_values(args: Mapping[str, Any], keras: Any) -> dict[str, Any]:
    """A layer's arguments as its constructor takes them.

    Lists become tuples; ``{name: VarianceScaling, scale: 2.0}`` under an initializer,
    regularizer or constraint argument becomes ``keras.initializers.VarianceScaling(scale=2.0)``
    (or what ``keras.<kind>.get`` makes of the name when it is not a class).
    """
    converted: dict[str, Any] = {}
    for key, value in args.items():
        kind = object_kind(key)
        if kind is not None and isinstance(value, Mapping):
            config = {k: v for k, v in value.items() if k != "name"}
            module = getattr(keras, kind)
            target = getattr(module, value["name"], None)
            if isinstance(target, type):  # a class: its constructor takes the arguments
                value = target(**config)
            else:
                value = module.get({"class_name": value["name"], "config": config})
        elif isinstance(value, list):
            value = tuple(value)
        converted[key] = value
    return converted
