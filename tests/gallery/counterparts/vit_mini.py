"""keras.io's "Image classification with Vision Transformer" (`mlp`, `Patches`,
`PatchEncoder`, `create_vit_classifier`) in miniature, without the data augmentation: the
example's own custom layers and functional code, each layer named as the spec names it
(`transformer_{n}_attention_output`, `transformer_{n}_mlp_{m}_dense`, ...), so that weights
copy by name. The example's `Patches` (keras.ops.image.extract_patches) is compared here with
the spec's Reshape, Permute, Reshape; its `PatchEncoder` holds the spec's `projection` and
`position_embedding` (SPEC_LAYERS). The last Dense ends in a softmax (the spec's loss by name
takes probabilities; the example's takes logits)."""

from __future__ import annotations

from typing import Any

import numpy as np

NUM_CLASSES = 10
INPUT_SHAPE = (32, 32, 3)
IMAGE_SIZE = 32
PATCH_SIZE = 8  # Size of the patches to be extract from the input images
NUM_PATCHES = (IMAGE_SIZE // PATCH_SIZE) ** 2
PROJECTION_DIM = 16
NUM_HEADS = 2
TRANSFORMER_UNITS = [PROJECTION_DIM * 2, PROJECTION_DIM]  # Size of the transformer layers
TRANSFORMER_LAYERS = 2
MLP_HEAD_UNITS = [64, 32]  # Size of the dense layers of the final classifier

SPEC_LAYERS = {"patch_encoder": ("projection", "position_embedding")}


def mlp(keras: Any, x: Any, hidden_units: list[int], dropout_rate: float, name: str) -> Any:
    layers = keras.layers
    for n, units in enumerate(hidden_units, start=1):
        x = layers.Dense(units, activation=keras.activations.gelu, name=f"{name}_{n}_dense")(x)
        x = layers.Dropout(dropout_rate, name=f"{name}_{n}_dropout")(x)
    return x


def _patch_layers(keras: Any) -> tuple[Any, Any]:
    layers, ops = keras.layers, keras.ops

    class Patches(layers.Layer):  # type: ignore[misc]
        def __init__(self, patch_size: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.patch_size = patch_size

        def call(self, images: Any) -> Any:
            input_shape = ops.shape(images)
            batch_size = input_shape[0]
            height = input_shape[1]
            width = input_shape[2]
            channels = input_shape[3]
            num_patches_h = height // self.patch_size
            num_patches_w = width // self.patch_size
            patches = keras.ops.image.extract_patches(images, size=self.patch_size)
            return ops.reshape(
                patches,
                (
                    batch_size,
                    num_patches_h * num_patches_w,
                    self.patch_size * self.patch_size * channels,
                ),
            )

    class PatchEncoder(layers.Layer):  # type: ignore[misc]
        def __init__(self, num_patches: int, projection_dim: int, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.num_patches = num_patches
            self.projection = layers.Dense(units=projection_dim)
            self.position_embedding = layers.Embedding(
                input_dim=num_patches, output_dim=projection_dim
            )

        def call(self, patch: Any) -> Any:
            positions = ops.expand_dims(ops.arange(start=0, stop=self.num_patches, step=1), axis=0)
            projected_patches = self.projection(patch)
            return projected_patches + self.position_embedding(positions)

    return Patches, PatchEncoder


def keras_model(keras: Any) -> Any:
    layers = keras.layers
    Patches, PatchEncoder = _patch_layers(keras)
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    # Create patches.
    patches = Patches(PATCH_SIZE, name="patches")(inputs)
    # Encode patches.
    encoded_patches = PatchEncoder(NUM_PATCHES, PROJECTION_DIM, name="patch_encoder")(patches)

    # Create multiple layers of the Transformer block.
    for n in range(1, TRANSFORMER_LAYERS + 1):
        block = f"transformer_{n}"
        # Layer normalization 1.
        x1 = layers.LayerNormalization(epsilon=1e-6, name=f"{block}_x1")(encoded_patches)
        # Create a multi-head attention layer.
        attention_output = layers.MultiHeadAttention(
            num_heads=NUM_HEADS,
            key_dim=PROJECTION_DIM,
            dropout=0.1,
            name=f"{block}_attention_output",
        )(x1, x1)
        # Skip connection 1.
        x2 = layers.Add(name=f"{block}_x2")([attention_output, encoded_patches])
        # Layer normalization 2.
        x3 = layers.LayerNormalization(epsilon=1e-6, name=f"{block}_x3")(x2)
        # MLP.
        x3 = mlp(keras, x3, TRANSFORMER_UNITS, 0.1, name=f"{block}_mlp")
        # Skip connection 2.
        encoded_patches = layers.Add(name=f"{block}_skip")([x3, x2])

    # Create a [batch_size, projection_dim] tensor.
    representation = layers.LayerNormalization(epsilon=1e-6, name="representation_norm")(
        encoded_patches
    )
    representation = layers.Flatten(name="representation_flat")(representation)
    representation = layers.Dropout(0.5, name="representation")(representation)
    # Add MLP.
    features = mlp(keras, representation, MLP_HEAD_UNITS, 0.5, name="features")
    # Classify outputs.
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probs")(features)
    # Create the model.
    return keras.Model(inputs=inputs, outputs=outputs)


def sample_targets(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"probs": rng.integers(0, NUM_CLASSES, (n,)).astype("int32")}
