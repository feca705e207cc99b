"""Analyse stage: references, names, cycles, topological order and pruning, with networkx.

The result is a `Plan`: everything emit needs, already proven consistent, so emit never
re-validates. Block bodies are analysed once per block definition, like the top level.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from graphspec.diagnostics import Code, Diagnostic, Location, Severity, SpecPath, codes, format_path
from graphspec.diagnostics.suggest import suggest
from graphspec.settings import DEFAULT_LIMITS, Limits
from graphspec.spec.forms import (
    BlockNode,
    ExprNode,
    LayerNode,
    Node,
    OpNode,
    SequenceNode,
    SharedBlock,
    SharedLayer,
    UseNode,
)
from graphspec.spec.model import Block, Spec

MAX_BLOCK_NESTING = 32
"""Blocks within blocks, at most this deep (GS211): deeper nesting is never a real model."""
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def substitute(value: Any, params: Mapping[str, Any]) -> Any:
    """Replace `${name}` placeholders: a whole-string placeholder keeps the param's type."""
    if not params:
        return value
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole:
            return params.get(whole.group(1), value)
        return PLACEHOLDER.sub(lambda m: str(params.get(m.group(1), m.group(0))), value)
    if isinstance(value, list):
        return [substitute(item, params) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, params) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class ScopePlan:
    """The resolved graph of the top level or of one block body."""

    inputs: tuple[str, ...]
    order: tuple[str, ...]
    pruned_nodes: frozenset[str]
    pruned_inputs: frozenset[str]
    graph: Any = field(repr=False, compare=False)


Shape = tuple[int | None, ...]


@dataclass(frozen=True)
class NodeStatic:
    """What static analysis knows of one node: its layer label, output shape and parameters.

    Shapes leave out the batch dimension; None stands for an unknown shape or count (a layer
    without a static rule, or downstream of one).
    """

    layer: str
    shape: Shape | None
    trainable: int | None = 0
    non_trainable: int | None = 0
    outputs: Mapping[str, Shape | None] = field(default_factory=dict)

    @property
    def params(self) -> int | None:
        if self.trainable is None or self.non_trainable is None:
            return None
        return self.trainable + self.non_trainable


@dataclass(frozen=True)
class Plan:
    """A spec whose graph has been proven sound, ready to emit."""

    spec: Spec
    top: ScopePlan
    blocks: Mapping[str, ScopePlan]
    pruned_shared: frozenset[str]
    pruned_blocks: frozenset[str]
    head_layers: Mapping[str, str]
    """Head name -> node whose final layer is named after the head (others get an Identity)."""
    static: Mapping[str, NodeStatic] = field(default_factory=dict)
    """Per top-level live node (and input): inferred shape and parameters; empty until inferred."""
    head_shapes: Mapping[str, Shape | None] = field(default_factory=dict)

    @property
    def trainable(self) -> int | None:
        """Trainable parameters of the whole model (None when some layer has no static rule)."""
        return _sum_known(s.trainable for s in self.static.values())

    @property
    def non_trainable(self) -> int | None:
        return _sum_known(s.non_trainable for s in self.static.values())

    @property
    def order(self) -> tuple[str, ...]:
        return self.top.order

    @property
    def pruned(self) -> frozenset[str]:
        """Every pruned top-level name: nodes, inputs, shared entries and blocks."""
        return (
            self.top.pruned_nodes | self.top.pruned_inputs | self.pruned_shared | self.pruned_blocks
        )


def _sum_known(values: Iterable[int | None]) -> int | None:
    total = 0
    for value in values:
        if value is None:
            return None
        total += value
    return total


class Locator:
    """Turns spec paths into file positions (or a placeholder for specs built in code)."""

    def __init__(self, spec: Spec) -> None:
        self.source = spec.source

    def at(self, path: SpecPath) -> Location:
        return self.source.locate(path) if self.source else Location("<spec>")

    def at_key(self, path: SpecPath) -> Location:
        return self.source.locate_key(path) if self.source else Location("<spec>")


