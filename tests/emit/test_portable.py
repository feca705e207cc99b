"""What `graphspec build -o m.keras` saves loads with plain Keras, where graphspec cannot be
imported: `keras.saving.load_model(path)` in safe mode, the same predictions, no warning.

Every spec under specs/ is built and saved here; ONE subprocess, whose `sys.path` holds
neither the repository nor graphspec's editable-install finder (it proves `import graphspec`
fails), loads every file, predicts on the same random inputs and records Keras' warnings.
The exception: a spec whose expressions draw random numbers (`normal_like`, `uniform_like`)
saves graphspec's registered random layers, which need graphspec to load;
tests/emit/test_expression_functions.py loads those with graphspec in a fresh process.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphspec
from graphspec.runtime.saving import save_model_atomically
from graphspec.spec.expression import RANDOM_FUNCTIONS
from graphspec.train.smoke import feedable
from tests.conftest import ROOT, spec_files

COUNTERPARTS = ROOT / "tests" / "gallery" / "counterparts"

SPECS = [
    path
    for path in spec_files()
    if not any(f"{name}(" in path.read_text() for name in RANDOM_FUNCTIONS)
]

# Runs with `python -I` (no PYTHONPATH, no user site, no script directory), from a temporary
# directory; it then drops the editable finder and any path into the repository (but the
# virtual environment's own, which may live there as .venv), and checks
# graphspec is gone before importing Keras.
_LOADER = """
import importlib.util, json, sys, warnings
from pathlib import Path

repo = Path(sys.argv[1]).resolve()
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__.lower()
                    and "editable" not in getattr(f, "__name__", "").lower()]
venv = Path(sys.prefix).resolve()  # the venv may live inside the repository (.venv)
sys.path[:] = [
    p for p in sys.path
    if p and (not Path(p).resolve().is_relative_to(repo) or Path(p).resolve().is_relative_to(venv))
]
for name in [m for m in sys.modules if m.startswith("__editable__")]:
    del sys.modules[name]
try:
    import graphspec
except ModuleNotFoundError:
    graphspec_found = False
else:
    graphspec_found = graphspec.__file__
assert importlib.util.find_spec("graphspec") is None

import numpy as np
import keras

