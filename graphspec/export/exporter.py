"""Export a model to one format and prove the artifact: write it beside its target, load it in
its own runtime, compare its predictions with Keras' on the same random input, and only then
rename it into place. Whatever fails is a diagnostic (GS901, GS902) and leaves nothing at the
target; a missing converter is `ConverterMissing`, with the install hint.
"""

from __future__ import annotations

import contextlib
import importlib
import re
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphspec.atomic import replacing, replacing_directory
from graphspec.diagnostics import Diagnostic, Location, Severity, SpecPath, codes
from graphspec.export.formats import FORMATS, Format

if TYPE_CHECKING:
    from graphspec.settings import Options

__all__ = [
    "DEFAULT_TOLERANCE",
    "ConverterMissing",
    "Exported",
    "ModelUnreadable",
    "build_spec",
    "export_model",
    "export_source",
    "keras_outputs",
    "load_runner",
    "sample_inputs",
]

DEFAULT_TOLERANCE = 1e-4
"""How far an exported model's outputs may be from Keras': |got − keras| ≤ tol·(1 + |keras|)."""
BATCH = 4
"""The batch of random input each export is verified on."""
OPEN_SIZES = (32, 128, 512)
"""The sizes tried, in turn, for the dimensions a model leaves open (a sequence's length):
the first that Keras runs is the one verified (convolutions and pooling need some length)."""

Where = Callable[[str | None, tuple[str, ...]], tuple[Location, SpecPath]]
"""Where a diagnostic about a layer or head (by name, or None for the whole model) points,
looking in the spec's sections in the order given (`nodes`, `outputs`)."""
LAYERS = ("nodes", "shared", "outputs")
HEADS = ("outputs", "nodes", "shared")
Runner = Callable[[Sequence[Any]], list[Any]]
"""An exported model loaded in its runtime: the inputs in the model's order → its outputs."""


class ConverterMissing(RuntimeError):
    """A package the format's converter or runtime needs is not installed (the message says
    what to install)."""


class ModelUnreadable(RuntimeError):
    """The .keras file to export cannot be loaded."""


@dataclass(frozen=True)
class Exported:
    """A verified export."""

    format: Format
    path: Path
    max_difference: float
    """The largest |exported − Keras| over every output value."""
    seconds: float
    """Writing and verifying, together."""
    open_size: int
    """The size the open dimensions were given (one of `OPEN_SIZES`)."""


def module_of(fmt: Format) -> Any:
    """The module that writes and loads a format (`graphspec.export.<name>`)."""
    return importlib.import_module(f"graphspec.export.{fmt.name}")


def require(fmt: Format) -> None:
    """Raise `ConverterMissing` when the format's packages are not all installed."""
    missing = fmt.missing()
    if missing:
        raise ConverterMissing(fmt.install_hint(missing))


def load_runner(fmt: Format, path: Path, input_names: Sequence[str]) -> Runner:
    """The artifact at ``path`` loaded in the format's runtime."""
    runner: Runner = module_of(fmt).load(path, input_names)
    return runner


def input_names(model: Any) -> list[str]:
    """The model's input names, in its order (the names every format keeps)."""
    return [str(tensor.name) for tensor in model.inputs]


def sample_inputs(
    model: Any, batch: int = BATCH, seed: int = 0, open_size: int = OPEN_SIZES[0]
) -> list[Any]:
    """Random inputs for ``model``, one array per input in its order, its open dimensions of
    ``open_size``: normal floats, and integers below the smallest ``input_dim`` of its
    Embedding-like layers (2 when none)."""
    import numpy as np

    generator = np.random.default_rng(seed)
    bounds = [int(d) for d in (getattr(layer, "input_dim", None) for layer in model.layers) if d]
    high = min(bounds, default=2)
    arrays = []
    for tensor in model.inputs:
        shape = (batch, *(open_size if d is None else int(d) for d in tensor.shape[1:]))
        dtype = np.dtype(str(tensor.dtype))
        if dtype.kind in "iu":
            arrays.append(generator.integers(0, high, size=shape).astype(dtype))
        elif dtype.kind == "b":
            arrays.append(generator.integers(0, 2, size=shape).astype(bool))
        else:
            arrays.append(generator.standard_normal(shape).astype(dtype))
    return arrays


def keras_outputs(model: Any, inputs: Sequence[Any]) -> list[Any]:
    """The model's outputs on ``inputs`` (inference mode), as a list of arrays."""
    import keras

    result = model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)
    return [keras.ops.convert_to_numpy(t) for t in keras.tree.flatten(result)]


