"""keras.io's "Image segmentation with a U-Net-like architecture" model (`get_model`), small:
the same functional code with sizes cut down and each layer named as the spec's inline blocks
name it (`down{n}_{node}`, `up{n}_{node}`), so that weights copy by name."""

from __future__ import annotations

from typing import Any

import numpy as np

IMG_SIZE = (32, 32)
NUM_CLASSES = 3


def keras_model(keras: Any) -> Any:
    layers = keras.layers
    inputs = keras.Input(shape=(*IMG_SIZE, 3), name="image")

    ### [First half of the network: downsampling inputs] ###

    # Entry block
    x = layers.Conv2D(8, 3, strides=2, padding="same", name="entry_conv")(inputs)
    x = layers.BatchNormalization(name="entry_bn")(x)
    x = layers.Activation("relu", name="entry_act")(x)

    previous_block_activation = x  # Set aside residual

    # Blocks 1, 2, 3 are identical apart from the feature depth.
    for n, filters in enumerate([16, 32, 64], start=1):
        block = f"down{n}"
        x = layers.Activation("relu", name=f"{block}_act1")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same", name=f"{block}_sepconv1")(x)
        x = layers.BatchNormalization(name=f"{block}_bn1")(x)

        x = layers.Activation("relu", name=f"{block}_act2")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same", name=f"{block}_sepconv2")(x)
        x = layers.BatchNormalization(name=f"{block}_bn2")(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"{block}_pool")(x)

        # Project residual
        residual = layers.Conv2D(filters, 1, strides=2, padding="same", name=f"{block}_residual")(
            previous_block_activation
        )
        x = layers.add([x, residual], name=f"{block}_add")  # Add back residual
        previous_block_activation = x  # Set aside next residual

    ### [Second half of the network: upsampling inputs] ###

    for n, filters in enumerate([64, 32, 16, 8], start=1):
        block = f"up{n}"
        x = layers.Activation("relu", name=f"{block}_act1")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same", name=f"{block}_convt1")(x)
        x = layers.BatchNormalization(name=f"{block}_bn1")(x)

        x = layers.Activation("relu", name=f"{block}_act2")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same", name=f"{block}_convt2")(x)
        x = layers.BatchNormalization(name=f"{block}_bn2")(x)

        x = layers.UpSampling2D(2, name=f"{block}_upsample")(x)

        # Project residual
        residual = layers.UpSampling2D(2, name=f"{block}_residual_upsample")(
            previous_block_activation
        )
        residual = layers.Conv2D(filters, 1, padding="same", name=f"{block}_residual")(residual)
        x = layers.add([x, residual], name=f"{block}_add")  # Add back residual
        previous_block_activation = x  # Set aside next residual

    # Add a per-pixel classification layer
    outputs = layers.Conv2D(NUM_CLASSES, 3, activation="softmax", padding="same", name="mask")(x)

    # Define the model
    return keras.Model(inputs, outputs)


def sample_targets(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"mask": rng.integers(0, NUM_CLASSES, (n, *IMG_SIZE, 1)).astype("int32")}
