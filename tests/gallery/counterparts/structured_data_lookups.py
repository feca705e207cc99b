"""keras.io's "Structured data classification from scratch" (heart disease), end to end: the
example's lookups (its vocabularies, ``mask_token=None``, ``num_oov_indices=0``) inside the
model, one-hot, as its end-to-end version encodes the categories; its Normalization layers
given the training set's statistics instead of adapting; its Classifier's layers
(``dense_1``, ``dropout``, ``dense_2``) called on the concatenated features, the last named
after the spec's head."""

from __future__ import annotations

from typing import Any

import numpy as np

CATEGORICAL_FEATURES_WITH_VOCABULARY: dict[str, list[Any]] = {
    "sex": [0, 1],
    "cp": [0, 1, 2, 3, 4],
    "fbs": [0, 1],
    "restecg": [0, 1, 2],
    "exang": [0, 1],
    "ca": [0, 1, 2, 3],
    "thal": ["1", "2", "fixed", "normal", "reversible"],
}
NUMERIC_FEATURE_STATISTICS = {  # (mean, variance) over the training set
    "age": (54.43, 81.87),
    "trestbps": (131.61, 305.85),
    "chol": (246.5, 2700.06),
    "thalach": (149.57, 522.89),
    "oldpeak": (1.04, 1.35),
    "slope": (1.6, 0.38),
}


def keras_model(keras: Any) -> Any:
    layers = keras.layers

    def encode_categorical_feature(feature: Any, name: str, is_string: bool) -> Any:
        lookup_class = layers.StringLookup if is_string else layers.IntegerLookup
        # Turn the values into one-hot vectors over the column's vocabulary
        lookup = lookup_class(
            vocabulary=CATEGORICAL_FEATURES_WITH_VOCABULARY[name],
            mask_token=None,
            num_oov_indices=0,
            output_mode="one_hot",
            name=f"{name}_encoded",
        )
        return lookup(feature)

    def encode_numerical_feature(feature: Any, name: str) -> Any:
        mean, variance = NUMERIC_FEATURE_STATISTICS[name]
        normalizer = layers.Normalization(mean=mean, variance=variance, name=f"{name}_encoded")
        return normalizer(feature)

    # Categorical features encoded as integers
    sex = keras.Input(shape=(1,), name="sex", dtype="int64")
    cp = keras.Input(shape=(1,), name="cp", dtype="int64")
    fbs = keras.Input(shape=(1,), name="fbs", dtype="int64")
    restecg = keras.Input(shape=(1,), name="restecg", dtype="int64")
    exang = keras.Input(shape=(1,), name="exang", dtype="int64")
    ca = keras.Input(shape=(1,), name="ca", dtype="int64")

    # Categorical feature encoded as string
    thal = keras.Input(shape=(1,), name="thal", dtype="string")

    # Numerical features
    age = keras.Input(shape=(1,), name="age")
    trestbps = keras.Input(shape=(1,), name="trestbps")
    chol = keras.Input(shape=(1,), name="chol")
    thalach = keras.Input(shape=(1,), name="thalach")
    oldpeak = keras.Input(shape=(1,), name="oldpeak")
    slope = keras.Input(shape=(1,), name="slope")

    all_inputs = [sex, cp, fbs, restecg, exang, ca, thal]
    all_inputs += [age, trestbps, chol, thalach, oldpeak, slope]

    encoded = [
        encode_categorical_feature(feature, feature.name, feature.name == "thal")
        for feature in all_inputs[:7]
    ]
    encoded += [encode_numerical_feature(feature, feature.name) for feature in all_inputs[7:]]

    all_features = layers.concatenate(encoded, name="all_features")
    x = layers.Dense(32, activation="relu", name="dense_1")(all_features)
    x = layers.Dropout(0.5, name="dropout")(x)
    output = layers.Dense(1, activation="sigmoid", name="target")(x)
    return keras.Model(all_inputs, output)


def sample_inputs(n: int, rng: np.random.Generator) -> dict[str, Any]:
    """Values from each column's vocabulary and numbers around its mean; strings as tensors."""
    import tensorflow as tf

    data: dict[str, Any] = {}
    for name, vocabulary in CATEGORICAL_FEATURES_WITH_VOCABULARY.items():
        values = [[vocabulary[i]] for i in rng.integers(0, len(vocabulary), n)]
        data[name] = tf.constant(values) if name == "thal" else np.array(values, "int64")
    for name, (mean, variance) in NUMERIC_FEATURE_STATISTICS.items():
        data[name] = rng.normal(mean, variance**0.5, (n, 1)).astype("float32")
    return data


def sample_targets(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"target": rng.integers(0, 2, (n, 1)).astype("float32")}
