"""The Keras example "Simple MNIST convnet" (a Sequential model), with its last Dense layer
linear and the loss taking logits, as the spec writes it."""

from __future__ import annotations

from typing import Any

import numpy as np


def keras_model(keras: Any) -> Any:
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1), name="image"),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu", name="features_1"),
            layers.MaxPooling2D(pool_size=(2, 2), name="features_2"),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu", name="features_3"),
            layers.MaxPooling2D(pool_size=(2, 2), name="features_4"),
            layers.Flatten(name="features_5"),
            layers.Dropout(0.5, name="features_6"),
            layers.Dense(10, name="logits"),
        ]
    )
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer="adam",
        metrics=["sparse_categorical_accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=3)],
    )
    return model


def sample_targets(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"logits": rng.integers(0, 10, (n,)).astype("int32")}