def export_model(
    model: Any,
    path: Path,
    format_name: str,
    *,
    where: Where | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    seed: int = 0,
) -> tuple[Exported | None, list[Diagnostic]]:
    """Export ``model`` to ``path`` in one of `FORMATS` and verify it; on any diagnostic
    nothing is written at ``path`` (an existing file or directory there stays as it was).

    Raises `ConverterMissing` before any work when the format's packages are not installed.
    """
    from graphspec.emit.recursion import deep_recursion

    fmt = FORMATS[format_name]
    require(fmt)
    # Tracing a chain of layers recurses once per layer, as building it does.
    with deep_recursion(len(model.layers)):
        return _export(model, path, fmt, where, tolerance, seed)


def _export(
    model: Any, path: Path, fmt: Format, where: Where | None, tolerance: float, seed: int
) -> tuple[Exported | None, list[Diagnostic]]:
    at: Where = where or (lambda _name, _sections: (Location("<model>"), ()))
    started = time.perf_counter()
    found = _keras_run(model, seed, at)
    if isinstance(found, Diagnostic):
        return None, [found]
    inputs, expected, open_size = found
    module = module_of(fmt)
    try:
        with _staged(path, fmt) as temporary:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # converters' deprecation noise
                    module.write(model, temporary)
            except Exception as error:
                what = f"{fmt.title} converter refused the model"
                raise _Refused(_refused(fmt, what, error, model, at)) from None
            try:
                got = load_runner(fmt, temporary, input_names(model))(inputs)
            except Exception as error:
                what = f"{fmt.runtime} cannot run the {fmt.title} export"
                raise _Refused(_refused(fmt, what, error, model, at)) from None
            names = _output_names(model)
            worst, problem, output = compare(expected, got, tolerance, names)
            if problem is not None:
                location, spec_path = at(output, HEADS)
                message = f"{fmt.title} export does not reproduce Keras' predictions: {problem}"
                hint = "nothing was written; --tolerance sets a looser bound if this is expected"
                diagnostic = Diagnostic(
                    codes.EXPORT_MISMATCH, Severity.ERROR, message, location, spec_path, hint
                )
                raise _Refused(diagnostic)
    except _Refused as refused:
        return None, [refused.diagnostic]
    return Exported(fmt, path, worst, time.perf_counter() - started, open_size), []


def _keras_run(model: Any, seed: int, at: Where) -> tuple[list[Any], list[Any], int] | Diagnostic:
    """Random inputs Keras runs and its outputs on them (the first of `OPEN_SIZES` that it
    runs; every size is the same when no dimension is open), or the diagnostic when none."""
    sizes = OPEN_SIZES if any(None in t.shape[1:] for t in model.inputs) else OPEN_SIZES[:1]
    failure: Exception | None = None
    for size in sizes:
        inputs = sample_inputs(model, seed=seed, open_size=size)
        try:
            return inputs, keras_outputs(model, inputs), size  # marks the model called (ONNX)
        except Exception as error:
            failure = error
    assert failure is not None
    shapes = ", ".join(str(tuple(a.shape)) for a in inputs)
    message = f"Keras cannot run the model on the random input it is verified on ({shapes})"
    location, spec_path = at(layer_named_in(str(failure), model), LAYERS)
    tried = ", ".join(map(str, sizes))
    hint = f"open sizes tried: {tried}; nothing was written"
    text = f"{message}: {_first_line(failure)}"
    return Diagnostic(codes.EXPORT_MISMATCH, Severity.ERROR, text, location, spec_path, hint)


def compare(
    expected: Sequence[Any], got: Sequence[Any], tolerance: float, names: Sequence[str]
) -> tuple[float, str | None, str | None]:
    """The largest difference over every output, what is wrong (None when every value is
    within ``tolerance``: |got − keras| ≤ tol·(1 + |keras|)) and the output at fault."""
    import numpy as np

    if len(got) != len(expected):
        return float("inf"), f"{len(got)} outputs where Keras gives {len(expected)}", None
    worst = 0.0
    for name, want, have in zip(names, expected, got, strict=True):
        want, have = np.asarray(want), np.asarray(have)
        if want.shape != have.shape:
            problem = f"output '{name}' has shape {have.shape}, Keras' {want.shape}"
            return float("inf"), problem, name
        if want.size == 0:
            continue
        difference = np.abs(have.astype(np.float64) - want.astype(np.float64))
        largest = float(np.max(difference)) if np.all(np.isfinite(difference)) else float("inf")
        worst = max(worst, largest)
        bound = tolerance * (1.0 + np.abs(want.astype(np.float64)))
        if not np.all(difference <= bound):
            problem = (
                f"output '{name}' is up to {largest:.3g} away from Keras' (tolerance {tolerance:g})"
            )
            return worst, problem, name
    return worst, None, None


