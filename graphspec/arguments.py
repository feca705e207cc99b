"""Static checks of layer names, layer arguments, expressions and compile settings."""

from __future__ import annotations

from graphspec.diagnostics import Diagnostic
from graphspec.spec import Spec


def check_arguments(spec: Spec) -> list[Diagnostic]:
    """Placeholder until the catalogue lands."""
    return []
