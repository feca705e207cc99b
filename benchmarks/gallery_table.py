"""The gallery at a glance: for each spec under specs/gallery/, its parameters (graphspec's
build, and its hand-written Keras counterpart's where tests/gallery/counterparts/ has one),
whether the built model is flat or holds nested keras.Models, and whether it survives the
import round trip: built → `graphspec.importer.to_spec.from_keras` → validated → built again →
`graphspec.testing.roundtrip.compare` (layers, classes, static shapes and parameter counts) →
the first build's weights copied in by layer name → equal predictions on the counterpart's
sample inputs (or normal floats and small integers).

    PYTHONPATH=$PWD .venv/bin/python benchmarks/gallery_table.py

tests/gallery/test_import_round_trip.py asserts the same round trip, spec by spec.
"""

from __future__ import annotations

import importlib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent
GALLERY = ROOT / "specs" / "gallery"
SAMPLES = 4
ATOL = 1e-5


def gallery_specs() -> list[Path]:
    return sorted(GALLERY.glob("*.yaml"))


def counterpart(stem: str) -> ModuleType | None:
    """The spec's hand-written Keras counterpart module, or None."""
    if not (ROOT / "tests" / "gallery" / "counterparts" / f"{stem}.py").is_file():
        return None
    return importlib.import_module(f"tests.gallery.counterparts.{stem}")


def build_kwargs(path: Path, module: ModuleType | None) -> dict[str, Any]:
    """What `graphspec.build` needs for the spec: its counterpart's BUILD_KWARGS, else the
    custom objects its expected.toml row lists."""
    if module is not None and hasattr(module, "BUILD_KWARGS"):
        return dict(module.BUILD_KWARGS)
    row = tomllib.loads((GALLERY / "expected.toml").read_text()).get(path.name, {})
    return {"custom_objects": row["custom_objects"]} if row.get("custom_objects") else {}


def sample_inputs(model: Any, module: ModuleType | None) -> dict[str, Any]:
    """Inputs a model of the gallery can take: the counterpart's, else normal floats and
    integers in [0, 2) (compare's own batch, uniform floats in [0, 255), suits image models
    only: a string input cannot take it, an Embedding reads it out of range, a VAE's exp
    overflows)."""
    import numpy as np

    rng = np.random.default_rng(0)
    if module is not None and hasattr(module, "sample_inputs"):
        return dict(module.sample_inputs(SAMPLES, rng))
    data: dict[str, Any] = {}
    for tensor in model.inputs:
        shape = (SAMPLES, *(d or 3 for d in tensor.shape[1:]))
        dtype = str(tensor.dtype)
        if "int" in dtype:
            data[tensor.name] = rng.integers(0, 2, shape).astype(dtype)
        else:
            data[tensor.name] = rng.normal(size=shape).astype(dtype)
    return data


def is_nested(model: Any) -> bool:
    """Whether any layer of the model is itself a keras.Model (a block instance)."""
    from graphspec.runtime.backend import import_keras

    keras = import_keras()
    return any(isinstance(layer, keras.Model) for layer in model.layers)


def _as_list(predictions: Any, model: Any) -> list[Any]:
    import numpy as np

    if isinstance(predictions, dict):
        return [np.asarray(predictions[name]) for name in model.output_names]
    if isinstance(predictions, list | tuple):
        return [np.asarray(p) for p in predictions]
    return [np.asarray(predictions)]


