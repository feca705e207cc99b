"""Custom layers at build and load time: import the classes a user allowed, and only those.

Which classes are allowed, and their static rules, is settled without Keras in
`graphspec.catalogue.custom`; this is the part that imports them and checks they are Keras
layers.
"""

from __future__ import annotations

from typing import Any

from graphspec.catalogue.custom import (
    CustomLayer,
    CustomLayerError,
    CustomLayers,
    import_user_module,
)


def load_class(layer: CustomLayer, keras: Any, source: str = "") -> type:
    """Import an allowed class (its project's folder searched first, `import_user_module`);
    it must be a keras Layer (`CustomLayerError` otherwise)."""
    try:
        module = import_user_module(layer.module, source)
    except ImportError as error:
        raise CustomLayerError(
            f"cannot import custom layer '{layer.path}': module '{layer.module}': {error}"
        ) from None
    cls = getattr(module, layer.class_name, None)
    if not isinstance(cls, type) or not issubclass(cls, keras.layers.Layer):
        raise CustomLayerError(f"custom layer '{layer.path}' is not a keras Layer class")
    return cls


def custom_objects(layers: CustomLayers, keras: Any) -> dict[str, type]:
    """What keras.saving.load_model needs to rebuild models that use the custom layers."""
    return {layer.name: load_class(layer, keras, layers.source) for layer in layers.layers.values()}
