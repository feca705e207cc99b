"""Blocks: no block contains itself, nesting and expansion stay within the caps, every call
passes the right inputs and known parameters, and each instance's parameters are resolved."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import networkx as nx

from graphspec.analyse.plan import BlockInstance
from graphspec.analyse.state import Analysis, Instances
from graphspec.diagnostics import Diagnostic, SpecPath, codes
from graphspec.diagnostics.reporter import Reporter
from graphspec.spec.arithmetic import ArithmeticProblem, names, placeholder_body
from graphspec.spec.forms import BlockNode, Node, OpNode, SharedBlock, UseNode
from graphspec.spec.model import Block, Spec
from graphspec.spec.params import PLACEHOLDER, instance_params, strings

ANY_PLACEHOLDER = re.compile(r"\$\{([^{}]*)\}")
"""`${units}` or `${units * 4}`: anything a block parameter may stand in."""

MAX_BLOCK_NESTING = 32
"""Blocks within blocks, at most this deep (GS211): deeper nesting is never a real model."""


def check_block_nesting(analysis: Analysis) -> list[Diagnostic]:
    """The block-uses-block graph is acyclic, at most `MAX_BLOCK_NESTING` deep, and the spec
    expanded (every instance and repeat counted) stays under the node cap."""
    from graphspec.analyse.references import cycle_text, find_cycles

    spec = analysis.spec
    report = Reporter(spec.source)
    uses = nx.DiGraph()
    uses.add_nodes_from(spec.blocks)
    for name, block in spec.blocks.items():
        for used in blocks_used(spec, block.nodes.values()):
            if used in spec.blocks:
                uses.add_edge(name, used)
    cycles = find_cycles(uses)
    for cycle in cycles:
        report.error(
            codes.BLOCK_CYCLE,
            f"blocks use each other in a cycle: {cycle_text(cycle)}",
            ("blocks", cycle[0]),
            key=True,
            hint="a block cannot contain an instance of itself, directly or indirectly",
        )
    if cycles:
        return report.diagnostics
    chain = nx.dag_longest_path(uses)
    if len(chain) > MAX_BLOCK_NESTING:
        report.error(
            codes.BLOCKS_TOO_DEEP,
            f"blocks nest {len(chain)} deep ({' → '.join(chain[:4])} → ...), more than "
            f"{MAX_BLOCK_NESTING}",
            ("blocks", chain[0]),
            key=True,
            hint="flatten the nesting; a block may use blocks, but not hundreds deep",
        )
        return report.diagnostics
    total = _expanded_size(spec)
    if total > analysis.options.limits.max_nodes:
        report.error(
            codes.TOO_MANY_NODES,
            f"the spec expands to {total:,} nodes (block instances and repeats counted), "
            f"over the cap of {analysis.options.limits.max_nodes:,}",
            ("nodes",),
            key=True,
            hint="raise the cap with --max-nodes if this model is really that large",
        )
    return report.diagnostics


def _expanded_size(spec: Spec) -> int:
    """Nodes once every block instance and repeat is expanded (block sizes memoised)."""
    sizes: dict[str, int] = {}

    def size_of(nodes: Iterable[Node]) -> int:
        total = 0
        for node in nodes:
            total += 1
            if isinstance(node, BlockNode):
                total += node.repeat * block_size(node.block)
        return total

    def block_size(name: str) -> int:
        if name not in sizes:
            block = spec.blocks.get(name)
            sizes[name] = size_of(block.nodes.values()) if block else 0
        return sizes[name]

    shared = sum(
        block_size(entry.block) for entry in spec.shared.values() if isinstance(entry, SharedBlock)
    )
    return size_of(spec.nodes.values()) + shared


def blocks_used(spec: Spec, nodes: Iterable[Node]) -> set[str]:
    """The blocks some of these nodes instantiate, directly or through a shared entry."""
    return {name for name in map(spec.block_of, nodes) if name is not None}


# ---- calls: uses of shared entries and blocks, merges, placeholders ---------------------------


def check_calls(spec: Spec, report: Reporter) -> None:
    """`use` names a shared entry, `block` a block, with the right number of inputs and known
    parameters; merges get enough inputs; `${param}` appears only inside blocks, naming one
    of the block's parameters."""
    for base, nodes in spec.scopes():
        for name, node in nodes.items():
            _check_call(spec, report, (*base, "nodes", name), node)
    for name, block in spec.blocks.items():
        _check_placeholders(report, name, block)
    _check_top_level_placeholders(spec, report)