def layer_names(name: str, node: Node) -> list[tuple[str, SpecPath]]:
    """The Keras layer names a node creates (with the spec path that names each)."""
    if isinstance(node, SequenceNode):
        return [
            (item.name or f"{name}_{index + 1}", ("sequence", index))
            for index, item in enumerate(node.sequence)
        ]
    if isinstance(node, BlockNode) and node.repeat > 1:
        return [(f"{name}_{index + 1}", ("repeat",)) for index in range(node.repeat)]
    if isinstance(node, UseNode):
        return []
    return [(name, ())]


def _cycle_text(cycle: list[str]) -> str:
    return " → ".join([*cycle, cycle[0]])


HINT_BUDGET = 64
"""Did-you-mean searches per check: each costs a pass over the candidates, so a flood of
misspellings must not make a run quadratic. Later diagnostics come without a hint."""


class Reporter:
    """Collects one check's error diagnostics, positioned by spec path."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.at = Locator(spec)
        self.diagnostics: list[Diagnostic] = []
        self.hints_left = HINT_BUDGET

    def closest(self, name: str, candidates: Iterable[str]) -> str | None:
        """The candidate closest to a misspelt name, while the hint budget lasts."""
        if self.hints_left <= 0:
            return None
        self.hints_left -= 1
        return suggest(name, candidates)

    def hint(self, name: str, candidates: Iterable[str]) -> str | None:
        """A 'did you mean' hint, or None."""
        close = self.closest(name, candidates)
        return f"did you mean '{close}'?" if close and close != name else None

    def error(
        self,
        code: Code,
        message: str,
        path: SpecPath,
        hint: str | None = None,
        key: bool = False,
        related: tuple[Location, ...] = (),
        location: Location | None = None,
    ) -> None:
        """Report an error at the value (or, with `key`, the key) at `path`."""
        where = location or (self.at.at_key(path) if key else self.at.at(path))
        self.diagnostics.append(
            Diagnostic(code, Severity.ERROR, message, where, path, hint, related)
        )


def find_cycles(graph: Any) -> list[list[str]]:
    """One cycle per strongly connected component that has one, as a list of vertices."""
    cycles = []
    for component in nx.strongly_connected_components(graph):
        members = sorted(component)
        if len(members) == 1 and not graph.has_edge(members[0], members[0]):
            continue
        cycles.append([edge[0] for edge in nx.find_cycle(graph.subgraph(component))])
    return cycles


class _Analyser(Reporter):
    def __init__(self, spec: Spec, strict: bool, limits: Limits) -> None:
        super().__init__(spec)
        self.strict = strict or spec.unreachable == "error"
        self.limits = limits

    # ---- names -----------------------------------------------------------------------------

    def check_unique_names(self) -> None:
        """Names are unique across inputs, shared entries, blocks, nodes and generated layers."""
        seen: dict[str, SpecPath] = {}
        sections: list[tuple[str, Mapping[str, Any]]] = [
            ("inputs", self.spec.inputs),
            ("shared", self.spec.shared),
            ("blocks", self.spec.blocks),
            ("nodes", self.spec.nodes),
        ]
        for section, entries in sections:
            for name, entry in entries.items():
                names: list[tuple[str, SpecPath]] = [(name, ())]
                if section == "nodes":
                    names += [n for n in layer_names(name, entry) if n[0] != name]
                for layer_name, sub in names:
                    path = (section, name, *sub)
                    if layer_name in seen:
                        first = seen[layer_name]
                        self.error(
                            codes.DUPLICATE_NAME,
                            f"duplicate name '{layer_name}': also defined at "
                            f"'{format_path(first)}'",
                            path,
                            key=not sub,
                            related=(self.at.at_key(first),),
                            hint="names must be unique across inputs, shared, blocks and nodes",
                        )
                    else:
                        seen[layer_name] = path

    # ---- one scope (top level or block body) -------------------------------------------------

    def analyse_scope(
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
            for ref, path in self._refs(node, (*base, "nodes", name)):
                target = self.resolve(ref, path, input_names, nodes)
                if target is not None:
                    graph.add_edge(target, name)
        try:  # the sort proves the graph acyclic; only a failure needs the cycle search
            ordered = list(nx.lexicographical_topological_sort(graph, key=lambda n: index[n]))
        except nx.NetworkXUnfeasible:
            ordered = []
            self.check_cycles(graph, base)
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
        order = tuple(n for n in ordered if n in nodes and n in live)
        pruned_nodes = frozenset(n for n in nodes if n not in live)
        pruned_inputs = frozenset(n for n in input_names if n not in live)
        where = "the model's heads" if sink_kind == "head" else "the block's outputs"
        for name in nodes:
            if name in pruned_nodes:
                self.unreachable((*base, "nodes", name), f"node '{name}' is not used by {where}")
        for name in input_names:
            if name in pruned_inputs:
                self.unreachable((*base, "inputs", name), f"input '{name}' is not used by {where}")
        return ScopePlan(
            inputs=tuple(n for n in input_names if n not in pruned_inputs),
            order=order,
            pruned_nodes=pruned_nodes,
            pruned_inputs=pruned_inputs,
            graph=graph,
        )

    def _refs(self, node: Node, path: SpecPath) -> Iterator[tuple[str, SpecPath]]:
        if isinstance(node, ExprNode):
            for key, ref in node.from_.items():
                yield ref, (*path, "from", key)
        else:
            for position, ref in enumerate(node.from_):
                yield ref, (*path, "from", position)

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
            self.error(
                code,
                f"{what} '{ref}' names no input or node",
                path,
                self.hint(base, (*inputs, *nodes)),
            )
            return None
        outputs = self.spec.block_outputs(node) or None  # None: not a (known) block instance
        if output:
            if outputs is None:
                self.error(code, f"'{base}' has a single output; refer to it as '{base}'", path)
                return None
            if output not in outputs:
                self.error(
                    code,
                    f"'{base}' has no output '{output}'; its outputs are {', '.join(outputs)}",
                    path,
                    self.hint(output, outputs),
                )
                return None
        elif outputs is not None and len(outputs) > 1:
            choices = ", ".join(f"'{base}.{o}'" for o in outputs)
            self.error(code, f"'{base}' has several outputs; refer to one of {choices}", path)
            return None
        return base

    def check_cycles(self, graph: Any, base: SpecPath) -> None:
        for cycle in find_cycles(graph):
            self.error(
                codes.GRAPH_CYCLE,
                f"the graph has a cycle: {_cycle_text(cycle)}",
                (*base, "nodes", cycle[0], "from"),
                hint="a network is a directed acyclic graph; for weight reuse use 'shared'",
            )

    def unreachable(self, path: SpecPath, message: str) -> None:
        severity = Severity.ERROR if self.strict else Severity.WARNING
        self.diagnostics.append(
            Diagnostic(
                codes.UNREACHABLE,
                severity,
                f"{message}: pruned (not built, no weights)",
                self.at.at_key(path),
                path,
                "connect it to a head, or remove it" if self.strict else None,
            )
        )

    # ---- uses of shared entries and blocks ----------------------------------------------------

    def check_node_targets(self, base: SpecPath, nodes: Mapping[str, Node]) -> None:
        """`use` names a shared entry, `block` a block, with the right number of inputs."""
        for name, node in nodes.items():
            path = (*base, "nodes", name)
            if isinstance(node, UseNode):
                entry = self.spec.shared.get(node.use)
                if entry is None:
                    self.error(
                        codes.UNKNOWN_SHARED,
                        f"'{name}' uses '{node.use}', which is not a shared entry",
                        (*path, "use"),
                        self.hint(node.use, self.spec.shared),
                    )
                elif isinstance(entry, SharedBlock):
                    self.check_block_call(path, entry.block, len(node.from_), {}, 1)
            elif isinstance(node, BlockNode):
                self.check_block_call(path, node.block, len(node.from_), node.with_, node.repeat)
            elif isinstance(node, OpNode) and len(node.from_) < 2:
                self.error(
                    codes.MERGE_ARITY,
                    f"merge '{node.op}' in '{name}' needs at least two inputs, got "
                    f"{len(node.from_)}",
                    (*path, "from"),
                    hint="list two or more references in 'from', or drop the merge",
                )
            elif isinstance(node, OpNode) and node.op in ("subtract",) and len(node.from_) != 2:
                self.error(
                    codes.MERGE_ARITY,
                    f"'subtract' in '{name}' takes exactly two inputs, got {len(node.from_)}",
                    (*path, "from"),
                )
            elif isinstance(node, OpNode) and node.op == "dot" and len(node.from_) != 2:
                self.error(
                    codes.MERGE_ARITY,
                    f"'dot' in '{name}' takes exactly two inputs, got {len(node.from_)}",
                    (*path, "from"),
                )

    def check_block_call(
        self,
        path: SpecPath,
        block_name: str,
        arity: int,
        arguments: Mapping[str, Any],
        repeat: int,
    ) -> None:
        block = self.spec.blocks.get(block_name)
        if block is None:
            self.error(
                codes.UNKNOWN_BLOCK,
                f"'{path[-1]}' instantiates '{block_name}', which is not a block",
                (*path, "block"),
                self.hint(block_name, self.spec.blocks),
            )
            return
        if arity != len(block.inputs):
            self.error(
                codes.BLOCK_ARITY,
                f"block '{block_name}' takes {len(block.inputs)} input(s) "
                f"({', '.join(block.inputs)}), but '{path[-1]}' passes {arity}",
                (*path, "from"),
            )
        if repeat > 1 and (len(block.inputs) != 1 or len(block.outputs) != 1):
            self.error(
                codes.BLOCK_ARITY,
                f"'repeat' chains instances, so block '{block_name}' needs one input and one "
                "output",
                (*path, "repeat"),
            )
        for key in arguments:
            if key not in block.params:
                self.error(
                    codes.UNKNOWN_PARAMETER,
                    f"block '{block_name}' has no parameter '{key}'",
                    (*path, "with", key),
                    self.hint(key, block.params) or _param_list(block),
                    key=True,
                )

    def check_placeholders(self, name: str, block: Block) -> None:
        """Every `${param}` inside a block names one of its params; defaults are plain values."""
        for param, default in block.params.items():
            for sub, value in _strings(default, ()):
                if PLACEHOLDER.search(value):
                    self.error(
                        codes.UNKNOWN_PARAMETER,
                        f"the default of parameter '{param}' of block '{name}' refers to a "
                        "parameter; defaults must be plain values",
                        ("blocks", name, "params", param, *sub),
                        "write the value itself; instances can still override it with 'with:'",
                    )
        for node_name, node in block.nodes.items():
            for sub, value in _argument_values(node):
                for match in PLACEHOLDER.finditer(value) if "${" in value else ():
                    if match.group(1) not in block.params:
                        self.error(
                            codes.UNKNOWN_PARAMETER,
                            f"'${{{match.group(1)}}}' is not a parameter of block '{name}'",
                            ("blocks", name, "nodes", node_name, *sub),
                            self.hint(match.group(1), block.params) or _param_list(block),
                        )

    def check_top_level_placeholders(self) -> None:
        """`${param}` means something only inside a block, and shared entries take none."""
        entries: list[tuple[SpecPath, Node | SharedLayer | SharedBlock]] = [
            (("nodes", name), node) for name, node in self.spec.nodes.items()
        ]
        entries += [(("shared", name), entry) for name, entry in self.spec.shared.items()]
        for path, entry in entries:
            for sub, value in _argument_values(entry):
                match = PLACEHOLDER.search(value) if "${" in value else None
                if match:
                    self.error(
                        codes.UNKNOWN_PARAMETER,
                        f"'{match.group(0)}' is outside any block: only block nodes take "
                        "parameters",
                        (*path, *sub),
                        "write the value itself, or move the node into a block with 'params'",
                    )

    def check_block_recursion(self) -> None:
        """The block-uses-block graph is acyclic."""
        uses = nx.DiGraph()
        uses.add_nodes_from(self.spec.blocks)
        for name, block in self.spec.blocks.items():
            for used in _blocks_used(self.spec, block.nodes.values()):
                if used in self.spec.blocks:
                    uses.add_edge(name, used)
        cycles = find_cycles(uses)
        for cycle in cycles:
            self.error(
                codes.BLOCK_CYCLE,
                f"blocks use each other in a cycle: {_cycle_text(cycle)}",
                ("blocks", cycle[0]),
                key=True,
                hint="a block cannot contain an instance of itself, directly or indirectly",
            )
        if cycles:
            return
        chain = nx.dag_longest_path(uses)
        if len(chain) > MAX_BLOCK_NESTING:
            self.error(
                codes.BLOCKS_TOO_DEEP,
                f"blocks nest {len(chain)} deep ({' → '.join(chain[:4])} → ...), more than "
                f"{MAX_BLOCK_NESTING}",
                ("blocks", chain[0]),
                key=True,
                hint="flatten the nesting; a block may use blocks, but not hundreds deep",
            )
            return
        self.check_expanded_size()

    def check_expanded_size(self) -> None:
        """Every block instance and repeat counts against the node cap (GS020)."""
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
                block = self.spec.blocks.get(name)
                sizes[name] = size_of(block.nodes.values()) if block else 0
            return sizes[name]

        shared = sum(
            block_size(entry.block)
            for entry in self.spec.shared.values()
            if isinstance(entry, SharedBlock)
        )
        total = size_of(self.spec.nodes.values()) + shared
        if total > self.limits.max_nodes:
            self.error(
                codes.TOO_MANY_NODES,
                f"the spec expands to {total:,} nodes (block instances and repeats counted), "
                f"over the cap of {self.limits.max_nodes:,}",
                ("nodes",),
                key=True,
                hint="raise the cap with --max-nodes if this model is really that large",
            )

    # ---- heads -----------------------------------------------------------------------------

    def head_layers(self, top: ScopePlan) -> dict[str, str]:
        """Which heads rename their node's final layer, and which need an Identity layer."""
        sources: dict[str, list[str]] = {}
        for head, spec in self.spec.outputs.items():
            sources.setdefault(spec.from_, []).append(head)
        taken = {name for name, _ in self._all_layer_names()}
        renamed: dict[str, str] = {}
        for head, spec in self.spec.outputs.items():
            node = self.spec.nodes.get(spec.from_)
            exclusive = len(sources[spec.from_]) == 1
            renames = exclusive and node is not None and not isinstance(node, UseNode)
            own = set(_final_layer_name(spec.from_, node)) if renames and node else set()
            if head in taken and head not in own and head != spec.from_:
                self.error(
                    codes.HEAD_NAME_TAKEN,
                    f"head '{head}' would name a layer '{head}', but a layer of that name "
                    "already exists",
                    ("outputs", head),
                    key=True,
                    hint="rename the head or the other node",
                )
            if renames:
                renamed[head] = spec.from_
        return renamed

    def _all_layer_names(self) -> Iterator[tuple[str, SpecPath]]:
        for section in ("inputs", "shared"):
            for name in getattr(self.spec, section):
                yield name, (section, name)
        for name, node in self.spec.nodes.items():
            for layer_name, sub in layer_names(name, node):
                yield layer_name, ("nodes", name, *sub)


