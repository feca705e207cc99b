"""The Keras example "Image similarity estimation using a Siamese Network with a contrastive
loss": one embedding network called on both images, the Euclidean distance of the two
embeddings (a Lambda layer there, an ``expr`` node in the spec), then batch normalisation and
a sigmoid unit; the contrastive loss is a custom function the spec is allowed outside it."""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.gallery.objects import contrastive_loss

BUILD_KWARGS = {"custom_objects": ["tests.gallery.objects.contrastive_loss"]}
CUSTOM_OBJECTS = {"contrastive_loss": contrastive_loss}


def keras_model(keras: Any) -> Any:
    ops = keras.ops

    def euclidean_distance(vects: Any) -> Any:
        x, y = vects
        sum_square = ops.sum(ops.square(x - y), axis=1, keepdims=True)
        return ops.sqrt(ops.maximum(sum_square, keras.backend.epsilon()))

    image = keras.layers.Input((28, 28, 1), name="image")
    x = keras.layers.BatchNormalization(name="normalized_image")(image)
    x = keras.layers.Conv2D(4, (5, 5), activation="tanh", name="conv1")(x)
    x = keras.layers.AveragePooling2D(pool_size=(2, 2), name="pool1")(x)
    x = keras.layers.Conv2D(16, (5, 5), activation="tanh", name="conv2")(x)
    x = keras.layers.AveragePooling2D(pool_size=(2, 2), name="pool2")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.BatchNormalization(name="normalized")(x)
    x = keras.layers.Dense(10, activation="tanh", name="code")(x)
    embedding_network = keras.Model(image, x, name="encoder")

    input_1 = keras.layers.Input((28, 28, 1), name="left")
    input_2 = keras.layers.Input((28, 28, 1), name="right")
    tower_1 = embedding_network(input_1)
    tower_2 = embedding_network(input_2)
    merge_layer = keras.layers.Lambda(euclidean_distance, output_shape=(1,))([tower_1, tower_2])
    normal_layer = keras.layers.BatchNormalization(name="normalized_distance")(merge_layer)
    output_layer = keras.layers.Dense(1, activation="sigmoid", name="similarity")(normal_layer)
    siamese = keras.Model(inputs=[input_1, input_2], outputs=output_layer)
    siamese.compile(loss=contrastive_loss, optimizer="RMSprop", metrics=["accuracy"])
    return siamese


def sample_targets(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"similarity": rng.integers(0, 2, (n, 1)).astype("float32")}
