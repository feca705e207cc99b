"""graphspec: a declarative graph-spec compiler from YAML/JSON to Keras 3 functional models."""

from graphspec.deep import load_model
from graphspec.diagnostics import Diagnostic, Location, Severity, SpecError
from graphspec.importer import from_keras
from graphspec.pipeline import Report, build, check, load, loads
from graphspec.spec import Spec

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
