"""ONNX: written by Keras (`format="onnx"`, through tf2onnx on TensorFlow), verified with
onnxruntime on the CPU."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graphspec.export.formats import FORMATS, Format

FORMAT: Format = FORMATS["onnx"]


def write(model: Any, path: Path) -> None:
    """Export ``model`` as an ONNX file at ``path``."""
    import logging

    # tf2onnx logs every rewrite at INFO through the root configuration; keep it to errors.
    logging.getLogger("tf2onnx").setLevel(logging.ERROR)
    model.export(str(path), format=FORMAT.keras_format, verbose=False)


def load(path: Path, input_names: Sequence[str]) -> Any:
    """A function of the model's inputs (arrays in ``input_names``' order) that returns its
    outputs as a list of arrays, run by onnxruntime from the file at ``path``."""
    import onnxruntime  # type: ignore[import-untyped,import-not-found,unused-ignore]

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    known = {i.name for i in session.get_inputs()}
    missing = sorted(set(input_names) - known)
    if missing:
        raise ValueError(f"the ONNX graph has no input named {', '.join(missing)}")

    def run(inputs: Sequence[Any]) -> list[Any]:
        return list(session.run(None, dict(zip(input_names, inputs, strict=True))))

    return run
