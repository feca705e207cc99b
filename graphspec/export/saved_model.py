"""TensorFlow SavedModel: written by Keras (`format="tf_saved_model"`), verified through
`tf.saved_model.load` and its ``serve`` endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graphspec.export.formats import FORMATS, Format

FORMAT: Format = FORMATS["saved_model"]


def write(model: Any, path: Path) -> None:
    """Export ``model`` as a SavedModel directory at ``path``."""
    model.export(str(path), format=FORMAT.keras_format, verbose=False)


def load(path: Path, input_names: Sequence[str]) -> Any:
    """A function of the model's inputs (arrays in ``input_names``' order) that returns its
    outputs as a list of arrays, run by TensorFlow from the SavedModel at ``path``."""
    import numpy as np
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))

    def run(inputs: Sequence[Any]) -> list[Any]:
        # Keras exports a functional model's endpoint with one argument: its input structure.
        argument = list(inputs) if len(inputs) > 1 else inputs[0]
        return [np.asarray(t) for t in tf.nest.flatten(loaded.serve(argument))]

    return run