def _check_call(spec: Spec, report: Reporter, path: SpecPath, node: Node) -> None:
    name = path[-1]
    if isinstance(node, UseNode):
        entry = spec.shared.get(node.use)
        if entry is None:
            report.error(
                codes.UNKNOWN_SHARED,
                f"'{name}' uses '{node.use}', which is not a shared entry",
                (*path, "use"),
                report.hint(node.use, spec.shared),
            )
        elif isinstance(entry, SharedBlock):
            _check_block_call(spec, report, path, entry.block, len(node.from_), {}, 1)
    elif isinstance(node, BlockNode):
        arguments = {**node.with_, **node.each}
        _check_block_call(
            spec, report, path, node.block, len(node.from_), arguments, node.repeat, node.each
        )
        _check_each(report, path, node)
    elif isinstance(node, OpNode) and len(node.from_) < 2:
        report.error(
            codes.MERGE_ARITY,
            f"merge '{node.op}' in '{name}' needs at least two inputs, got {len(node.from_)}",
            (*path, "from"),
            hint="list two or more references in 'from', or drop the merge",
        )
    elif isinstance(node, OpNode) and node.op in ("subtract", "dot") and len(node.from_) != 2:
        report.error(
            codes.MERGE_ARITY,
            f"'{node.op}' in '{name}' takes exactly two inputs, got {len(node.from_)}",
            (*path, "from"),
        )


def _check_block_call(
    spec: Spec,
    report: Reporter,
    path: SpecPath,
    block_name: str,
    arity: int,
    arguments: Mapping[str, Any],
    repeat: int,
    each: Collection[str] = (),
) -> None:
    block = spec.blocks.get(block_name)
    if block is None:
        report.error(
            codes.UNKNOWN_BLOCK,
            f"'{path[-1]}' instantiates '{block_name}', which is not a block",
            (*path, "block"),
            report.hint(block_name, spec.blocks),
        )
        return
    if arity != len(block.inputs):
        report.error(
            codes.BLOCK_ARITY,
            f"block '{block_name}' takes {len(block.inputs)} input(s) "
            f"({', '.join(block.inputs)}), but '{path[-1]}' passes {arity}",
            (*path, "from"),
        )
    if repeat > 1 and (len(block.inputs) != 1 or len(block.outputs) != 1):
        report.error(
            codes.BLOCK_ARITY,
            f"'repeat' chains instances, so block '{block_name}' needs one input and one output",
            (*path, "repeat"),
        )
    for key in arguments:
        if key not in block.params:
            field = "each" if key in each else "with"
            report.error(
                codes.UNKNOWN_PARAMETER,
                f"block '{block_name}' has no parameter '{key}'",
                (*path, field, key),
                report.hint(key, block.params) or _param_list(block),
                key=True,
            )


def _check_each(report: Reporter, path: SpecPath, node: BlockNode) -> None:
    """`each:` lists give one value per repetition: equal lengths, `repeat` long, and a
    parameter is given per repetition or for all (`with:`), not both."""
    for key, values in node.each.items():
        if key in node.with_:
            report.error(
                codes.EACH_MISMATCH,
                f"parameter '{key}' is given both in 'with' (every repetition) and in 'each' "
                "(one value per repetition)",
                (*path, "each", key),
                key=True,
                hint="keep one of the two",
            )
        elif len(values) != node.repeat:
            report.error(
                codes.EACH_MISMATCH,
                f"'each.{key}' gives {len(values)} value(s), but the instance repeats "
                f"{node.repeat} time(s)",
                (*path, "each", key),
                hint="give one value per repetition; without 'repeat' the first list sets it",
            )


def _check_placeholders(report: Reporter, name: str, block: Block) -> None:
    """Every `${param}` inside a block names one of its params, and its arithmetic parses; a
    default reads only the parameters declared before it."""
    declared = list(block.params)
    for position, (param, default) in enumerate(block.params.items()):
        earlier = declared[:position]
        for sub, value in strings(default):
            where = ("blocks", name, "params", param, *sub)
            for text in _placeholder_texts(report, value, where):
                for used in _names_or_report(report, text, where):
                    if used in earlier:
                        continue
                    known = used in block.params
                    code = codes.PARAMETER_ORDER if known else codes.UNKNOWN_PARAMETER
                    what = (
                        "itself"
                        if used == param
                        else "which is declared after it"
                        if known
                        else "which is not a parameter"
                    )
                    report.error(
                        code,
                        f"the default of parameter '{param}' of block '{name}' reads '{used}', "
                        + what,
                        where,
                        "a default may read only the parameters declared before it",
                    )
    for node_name, node in block.nodes.items():
        for sub, value in node.placeholder_strings():
            where = ("blocks", name, "nodes", node_name, *sub)
            for text in _placeholder_texts(report, value, where):
                for used in _names_or_report(report, text, where):
                    if used not in block.params:
                        report.error(
                            codes.UNKNOWN_PARAMETER,
                            f"'{used}' in '{value}' is not a parameter of block '{name}'",
                            where,
                            report.hint(used, block.params) or _param_list(block),
                        )


