"""Custom losses and metrics for tests/train, imported only by `build` (never collected)."""

from __future__ import annotations

import keras
from keras import ops

NOT_A_LOSS = 3


class ScaledSquaredError(keras.losses.Loss):
    """A custom loss class: the spec's arguments are its constructor's."""

    def __init__(self, scale: float = 1.0, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.scale = scale

    def call(self, y_true: object, y_pred: object) -> object:
        return self.scale * ops.mean(ops.square(y_true - y_pred), axis=-1)  # type: ignore[operator]

    def get_config(self) -> dict[str, object]:
        return {**super().get_config(), "scale": self.scale}


def mean_difference(y_true: object, y_pred: object) -> object:
    """A custom metric function."""
    return ops.mean(y_pred - y_true, axis=-1)  # type: ignore[operator]
