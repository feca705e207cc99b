"""Spec values → Keras constructor values.

A spec is YAML or JSON, so it writes a Keras tuple (``kernel_size``, ``strides``) as a list and
an initializer, regularizer or constraint with arguments as a mapping with a ``name``. Analyse
has checked the names against the catalogue; here they become what Keras' constructors take.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphspec.catalogue.reader import object_kind
from graphspec.read.vocabulary import inline_vocabulary

_LISTS = frozenset({"vocabulary", "idf_weights", "bin_boundaries"})
"""Arguments Keras reads as arrays of tokens or numbers, not as tuples of sizes."""


def keras_values(
    args: Mapping[str, Any],
    keras: Any,
    layer: str = "",
    vocabularies: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, Any]:
    """A layer's arguments as its constructor takes them.

    Lists become tuples (but a vocabulary and other arrays stay lists); ``vocabulary: {file:
    ...}`` becomes the file's tokens, read by analysis (``vocabularies``), so the saved model
    holds the list, not a path; ``{name: VarianceScaling, scale: 2.0}`` under an initializer,
    regularizer or constraint argument becomes ``keras.initializers.VarianceScaling(scale=2.0)``
    (or what ``keras.<kind>.get`` makes of the name when it is not a class).
    """
    args = inline_vocabulary(layer, args, vocabularies or {})
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
        elif isinstance(value, list) and key not in _LISTS:
            value = tuple(value)
        converted[key] = value
    return converted