def _placeholder_texts(report: Reporter, value: str, where: SpecPath) -> list[str]:
    """The text of each `${...}` in a string; arithmetic only as the whole string (GS321)."""
    if "${" not in value:
        return []
    body = placeholder_body(value)
    if body is not None:
        return [body]
    texts = [match.group(1) for match in ANY_PLACEHOLDER.finditer(value)]
    for text in texts:
        if not PLACEHOLDER.fullmatch(f"${{{text}}}"):
            report.error(
                codes.BAD_ARITHMETIC,
                f"'${{{text}}}' inside the longer string '{value}': arithmetic must be the "
                "whole value",
                where,
                f'write the value as "${{{text}}}" alone',
            )
    return [text for text in texts if PLACEHOLDER.fullmatch(f"${{{text}}}")]


def _names_or_report(report: Reporter, text: str, where: SpecPath) -> list[str]:
    """The parameter names arithmetic text reads; GS321 when it is no arithmetic."""
    try:
        return names(text)
    except ArithmeticProblem as error:
        report.error(codes.BAD_ARITHMETIC, error.message, where, error.hint)
        return []


def _check_top_level_placeholders(spec: Spec, report: Reporter) -> None:
    """`${param}` means something only inside a block, and shared entries take none."""
    found: list[tuple[SpecPath, SpecPath, str]] = [
        (("nodes", name), sub, value)
        for name, node in spec.nodes.items()
        for sub, value in node.placeholder_strings()
    ]
    for name, entry in spec.shared.items():
        written = entry.with_ if isinstance(entry, SharedBlock) else entry.args
        base: SpecPath = ("with",) if isinstance(entry, SharedBlock) else ()
        found += [(("shared", name), (*base, *sub), value) for sub, value in strings(written)]
    for path, sub, value in found:
        match = ANY_PLACEHOLDER.search(value) if "${" in value else None
        if match:
            report.error(
                codes.UNKNOWN_PARAMETER,
                f"'{match.group(0)}' is outside any block: only block nodes take parameters",
                (*path, *sub),
                "write the value itself, or move the node into a block with 'params'",
            )


def _param_list(block: Block) -> str:
    if not block.params:
        return "this block declares no 'params'"
    return f"its parameters are: {', '.join(block.params)}"


# ---- instances --------------------------------------------------------------------------------


def resolve_instances(analysis: Analysis) -> list[Diagnostic]:
    """Every block instance the model builds, its parameters substituted into its nodes, one
    per repetition (instances with equal block and parameters are resolved once); and the
    top level's nodes with their arithmetic computed."""
    spec, scopes = analysis.spec, analysis.scopes
    assert scopes is not None
    instances: dict[str, BlockInstance] = {}

    def instance(block_name: str, arguments: Mapping[str, Any]) -> str:
        block = spec.blocks[block_name]
        params = instance_params(block.params, arguments)
        key = f"{block_name}{json.dumps(params, sort_keys=True, default=repr)}"
        if key not in instances:
            nodes = {
                name: block.nodes[name].substituted(params)
                for name in scopes.blocks[block_name].live_order
            }
            instances[key] = BlockInstance(key, block_name, params, nodes, calls_of(nodes))
        return key

    def calls_of(nodes: Mapping[str, Node]) -> dict[str, tuple[str, ...]]:
        return {
            name: tuple(
                instance(node.block, node.repetition_arguments(copy)) for copy in range(node.repeat)
            )
            for name, node in nodes.items()
            if isinstance(node, BlockNode)
        }

    shared = {
        name: instance(entry.block, entry.with_)
        for name, entry in spec.shared.items()
        if isinstance(entry, SharedBlock) and name not in scopes.pruned_shared
    }
    top_nodes = {name: spec.nodes[name].substituted({}) for name in scopes.top.live_order}
    top_calls = calls_of(top_nodes)
    analysis.instances = Instances(instances, top_calls, shared, top_nodes)
    return []
