"""Saving and loading built models: never a half-written file, always Keras' safe mode.

`save_model_atomically` writes next to the target and renames, so a crash, a full disk or a
Keras error leaves the old file (or none), never a truncated one; a compiled model's optimizer
is built first, so the file loads without Keras' optimizer warning. What is saved needs no
graphspec to load: plain `keras.saving.load_model` in safe mode reads it. `load_model` is that
loader with the user's allowed custom layers, losses and metrics passed, the recursion limit
raised for deep chains (`graphspec.emit.recursion`), and graphspec's old expression layer
registered for older files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphspec.atomic import replacing

if TYPE_CHECKING:
    from graphspec.catalogue.custom import CustomLayers, CustomObjects


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
    custom_objects: CustomObjects | Sequence[str] | None = None,
) -> Any:
    """Load a model that `graphspec build` saved, however deep, with Keras' safe mode on.

    The same as `keras.saving.load_model(path, safe_mode=True)`, which loads what `graphspec
    build` saves without graphspec (``expr`` nodes are ``keras.ops`` calls), with the recursion
    limit raised for the load: plain Keras needs `sys.setrecursionlimit` raised by hand for a
    chain of about 1,000 layers or more. Files saved by graphspec before that, with its
    ``ExpressionLayer``, load here too (the layer is registered).
    ``custom_layers``: the layer classes the spec was allowed to use (import paths or a
    `CustomLayers`), passed to Keras as custom objects.
    ``custom_objects``: the custom losses and metrics the spec was allowed (import paths or a
    `CustomObjects`), imported and passed by the names the spec writes, as plain Keras takes
    them: ``keras.saving.load_model(path, custom_objects={"contrastive_loss": fn})``.
    """
    from graphspec.emit.recursion import deep_recursion, saved_layer_bound
    from graphspec.runtime.backend import import_keras

    layers = saved_layer_bound(path)
    keras = import_keras()  # registers graphspec's expression layer
    objects: dict[str, Any] = {}
    if custom_layers:
        from graphspec.catalogue.custom import CustomLayers
        from graphspec.emit.custom_layers import custom_objects as layer_objects

        allowed = (
            custom_layers
            if isinstance(custom_layers, CustomLayers)
            else CustomLayers.from_paths(custom_layers, "custom_layers")
        )
        objects = layer_objects(allowed, keras)
    if custom_objects:
        objects.update(_training_objects(custom_objects, keras))
    with deep_recursion(layers):
        return keras.saving.load_model(
            path, compile=compile, safe_mode=True, custom_objects=objects or None
        )


def _training_objects(allowed: CustomObjects | Sequence[str], keras: Any) -> dict[str, Any]:
    """The custom losses and metrics, imported, by the names the spec writes."""
    from graphspec.catalogue.custom import CustomObjects
    from graphspec.train.compile import custom_objects

    objects = (
        allowed
        if isinstance(allowed, CustomObjects)
        else CustomObjects.from_paths(allowed, "custom_objects")
    )
    return custom_objects(objects, keras)