folder = Path(sys.argv[2])
report = {"graphspec": graphspec_found, "models": {}}
for path in sorted(folder.glob("*.keras")):
    data = np.load(path.with_suffix(".inputs.npz"))
    feed = [data[f"x{i}"] for i in range(len(data.files))]
    if any(x.dtype.kind == "U" for x in feed):  # Keras takes strings as tensors only
        import tensorflow as tf
        feed = [tf.constant(x) for x in feed]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = keras.saving.load_model(path)
    outputs = model.predict(feed if len(feed) > 1 else feed[0], verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    np.savez(path.with_suffix(".loaded.npz"), *[np.asarray(o) for o in outputs])
    report["models"][path.stem] = {
        "warnings": [str(w.message) for w in caught],
        "classes": sorted({type(op).__module__.split(".")[0] for op in model.operations}),
        "output_names": list(model.output_names),
    }
print(json.dumps(report))
"""


def _array(value: Any) -> np.ndarray:
    """A sample as a NumPy array (a TensorFlow string tensor's bytes as text)."""
    array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    if array.dtype == object:  # bytes from a string tensor
        return np.vectorize(lambda b: b.decode() if isinstance(b, bytes) else str(b))(array)
    return array


def _inputs(model: Any, rng: np.random.Generator, path: Path) -> list[Any]:
    """Random inputs for each model input: a gallery spec's counterpart's own sample (its
    lookups refuse words or ids outside their vocabularies); else small integers for integer
    inputs, words for string inputs; unknown sizes are 300 (seed002_social's unpadded
    convolutions need 269 tokens)."""
    if (COUNTERPARTS / f"{path.stem}.py").is_file():
        module = importlib.import_module(f"tests.gallery.counterparts.{path.stem}")
        if hasattr(module, "sample_inputs"):
            sample = module.sample_inputs(2, rng)
            return [_array(sample[tensor.name]) for tensor in model.inputs]
    feed = []
    for tensor in model.inputs:
        shape = (2, *(d or 300 for d in tuple(tensor.shape)[1:]))
        if "int" in str(tensor.dtype):
            feed.append(rng.integers(0, 10, size=shape).astype(str(tensor.dtype)))
        elif tensor.dtype == "string":
            feed.append(rng.choice(["the", "movie", "was", "great", "F", "55455"], size=shape))
        else:
            feed.append(rng.random(shape, dtype=np.float32))
    return feed


@pytest.fixture(scope="module")
def portable(keras: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("portable")
    rng = np.random.default_rng(0)
    expected: dict[str, list[np.ndarray]] = {}
    names: dict[str, list[str]] = {}
    for path in SPECS:
        model = graphspec.build(path)
        feed = _inputs(model, rng, path)
        target = folder / f"{path.stem}.keras"
        save_model_atomically(model, target)
        np.savez(target.with_suffix(".inputs.npz"), **{f"x{i}": x for i, x in enumerate(feed)})
        fed = feedable(feed)
        outputs = model.predict(fed if len(fed) > 1 else fed[0], verbose=0)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        expected[path.stem] = [np.asarray(o) for o in outputs]
        names[path.stem] = list(model.output_names)
        keras.backend.clear_session()
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-I", "-c", _LOADER, str(ROOT), str(folder)],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return {"folder": folder, "expected": expected, "names": names, "report": report}


def test_graphspec_cannot_be_imported_where_the_models_load(portable: dict[str, Any]) -> None:
    assert portable["report"]["graphspec"] is False


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_saved_model_loads_without_graphspec_and_predicts_the_same(
    portable: dict[str, Any], path: Path
) -> None:
    loaded = portable["report"]["models"][path.stem]
    assert loaded["classes"] == ["keras"]  # every operation is Keras' own
    assert loaded["output_names"] == portable["names"][path.stem]
    with np.load(portable["folder"] / f"{path.stem}.loaded.npz") as data:
        got = [data[f"arr_{i}"] for i in range(len(data.files))]
    want = portable["expected"][path.stem]
    assert len(got) == len(want)
    for mine, theirs in zip(want, got, strict=True):
        np.testing.assert_allclose(theirs, mine, rtol=0, atol=1e-6)


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_saved_model_loads_without_a_warning(portable: dict[str, Any], path: Path) -> None:
    """A compiled model's optimizer is saved built, so Keras does not skip its variables."""
    assert portable["report"]["models"][path.stem]["warnings"] == []


def test_expr_nodes_are_keras_operations(keras: Any) -> None:
    """An expr node is the keras.ops calls it stands for; the last is named after the node
    (or its head), the ones before it `<node>.<function>`."""
    model = graphspec.build("specs/seeds/seed001_ensemble3.yaml")
    operations = {op.name: type(op) for op in model.operations}
    assert operations["prediction"].__name__ == "Divide"
    assert operations["prediction.add"].__name__ == "Add"
    assert operations["prediction.add_2"].__name__ == "Add"
    assert all(cls.__module__.startswith("keras.") for cls in operations.values())
    assert model.output_names == ["prediction"]


def test_an_expr_that_is_one_of_its_inputs_is_an_identity(keras: Any) -> None:
    """`+a` makes no operation to name; an Identity layer carries the node's (head's) name."""
    text = """\
graphspec: 1
name: same
inputs:
  x: {shape: [2]}
nodes:
  dense: {layer: Dense, from: x, units: 2}
  copy: {expr: "+a", from: {a: dense}}
  int_math: {expr: "a * (2 + 3) - exp(0.0)", from: {a: dense}}
outputs:
  out: copy
  folded: int_math
"""
    model = graphspec.build(graphspec.loads(text))
    assert model.output_names == ["out", "folded"]
    assert type(model.get_layer("out")).__name__ == "Identity"
    names = {op.name: type(op).__name__ for op in model.operations}
    assert names["folded"] == "Subtract"  # 2 + 3 and exp(0.0) were computed once, as numbers
    assert names["folded.multiply"] == "Multiply"
    assert not any(name.startswith("folded.add") or "exp" in name for name in names)
    batch = np.ones((1, 2), dtype="float32")
    out, folded = model(batch)
    np.testing.assert_allclose(np.asarray(folded), np.asarray(out) * 5 - 1, rtol=1e-6)
