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

Each side's figure is samples trained / seconds of the whole call (building and compiling
included on both sides); the best round of each side is compared (the rounds' spread is the
other processes on the machine), and the ratio graphspec / keras should be 1.00 within noise
(the data check and the callbacks may cost at most 3 %).

Then `--distribute multi-worker` over two worker processes on localhost beside one process
(`tests/train/distributed_runs.py`, seed004_deep_bn, the same data and global batch): samples
per second of each run's `model.fit`.

Prints a table and writes benchmarks/results/train.json.
Run: `.venv/bin/python benchmarks/bench_train.py [--rounds 3] [--epochs 2]`.
"""

from __future__ import annotations

import argparse
import json
import os
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


def keras_side(keras: Any, make: Callable[[Any], Any], x: Any, y: Any, epochs: int) -> float:
    keras.utils.set_random_seed(0)
    started = time.perf_counter()
    model = make(keras)
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0)
    return len(x) * epochs / (time.perf_counter() - started)


def graphspec_side(spec: Path, arrays: dict[str, Any], epochs: int, folder: Path) -> float:
    import graphspec

    started = time.perf_counter()
    graphspec.fit(
        spec, arrays, output=folder, epochs=epochs, batch_size=BATCH, seed=0, force=True,
        verbose=0, plots=False,
    )  # fmt: skip
    return len(next(iter(arrays.values()))) * epochs / (time.perf_counter() - started)


def compare(name: str, samples: int, epochs: int, rounds: int, work: Path) -> dict[str, Any]:
    from graphspec.runtime.backend import import_keras

    keras = import_keras()
    spec, make, shape, input_name, head = CASES[name]
    x, y = random_data(shape, samples)
    arrays = {input_name: x, head: y}
    folder = work / f"run-{name}"
    keras_side(keras, make, x[: BATCH * 2], y[: BATCH * 2], 1)  # warm-up, not counted
    graphspec_side(spec, {input_name: x[: BATCH * 2], head: y[: BATCH * 2]}, 1, folder)
    keras_rates, graphspec_rates = [], []
    for _ in range(rounds):
        keras_rates.append(keras_side(keras, make, x, y, epochs))
        graphspec_rates.append(graphspec_side(spec, arrays, epochs, folder))
    return {
        "samples": samples,
        "epochs": epochs,
        "keras": max(keras_rates),
        "graphspec": max(graphspec_rates),
        "ratio": max(graphspec_rates) / max(keras_rates),
        "keras_rounds": keras_rates,
        "graphspec_rounds": graphspec_rates,
    }


def _run_processes(count: int, mode: str, data: Path, work: Path) -> dict[str, Any]:
    """`count` processes of tests/train/distributed_runs.py (a cluster when 2); the chief's
    figures."""
    ports = free_ports(count)
    processes = []
    for index in range(count):
        env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
        env["PYTHONPATH"] = str(ROOT)
        if count > 1:
            env["TF_CONFIG"] = tf_config(ports, index)
        out = work / f"{mode}-{count}-{index}.json"
        command = [sys.executable, "-m", "tests.train.distributed_runs", mode, str(SEED004)]
        command += [str(data), str(work / f"run-{mode}-{count}"), str(out)]
        processes.append(
            (subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.DEVNULL), out)
        )
    for process, _ in processes:
        if process.wait(timeout=600) != 0:
            raise RuntimeError(f"a {mode} process failed ({process.args})")
    (chief,) = json.loads(processes[0][1].read_text())
    return {"samples_per_second": chief["samples_per_second"], "replicas": chief["replicas"]}


def workers(samples: int, epochs: int, work: Path) -> dict[str, Any]:
    import numpy as np

    x, y = random_data((28, 28, 1), samples)
    data = work / "mnist_shaped.npz"
    np.savez(data, image=x, prediction=y)
    spec_epochs = work / "epochs.txt"
    spec_epochs.write_text(str(epochs))
    one = _run_processes(1, "none", data, work)
    two = _run_processes(2, "multi-worker", data, work)
    return {"samples": samples, "one_worker": one, "two_workers": two,
            "ratio": two["samples_per_second"] / one["samples_per_second"]}  # fmt: skip


def table(results: dict[str, Any]) -> str:
    lines = [
        f"{'model':<18} {'samples':>7} {'epochs':>6} {'keras /s':>10} {'graphspec /s':>13} "
        f"{'ratio':>6}"
    ]
    for name, row in results["fit"].items():
        lines.append(
            f"{name:<18} {row['samples']:>7} {row['epochs']:>6} {row['keras']:>10.0f} "
            f"{row['graphspec']:>13.0f} {row['ratio']:>6.3f}"
        )
    w = results["workers"]
    lines.append("")
    lines.append(f"{'seed004_deep_bn':<18} {'samples':>7} {'processes':>9} {'samples /s':>11}")
    for label, count, key in (("one worker", 1, "one_worker"), ("two workers", 2, "two_workers")):
        rate = w[key]["samples_per_second"]
        lines.append(f"{label:<18} {w['samples']:>7} {count:>9} {rate:>11.0f}")
    lines.append(f"two / one: {w['ratio']:.2f}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side (best counted)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=2048, help="seed004's samples")
    parser.add_argument("--resnet-samples", type=int, default=512)
    parser.add_argument("--no-workers", action="store_true", help="skip the two-worker run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        results: dict[str, Any] = {"machine": machine(), "batch_size": BATCH, "fit": {}}
        sizes = {"seed004_deep_bn": args.samples, "resnet_mini": args.resnet_samples}
        for name, samples in sizes.items():
            results["fit"][name] = compare(name, samples, args.epochs, args.rounds, work)
            print(f"{name}: done", flush=True)
        if not args.no_workers:
            results["workers"] = workers(args.samples, args.epochs, work)
    if "workers" in results:
        print(table(results))
    write_results(results, OUTPUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
