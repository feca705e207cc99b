"""Saving and loading built models: never a half-written file, always Keras' safe mode.

`save_model_atomically` writes next to the target and renames, so a crash, a full disk or a
Keras error leaves the old file (or none), never a truncated one; a compiled model's optimizer
is built first, so the file loads without Keras' optimizer warning. What is saved needs no
graphspec to load: plain `keras.saving.load_model` in safe mode reads it. `load_model` is that
loader with the user's allowed custom layers passed, the recursion limit raised for deep chains
(`graphspec.emit.recursion`), and graphspec's old expression layer registered for older files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphspec.atomic import replacing

if TYPE_CHECKING:
    from graphspec.catalogue.custom import CustomLayers


def save_model_atomically(model: Any, path: str | Path) -> None:
    """Save a keras model to ``path`` (a .keras file) through a temporary file beside it and
    one rename (`graphspec.atomic`), so a failure never leaves a half-written file there.

    A compiled model's optimizer is built first (`build_optimizer`), so that the file loads
    without Keras' optimizer warning."""
    build_optimizer(model)  # else the file loads with Keras' "Skipping variable loading"
    with replacing(Path(path), suffix=".tmp.keras") as temporary:
        model.save(temporary)


def build_optimizer(model: Any) -> None:
    """Make the compiled model's optimizer variables now, as the first training step would.

    Keras builds the optimizer of a model it loads (`compile_from_config`), so a file saved
    with an unbuilt optimizer (0 variables) loads with "Skipping variable loading for
    optimizer 'adam', because it has 14 variables whereas the saved optimizer has 0
    variables". Built, the file holds the variables (zeros until training) and loads clean.
    Nothing happens to a model without an optimizer or with a built one.
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not getattr(optimizer, "built", True) and model.built:
        optimizer.build(model.trainable_variables)


def load_model(
    path: str | Path,
    *,
    compile: bool = True,
    custom_layers: CustomLayers | Sequence[str] | None = None,
) -> Any:
    """Load a model that `graphspec build` saved, however deep, with Keras' safe mode on.

    The same as `keras.saving.load_model(path, safe_mode=True)`, which loads what `graphspec
    build` saves without graphspec (``expr`` nodes are ``keras.ops`` calls), with the recursion
    limit raised for the load: plain Keras needs `sys.setrecursionlimit` raised by hand for a
    chain of about 1,000 layers or more. Files saved by graphspec before that, with its
    ``ExpressionLayer``, load here too (the layer is registered).
    ``custom_layers``: the layer classes the spec was allowed to use (import paths or a
    `CustomLayers`), passed to Keras as custom objects.
    """
    from graphspec.emit.recursion import deep_recursion, saved_layer_bound
    from graphspec.runtime.backend import import_keras

    layers = saved_layer_bound(path)
    keras = import_keras()  # registers graphspec's expression layer
    objects = {}
    if custom_layers:
        from graphspec.catalogue.custom import CustomLayers
        from graphspec.emit.custom_layers import custom_objects

        allowed = (
            custom_layers
            if isinstance(custom_layers, CustomLayers)
            else CustomLayers.from_paths(custom_layers, "custom_layers")
        )
        objects = custom_objects(allowed, keras)
    with deep_recursion(layers):
        return keras.saving.load_model(
            path, compile=compile, safe_mode=True, custom_objects=objects or None
        )
