"""Training speed: samples per second of `graphspec fit` beside the same model written by hand
in Keras and trained with `model.fit`, and of two local workers beside one.

Per spec (specs/seeds/seed004_deep_bn.yaml on MNIST-shaped random data, 28×28×1 and ten
classes; specs/gallery/resnet_mini.yaml on CIFAR-shaped random data, 32×32×3), one process
alternates the two sides `--rounds` times after a warm-up of each (not counted):

- **keras**: the model written as the seed and the Keras example write it, compiled as the spec
  says, `model.fit(x, y, batch_size=32, epochs=E)`;
- **graphspec**: `graphspec.fit(spec, arrays, output=..., epochs=E, batch_size=32)`, which also
  checks the data against the spec, prepares the run folder and runs its callbacks (history
  files and best.keras after each epoch, the backup); `plots=False`, the plots being drawn once
  after training.

Figures per side, in samples per second, the best over every round (other processes on the
machine only slow a run down, so the best is the fairest comparison): **steps**, an epoch after
the first (which traces) read by a clock that is the first callback, so the training steps
alone, whose ratio graphspec / keras should be 1.00 within noise; **epoch**, the same epoch read
by a clock that is the last callback, so with graphspec's per-epoch callbacks (the history
files, best.keras when the epoch is the best, the backup), whose cost is also given in seconds
per epoch: a fixed cost, under 3 % once an epoch lasts some tens of seconds; **whole**, the
whole call (building and compiling, graphspec's data check and run folder, the first epoch's
tracing, the final save), fixed per run, so large for these short runs of random data.

Then `--distribute multi-worker` over two worker processes on localhost beside one process
(`tests/train/distributed_runs.py`, seed004_deep_bn, the same data and global batch): samples
per second of each run's `model.fit`.

Prints a table and writes benchmarks/results/train.json.
Run: `.venv/bin/python benchmarks/bench_train.py [--rounds 2] [--epochs 3] [--samples 30000]`
(about 12 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bench_static import machine, write_results  # noqa: E402

from tests.train.distributed_runs import free_ports, tf_config  # noqa: E402

OUTPUT = ROOT / "benchmarks" / "results" / "train.json"
SEED004 = ROOT / "specs" / "seeds" / "seed004_deep_bn.yaml"
RESNET = ROOT / "specs" / "gallery" / "resnet_mini.yaml"
BATCH = 32


def seed004_deep_bn(keras: Any) -> Any:
    """Seed 004 §3 as the seed writes it: a Sequential deep CNN with BatchNormalization."""
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, (3, 3), strides=(1, 1), padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.Conv2D(32, (3, 3), strides=(1, 1), padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(32, (3, 3), strides=(1, 1), padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.BatchNormalization(),
            layers.Conv2D(32, (3, 3), strides=(1, 1), padding="same", activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(32, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def resnet_mini(keras: Any) -> Any:
    """The CIFAR-style ResNet of Keras' examples, as resnet_mini.yaml declares it."""
    layers = keras.layers

    def conv_bn(x: Any, filters: int, strides: int = 1, relu: bool = True) -> Any:
        x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x) if relu else x

    def residual_unit(x: Any, filters: int) -> Any:
        y = conv_bn(conv_bn(x, filters), filters, relu=False)
        return layers.Activation("relu")(layers.add([y, x]))

    image = keras.Input((32, 32, 3), name="image")
    x = conv_bn(image, 16)
    for stage, filters in enumerate((16, 32, 64)):
        if stage:
            x = conv_bn(x, filters, strides=2)
        for _ in range(2):
            x = residual_unit(x, filters)
    x = layers.GlobalAveragePooling2D()(x)
    classes = layers.Dense(10, activation="softmax", name="classes")(x)
    model = keras.Model(image, classes)
    optimizer = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


CASES: dict[str, tuple[Path, Callable[[Any], Any], tuple[int, ...], str, str]] = {
    "seed004_deep_bn": (SEED004, seed004_deep_bn, (28, 28, 1), "image", "prediction"),
    "resnet_mini": (RESNET, resnet_mini, (32, 32, 3), "image", "classes"),
}


def random_data(shape: tuple[int, ...], samples: int, seed: int = 0) -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.random((samples, *shape), dtype=np.float32)
    return x, rng.integers(0, 10, size=samples).astype(np.int64)


