"""LiteRT (TFLite): written by Keras (`format="litert"`, TensorFlow's TFLite converter with
built-in and select TensorFlow ops), verified with the LiteRT interpreter (``ai_edge_litert``),
the runtime a device ships, through the model's signature runner."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graphspec.export.formats import FORMATS, Format

FORMAT: Format = FORMATS["litert"]


def write(model: Any, path: Path) -> None:
    """Export ``model`` as a .tflite file at ``path``."""
    model.export(str(path), format=FORMAT.keras_format, verbose=False)


def load(path: Path, input_names: Sequence[str]) -> Any:
    """A function of the model's inputs (arrays in ``input_names``' order) that returns its
    outputs as a list of arrays, run by the LiteRT interpreter from the file at ``path``."""
    from ai_edge_litert.interpreter import Interpreter  # type: ignore[import-untyped,import-not-found,unused-ignore]

    from graphspec.runtime.backend import _native_stderr_silenced

    with _native_stderr_silenced():  # "INFO: Created TensorFlow Lite XNNPACK delegate"
        interpreter = Interpreter(model_path=str(path))
    flex = flex_ops(interpreter)
    if flex:
        ops = sorted({op for op, _ in flex})
        raise ValueError(
            f"the model needs TensorFlow ops the LiteRT interpreter has no kernels for "
            f"({', '.join(ops)}; the Flex delegate), first at {flex[0][1]}"
        )
    with _native_stderr_silenced():
        runner = interpreter.get_signature_runner()
    # The signature names outputs output_0, output_1, ... in the model's order.
    outputs = sorted(runner.get_output_details(), key=_position)

    first = [True]

    def run(inputs: Sequence[Any]) -> list[Any]:
        feed = dict(zip(input_names, inputs, strict=True))
        if first.pop() if first else False:
            with _native_stderr_silenced():  # a delegate may announce itself on the first run
                result = runner(**feed)
        else:
            result = runner(**feed)
        return [result[name] for name in outputs]

    return run


def flex_ops(interpreter: Any) -> list[tuple[str, str]]:
    """The select TensorFlow ops in a loaded model (they need the Flex delegate, which the
    LiteRT package does not ship), each with the name of the tensor it writes, which carries
    the Keras layer's name (``model_1/encoded_text_1/TensorArrayV2_1``)."""
    tensors = {d["index"]: str(d["name"]) for d in interpreter.get_tensor_details()}
    found = []
    for op in interpreter._get_ops_details():
        name = str(op["op_name"])
        if name.startswith("Flex"):
            outputs = [tensors.get(int(i), "?") for i in op["outputs"]]
            found.append((name.removeprefix("Flex"), outputs[0] if outputs else "?"))
    return found


def _position(name: str) -> tuple[int, str]:
    found = re.search(r"(\d+)$", name)
    return (int(found[1]) if found else 0, name)
