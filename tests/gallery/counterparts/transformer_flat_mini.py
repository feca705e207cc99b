"""keras.io's "Timeseries classification with a Transformer model" (`transformer_encoder`,
`build_model`), small: the same functional code with each layer named as the spec's inline
blocks name them (`encoder_{n}_{node}`, `head_{n}_{node}`), so that weights copy by name."""

from __future__ import annotations

from typing import Any

import numpy as np


def transformer_encoder(
    layers: Any, inputs: Any, head_size: int, num_heads: int, ff_dim: int, dropout: float, name: str
) -> Any:
    # Attention and Normalization
    x = layers.MultiHeadAttention(
        key_dim=head_size, num_heads=num_heads, dropout=dropout, name=f"{name}_attention"
    )(inputs, inputs)
    x = layers.Dropout(dropout, name=f"{name}_attention_dropout")(x)
    x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_attention_norm")(x)
    res = layers.Add(name=f"{name}_res")([x, inputs])

    # Feed Forward Part
    x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu", name=f"{name}_ff_conv1")(
        res
    )
    x = layers.Dropout(dropout, name=f"{name}_ff_dropout")(x)
    x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1, name=f"{name}_ff_conv2")(x)
    x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_ff_norm")(x)
    return layers.Add(name=f"{name}_out")([x, res])


def keras_model(keras: Any) -> Any:
    layers = keras.layers
    head_size, num_heads, ff_dim, num_transformer_blocks = 8, 2, 4, 2
    mlp_units, dropout, mlp_dropout, n_classes = [32, 16], 0.25, 0.4, 3

    inputs = keras.Input(shape=(16, 4), name="series")
    x = inputs
    for n in range(1, num_transformer_blocks + 1):
        x = transformer_encoder(
            layers, x, head_size, num_heads, ff_dim, dropout, name=f"encoder_{n}"
        )

    x = layers.GlobalAveragePooling1D(data_format="channels_first", name="pool")(x)
    for n, dim in enumerate(mlp_units, start=1):
        x = layers.Dense(dim, activation="relu", name=f"head_{n}_dense")(x)
        x = layers.Dropout(mlp_dropout, name=f"head_{n}_dropout")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs)


def sample_targets(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"probs": rng.integers(0, 3, (n,)).astype("int32")}
