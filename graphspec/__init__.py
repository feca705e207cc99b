"""graphspec: a declarative graph-spec compiler from YAML/JSON to Keras 3 functional models."""

from graphspec.diagnostics import Diagnostic, Location, Severity, SpecError
from graphspec.importer.to_spec import from_keras
from graphspec.pipeline import Report, build, check, load, loads
from graphspec.runtime.saving import load_model
from graphspec.spec.model import Spec

__all__ = [
    "Diagnostic",
    "Location",
    "Report",
    "Severity",
    "Spec",
    "SpecError",
    "build",
    "check",
    "from_keras",
    "load",
    "load_model",
    "loads",
]
__version__ = "0.1.0"
