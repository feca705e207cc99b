"""The export formats, one row each: Keras' name for it, the artifact's suffix, and the
packages its converter and runtime need, with the install hint when one is missing.

Standard library only: the CLI reads this table before anything imports Keras.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

EXTRA = "export"
"""graphspec's pip extra that installs every converter and runtime below."""


@dataclass(frozen=True)
class Package:
    """A Python package an export needs: its import name and its name on PyPI."""

    module: str
    pip: str


@dataclass(frozen=True)
class Format:
    """One export format."""

    name: str
    """As `graphspec export --format` spells it."""
    keras_format: str
    """As `keras.Model.export(format=...)` spells it."""
    title: str
    """As people spell it, in messages."""
    suffix: str
    """The artifact's suffix; "" for a directory (a SavedModel)."""
    runtime: str
    """What loads the artifact to verify it."""
    packages: tuple[Package, ...] = ()
    """What the converter and the runtime need beyond TensorFlow."""

    @property
    def directory(self) -> bool:
        return not self.suffix

    def missing(self) -> list[str]:
        """The pip names of the packages this format needs that cannot be imported here."""
        return [p.pip for p in self.packages if importlib.util.find_spec(p.module) is None]

    def install_hint(self, missing: list[str] | None = None) -> str:
        """What to install for this format."""
        missing = self.missing() if missing is None else missing
        return (
            f"{self.title} export needs {', '.join(missing)}: "
            f"pip install 'graphspec[{EXTRA}]' (or pip install {' '.join(missing)})"
        )


FORMATS: Mapping[str, Format] = MappingProxyType(
    {
        "saved_model": Format(
            "saved_model",
            "tf_saved_model",
            "TensorFlow SavedModel",
            "",
            "tf.saved_model.load",
        ),
        "onnx": Format(
            "onnx",
            "onnx",
            "ONNX",
            ".onnx",
            "onnxruntime",
            (
                Package("tf2onnx", "tf2onnx"),
                Package("onnx", "onnx"),
                Package("onnxruntime", "onnxruntime"),
            ),
        ),
        "litert": Format(
            "litert",
            "litert",
            "LiteRT (TFLite)",
            ".tflite",
            "the LiteRT interpreter (ai_edge_litert)",
            (Package("ai_edge_litert", "ai-edge-litert"),),
        ),
    }
)
"""Every format `graphspec export` writes, in the order `--help` lists them."""
