"""Data functions the data tests allow (`--data-function tests.train.data_functions.NAME`):
each returns what a user's loader might, right or wrong."""

from __future__ import annotations

from typing import Any

import numpy as np


def arrays() -> dict[str, Any]:
    """A dict of arrays: checked like a .npz file."""
    return {"image": np.zeros((4, 8, 8, 1), "float32"), "label": np.arange(4)}


def raises() -> Any:
    raise FileNotFoundError("shards/train-*.tfrecord")


def not_data() -> Any:
    return [1, 2, 3]


def _batches(x: Any, y: Any) -> Any:
    import keras

    class Batches(keras.utils.PyDataset):  # type: ignore[misc]
        def __len__(self) -> int:
            return 2

        def __getitem__(self, index: int) -> Any:
            return x, y

    return Batches()


def py_dataset() -> Any:
    """A PyDataset of good (x, y) batches."""
    return _batches({"image": np.zeros((4, 8, 8, 1), "float32")}, {"label": np.arange(4)})


def py_dataset_bad_labels() -> Any:
    """Its first batch holds a label 12 for a 10-unit head, and the image in y."""
    image = np.zeros((4, 8, 8, 1), "float32")
    return _batches({}, {"image": image, "label": np.array([0, 1, 12, 3])})


def py_dataset_tuples() -> Any:
    """Batches of (image, label) arrays, not dicts."""
    return _batches(np.zeros((4, 8, 8, 1), "float32"), np.arange(4))


def tf_dataset() -> Any:
    """A batched tf.data pipeline of (x, y) dicts."""
    import tensorflow as tf

    x = {"image": np.zeros((6, 8, 8, 1), "float32")}
    return tf.data.Dataset.from_tensor_slices((x, {"label": np.arange(6)})).batch(2)


def tf_dataset_unbatched() -> Any:
    """The same, not batched, with int labels in float and a misspelt head."""
    import tensorflow as tf

    x = {"image": np.zeros((6, 8, 8, 1), "float32")}
    return tf.data.Dataset.from_tensor_slices((x, {"labels": np.arange(6.0)}))
