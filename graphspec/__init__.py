"""graphspec: a declarative graph-spec compiler from YAML/JSON to Keras 3 functional models.

The public names below are imported on first use (PEP 562), so `import graphspec`, and with it
every `python -m graphspec` command, loads no submodule: `validate` pays only for the stages it
runs, never for the importer or the Keras side (DESIGN.md, "Performance budget").
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what type checkers and IDEs see: the names and modules of _EXPORTS
    from graphspec.diagnostics import Diagnostic, Location, Severity, SpecError
    from graphspec.importer.to_spec import from_keras
    from graphspec.pipeline import Report, build, check, load, loads
    from graphspec.runtime.saving import load_model
    from graphspec.spec.model import Spec
    from graphspec.train.run import evaluate, fit

__all__ = [
    "Diagnostic",
    "Location",
    "Report",
    "Severity",
    "Spec",
    "SpecError",
    "build",
    "check",
    "evaluate",
    "fit",
    "from_keras",
    "load",
    "load_model",
    "loads",
]

__version__ = "0.1.0"
"""A literal: reading it costs nothing, where importlib.metadata.version costs about 20 ms, and
it is the version of the code imported, installed or not. tests/test_imports.py keeps it equal
to pyproject.toml's."""

_EXPORTS: dict[str, str] = {
    "Diagnostic": "graphspec.diagnostics",
    "Location": "graphspec.diagnostics",
    "Severity": "graphspec.diagnostics",
    "SpecError": "graphspec.diagnostics",
    "from_keras": "graphspec.importer.to_spec",
    "Report": "graphspec.pipeline",
    "build": "graphspec.pipeline",
    "check": "graphspec.pipeline",
    "load": "graphspec.pipeline",
    "loads": "graphspec.pipeline",
    "load_model": "graphspec.runtime.saving",
    "Spec": "graphspec.spec.model",
    "evaluate": "graphspec.train.run",
    "fit": "graphspec.train.run",
}
"""Public name → the module that defines it, the table the code reads: when a module moves, change
it here and in the `TYPE_CHECKING` imports above (mypy checks those, tests/test_imports.py checks
that the two agree)."""


def _import_on_first_use(name: str) -> object:
    """Import a public name's module on first access, then keep the name as a plain global."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if not TYPE_CHECKING:  # hidden from mypy, which would otherwise accept any graphspec.<typo>
    __getattr__ = _import_on_first_use


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
