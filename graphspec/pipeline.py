"""The front door: load → parse → analyse (→ emit), collecting every stage's diagnostics.

Options (strictness, caps, custom layers) are built once, by the caller, as one
`graphspec.settings.Options`; the keyword arguments of the public `check`/`build` make one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from graphspec.analyse.plan import Plan
from graphspec.catalogue.custom import CustomLayers, CustomObjects
from graphspec.diagnostics import Diagnostic, Location, Severity, SpecError, codes, sort_diagnostics
from graphspec.read.source import SourceTree, gc_paused, load_file, load_text
from graphspec.settings import DEFAULT_LIMITS, DEFAULT_OPTIONS, Limits, Options
from graphspec.spec.habits import Habits, find_habits
from graphspec.spec.model import Spec
from graphspec.spec.parse import parse_spec


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
        codes.TOO_MANY_PROBLEMS,
        Severity.ERROR if errors else Severity.INFO,
        f"{len(rest):,} more problems ({errors:,} errors) not shown",
        rest[0].location,
        rest[0].path,
        "fix the ones above and run again",
    )
    return (*shown, note)


def analyse(spec: Spec, options: Options = DEFAULT_OPTIONS) -> Report:
    """Run every check that needs no Keras on a parsed spec (`graphspec.analyse.passes`)."""
    habits = find_habits(spec.source) if spec.source is not None else Habits()
    return _analysed(spec, options, habits)


def _analysed(spec: Spec, options: Options, habits: Habits) -> Report:
    """The passes' findings, with what the habits already said in the project's words left
    out (`graphspec.spec.habits`); a habit is an error, so such a spec has no Plan."""
    from graphspec.analyse.passes import run_passes

    file = spec.source.file if spec.source else "<spec>"
    plan, diagnostics = run_passes(spec, options)
    if habits.diagnostics:
        diagnostics = habits.joined(diagnostics)
        plan = None
    return Report(file, _capped(options.limits, sort_diagnostics(diagnostics)), spec, plan)


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
        codes.TOO_MANY_NODES,
        Severity.ERROR,
        f"the spec has {count:,} nodes, over the cap of {limits.max_nodes:,}",
        source.locate_key(("nodes",)),
        ("nodes",),
        "raise the cap with --max-nodes if this spec is really that large",
    )


def _from_source(
    file: str, source: SourceTree | None, found: list[Diagnostic], options: Options
) -> Report:
    if source is None:
        return Report(file, tuple(found))
    too_many = _too_many_nodes(source, options.limits)
    if too_many is not None:
        return Report(file, (too_many,))
    with gc_paused():
        habits = find_habits(source)
        spec, problems = parse_spec(source)
        if spec is None:
            found = habits.joined(problems)
            return Report(file, _capped(options.limits, sort_diagnostics(found)))
        return _analysed(spec, options, habits)


def check_path(path: str | Path, options: Options = DEFAULT_OPTIONS) -> Report:
    """Load and check a spec file (OSError when it cannot be read)."""
    source, found = load_file(path, options.limits)
    return _from_source(str(path), source, found, options)


def check_text(text: str, name: str = "<memory>", options: Options = DEFAULT_OPTIONS) -> Report:
    """Load and check spec text."""
    source, found = load_text(text, name, options.limits)
    return _from_source(name, source, found, options)


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
        raise SpecError(
            [Diagnostic(codes.UNREADABLE_FILE, Severity.ERROR, message, location)]
        ) from error


def loads(text: str, name: str = "<memory>") -> Spec:
    """Parse spec text (YAML or JSON) into a `Spec`; raises `SpecError`."""
    return _spec_or_raise(*load_text(text, name))


def _options(
    strict: bool,
    limits: Limits,
    custom_layers: CustomLayers | Sequence[str] | None,
    backend: str | None = None,
    custom_objects: CustomObjects | Sequence[str] | None = None,
) -> Options:
    """The options of the public API's keyword arguments (no pyproject.toml is read)."""
    layers = _allowed(custom_layers, CustomLayers, "custom_layers")
    objects = _allowed(custom_objects, CustomObjects, "custom_objects")
    return Options(strict, limits, layers, backend=backend, custom_objects=objects)


_Allowed = TypeVar("_Allowed", CustomLayers, CustomObjects)


def _allowed(given: _Allowed | Sequence[str] | None, kind: type[_Allowed], source: str) -> _Allowed:
    """A keyword argument's allow-list: as given, empty when None, else read from import
    paths (``source`` names the argument in messages)."""
    if given is None:
        return kind()
    if isinstance(given, CustomLayers | CustomObjects):
        return given
    return kind.from_paths(given, source)


def check(
    spec: Spec | str | Path,
    strict: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    custom_layers: CustomLayers | Sequence[str] | None = None,
    custom_objects: CustomObjects | Sequence[str] | None = None,
) -> Report:
    """Check a spec (or a spec file) without Keras; the Report holds the Plan when sound.

    ``custom_layers``: import paths of layer classes the spec may use by class name
    (``["mypkg.layers.Scale"]``), or a `CustomLayers` read from ``[tool.graphspec]``.
    ``custom_objects``: import paths of losses and metrics (functions or classes) the spec may
    name by their last component (``["mypkg.losses.contrastive_loss"]``); never imported here.
    """
    options = _options(strict, limits, custom_layers, custom_objects=custom_objects)
    if isinstance(spec, Spec):
        return analyse(spec, options)
    return check_path(spec, options)


def build_report(report: Report, options: Options = DEFAULT_OPTIONS) -> tuple[Any, Report]:
    """Emit the model of an analysed spec, compiled when the spec has a ``compile`` section;
    returns the model (None on errors) and the report with any build diagnostics added. The
    spec is not analysed again."""
    if report.plan is None:
        return None, report
    from graphspec.emit.model import emit_model
    from graphspec.emit.recursion import deep_recursion, plan_layer_bound
    from graphspec.runtime.backend import choose_backend
    from graphspec.train.compile import compile_model

    choose_backend(options.backend)  # before emit imports keras; refuses a second backend

    with deep_recursion(plan_layer_bound(report.plan)):  # Keras recurses once per chained layer
        model, problems = emit_model(report.plan, options)
        if model is not None:
            problems = compile_model(model, report.plan, options)
    if problems:
        model = None
        diagnostics = _capped(options.limits, sort_diagnostics([*report.diagnostics, *problems]))
        report = Report(report.file, diagnostics, report.spec)
    return model, report


def build(
    spec: Spec | str | Path,
    strict: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    custom_layers: CustomLayers | Sequence[str] | None = None,
    backend: str | None = None,
    custom_objects: CustomObjects | Sequence[str] | None = None,
) -> Any:
    """Build the keras.Model of a spec or spec file; raises `SpecError` on any error.

    ``backend``: ``tensorflow``, ``jax`` or ``torch`` (default: ``KERAS_BACKEND``, else
    TensorFlow); it must be chosen before keras is first imported in the process.
    ``custom_objects``: the losses and metrics the spec may name (import paths, as `check`
    takes them); imported here, and passed to ``model.compile``."""
    options = _options(strict, limits, custom_layers, backend, custom_objects)
    report = analyse(spec, options) if isinstance(spec, Spec) else check_path(spec, options)
    model, report = build_report(report, options)
    if model is None:
        raise SpecError(report.diagnostics)
    return model
