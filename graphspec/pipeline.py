"""The pipeline: load → schema → analyse (→ emit), collecting every stage's diagnostics."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphspec.analyse.graph import Plan, analyse_graph
from graphspec.catalogue.custom import CustomLayers
from graphspec.diagnostics import Diagnostic, Location, Severity, SpecError, sort_diagnostics
from graphspec.load.source import (
    DEFAULT_LIMITS,
    Limits,
    SourceTree,
    gc_paused,
    load_file,
    load_text,
)
from graphspec.spec.model import Spec, parse_spec

Check = Callable[[Spec, CustomLayers], list[Diagnostic]]


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


def _capped(limits: Limits, diagnostics: list[Diagnostic]) -> tuple[Diagnostic, ...]:
    """At most `limits.max_diagnostics`, then one note saying how many more there were."""
    if len(diagnostics) <= limits.max_diagnostics:
        return tuple(diagnostics)
    shown = diagnostics[: limits.max_diagnostics]
    rest = diagnostics[limits.max_diagnostics :]
    errors = sum(d.is_error for d in rest)
    note = Diagnostic(
        "GS021",
        Severity.ERROR if errors else Severity.INFO,
        f"{len(rest):,} more problems ({errors:,} errors) not shown",
        rest[0].location,
        rest[0].path,
        "fix the ones above and run again",
    )
    return (*shown, note)


def _static_checks() -> list[Check]:
    from graphspec.analyse.arguments import check_arguments

    return [check_arguments]


def analyse(
    spec: Spec,
    strict: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    custom: CustomLayers | None = None,
) -> Report:
    """Run every check that needs no Keras on a parsed spec."""
    file = spec.source.file if spec.source else "<spec>"
    custom = custom or CustomLayers()
    diagnostics: list[Diagnostic] = []
    for check in _static_checks():
        diagnostics.extend(check(spec, custom))
    plan, graph_diagnostics = analyse_graph(spec, strict=strict, limits=limits)
    if plan is not None and custom:
        plan = dataclasses.replace(plan, custom=custom)
    diagnostics.extend(graph_diagnostics)
    if plan is not None and not any(d.is_error for d in diagnostics):
        from graphspec.analyse.shapes import infer_shapes

        plan, shape_diagnostics = infer_shapes(plan, limits)
        diagnostics.extend(shape_diagnostics)
    if any(d.is_error for d in diagnostics):
        plan = None
    return Report(file, _capped(limits, sort_diagnostics(diagnostics)), spec, plan)


def _count_nodes(data: dict[str, Any]) -> int:
    """Nodes at the top level and in every block, counted on the raw values."""
    total = len(data["nodes"]) if isinstance(data.get("nodes"), dict) else 0
    blocks = data.get("blocks")
    if isinstance(blocks, dict):
        for block in blocks.values():
            if isinstance(block, dict) and isinstance(block.get("nodes"), dict):
                total += len(block["nodes"])
    return total


def _too_many_nodes(source: SourceTree, limits: Limits) -> Diagnostic | None:
    count = _count_nodes(source.data)
    if count <= limits.max_nodes:
        return None
    return Diagnostic(
        "GS020",
        Severity.ERROR,
        f"the spec has {count:,} nodes, over the cap of {limits.max_nodes:,}",
        source.locate_key(("nodes",)),
        ("nodes",),
        "raise the cap with --max-nodes if this spec is really that large",
    )


def _from_source(
    file: str,
    source: SourceTree | None,
    found: list[Diagnostic],
    strict: bool,
    limits: Limits,
    custom: CustomLayers | None = None,
) -> Report:
    if source is None:
        return Report(file, tuple(found))
    too_many = _too_many_nodes(source, limits)
    if too_many is not None:
        return Report(file, (too_many,))
    with gc_paused():
        spec, problems = parse_spec(source)
        if spec is None:
            return Report(file, _capped(limits, sort_diagnostics(problems)))
        return analyse(spec, strict=strict, limits=limits, custom=custom)


def check_path(
    path: str | Path,
    strict: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    custom: CustomLayers | None = None,
) -> Report:
    """Load and check a spec file (OSError when it cannot be read)."""
    source, found = load_file(path, limits)
    return _from_source(str(path), source, found, strict, limits, custom)


def check_text(
    text: str,
    name: str = "<memory>",
    strict: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    custom: CustomLayers | None = None,
) -> Report:
    """Load and check spec text."""
    source, found = load_text(text, name, limits)
    return _from_source(name, source, found, strict, limits, custom)


def _spec_or_raise(source: SourceTree | None, found: list[Diagnostic]) -> Spec:
    if source is None:
        raise SpecError(found)
    spec, problems = parse_spec(source)
    if spec is None:
        raise SpecError(sort_diagnostics(problems))
    return spec


def load(path: str | Path) -> Spec:
    """Read a spec file into a `Spec`; raises `SpecError` with every schema diagnostic."""
    try:
        return _spec_or_raise(*load_file(path))
    except OSError as error:
        location = Location(str(path))
        message = f"cannot read the spec: {error.strerror or error}"
        raise SpecError([Diagnostic("GS001", Severity.ERROR, message, location)]) from error


def loads(text: str, name: str = "<memory>") -> Spec:
    """Parse spec text (YAML or JSON) into a `Spec`; raises `SpecError`."""
    return _spec_or_raise(*load_text(text, name))


def _custom(custom: CustomLayers | Sequence[str] | None) -> CustomLayers | None:
    if custom is None or isinstance(custom, CustomLayers):
        return custom
    return CustomLayers.from_paths(custom, "custom_layers")


def check(
    spec: Spec | str | Path,
    strict: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    custom_layers: CustomLayers | Sequence[str] | None = None,
) -> Report:
    """Check a spec (or a spec file) without Keras; the Report holds the Plan when sound.

    ``custom_layers``: import paths of layer classes the spec may use by class name
    (``["mypkg.layers.Scale"]``), or a `CustomLayers` read from ``[tool.graphspec]``.
    """
    custom = _custom(custom_layers)
    if isinstance(spec, Spec):
        return analyse(spec, strict=strict, limits=limits, custom=custom)
    return check_path(spec, strict=strict, limits=limits, custom=custom)


def build_report(
    spec: Spec | str | Path,
    strict: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    custom_layers: CustomLayers | Sequence[str] | None = None,
) -> tuple[Any, Report]:
    """Check, then emit; returns the model (None on errors) and the full report."""
    report = check(spec, strict=strict, limits=limits, custom_layers=custom_layers)
    if report.plan is None:
        return None, report
    from graphspec.emit.model import emit_model
    from graphspec.emit.recursion import deep_recursion, plan_layer_bound

    with deep_recursion(plan_layer_bound(report.plan)):  # Keras recurses once per chained layer
        model, problems = emit_model(report.plan)
    if problems:
        diagnostics = _capped(limits, sort_diagnostics([*report.diagnostics, *problems]))
        report = Report(report.file, diagnostics, report.spec)
    return model, report


def build(
    spec: Spec | str | Path,
    strict: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    custom_layers: CustomLayers | Sequence[str] | None = None,
) -> Any:
    """Build the keras.Model of a spec or spec file; raises `SpecError` on any error."""
    model, report = build_report(spec, strict=strict, limits=limits, custom_layers=custom_layers)
    if model is None:
        raise SpecError(report.diagnostics)
    return model