def export_source(
    source: Path,
    output: Path,
    format_name: str,
    options: Options,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    seed: int = 0,
) -> tuple[Exported | None, list[Diagnostic]]:
    """Export a spec (built with `graphspec.pipeline`) or a ``.keras`` file (loaded with
    `graphspec.load_model`); returns the export and every diagnostic (the spec's too).

    `ConverterMissing` before any work; `ModelUnreadable` for a .keras file Keras cannot load;
    OSError when the spec cannot be read.
    """
    require(FORMATS[format_name])
    found: list[Diagnostic] = []
    if source.suffix == ".keras":
        model, where = _load(source, options), _whole_file(str(source))
    else:
        model, where, found = build_spec(source, options)
        if model is None:
            return None, found
    exported, problems = export_model(
        model, output, format_name, where=where, tolerance=tolerance, seed=seed
    )
    return exported, [*found, *problems]


def _load(source: Path, options: Options) -> Any:
    from graphspec.runtime.saving import load_model

    try:
        return load_model(source, compile=False, custom_layers=options.custom_layers)
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelUnreadable(f"{source}: cannot load the model: {first}") from error


def build_spec(source: Path, options: Options) -> tuple[Any, Where, list[Diagnostic]]:
    """Check and build a spec file: the model (None on errors), where a layer's diagnostic
    points in the spec, and the spec's diagnostics. OSError when it cannot be read."""
    from graphspec.diagnostics.reporter import Locator
    from graphspec.pipeline import build_report, check_path

    report = check_path(source, options)
    model, built = (None, report) if not report.ok else build_report(report, options)
    spec = report.spec
    if spec is None:
        return model, _whole_file(str(source)), list(built.diagnostics)
    locator = Locator(spec.source)

    sections: dict[str, Mapping[str, object]] = {
        "nodes": spec.nodes,
        "shared": spec.shared,
        "outputs": spec.outputs,
    }
    renamed = dict(report.plan.head_layers) if report.plan else {}

    def where(name: str | None, order: tuple[str, ...]) -> tuple[Location, SpecPath]:
        if order == LAYERS and name in renamed:  # the node's final layer bears the head's name
            name = renamed[name]
        for section in order:
            if name is not None and name in sections[section]:
                path: SpecPath = (section, name)
                return locator.at_key(path), path
        return Location(str(source)), ()

    return model, where, list(built.diagnostics)


def _whole_file(file: str) -> Where:
    return lambda _name, _sections: (Location(file), ())


def _output_names(model: Any) -> list[str]:
    names = getattr(model, "output_names", None) or []
    count = len(model.outputs)
    return [str(n) for n in names] if len(names) == count else [str(i) for i in range(count)]


class _Refused(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _refused(fmt: Format, what: str, error: Exception, model: Any, at: Where) -> Diagnostic:
    """The EXPORT_REFUSED diagnostic for what a converter or runtime raised, at its layer."""
    layer = layer_named_in(str(error), model)
    location, spec_path = at(layer, LAYERS)
    first = _first_line(error)
    message = f"{what}: {first}"
    if layer is not None:
        message = f"{what} at layer '{layer}': {first}"
    others = ", ".join(name for name in FORMATS if name != fmt.name)
    hint = f"nothing was written; try another format ({others}) or another layer"
    return Diagnostic(codes.EXPORT_REFUSED, Severity.ERROR, message, location, spec_path, hint)


def _first_line(error: Exception) -> str:
    """An exception's first non-blank line, capped, without terminal escapes."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip() or type(error).__name__
    first = next((line.strip() for line in text.splitlines() if line.strip()), text)
    return first if len(first) <= 300 else first[:297] + "..."


def layer_named_in(text: str, model: Any) -> str | None:
    """The model's layer a converter's message names, in a node or op path such as
    ``model/lstm/while`` or, as TensorFlow's name scopes write it, ``model_1/lstm_1/while``:
    an exact name first, the longest when several match."""
    names = sorted((str(layer.name) for layer in model.layers), key=len, reverse=True)
    for suffix in ("", r"(?:_\d+)?"):
        for name in names:
            if re.search(rf"(?<![\w.]){re.escape(name)}{suffix}(?![\w])", text):
                return name
    return None


def _staged(path: Path, fmt: Format) -> contextlib.AbstractContextManager[Path]:
    """A temporary path beside ``path`` to write the artifact to, put in its place when the
    block ends normally and removed when it raises (`graphspec.atomic`: a file, or a directory
    for a SavedModel, with the mode of what it replaces or the umask's default)."""
    if fmt.directory:
        return replacing_directory(path)
    return replacing(path, suffix=f".tmp{fmt.suffix}")
