"""Build every example spec on one Keras backend, predict and train one step; run as a script.

One process can hold one Keras backend (Keras reads ``KERAS_BACKEND`` once, at import), so
`test_parity.py` runs this script once per backend, each in its own subprocess:

    python tests/backends/parity_worker.py tensorflow OUT            # the reference run
    python tests/backends/parity_worker.py jax OUT --reference OUT/tensorflow.npz

The reference run draws the weights, inputs and targets (seeded) and writes them with its
predictions and losses to ``OUT/tensorflow.npz`` (``loss/0`` in inference mode, comparable
across backends; ``loss/1`` the training step's, random where the spec has dropout); a run
given ``--reference`` sets the same weights, feeds the same inputs and writes its own
predictions and losses to ``OUT/<backend>.npz``. Keys are ``<spec>/<what>/<index>``;
``<spec>/error/0`` holds the traceback of a spec that failed, so one failure does not hide
the others' results.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BATCH = 2
SEQUENCE = 6  # the length given to dimensions a spec leaves open ([null])
LONGER = {"seeds/seed002_social": 300}  # five convolutions and two poolings need this many
TOKENS = 5  # integer inputs are token ids below this


def spec_files() -> list[Path]:
    """The specs of `tests.conftest.spec_files`, without importing the test package: those
    whose expected.toml row lists no custom objects."""
    import tomllib

    custom = set()
    for table in (ROOT / "specs").rglob("expected.toml"):
        rows = tomllib.loads(table.read_text())
        custom |= {table.parent / name for name, row in rows.items() if row.get("custom_objects")}
    return sorted(p for p in (ROOT / "specs").rglob("*.yaml") if p not in custom)


def _key(spec: Path) -> str:
    return spec.relative_to(ROOT / "specs").with_suffix("").as_posix()


def _inputs(model: Any, rng: Any, length: int) -> list[Any]:
    arrays = []
    for tensor in model.inputs:
        shape = (BATCH, *(length if d is None else d for d in tensor.shape[1:]))
        if "int" in str(tensor.dtype):
            arrays.append(rng.integers(0, TOKENS, size=shape).astype(str(tensor.dtype)))
        else:
            arrays.append(rng.standard_normal(shape).astype("float32"))
    return arrays


def _targets(spec: Any, names: list[str], outputs: list[Any], rng: Any) -> list[Any]:
    """A target per head that its loss accepts, shaped as the reference prediction."""
    import numpy as np

    targets = []
    for name, output in zip(names, outputs, strict=True):
        head = spec.outputs.get(name)
        name = (head.loss_name if head is not None else None) or "mse"
        loss = name.lower().replace("_", "")  # SparseCategoricalCrossentropy as the function
        if loss.startswith("sparsecategorical"):
            targets.append(rng.integers(0, output.shape[-1], size=output.shape[:-1]))
        elif loss.startswith("categorical"):
            labels = rng.integers(0, output.shape[-1], size=output.shape[:-1])
            targets.append(np.eye(output.shape[-1], dtype="float32")[labels])
        elif loss.startswith("binary"):
            targets.append(rng.integers(0, 2, size=output.shape).astype("float32"))
        else:
            targets.append(rng.standard_normal(output.shape).astype("float32"))
    return targets


def _run_spec(spec_path: Path, reference: Any, results: dict[str, Any]) -> None:
    import keras
    import numpy as np

    import graphspec

    key = _key(spec_path)
    keras.utils.set_random_seed(0)
    spec = graphspec.load(spec_path)
    if any(entry.dtype == "string" for entry in spec.inputs.values()):
        return  # strings build on TensorFlow only (GS611): nothing to compare
    model = graphspec.build(spec)
    if reference is None:
        rng = np.random.default_rng(0)
        weights = model.get_weights()
        inputs = _inputs(model, rng, LONGER.get(key, SEQUENCE))
    else:
        weights = _listed(reference, key, "weight")
        inputs = _listed(reference, key, "input")
        model.set_weights(weights)
    outputs = [keras.ops.convert_to_numpy(t) for t in keras.tree.flatten(model(inputs))]
    names = list(model.output_names)
    if reference is None:
        targets = _targets(spec, names, outputs, rng)
    else:
        targets = _listed(reference, key, "target")
    if spec.compile is None:
        model.compile(optimizer="sgd", loss="mse")
    y = dict(zip(names, targets, strict=True)) if len(names) > 1 else targets[0]
    evaluated = float(model.test_on_batch(inputs, y, return_dict=True)["loss"])
    trained = float(model.train_on_batch(inputs, y, return_dict=True)["loss"])
    if reference is None:
        _store(results, key, "weight", weights)
        _store(results, key, "input", inputs)
        _store(results, key, "target", targets)
    _store(results, key, "output", outputs)
    results[f"{key}/loss/0"] = np.asarray(evaluated, dtype="float64")  # inference mode
    results[f"{key}/loss/1"] = np.asarray(trained, dtype="float64")  # dropout on: random


def _listed(data: Any, key: str, what: str) -> list[Any]:
    found = []
    while f"{key}/{what}/{len(found)}" in data:
        found.append(data[f"{key}/{what}/{len(found)}"])
    return found


def _store(results: dict[str, Any], key: str, what: str, arrays: list[Any]) -> None:
    import numpy as np

    for index, array in enumerate(arrays):
        results[f"{key}/{what}/{index}"] = np.asarray(array)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("backend", choices=["tensorflow", "jax", "torch"])
    parser.add_argument("out", type=Path, help="the folder to write <backend>.npz to")
    parser.add_argument("--reference", type=Path, help="the reference run's .npz")
    parser.add_argument("specs", nargs="*", type=Path, help="default: every spec in specs/")
    args = parser.parse_args(argv)
    os.environ["KERAS_BACKEND"] = args.backend  # before anything imports keras
    sys.path.insert(0, str(ROOT))
    import numpy as np

    from graphspec.runtime.backend import import_keras

    keras = import_keras()
    assert keras.backend.backend() == args.backend, keras.backend.backend()
    reference = np.load(args.reference) if args.reference else None
    results: dict[str, Any] = {}
    for spec_path in args.specs or spec_files():
        try:
            _run_spec(spec_path.resolve(), reference, results)
        except Exception:
            results[f"{_key(spec_path.resolve())}/error/0"] = np.asarray(traceback.format_exc())
        keras.backend.clear_session()
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez(args.out / f"{args.backend}.npz", **results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
