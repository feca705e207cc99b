"""Predict throughput of graphspec-built models against the same models written by hand in
Keras, side by side in one process: the ratio graphspec / hand-written should be 1.00.

Three seed models (seed002_dense, seed003_lenet, seed002_residual) are built twice, once by
`graphspec.build` and once by the Keras code below, with the same weights copied across (so
both compute the same numbers, which is checked). Each model's `predict_on_batch` is timed
over the same batch, interleaved rounds, median of `--runs`. Prints a table and writes
benchmarks/results/predict.json.
Run: `.venv/bin/python benchmarks/bench_predict.py [--runs 30] [--batch 64]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bench_static import machine, write_results  # noqa: E402

OUTPUT = ROOT / "benchmarks" / "results" / "predict.json"


def dense(keras: Any) -> Any:
    """seed002_dense as the seed writes it."""
    x = keras.Input(shape=(64,), name="input_tensor")
    h = keras.layers.Dense(32, activation="relu")(x)
    h = keras.layers.Dense(32, activation="relu")(h)
    y = keras.layers.Dense(10, activation="softmax")(h)
    return keras.Model(x, y)


def lenet(keras: Any) -> Any:
    """seed003_lenet: two CONV → RELU → POOL stages, Dense 500, softmax."""
    layers = keras.layers
    x = keras.Input(shape=(28, 28, 1), name="image")
    h = layers.Conv2D(20, 5, padding="same")(x)
    h = layers.MaxPooling2D((2, 2), strides=(2, 2))(layers.Activation("relu")(h))
    h = layers.Conv2D(50, 5, padding="same")(h)
    h = layers.MaxPooling2D((2, 2), strides=(2, 2))(layers.Activation("relu")(h))
    h = layers.Activation("relu")(layers.Dense(500)(layers.Flatten()(h)))
    y = layers.Activation("softmax")(layers.Dense(10)(h))
    return keras.Model(x, y)


def residual(keras: Any) -> Any:
    """seed002_residual: maxpool(conv(conv(x))) + a 1×1 stride-2 shortcut."""
    layers = keras.layers
    x = keras.Input(shape=(32, 32, 64), name="x")
    y = layers.Conv2D(128, 3, padding="same", activation="relu")(x)
    y = layers.Conv2D(128, 3, padding="same", activation="relu")(y)
    y = layers.MaxPooling2D(2, strides=2)(y)
    shortcut = layers.Conv2D(128, 1, strides=2)(x)
    return keras.Model(x, layers.add([y, shortcut]))


MODELS: dict[str, Callable[[Any], Any]] = {
    "seed002_dense": dense,
    "seed003_lenet": lenet,
    "seed002_residual": residual,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed rounds (median)")
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    import numpy as np

    import graphspec
    from graphspec.runtime.backend import import_keras

    keras = import_keras()
    rng = np.random.default_rng(0)
    rows: dict[str, Any] = {}
    print(
        f"{'model':<18} {'graphspec ms':>13} {'hand-written ms':>16} {'ratio':>7} {'max diff':>9}"
    )
    for name, write in MODELS.items():
        built = graphspec.build(ROOT / "specs" / "seeds" / f"{name}.yaml")
        hand = write(keras)
        hand.set_weights(built.get_weights())  # same layers in the same order
        shape = (args.batch, *tuple(built.inputs[0].shape)[1:])
        batch = rng.random(shape, dtype=np.float32)
        difference = float(
            np.max(np.abs(built.predict_on_batch(batch) - hand.predict_on_batch(batch)))
        )
        times: dict[str, list[float]] = {"graphspec": [], "hand": []}
        for round_ in range(args.runs + 2):  # two warm-up rounds
            order = [("graphspec", built), ("hand", hand)]
            for label, model in order if round_ % 2 else order[::-1]:
                started = time.perf_counter()
                model.predict_on_batch(batch)
                if round_ >= 2:
                    times[label].append(time.perf_counter() - started)
        ours = statistics.median(times["graphspec"]) * 1000
        theirs = statistics.median(times["hand"]) * 1000
        rows[name] = {
            "graphspec_ms": ours,
            "hand_written_ms": theirs,
            "ratio": ours / theirs,
            "max_difference": difference,
        }
        print(f"{name:<18} {ours:>13.2f} {theirs:>16.2f} {ours / theirs:>7.2f} {difference:>9.1e}")
    settings = {"runs": args.runs, "batch": args.batch}
    write_results({"machine": machine(), "settings": settings, "models": rows}, OUTPUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