def _final_layer_name(name: str, node: Node) -> list[str]:
    names = layer_names(name, node)
    return [names[-1][0]] if names else []


def _param_list(block: Block) -> str:
    if not block.params:
        return "this block declares no 'params'"
    return f"its parameters are: {', '.join(block.params)}"


def _argument_values(node: Node | SharedLayer | SharedBlock) -> Iterator[tuple[SpecPath, str]]:
    """String argument values of a node (where `${param}` placeholders may appear)."""
    if isinstance(node, LayerNode | SharedLayer):
        for key, value in node.args.items():
            yield from _strings(value, (key,))
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.sequence):
            for key, value in item.args.items():
                yield from _strings(value, ("sequence", index, key))
    elif isinstance(node, BlockNode | SharedBlock):
        for key, value in node.with_.items():
            yield from _strings(value, ("with", key))


def _strings(value: Any, path: SpecPath) -> Iterator[tuple[SpecPath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))


def _blocks_used(spec: Spec, nodes: Iterable[Node]) -> set[str]:
    return {name for name in map(spec.block_of, nodes) if name is not None}


def _live_uses(plan_nodes: Iterable[Node]) -> set[str]:
    return {node.use for node in plan_nodes if isinstance(node, UseNode)}


def analyse_graph(
    spec: Spec, strict: bool = False, limits: Limits = DEFAULT_LIMITS
) -> tuple[Plan | None, list[Diagnostic]]:
    """Check names, references, cycles and reachability; return the Plan if all is sound."""
    analyser = _Analyser(spec, strict, limits)
    analyser.check_block_recursion()  # also refuses runaway repeats before names are listed
    if analyser.diagnostics:
        return None, analyser.diagnostics
    analyser.check_unique_names()
    if analyser.diagnostics:  # ambiguous names or endless blocks: the graph means nothing yet
        return None, analyser.diagnostics
    block_plans: dict[str, ScopePlan] = {}
    for name, block in spec.blocks.items():
        base: SpecPath = ("blocks", name)
        analyser.check_node_targets(base, block.nodes)
        analyser.check_placeholders(name, block)
        sinks = {out: (ref, (*base, "outputs", out)) for out, ref in block.outputs.items()}
        block_plans[name] = analyser.analyse_scope(base, block.inputs, block.nodes, sinks, "block")
    analyser.check_top_level_placeholders()
    analyser.check_node_targets((), spec.nodes)
    sinks = {head: (h.from_, ("outputs", head, "from")) for head, h in spec.outputs.items()}
    top = analyser.analyse_scope((), spec.inputs, spec.nodes, sinks, "head")
    heads = analyser.head_layers(top)

    # Shared entries and blocks are live when a live node (transitively) uses them.
    live_nodes: list[Node] = [spec.nodes[n] for n in top.order]
    live_blocks: set[str] = set()
    frontier = _blocks_used(spec, live_nodes)
    live_shared = _live_uses(live_nodes)
    while frontier:
        name = frontier.pop()
        if name in live_blocks or name not in spec.blocks:
            continue
        live_blocks.add(name)
        body = [spec.blocks[name].nodes[n] for n in block_plans[name].order]
        live_shared |= _live_uses(body)
        frontier |= _blocks_used(spec, body)
    pruned_shared = frozenset(n for n in spec.shared if n not in live_shared)
    pruned_blocks = frozenset(n for n in spec.blocks if n not in live_blocks)
    for name in spec.shared:
        if name in pruned_shared:
            analyser.unreachable(("shared", name), f"shared entry '{name}' is used by no head")
    for name in spec.blocks:
        if name in pruned_blocks:
            analyser.unreachable(("blocks", name), f"block '{name}' is used by no head")

    diagnostics = analyser.diagnostics
    if any(d.is_error and d.code != codes.UNREACHABLE for d in diagnostics):
        # A broken reference makes its readers look unreachable: report the cause only.
        return None, [d for d in diagnostics if d.code != codes.UNREACHABLE]
    if any(d.is_error for d in diagnostics):
        return None, diagnostics
    plan = Plan(spec, top, block_plans, pruned_shared, pruned_blocks, heads)
    return plan, diagnostics