def _prediction_problems(
    original: Any, text: str, module: ModuleType | None, kwargs: Mapping[str, Any]
) -> list[str]:
    """Build ``text``, copy ``original``'s weights in by layer name and compare predictions."""
    import numpy as np

    from graphspec.pipeline import build, loads

    rebuilt = build(loads(text, f"{original.name}.yaml"), **kwargs)
    for layer in original.layers:
        if layer.weights:
            rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
    data: Any = sample_inputs(original, module)
    if len(data) == 1:  # a one-input model takes a bare tensor, as keras.Model(x, y) does
        (data,) = data.values()
    expected = _as_list(original.predict(data, verbose=0), original)
    got = _as_list(rebuilt.predict(data, verbose=0), rebuilt)
    if len(got) != len(expected):
        return [f"{len(got)} outputs, not {len(expected)}"]
    problems = []
    for name, ours, theirs in zip(original.output_names, got, expected, strict=True):
        difference = float(np.max(np.abs(ours - theirs)))
        if not difference < ATOL:  # nan counts as a difference
            problems.append(f"head {name}: predictions differ by {difference:.3g}")
    return problems


def import_round_trip(
    model: Any, module: ModuleType | None = None, kwargs: Mapping[str, Any] | None = None
) -> tuple[str, ...]:
    """What keeps ``model`` (a gallery spec's build, with ``kwargs`` for `graphspec.build`)
    from importing back exactly: each problem one line; empty when the imported spec
    validates and builds the same model."""
    from graphspec.catalogue.custom import CustomLayers, CustomObjects
    from graphspec.diagnostics import SpecError
    from graphspec.importer.to_spec import from_keras
    from graphspec.pipeline import check_text
    from graphspec.settings import Options
    from graphspec.testing.roundtrip import compare

    kwargs = kwargs or {}
    layers = CustomLayers.from_paths(kwargs.get("custom_layers", ()))
    objects = CustomObjects.from_paths(kwargs.get("custom_objects", ()))
    try:
        text = from_keras(model, custom=layers)
    except SpecError as error:
        return tuple(f"import: {d.format()}" for d in error.diagnostics)
    options = Options(custom_layers=layers, custom_objects=objects)
    report = check_text(text, f"{model.name}.yaml", options)
    if not report.ok:
        return tuple(f"validate: {d.format()}" for d in report.diagnostics if d.severity == "error")
    try:
        result = compare(model, text, {}, layers, predict=False)
    except SpecError as error:  # compare validates with custom layers only, not custom objects
        return tuple(f"compare: {d.format()}" for d in error.diagnostics)
    if result.mismatches:
        return result.mismatches
    return tuple(_prediction_problems(model, text, module, kwargs))


@dataclass(frozen=True)
class Row:
    spec: str
    params: int
    counterpart_params: int | None
    nested: bool
    problems: tuple[str, ...]


def gallery_row(path: Path, keras: Any) -> Row:
    from graphspec.pipeline import build

    module = counterpart(path.stem)
    kwargs = build_kwargs(path, module)
    model = build(path, **kwargs)
    theirs = None if module is None else module.keras_model(keras).count_params()
    problems = import_round_trip(model, module, kwargs)
    return Row(path.stem, model.count_params(), theirs, is_nested(model), problems)


def _shortened(text: str, width: int = 110) -> str:
    return text if len(text) <= width else f"{text[: width - 3]}..."


def format_rows(rows: list[Row]) -> str:
    header = ("spec", "params", "counterpart", "structure", "import round trip")
    table = [
        (
            row.spec,
            f"{row.params:,}",
            "-" if row.counterpart_params is None else f"{row.counterpart_params:,}",
            "nested" if row.nested else "flat",
            "ok" if not row.problems else f"no: {_shortened(row.problems[0].splitlines()[0])}",
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *table]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, tuple("-" * width for width in widths), *table]
    ]
    exact = sum(not row.problems for row in rows)
    lines.append(f"{len(rows)} specs, {exact} import back exactly")
    return "\n".join(lines)


def main() -> None:
    import sys

    sys.path.insert(0, str(ROOT))  # the counterparts are modules of tests/
    from graphspec.runtime.backend import import_keras

    keras = import_keras()
    rows = []
    for path in gallery_specs():
        keras.backend.clear_session()
        rows.append(gallery_row(path, keras))
    print(format_rows(rows))


if __name__ == "__main__":
    main()
