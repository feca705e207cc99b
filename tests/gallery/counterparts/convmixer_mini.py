"""keras.io's "Image classification with ConvMixer" (`activation_block`, `conv_stem`,
`conv_mixer_block`, `get_conv_mixer_256_8`), small: the same functional code with 32 filters
and depth 2, each layer named as the spec's inline blocks name it (`stem_act_gelu`,
`conv_mixer{n}_depthwise`, `conv_mixer{n}_pointwise_act_bn`, ...), so that weights copy by
name."""

from __future__ import annotations

from typing import Any

import numpy as np


def activation_block(layers: Any, x: Any, name: str) -> Any:
    x = layers.Activation("gelu", name=f"{name}_gelu")(x)
    return layers.BatchNormalization(name=f"{name}_bn")(x)


def conv_stem(layers: Any, x: Any, filters: int, patch_size: int) -> Any:
    x = layers.Conv2D(filters, kernel_size=patch_size, strides=patch_size, name="stem")(x)
    return activation_block(layers, x, "stem_act")


def conv_mixer_block(layers: Any, x: Any, filters: int, kernel_size: int, name: str) -> Any:
    # Depthwise convolution.
    x0 = x
    x = layers.DepthwiseConv2D(kernel_size=kernel_size, padding="same", name=f"{name}_depthwise")(x)
    x = layers.Add(name=f"{name}_residual")(
        [activation_block(layers, x, f"{name}_depthwise_act"), x0]
    )  # Residual.

    # Pointwise convolution.
    x = layers.Conv2D(filters, kernel_size=1, name=f"{name}_pointwise")(x)
    return activation_block(layers, x, f"{name}_pointwise_act")


def keras_model(
    keras: Any,
    image_size: int = 32,
    filters: int = 32,
    depth: int = 2,
    kernel_size: int = 5,
    patch_size: int = 2,
    num_classes: int = 10,
) -> Any:
    layers = keras.layers
    inputs = keras.Input((image_size, image_size, 3), name="image")
    x = layers.Rescaling(scale=1.0 / 255, name="rescaling")(inputs)

    # Extract patch embeddings.
    x = conv_stem(layers, x, filters, patch_size)

    # ConvMixer blocks.
    for n in range(1, depth + 1):
        x = conv_mixer_block(layers, x, filters, kernel_size, name=f"conv_mixer{n}")

    # Classification block.
    x = layers.GlobalAvgPool2D(name="pool")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probs")(x)

    return keras.Model(inputs, outputs)


def sample_inputs(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Pixel values in [0, 255], as the example feeds CIFAR-10."""
    return {"image": rng.uniform(0, 255, (n, 32, 32, 3)).astype("float32")}


def sample_targets(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"probs": rng.integers(0, 10, (n,)).astype("int32")}