class Rates:
    """Samples per second of one run, per epoch after the first (the first traces the steps):
    ``steps``, read by a clock that is the first callback (the training steps alone), and
    ``epochs``, by one that is the last (every callback included: graphspec's history files,
    best.keras, the backup); and ``whole``, the whole call (building, the data check, tracing,
    every save)."""

    def __init__(self, keras: Any, samples: int) -> None:
        self.samples = samples
        self.started = self.ended = 0.0
        self.rates: dict[str, list[float]] = {"steps": [], "epochs": []}
        self.began = 0.0
        outer = self

        class EpochClock(keras.callbacks.Callback):  # type: ignore[misc,name-defined]
            def __init__(self, kind: str) -> None:
                super().__init__()
                self.kind = kind

            def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
                if self.kind == "steps":
                    outer.began = time.perf_counter()

            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                if epoch > 0:
                    rate = outer.samples / (time.perf_counter() - outer.began)
                    outer.rates[self.kind].append(rate)

        self.first, self.last = EpochClock("steps"), EpochClock("epochs")

    def figures(self, epochs: int) -> dict[str, Any]:
        whole = self.samples * epochs / (self.ended - self.started)
        return {"whole": whole, **self.rates}


def keras_side(
    keras: Any, make: Callable[[Any], Any], x: Any, y: Any, epochs: int
) -> dict[str, Any]:
    rates = Rates(keras, len(x))
    keras.utils.set_random_seed(0)
    rates.started = time.perf_counter()
    model = make(keras)
    callbacks = [rates.first, rates.last]
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=callbacks)
    rates.ended = time.perf_counter()
    return rates.figures(epochs)


