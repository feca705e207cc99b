"""keras.io's "Image classification from scratch" model (`make_model`), small: the same
functional code, with sizes cut down and each layer named as the spec's inline block names it
(`block{n}_{node}`), so that weights copy by name."""

from __future__ import annotations

from typing import Any


def keras_model(keras: Any) -> Any:
    layers = keras.layers
    inputs = keras.Input(shape=(32, 32, 3), name="image")

    # Entry block
    x = layers.Rescaling(1.0 / 255, name="rescaling")(inputs)
    x = layers.Conv2D(16, 3, strides=2, padding="same", name="entry_conv")(x)
    x = layers.BatchNormalization(name="entry_bn")(x)
    x = layers.Activation("relu", name="entry_act")(x)

    previous_block_activation = x  # Set aside residual

    for n, size in enumerate([32, 64, 96], start=1):
        block = f"block{n}"
        x = layers.Activation("relu", name=f"{block}_act1")(x)
        x = layers.SeparableConv2D(size, 3, padding="same", name=f"{block}_sepconv1")(x)
        x = layers.BatchNormalization(name=f"{block}_bn1")(x)

        x = layers.Activation("relu", name=f"{block}_act2")(x)
        x = layers.SeparableConv2D(size, 3, padding="same", name=f"{block}_sepconv2")(x)
        x = layers.BatchNormalization(name=f"{block}_bn2")(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"{block}_pool")(x)

        # Project residual
        residual = layers.Conv2D(size, 1, strides=2, padding="same", name=f"{block}_residual")(
            previous_block_activation
        )
        x = layers.add([x, residual], name=f"{block}_add")  # Add back residual
        previous_block_activation = x  # Set aside next residual

    x = layers.SeparableConv2D(128, 3, padding="same", name="exit_sepconv")(x)
    x = layers.BatchNormalization(name="exit_bn")(x)
    x = layers.Activation("relu", name="exit_act")(x)

    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dropout(0.25, name="dropout")(x)
    # We specify activation=None so as to return logits
    outputs = layers.Dense(10, activation=None, name="logits")(x)
    return keras.Model(inputs, outputs)


def sample_targets(n: int, rng: Any) -> dict[str, Any]:
    return {"logits": rng.integers(0, 10, (n,)).astype("int32")}
