"""The analysis passes, in order, with one signature; the Plan is built once, at the end.

Each pass reads the spec, the options and what earlier passes resolved (`Analysis`), adds
what it resolves, and returns its diagnostics, as sqlglot's optimizer rules share one
signature. A pass marked `stops` ends the analysis when it reports an error (later passes
would only repeat its cause); one marked `needs_clean` runs only when nothing so far is an
error (shapes mean nothing on a broken graph).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graphspec.analyse.arguments import check_arguments
from graphspec.analyse.backends import check_backend
from graphspec.analyse.blocks import check_block_nesting, resolve_instances
from graphspec.analyse.calls import check_call_arguments
from graphspec.analyse.dtypes import infer_dtypes
from graphspec.analyse.heads import check_heads
from graphspec.analyse.names import check_names
from graphspec.analyse.plan import Plan
from graphspec.analyse.references import resolve_scopes
from graphspec.analyse.shapes import infer_shapes
from graphspec.analyse.state import Analysis
from graphspec.analyse.training import check_training
from graphspec.analyse.version import check_version
from graphspec.analyse.vocabularies import read_vocabularies
from graphspec.diagnostics import Diagnostic
from graphspec.settings import Options
from graphspec.spec.model import Spec

Pass = Callable[[Analysis], list[Diagnostic]]


@dataclass(frozen=True)
class Step:
    run: Pass
    stops: bool = False
    needs_clean: bool = False


PASSES: tuple[Step, ...] = (
    Step(check_version),
    Step(check_arguments),
    Step(check_heads),
    Step(check_training),
    Step(check_block_nesting, stops=True),
    Step(check_names, stops=True),
    Step(check_call_arguments, stops=True),
    Step(resolve_scopes, stops=True),
    Step(read_vocabularies),
    Step(resolve_instances, needs_clean=True),
    Step(infer_shapes, needs_clean=True),
    Step(infer_dtypes, needs_clean=True),
    Step(check_backend, needs_clean=True),
)


def run_passes(spec: Spec, options: Options) -> tuple[Plan | None, list[Diagnostic]]:
    """Every check that needs no Keras; the Plan when nothing is an error."""
    analysis = Analysis(spec, options)
    for step in PASSES:
        if step.needs_clean and any(d.is_error for d in analysis.diagnostics):
            break
        found = step.run(analysis)
        analysis.diagnostics.extend(found)
        if step.stops and any(d.is_error for d in found):
            break
    if any(d.is_error for d in analysis.diagnostics):
        return None, analysis.diagnostics
    scopes, instances, shapes = analysis.scopes, analysis.instances, analysis.shapes
    assert scopes is not None and instances is not None and shapes is not None
    plan = Plan(
        spec,
        scopes.top,
        scopes.blocks,
        scopes.pruned_shared,
        scopes.pruned_blocks,
        scopes.head_layers,
        instances.instances,
        instances.top_calls,
        instances.shared_instances,
        shapes.static,
        shapes.head_shapes,
        instances.top_nodes,
        analysis.vocabularies,
    )
    return plan, analysis.diagnostics
