"""The Keras "Variational AutoEncoder" example as one functional model: the MLP encoder and
decoder of the original Keras example, and its `Sampling` layer as Keras 3's example writes it
(a `SeedGenerator(1337)` drawing epsilon on every call). The example's subclassed model adds
the KL divergence to the loss in `train_step`; here it is a second output.

The spec's `normal_like(a, seed=1337)` draws from a generator seeded alike, so with the same
weights the two models predict the same z, and the same reconstruction, on their first call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

ORIGINAL_DIM = 28 * 28
INTERMEDIATE_DIM = 512
LATENT_DIM = 2


def _sampling(keras: Any) -> Any:
    ops = keras.ops

    class Sampling(keras.layers.Layer):  # type: ignore[misc]
        """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs: Any) -> Any:
            z_mean, z_log_var = inputs
            batch = ops.shape(z_mean)[0]
            dim = ops.shape(z_mean)[1]
            epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    return Sampling


def keras_model(keras: Any) -> Any:
    layers, ops = keras.layers, keras.ops
    inputs = keras.Input(shape=(ORIGINAL_DIM,), name="image")
    x = layers.Dense(INTERMEDIATE_DIM, activation="relu", name="encoder_hidden")(inputs)
    z_mean = layers.Dense(LATENT_DIM, name="z_mean")(x)
    z_log_var = layers.Dense(LATENT_DIM, name="z_log_var")(x)
    z = _sampling(keras)(name="z")([z_mean, z_log_var])
    x = layers.Dense(INTERMEDIATE_DIM, activation="relu", name="decoder_hidden")(z)
    outputs = layers.Dense(ORIGINAL_DIM, activation="sigmoid", name="reconstruction")(x)
    kl = -0.5 * ops.sum(
        1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1, keepdims=True
    )
    return keras.Model(inputs, [outputs, kl])  # the heads, in the spec's order


def sample_inputs(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Pixels in [0, 1], as the example scales MNIST."""
    return {"image": rng.random((n, ORIGINAL_DIM)).astype("float32")}


def sample_targets(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The image itself for the reconstruction, zero for the KL."""
    return {
        "reconstruction": rng.random((n, ORIGINAL_DIM)).astype("float32"),
        "kl": np.zeros((n, 1), "float32"),
    }
