"""References: every `from` resolves, each scope's graph is acyclic and ordered, and what no
head (or block output) depends on is pruned and reported."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

import networkx as nx

from graphspec.analyse.blocks import blocks_used, check_calls
from graphspec.analyse.names import head_layers
from graphspec.analyse.plan import ScopePlan
from graphspec.analyse.state import Analysis, Scopes
from graphspec.catalogue.layer_calls import SINGLE, LayerOutputs, layer_outputs
from graphspec.diagnostics import Diagnostic, Severity, SpecPath, codes
from graphspec.diagnostics.reporter import Reporter
from graphspec.spec.forms import LayerNode, Node, SequenceNode, UseNode
from graphspec.spec.model import Spec


def resolve_scopes(analysis: Analysis) -> list[Diagnostic]:
    """Check uses of shared entries and blocks, resolve every scope's references, fix an
    order, prune what no sink reads; records the `Scopes` when all is sound."""
    spec = analysis.spec
    strict = analysis.options.strict or spec.unreachable == "error"
    resolver = _Resolver(spec, strict, analysis.options.custom_layers.layers)
    report = resolver.report
    check_calls(spec, report)
    block_plans: dict[str, ScopePlan] = {}
    for name, block in spec.blocks.items():
        base: SpecPath = ("blocks", name)
        sinks = {out: (ref, (*base, "outputs", out)) for out, ref in block.outputs.items()}
        block_plans[name] = resolver.scope(base, block.inputs, block.nodes, sinks, "block")
    sinks = {head: (h.from_, ("outputs", head, "from")) for head, h in spec.outputs.items()}
    top = resolver.scope((), spec.inputs, spec.nodes, sinks, "head")
    heads = head_layers(spec, report)

    # Shared entries and blocks are live when a live node (transitively) uses them.
    live_nodes: list[Node] = [spec.nodes[n] for n in top.live_order]
    live_blocks: set[str] = set()
    frontier = blocks_used(spec, live_nodes)
    live_shared = _uses(live_nodes)
    while frontier:
        name = frontier.pop()
        if name in live_blocks or name not in spec.blocks:
            continue
        live_blocks.add(name)
        body = [spec.blocks[name].nodes[n] for n in block_plans[name].live_order]
        live_shared |= _uses(body)
        frontier |= blocks_used(spec, body)
    pruned_shared = frozenset(n for n in spec.shared if n not in live_shared)
    pruned_blocks = frozenset(n for n in spec.blocks if n not in live_blocks)
    for name in spec.shared:
        if name in pruned_shared:
            resolver.unreachable(("shared", name), f"shared entry '{name}' is used by no head")
    for name in spec.blocks:
        if name in pruned_blocks:
            resolver.unreachable(("blocks", name), f"block '{name}' is used by no head")

    found = report.diagnostics
    if any(d.is_error and d.code != codes.UNREACHABLE for d in found):
        # A broken reference makes its readers look unreachable: report the cause only.
        return [d for d in found if d.code != codes.UNREACHABLE]
    if not report.failed:
        analysis.scopes = Scopes(top, block_plans, pruned_shared, pruned_blocks, heads)
    return found


def find_cycles(graph: Any) -> list[list[str]]:
    """One cycle per strongly connected component that has one, as a list of vertices."""
    cycles = []
    for component in nx.strongly_connected_components(graph):
        members = sorted(component)
        if len(members) == 1 and not graph.has_edge(members[0], members[0]):
            continue
        cycles.append([edge[0] for edge in nx.find_cycle(graph.subgraph(component))])
    return cycles


_CYCLE_ENDS = 3
"""How many names a long cycle shows at each end; the rest are counted."""


def cycle_text(cycle: list[str]) -> str:
    """``a → b → c → a``; a long cycle as its first and last few names and the count between
    (``a → b → c → … (2,994 more) → x → y → z → a``), so a message stays one short line."""
    if len(cycle) <= 2 * _CYCLE_ENDS + 2:
        return " → ".join([*cycle, cycle[0]])
    hidden = len(cycle) - 2 * _CYCLE_ENDS
    shown = [*cycle[:_CYCLE_ENDS], f"… ({hidden:,} more)", *cycle[-_CYCLE_ENDS:], cycle[0]]
    return " → ".join(shown)


class _Resolver:
    """Resolves the references of one spec's scopes, reporting what does not resolve."""

    def __init__(self, spec: Spec, strict: bool, custom: Collection[str] = ()) -> None:
        self.spec = spec
        self.strict = strict
        self.custom = custom
        self.report = Reporter(spec.source)

    def scope(
        self,
        base: SpecPath,
        inputs: Iterable[str],
        nodes: Mapping[str, Node],
        sinks: Mapping[str, tuple[str, SpecPath]],
        sink_kind: str,
    ) -> ScopePlan:
        """Resolve references, reject cycles, fix an order, and prune what no sink reads."""
        input_names = tuple(inputs)
        graph = nx.DiGraph()
        graph.add_nodes_from(input_names, kind="input")
        index = {name: i for i, name in enumerate((*input_names, *nodes))}
        for name in nodes:
            graph.add_node(name, kind="node")
        for name, node in nodes.items():
            path = (*base, "nodes", name)
            for ref, sub in node.refs():
                target = self.resolve(ref, (*path, *sub), input_names, nodes)
                if target is not None:
                    graph.add_edge(target, name)
        try:  # the sort proves the graph acyclic; only a failure needs the cycle search
            ordered = list(nx.lexicographical_topological_sort(graph, key=lambda n: index[n]))
        except nx.NetworkXUnfeasible:
            ordered = []
            for cycle in find_cycles(graph):
                self.report.error(
                    codes.GRAPH_CYCLE,
                    f"the graph has a cycle: {cycle_text(cycle)}",
                    (*base, "nodes", cycle[0], "from"),
                    hint="a network is a directed acyclic graph; for weight reuse use 'shared'",
                )
        # One walk back from every sink at once: linear, however many heads share ancestors.
        live: set[str] = set()
        stack: list[str] = []
        for sink_ref, path in sinks.values():
            target = self.resolve(sink_ref, path, input_names, nodes, head=sink_kind == "head")
            if target is not None:
                stack.append(target)
        while stack:
            current = stack.pop()
            if current not in live:
                live.add(current)
                stack.extend(p for p in graph.predecessors(current) if p not in live)
        where = "the model's heads" if sink_kind == "head" else "the block's outputs"
        for name in nodes:
            if name not in live:
                self.unreachable((*base, "nodes", name), f"node '{name}' is not used by {where}")
        for name in input_names:
            if name not in live:
                self.unreachable((*base, "inputs", name), f"input '{name}' is not used by {where}")
        order = tuple(n for n in ordered if n in nodes)
        return ScopePlan(input_names, order, frozenset(live), graph)

    def resolve(
        self,
        ref: str,
        path: SpecPath,
        inputs: tuple[str, ...],
        nodes: Mapping[str, Node],
        head: bool = False,
    ) -> str | None:
        """The graph vertex a reference names, or None after reporting why it does not."""
        code = codes.UNKNOWN_HEAD_SOURCE if head else codes.UNKNOWN_REFERENCE
        base, _, output = ref.partition(".")
        if base in inputs and not output:
            return base
        node = nodes.get(base)
        if node is None:
            what = "head 'from'" if head else "reference"
            self.report.error(
                code,
                f"{what} '{ref}' names no input or node",
                path,
                self.report.hint(base, (*inputs, *nodes)),
            )
            return None
        outputs = self.spec.block_outputs(node) or None  # None: not a (known) block instance
        if outputs is None:
            return base if self.layer_output(ref, node, path) else None
        if output.isdigit():
            if int(output) >= len(outputs):
                self.out_of_range(ref, len(outputs), ", ".join(outputs), path)
                return None
        elif output:
            if output not in outputs:
                self.report.error(
                    code,
                    f"'{base}' has no output '{output}'; its outputs are {', '.join(outputs)}",
                    path,
                    self.report.hint(output, outputs),
                )
                return None
        elif len(outputs) > 1:
            choices = ", ".join(f"'{base}.{o}'" for o in outputs)
            self.report.error(
                code, f"'{base}' has several outputs; refer to one of {choices}", path
            )
            return None
        return base

    def layer_output(self, ref: str, node: Node, path: SpecPath) -> bool:
        """Whether the output a reference names is one the node's layer gives (a bare name is
        its first output); reports why not."""
        base, _, output = ref.partition(".")
        if not output:
            return True
        found = node_outputs(self.spec, node, self.custom)
        if found is None:  # a custom layer: its outputs are known once it is built
            if output.isdigit():
                return True
            self.report.error(
                codes.UNKNOWN_OUTPUT,
                f"'{base}' is a layer whose outputs graphspec does not know by name; "
                f"refer to them by position ('{base}.0', '{base}.1', ...)",
                path,
            )
            return False
        names, switched = found.names, found.switched
        position = int(output) if output.isdigit() else None
        if (position is not None and position < len(names)) or output in names:
            return True
        if found.switch is not None and (
            output in switched or (position is not None and position < len(switched))
        ):
            owner = f"'{base}'"
            if isinstance(node, UseNode) and not found.switch.in_call:
                owner = f"the shared entry '{node.use}'"  # the layer's arguments are there
            self.report.error(
                codes.OUTPUT_SWITCHED_OFF,
                f"'{ref}' is an output '{base}' gives only with {found.switch.written}",
                path,
                f"set {found.switch.written} on {owner}",
            )
            return False
        listed = ", ".join(switched or names)
        if position is not None:
            self.out_of_range(ref, len(names), listed, path)
            return False
        self.report.error(
            codes.UNKNOWN_OUTPUT,
            f"'{base}' has no output '{output}'; its outputs are {listed}",
            path,
            self.report.hint(output, switched or names),
        )
        return False

    def out_of_range(self, ref: str, count: int, listed: str, path: SpecPath) -> None:
        base = ref.partition(".")[0]
        has = f"{count} outputs ({listed}), at 0 to {count - 1}" if count > 1 else "one output"
        self.report.error(
            codes.OUTPUT_OUT_OF_RANGE,
            f"'{ref}' is past the last output of '{base}': it has {has}",
            path,
            f"refer to it as '{base}'" if count == 1 else None,
        )

    def unreachable(self, path: SpecPath, message: str) -> None:
        self.report.error(
            codes.UNREACHABLE,
            f"{message}: pruned (not built, no weights)",
            path,
            "connect it to a head, or remove it" if self.strict else None,
            key=True,
            severity=Severity.ERROR if self.strict else Severity.WARNING,
        )


def _uses(nodes: Iterable[Node]) -> set[str]:
    return {node.use for node in nodes if isinstance(node, UseNode)}


def node_outputs(spec: Spec, node: Node, custom: Collection[str]) -> LayerOutputs | None:
    """The outputs of the layer call a node makes (a `sequence`: its last layer's), by name;
    None for a custom layer, whose outputs are known once it is built. Block instances have
    the outputs their block names (`Spec.block_outputs`)."""
    if isinstance(node, LayerNode | UseNode):
        called = spec.called_layer(node)
        if called is None:  # a shared block
            return SINGLE
        (layer, args), call = called, node.call
    elif isinstance(node, SequenceNode):
        last = node.sequence[-1]
        layer, args, call = last.layer, last.args, {}
    else:
        return SINGLE
    if layer in custom:
        return None
    return layer_outputs(layer, args, call)