def graphspec_side(
    keras: Any, spec: Path, arrays: dict[str, Any], epochs: int, folder: Path
) -> dict[str, Any]:
    """`graphspec.fit`, its `model.fit` given the same clocks, around its callbacks."""
    import graphspec

    rates = Rates(keras, len(next(iter(arrays.values()))))
    fit = keras.Model.fit

    def clocked(self: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["callbacks"] = [rates.first, *kwargs.get("callbacks", []), rates.last]
        return fit(self, *args, **kwargs)

    keras.Model.fit = clocked
    try:
        rates.started = time.perf_counter()
        graphspec.fit(
            spec, arrays, output=folder, epochs=epochs, batch_size=BATCH, seed=0, force=True,
            verbose=0, plots=False,
        )  # fmt: skip
        rates.ended = time.perf_counter()
    finally:
        keras.Model.fit = fit
    return rates.figures(epochs)


def compare(name: str, samples: int, epochs: int, rounds: int, work: Path) -> dict[str, Any]:
    from graphspec.runtime.backend import import_keras

    keras = import_keras()
    spec, make, shape, input_name, head = CASES[name]
    x, y = random_data(shape, samples)
    arrays = {input_name: x, head: y}
    folder = work / f"run-{name}"
    small = BATCH * 2
    keras_side(keras, make, x[:small], y[:small], 2)  # warm-up, not counted
    graphspec_side(keras, spec, {input_name: x[:small], head: y[:small]}, 2, folder)
    rounds_of: dict[str, list[dict[str, Any]]] = {"keras": [], "graphspec": []}
    for _ in range(rounds):
        rounds_of["keras"].append(keras_side(keras, make, x, y, epochs))
        rounds_of["graphspec"].append(graphspec_side(keras, spec, arrays, epochs, folder))
    row: dict[str, Any] = {"samples": samples, "epochs": epochs, "rounds": rounds_of}

    def best(kind: str) -> dict[str, float]:
        return {
            side: max(rate for r in runs for rate in r[kind]) for side, runs in rounds_of.items()
        }

    figures = {
        "steps": best("steps"),
        "epoch": best("epochs"),
        "whole": {side: max(r["whole"] for r in runs) for side, runs in rounds_of.items()},
    }
    for kind, rates in figures.items():
        row[kind] = {**rates, "ratio": rates["graphspec"] / rates["keras"]}
    seconds = [
        samples / epoch - samples / steps
        for r in rounds_of["graphspec"]
        for steps, epoch in zip(r["steps"], r["epochs"], strict=True)
    ]
    row["callbacks_seconds_per_epoch"] = statistics.median(seconds)
    return row


def _run_processes(count: int, mode: str, data: Path, epochs: int, work: Path) -> dict[str, Any]:
    """`count` processes of tests/train/distributed_runs.py (a cluster when 2); the chief's
    figures."""
    ports = free_ports(count)
    processes = []
    for index in range(count):
        env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
        env.update(PYTHONPATH=str(ROOT), EPOCHS=str(epochs))
        if count > 1:
            env["TF_CONFIG"] = tf_config(ports, index)
        out = work / f"{mode}-{count}-{index}.json"
        command = [sys.executable, "-m", "tests.train.distributed_runs", mode, str(SEED004)]
        command += [str(data), str(work / f"run-{mode}-{count}"), str(out)]
        log = subprocess.DEVNULL
        processes.append((subprocess.Popen(command, env=env, cwd=ROOT, stderr=log), out))
    for process, _ in processes:
        if process.wait(timeout=600) != 0:
            raise RuntimeError(f"a {mode} process failed ({process.args})")
    (chief,) = json.loads(processes[0][1].read_text())
    return {"samples_per_second": chief["samples_per_second"], "replicas": chief["replicas"]}


def workers(samples: int, epochs: int, work: Path) -> dict[str, Any]:
    """One process, then two workers of one cluster, on the same data and global batch; the
    whole `model.fit` of each (its first epoch's tracing included)."""
    import numpy as np

    x, y = random_data((28, 28, 1), samples)
    data = work / "mnist_shaped.npz"
    np.savez(data, image=x, prediction=y)
    one = _run_processes(1, "none", data, epochs, work)
    two = _run_processes(2, "multi-worker", data, epochs, work)
    ratio = two["samples_per_second"] / one["samples_per_second"]
    return {"samples": samples, "epochs": epochs, "one": one, "two": two, "ratio": ratio}


def table(results: dict[str, Any]) -> str:
    lines = [
        f"{'model':<16} {'samples':>7} {'epochs':>6} {'':<7} {'keras /s':>9} "
        f"{'graphspec /s':>12} {'ratio':>6}"
    ]
    for name, row in results["fit"].items():
        for kind in ("steps", "epoch", "whole"):
            figures = row[kind]
            lines.append(
                f"{name:<16} {row['samples']:>7} {row['epochs']:>6} {kind:<7} "
                f"{figures['keras']:>9.0f} {figures['graphspec']:>12.0f} {figures['ratio']:>6.3f}"
            )
        cost = row["callbacks_seconds_per_epoch"]
        lines.append(f"{'':<16} graphspec's callbacks: {cost:.3f} s per epoch (median)")
    w = results.get("workers")
    if w is None:
        return "\n".join(lines)
    lines += [
        "",
        f"{'seed004_deep_bn':<16} {'samples':>7} {'epochs':>6} {'processes':>9} {'/s':>9}",
    ]
    for label, count in (("one worker", 1), ("two workers", 2)):
        rate = w["one" if count == 1 else "two"]["samples_per_second"]
        lines.append(f"{label:<16} {w['samples']:>7} {w['epochs']:>6} {count:>9} {rate:>9.0f}")
    lines.append(f"two workers / one: {w['ratio']:.2f}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Epochs of some seconds (~20 s and ~14 s here), so that the per-epoch fixed costs weigh as
    # they do in real training; shorter epochs measure mostly noise on a shared machine.
    parser.add_argument("--rounds", type=int, default=2, help="rounds per side (best counted)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run (at least 2)")
    parser.add_argument("--samples", type=int, default=30000, help="seed004's samples")
    parser.add_argument("--resnet-samples", type=int, default=8000)
    parser.add_argument("--no-workers", action="store_true", help="skip the two-worker run")
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be 2 or more (the first epoch traces)")
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        results: dict[str, Any] = {"machine": machine(), "batch_size": BATCH, "fit": {}}
        sizes = {"seed004_deep_bn": args.samples, "resnet_mini": args.resnet_samples}
        for name, samples in sizes.items():
            results["fit"][name] = compare(name, samples, args.epochs, args.rounds, work)
            print(f"{name}: done", flush=True)
        if not args.no_workers:
            results["workers"] = workers(args.samples, args.epochs, work)
    print(table(results))
    write_results(results, OUTPUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
