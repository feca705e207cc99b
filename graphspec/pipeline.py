"""The pipeline: load → schema → analyse (→ emit), collecting every stage's diagnostics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphspec.diagnostics import Diagnostic, SpecError, sort_diagnostics
from graphspec.graph import Plan, analyse_graph
from graphspec.source import SourceTree, load_file, load_text
from graphspec.spec import Spec, parse_spec

Check = Callable[[Spec], list[Diagnostic]]


@dataclass(frozen=True)
class Report:
    """What checking one spec found: its diagnostics and, when sound, its Plan."""

    file: str
    diagnostics: tuple[Diagnostic, ...]
    spec: Spec | None = None
    plan: Plan | None = None

    @property
    def ok(self) -> bool:
        """True when nothing is an error (warnings allowed)."""
        return not any(d.is_error for d in self.diagnostics)


def _static_checks() -> list[Check]:
    from graphspec.arguments import check_arguments

    return [check_arguments]


def analyse(spec: Spec, strict: bool = False) -> Report:
    """Run every check that needs no Keras on a parsed spec."""
    file = spec.source.file if spec.source else "<spec>"
    diagnostics: list[Diagnostic] = []
    for check in _static_checks():
        diagnostics.extend(check(spec))
    plan, graph_diagnostics = analyse_graph(spec, strict=strict)
    diagnostics.extend(graph_diagnostics)
    if plan is not None and not any(d.is_error for d in diagnostics):
        from graphspec.infer import infer_shapes

        plan, shape_diagnostics = infer_shapes(plan)
        diagnostics.extend(shape_diagnostics)
    if any(d.is_error for d in diagnostics):
        plan = None
    return Report(file, tuple(sort_diagnostics(diagnostics)), spec, plan)


def _from_source(
    file: str, source: SourceTree | None, found: list[Diagnostic], strict: bool
) -> Report:
    if source is None:
        return Report(file, tuple(found))
    spec, problems = parse_spec(source)
    if spec is None:
        return Report(file, tuple(sort_diagnostics(problems)))
    return analyse(spec, strict=strict)


def check_path(path: str | Path, strict: bool = False) -> Report:
    """Load and check a spec file (OSError when it cannot be read)."""
    source, found = load_file(path)
    return _from_source(str(path), source, found, strict)


def check_text(text: str, name: str = "<memory>", strict: bool = False) -> Report:
    """Load and check spec text."""
    source, found = load_text(text, name)
    return _from_source(name, source, found, strict)


def _spec_or_raise(source: SourceTree | None, found: list[Diagnostic]) -> Spec:
    if source is None:
        raise SpecError(found)
    spec, problems = parse_spec(source)
    if spec is None:
        raise SpecError(sort_diagnostics(problems))
    return spec


def load(path: str | Path) -> Spec:
    """Read a spec file into a `Spec`; raises `SpecError` with every schema diagnostic."""
    return _spec_or_raise(*load_file(path))


def loads(text: str, name: str = "<memory>") -> Spec:
    """Parse spec text (YAML or JSON) into a `Spec`; raises `SpecError`."""
    return _spec_or_raise(*load_text(text, name))


def check(spec: Spec | str | Path, strict: bool = False) -> Report:
    """Check a spec (or a spec file) without Keras; the Report holds the Plan when sound."""
    if isinstance(spec, Spec):
        return analyse(spec, strict=strict)
    return check_path(spec, strict=strict)


def build_report(spec: Spec | str | Path, strict: bool = False) -> tuple[Any, Report]:
    """Check, then emit; returns the model (None on errors) and the full report."""
    report = check(spec, strict=strict)
    if report.plan is None:
        return None, report
    from graphspec.emit import emit_model

    model, problems = emit_model(report.plan)
    if problems:
        report = Report(
            report.file, tuple(sort_diagnostics([*report.diagnostics, *problems])), report.spec
        )
    return model, report


def build(spec: Spec | str | Path, strict: bool = False) -> Any:
    """Build the keras.Model of a spec or spec file; raises `SpecError` on any error."""
    model, report = build_report(spec, strict=strict)
    if model is None:
        raise SpecError(report.diagnostics)
    return model
