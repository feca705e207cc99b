"""Deep & Cross on raw features as the Keras structured-data examples encode them (lookups
and hashing inside the model) and as DCN writes a cross layer, x0 * (W x + b) + x (the
TensorFlow Recommenders ``Cross`` layer, here with plain Keras layers)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.conftest import SPECS

MOVIES = SPECS / "gallery" / "vocab" / "movie_ids.txt"
OCCUPATIONS = [
    "academic", "artist", "clerical", "doctor", "engineer", "lawyer", "programmer", "student",
    "writer",
]  # fmt: skip


def keras_model(keras: Any) -> Any:
    layers = keras.layers
    gender = keras.Input((1,), dtype="string", name="gender")
    occupation = keras.Input((1,), dtype="string", name="occupation")
    zip_code = keras.Input((1,), dtype="string", name="zip_code")
    age = keras.Input((1,), dtype="int64", name="age")
    movie_id = keras.Input((1,), dtype="int64", name="movie_id")

    gender_hot = layers.StringLookup(
        vocabulary=["F", "M"], output_mode="one_hot", name="gender_hot"
    )(gender)
    occupation_ids = layers.StringLookup(vocabulary=OCCUPATIONS, name="occupation_ids")(occupation)
    occupation_vec = layers.Embedding(10, 8, name="occupation_vec_1")(occupation_ids)
    occupation_vec = layers.Flatten(name="occupation_vec_2")(occupation_vec)
    zip_vec = layers.Hashing(num_bins=64, name="zip_vec_1")(zip_code)
    zip_vec = layers.Embedding(64, 8, name="zip_vec_2")(zip_vec)
    zip_vec = layers.Flatten(name="zip_vec_3")(zip_vec)
    age_hot = layers.IntegerLookup(
        vocabulary=[1, 18, 25, 35, 45, 50, 56], output_mode="one_hot", name="age_hot"
    )(age)
    movies = [int(line) for line in MOVIES.read_text().split()]
    movie_vec = layers.IntegerLookup(vocabulary=movies, name="movie_vec_1")(movie_id)
    movie_vec = layers.Embedding(21, 8, name="movie_vec_2")(movie_vec)
    movie_vec = layers.Flatten(name="movie_vec_3")(movie_vec)
    x0 = layers.Concatenate(name="x0")([gender_hot, occupation_vec, zip_vec, age_hot, movie_vec])

    cross1 = layers.Add(name="cross1")(
        [layers.Multiply(name="cross1_x0")([x0, layers.Dense(35, name="cross1_w")(x0)]), x0]
    )
    cross2 = layers.Add(name="cross2")(
        [layers.Multiply(name="cross2_x0")([x0, layers.Dense(35, name="cross2_w")(cross1)]), cross1]
    )
    deep = layers.Dense(64, activation="relu", name="deep_1")(x0)
    deep = layers.Dense(32, activation="relu", name="deep_2")(deep)
    joint = layers.Concatenate(name="joint")([cross2, deep])
    rating = layers.Dense(1, name="rating")(joint)
    return keras.Model([gender, occupation, zip_code, age, movie_id], rating)


def sample_inputs(n: int, rng: np.random.Generator) -> dict[str, Any]:
    """Raw values, some out of the vocabularies; Keras takes strings as tensors only."""
    import tensorflow as tf

    def strings(values: list[str]) -> Any:
        return tf.constant(rng.choice(values, (n, 1)))

    movies = [int(line) for line in MOVIES.read_text().split()] + [7, 9999]
    return {
        "gender": strings(["F", "M", "X"]),
        "occupation": strings([*OCCUPATIONS, "retired"]),
        "zip_code": strings(["55455", "94043", "10001", "02139", "60614"]),
        "age": tf.constant(rng.choice([1, 18, 25, 35, 45, 50, 56, 99], (n, 1)), dtype="int64"),
        "movie_id": tf.constant(rng.choice(movies, (n, 1)), dtype="int64"),
    }


def sample_targets(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"rating": rng.uniform(1, 5, (n, 1)).astype("float32")}
