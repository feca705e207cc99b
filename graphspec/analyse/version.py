"""Language versions: a spec that uses what 1.1 adds should say `graphspec: 1.1`.

Language 1.1 only adds optional keys and forms, so graphspec reads such a spec under either
number. The number is for *other* readers: an older graphspec given `graphspec: 1.1` says the
spec needs a newer graphspec, where given `graphspec: 1` it would report the new keys as unknown
ones. So a 1.1 feature in a spec that declares 1 is one warning (`codes.NEWER_LANGUAGE`) at the
first feature, naming it, and `graphspec import` declares 1.1 whenever its spec uses one
(`graphspec.analyse.version.language_version`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphspec.analyse.state import Analysis
from graphspec.diagnostics import Diagnostic, SpecPath, codes
from graphspec.diagnostics.reporter import Reporter
from graphspec.read.vocabulary import file_reference
from graphspec.spec.arithmetic import holds_arithmetic
from graphspec.spec.expression import ALLOWED_FUNCTIONS
from graphspec.spec.forms import BlockNode, ExprNode, LayerNode, SequenceNode, UseNode
from graphspec.spec.model import Spec

EXPR_FUNCTIONS_1_1 = frozenset(name for name, rule in ALLOWED_FUNCTIONS.items() if rule.since > 1)
"""The `expr` functions language 1.1 adds."""


@dataclass(frozen=True)
class Feature:
    """One use of something language 1.1 adds, where it is."""

    what: str
    path: SpecPath


def _layer_features(path: SpecPath, args: Mapping[str, Any]) -> Iterator[Feature]:
    for key, value in args.items():
        if holds_arithmetic(value):
            yield Feature(f"arithmetic in '{key}'", (*path, key))
    if file_reference(args.get("vocabulary")) is not None:
        yield Feature("a vocabulary file", (*path, "vocabulary"))


def _output_references(path: SpecPath, node: Any, scope: Mapping[str, Any]) -> Iterator[Feature]:
    """`enc.state_h`, `enc.1`: another output of a node that is not a block instance (a
    block's named outputs are version 1)."""
    for ref, at in node.refs():
        target, dot, _ = ref.partition(".")
        if dot and not isinstance(scope.get(target), BlockNode):
            yield Feature(f"the output reference '{ref}'", (*path, *at))


def _node_features(path: SpecPath, node: Any) -> Iterator[Feature]:
    if isinstance(node, LayerNode | UseNode) and node.call:
        yield Feature("'call:'", (*path, "call"))
    if isinstance(node, LayerNode):
        yield from _layer_features(path, node.args)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.sequence):
            yield from _layer_features((*path, "sequence", index), item.args)
    elif isinstance(node, BlockNode):
        for key in ("inline", "names", "each"):
            if key in node.model_fields_set:
                yield Feature(f"'{key}:' on a block instance", (*path, key))
    elif isinstance(node, ExprNode):
        used = sorted(name for name in EXPR_FUNCTIONS_1_1 if f"{name}(" in node.expr)
        if used:
            yield Feature(f"the expr function '{used[0]}'", (*path, "expr"))


def features_1_1(spec: Spec) -> list[Feature]:
    """Every use of a 1.1 addition in ``spec``, in spec order."""
    found: list[Feature] = []
    for name, entry in spec.inputs.items():
        if entry.dtype == "string":
            found.append(Feature("a string input", ("inputs", name, "dtype")))
    for name, block in spec.blocks.items():
        base: SpecPath = ("blocks", name)
        if "inline" in block.model_fields_set:
            found.append(Feature("'inline:' on a block", (*base, "inline")))
        for input_name, declared in block.inputs.items():
            if declared is not None and declared.dtype == "string":
                found.append(Feature("a string input", (*base, "inputs", input_name, "dtype")))
        for param, value in block.params.items():
            if holds_arithmetic(value):
                found.append(Feature("a derived parameter", (*base, "params", param)))
    for base, nodes in spec.scopes():
        for node_name, node in nodes.items():
            path: SpecPath = (*base, "nodes", node_name)
            found.extend(_node_features(path, node))
            found.extend(_output_references(path, node, nodes))
    for head, settings in spec.outputs.items():
        target, dot, _ = settings.from_.partition(".")
        if dot and not isinstance(spec.nodes.get(target), BlockNode):
            found.append(Feature(f"the output reference '{settings.from_}'", ("outputs", head)))
    found.extend(_head_features(spec))
    if spec.training is not None:
        found.append(Feature("the 'training' section", ("training",)))
    return found


def _head_features(spec: Spec) -> Iterator[Feature]:
    """Losses and metrics with arguments (`{name: SparseCategoricalCrossentropy, from_logits:
    true}`): language 1 names them only."""
    for head, entry in spec.outputs.items():
        path: SpecPath = ("outputs", head)
        if entry.loss is not None and entry.loss.args:
            yield Feature("a loss with arguments", (*path, "loss"))
        for index, metric in enumerate(entry.metrics):
            if metric.args:
                yield Feature("a metric with arguments", (*path, "metrics", index))


def language_version(spec: Spec) -> float:
    """The version a spec should declare: 1.1 when it uses a 1.1 addition, else 1."""
    return 1.1 if features_1_1(spec) else 1


def check_version(analysis: Analysis) -> list[Diagnostic]:
    """One `codes.NEWER_LANGUAGE` warning at the first 1.1 addition of a spec that declares
    `graphspec: 1`."""
    spec = analysis.spec
    if spec.graphspec != 1:
        return []
    found = features_1_1(spec)
    if not found:
        return []
    report = Reporter(spec.source)
    first = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    report.error(
        codes.NEWER_LANGUAGE,
        f"{first.what} is new in language 1.1{more}, but the spec declares graphspec: 1",
        first.path,
        "declare graphspec: 1.1, so that an older graphspec says the spec needs a newer one "
        "instead of reporting unknown keys",
    )
    return report.diagnostics
