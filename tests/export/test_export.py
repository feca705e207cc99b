"""Export small specs to every format and verify them in their runtimes; the temporary-path
discipline (nothing at the target on failure, a replaced SavedModel directory); what the
verification compares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphspec
from graphspec.export import exporter
from graphspec.export.formats import FORMATS
from graphspec.settings import Options
from tests.conftest import SPECS
from tests.export.support import FORMAT_PARAMS, needs

SMALL = {
    # one input, one head (dense)
    "dense": SPECS / "seeds" / "seed002_dense.yaml",
    # two image inputs, two heads
    "mimo": SPECS / "seeds" / "seed000_mimo.yaml",
    # a float and an int32 input (embedding), one head
    "wide_and_deep": SPECS / "gallery" / "wide_and_deep.yaml",
}


@pytest.fixture(scope="module")
def models(keras: Any) -> dict[str, Any]:
    """Each small spec built once for the module."""
    return {name: graphspec.build(path) for name, path in SMALL.items()}


def _output(tmp_path: Path, format_name: str) -> Path:
    suffix = FORMATS[format_name].suffix
    return tmp_path / (f"model{suffix}" if suffix else "model_saved_model")


@pytest.mark.parametrize("format_name", FORMAT_PARAMS)
@pytest.mark.parametrize("spec", list(SMALL))
def test_export_and_verify(
    spec: str, format_name: str, models: dict[str, Any], tmp_path: Path
) -> None:
    output = _output(tmp_path, format_name)
    exported, diagnostics = exporter.export_model(models[spec], output, format_name)
    assert diagnostics == []
    assert exported is not None and exported.path == output
    assert exported.max_difference <= exporter.DEFAULT_TOLERANCE
    assert output.is_dir() if FORMATS[format_name].directory else output.is_file()
    assert [p.name for p in tmp_path.iterdir()] == [output.name]  # no temporary left
    # The artifact on disk runs in its runtime and agrees with Keras on fresh input.
    model = models[spec]
    inputs = exporter.sample_inputs(model, batch=2, seed=7)
    runner = exporter.load_runner(FORMATS[format_name], output, exporter.input_names(model))
    for got, want in zip(runner(inputs), exporter.keras_outputs(model, inputs), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@needs("onnx")
def test_a_keras_file_is_loaded_and_exported(models: dict[str, Any], tmp_path: Path) -> None:
    saved = tmp_path / "dense.keras"
    models["dense"].save(saved)
    output = tmp_path / "dense.onnx"
    exported, diagnostics = exporter.export_source(saved, output, "onnx", Options())
    assert diagnostics == [] and exported is not None and output.is_file()


def test_an_unreadable_keras_file_is_refused(keras: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    with pytest.raises(exporter.ModelUnreadable, match="cannot load the model"):
        exporter.export_source(broken, tmp_path / "m_saved_model", "saved_model", Options())


def test_an_invalid_spec_is_its_diagnostics(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("graphspec: 1\nname: bad\ninputs: {x: {shape: [4]}}\noutputs: {y: nope}\n")
    exported, diagnostics = exporter.export_source(
        spec, tmp_path / "out_saved_model", "saved_model", Options()
    )
    assert exported is None and [str(d.code) for d in diagnostics] == ["GS205"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_a_saved_model_replaces_the_old_directory(models: dict[str, Any], tmp_path: Path) -> None:
    output = tmp_path / "model_saved_model"
    first, _ = exporter.export_model(models["dense"], output, "saved_model")
    assert first is not None
    (output / "stale.txt").write_text("from the first export")
    second, _ = exporter.export_model(models["dense"], output, "saved_model")
    assert second is not None and (output / "saved_model.pb").is_file()
    assert not (output / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == [output.name]


def test_a_failed_verification_leaves_the_old_artifact(
    models: dict[str, Any], tmp_path: Path
) -> None:
    output = tmp_path / "model_saved_model"
    output.mkdir()
    (output / "saved_model.pb").write_text("the old one")
    exported, diagnostics = exporter.export_model(
        models["dense"], output, "saved_model", tolerance=-1.0
    )  # nothing is within a negative tolerance
    assert exported is None and [str(d.code) for d in diagnostics] == ["GS902"]
    assert (output / "saved_model.pb").read_text() == "the old one"
    assert [p.name for p in tmp_path.iterdir()] == [output.name]


def test_a_missing_converter_is_refused_before_any_work(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(type(FORMATS["onnx"]), "missing", lambda self: ["tf2onnx"])
    with pytest.raises(exporter.ConverterMissing, match=r"pip install 'graphspec\[export\]'"):
        exporter.export_source(SMALL["dense"], tmp_path / "m.onnx", "onnx", Options())
    assert list(tmp_path.iterdir()) == []


def test_compare_reports_the_output_at_fault() -> None:
    want = [np.zeros((2, 3), np.float32), np.ones((2,), np.float32)]
    assert exporter.compare(want, want, 1e-4, ["a", "b"]) == (0.0, None, None)
    off = [want[0], want[1] + np.float32(0.01)]
    worst, problem, name = exporter.compare(want, off, 1e-4, ["a", "b"])
    assert name == "b" and problem and "up to 0.01" in problem and worst == pytest.approx(0.01)
    # the bound grows with the value: 1e-4 * (1 + |keras|)
    big = [np.full((2,), 1000.0, np.float32)]
    assert exporter.compare(big, [big[0] + np.float32(0.05)], 1e-4, ["a"])[1] is None
    _, problem, _ = exporter.compare(want, [want[0].T, want[1]], 1e-4, ["a", "b"])
    assert problem and "shape" in problem
    _, problem, _ = exporter.compare(want, want[:1], 1e-4, ["a", "b"])
    assert problem and "1 outputs where Keras gives 2" in problem


def test_sample_inputs_fit_the_model(models: dict[str, Any]) -> None:
    model = models["wide_and_deep"]
    arrays = exporter.sample_inputs(model, batch=3)
    assert [a.shape[0] for a in arrays] == [3, 3]
    integers = [a for a in arrays if a.dtype.kind == "i"]
    bound = min(int(layer.input_dim) for layer in model.layers if hasattr(layer, "input_dim"))
    assert integers and all(a.min() >= 0 and a.max() < bound for a in integers)
    again = exporter.sample_inputs(model, batch=3)
    assert all(np.array_equal(a, b) for a, b in zip(arrays, again, strict=True))


def test_layer_named_in_prefers_an_exact_name(models: dict[str, Any]) -> None:
    model = models["dense"]
    names = [layer.name for layer in model.layers]
    last = names[-1]
    assert exporter.layer_named_in(f"op at model_1/{last}_1/MatMul failed", model) == last
    assert exporter.layer_named_in(f"{last}", model) == last
    assert exporter.layer_named_in("nothing here", model) is None


def test_keras_failing_on_the_random_input_is_a_diagnostic(
    models: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def refuse(model: Any, inputs: Any) -> list[Any]:
        raise ValueError("\x1b[1mslice index 5 of dimension 0 out of bounds\x1b[0m")

    monkeypatch.setattr(exporter, "keras_outputs", refuse)
    output = tmp_path / "m_saved_model"
    exported, diagnostics = exporter.export_model(models["dense"], output, "saved_model")
    assert exported is None and [str(d.code) for d in diagnostics] == ["GS902"]
    assert diagnostics[0].message.endswith("(4, 64)): slice index 5 of dimension 0 out of bounds")
    assert list(tmp_path.iterdir()) == []
