"""What the HTML page (`graphspec.views.html`) knows of each vertex of the drawing: which spec
entry it is, and the panel that shows the entry's layer, arguments, shape, parameters, lines
in the spec and diagnostics.

The drawing (`graphspec.views.drawing.render_dot`) names its vertices `in_NAME`,
`shared_NAME`, `n_NAME` and `out_HEAD` at the top level; a block instance drawn with its body
is a cluster `cluster_n_NAME` holding `n_NAME/INPUT`, `n_NAME/NODE` and `n_NAME/out:OUTPUT`
(nested instances likewise). Names are identifiers cut to 64 characters; two names that
share those 64 characters get ids in drawing order, so both are left out rather than guessed.
Only the ids dot's SVG really holds (its `<title>`s) become vertices of the page.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Final

from graphspec.analyse.plan import BlockInstance, NodeStatic, Plan
from graphspec.diagnostics import Diagnostic, SpecPath, format_path
from graphspec.shape import format_shape
from graphspec.spec.forms import (
    BlockNode,
    ExprNode,
    LayerNode,
    Node,
    OpNode,
    SequenceNode,
    SharedLayer,
    UseNode,
)
from graphspec.spec.model import Spec

__all__ = ["Entry", "drawn_entries", "page_data"]

MAX_SOURCE_LINES: Final = 12
"""Longest excerpt of the spec shown for one vertex, in lines."""
_ID_LENGTH: Final = 64
"""How much of a name a vertex id keeps (as `graphspec.views.drawing` cuts it)."""
_SECTIONS: Final = (("inputs", "in"), ("shared", "shared"), ("nodes", "n"), ("outputs", "out"))
"""Spec section → the prefix the drawing gives its vertex ids, in drawing order."""

Row = tuple[str, str, str]
"""One line of the panel: (field, label, value); the page marks each value with its field."""


@dataclass(frozen=True)
class Entry:
    """One drawn vertex or cluster: the spec entry it stands for, and where it stands."""

    path: SpecPath
    """Where the entry is declared: `("nodes", "conv")`, `("blocks", "cnn", "nodes", "probs")`."""
    qualified: str
    """Its name, inside a block instance after the instances that hold it: `cnn1/probs`."""
    pruned: bool
    within: tuple[tuple[str, BlockNode], ...] = ()
    """The block nodes whose drawn bodies hold it, outermost first (empty at the top level)."""
    instance: BlockInstance | None = None
    """The instance whose body holds it: its parameters substituted (None at the top level)."""

    @property
    def name(self) -> str:
        return str(self.path[-1])


# ---- which drawn vertex is which spec entry ---------------------------------------------------


class _Finder:
    """Collects the entries whose vertex ids dot's SVG holds, as the drawing names them."""

    def __init__(self, plan: Plan, titles: Collection[str]) -> None:
        self.plan = plan
        self.titles = titles
        self.found: dict[str, Entry] = {}
        self.ambiguous: set[str] = set()

    def add(self, vertex: str, entry: Entry) -> None:
        if vertex in self.found:
            self.ambiguous.add(vertex)
        self.found[vertex] = entry

    def top(self) -> dict[str, Entry]:
        plan, spec = self.plan, self.plan.spec
        pruned: Mapping[str, Collection[str]] = {
            "inputs": plan.top.pruned_inputs,
            "shared": plan.pruned_shared,
            "nodes": plan.top.pruned_nodes,
            "outputs": (),
        }
        for section, prefix in _SECTIONS:
            names: Iterable[str] = getattr(spec, section)
            for name in names:
                vertex = f"{prefix}_{name[:_ID_LENGTH]}"
                entry = Entry((section, name), name, name in pruned[section])
                node = spec.nodes.get(name) if section == "nodes" else None
                self.member(vertex, entry, node, plan.top_calls)
        return {v: e for v, e in self.found.items() if v not in self.ambiguous and v in self.titles}

    def member(
        self, vertex: str, entry: Entry, node: Node | None, calls: Mapping[str, tuple[str, ...]]
    ) -> None:
        """A vertex, or a block instance's cluster and its body when the drawing expands it."""
        cluster = f"cluster_{vertex}"
        if not isinstance(node, BlockNode) or cluster not in self.titles:
            self.add(vertex, entry)
            return
        self.add(cluster, entry)
        keys = calls.get(entry.name, ())
        instance = self.plan.instances.get(keys[0]) if keys else None
        self.body(vertex, entry, node, instance)

    def body(
        self, parent: str, outer: Entry, node: BlockNode, instance: BlockInstance | None
    ) -> None:
        block = self.plan.spec.blocks[node.block]
        scope = self.plan.blocks.get(node.block)
        pruned = scope.pruned_nodes | scope.pruned_inputs if scope else frozenset()
        within = (*outer.within, (outer.name, node))
        base: SpecPath = ("blocks", node.block)

        def entry(section: str, name: str, is_pruned: bool) -> Entry:
            qualified = f"{outer.qualified}/{name}"
            return Entry((*base, section, name), qualified, is_pruned, within, instance)

        for name in block.inputs:
            member = entry("inputs", name, outer.pruned or name in pruned)
            self.add(f"{parent}/{name[:_ID_LENGTH]}", member)
        for name, inner in block.nodes.items():
            member = entry("nodes", name, outer.pruned or name in pruned)
            calls = instance.calls if instance is not None else {}
            self.member(f"{parent}/{name[:_ID_LENGTH]}", member, inner, calls)
        for name in block.outputs:
            self.add(f"{parent}/out:{name[:_ID_LENGTH]}", entry("outputs", name, outer.pruned))


def drawn_entries(plan: Plan, titles: Collection[str]) -> dict[str, Entry]:
    """Vertex (or cluster) id → the spec entry it draws, for the ids among `titles`, in
    drawing order: inputs, shared entries, nodes (each block body after its node), heads."""
    return _Finder(plan, titles).top()


# ---- what the panel shows --------------------------------------------------------------------


def _value(value: Any) -> str:
    """An argument's value as a person reads it: strings bare, the rest as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


def _arguments(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}: {_value(value)}" for key, value in values.items())


def _count(value: int | None) -> str:
    return "unknown" if value is None else f"{value:,}"


def parameters_text(trainable: int | None, non_trainable: int | None) -> str:
    """`1,234 (trainable 1,200, non-trainable 34)`; unknown where a layer has no rule."""
    if trainable is None or non_trainable is None:
        known = f"trainable {_count(trainable)}, non-trainable {_count(non_trainable)}"
        return f"unknown ({known})"
    total = trainable + non_trainable
    if not non_trainable:
        return f"{total:,} (all trainable)" if total else "0"
    return f"{total:,} (trainable {trainable:,}, non-trainable {non_trainable:,})"


def _parameters_of(plan: Plan, names: Iterable[str]) -> str:
    return parameters_text(*plan.parameters_of(names))


def _describe(node: Node, spec: Spec) -> tuple[str, str]:
    """The kind of node and what it computes (the panel's `layer` row)."""
    if isinstance(node, LayerNode):
        return "layer", node.layer
    if isinstance(node, SequenceNode):
        return "sequence", " → ".join(item.layer for item in node.sequence)
    if isinstance(node, UseNode):
        return "use of a shared entry", node.label(spec)
    if isinstance(node, BlockNode):
        return "block", node.label(spec)
    if isinstance(node, OpNode):
        return "merge", node.op
    assert isinstance(node, ExprNode)
    return "expression", node.expr


_FORM_KEYS: Final = ("from", "layer", "sequence", "use", "block", "op", "expr")


def _node_arguments(node: Node) -> list[tuple[str, str]]:
    """The node's arguments as written, one row per key (per layer of a sequence)."""
    if isinstance(node, SequenceNode):
        rows = []
        for index, item in enumerate(node.sequence):
            written = item.model_dump(by_alias=True, exclude_defaults=True)
            written.pop("layer", None)
            rows.append((f"[{index}] {item.layer}", _arguments(written) or "(defaults)"))
        return rows
    written = node.model_dump(by_alias=True, exclude_defaults=True)
    return [(key, _value(value)) for key, value in written.items() if key not in _FORM_KEYS]


def _references(value: Any) -> str:
    """`from:` as written: one name, a list, or the bindings of an expression."""
    if isinstance(value, Mapping):
        return _arguments(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def _static_rows(static: NodeStatic | None) -> list[Row]:
    if static is None:
        return [("shape", "output shape", "not built (pruned)")]
    rows: list[Row] = [("shape", "output shape", format_shape(static.shape, batch=True))]
    for key, shape in static.outputs.items():
        rows.append(("output", f"output {key}", format_shape(shape, batch=True)))
    if static.dtype:
        rows.append(("dtype", "dtype", static.dtype))
    rows.append(
        ("parameters", "parameters", parameters_text(static.trainable, static.non_trainable))
    )
    return rows


def _pruned_row(pruned: bool) -> Row:
    return ("pruned", "pruned", "yes: not built, no weights" if pruned else "no")


def _uses(spec: Spec, entry: str) -> list[str]:
    """The nodes that use a shared entry, in declaration order."""
    return [n for n, node in spec.nodes.items() if isinstance(node, UseNode) and node.use == entry]


Panel = tuple[str, list[Row], list[tuple[str, str]]]
"""What the panel shows of an entry: its kind, its rows and its arguments."""


def _input_panel(plan: Plan, name: str, pruned: bool) -> Panel:
    entry = plan.spec.inputs[name]
    rows: list[Row] = [
        ("shape", "shape", format_shape(entry.shape, batch=True)),
        ("dtype", "dtype", str(entry.dtype)),
        _pruned_row(pruned),
    ]
    return "input", rows, []


def _head_panel(plan: Plan, name: str) -> Panel:
    head = plan.spec.outputs[name]
    rows: list[Row] = [
        ("from", "from", head.from_),
        ("shape", "output shape", format_shape(plan.head_shapes.get(name), batch=True)),
        ("loss", "loss", str(head.loss) if head.loss is not None else "none"),
    ]
    if head.loss_weight is not None:
        rows.append(("loss_weight", "loss weight", f"{head.loss_weight:g}"))
    rows.append(("metrics", "metrics", ", ".join(str(m) for m in head.metrics) or "none"))
    upstream = plan.head_upstream(name)
    rows.append(("parameters", "parameters it depends on", _parameters_of(plan, upstream)))
    return "head", rows, []


def _shared_panel(plan: Plan, name: str, pruned: bool) -> Panel:
    shared = plan.spec.shared[name]
    what = shared.layer if isinstance(shared, SharedLayer) else f"block {shared.block}"
    uses = _uses(plan.spec, name)
    # its weights are counted once, at the first use: the sum over the uses is theirs
    rows: list[Row] = [
        ("layer", "layer", what),
        ("uses", "used by", ", ".join(uses) or "none"),
        ("parameters", "parameters", _parameters_of(plan, uses)),
        _pruned_row(pruned),
    ]
    written = shared.model_dump(by_alias=True, exclude_defaults=True)
    arguments = [(k, _value(v)) for k, v in written.items() if k not in ("layer", "block")]
    return "shared entry", rows, arguments


def _node_panel(plan: Plan, node: Node, static: list[Row], pruned: bool) -> Panel:
    kind, what = _describe(node, plan.spec)
    rows: list[Row] = [("layer", "layer", what), ("from", "from", _references(node.from_))]
    rows.extend(static)
    if isinstance(node, UseNode):
        together = ", ".join(_uses(plan.spec, node.use))
        note = f"shared entry {node.use}, used by {together}; counted once, at the first use"
        rows.append(("weights", "weights", note))
    rows.append(_pruned_row(pruned))
    return kind, rows, _node_arguments(node)


def _instance_row(entry: Entry) -> Row:
    """`cnn1 (block cnn, classes=10)`: the instances that hold a block member."""
    parts = []
    for name, node in entry.within:
        given = ", ".join(f"{key}={_value(value)}" for key, value in node.with_.items())
        parts.append(f"{name} (block {node.block}{', ' + given if given else ''})")
    return ("instance", "in", " › ".join(parts))


def _block_panel(plan: Plan, entry: Entry) -> Panel:
    """A block member drawn inside its instance: a port, or a node with the instance's
    parameters substituted (static shapes are known for the top level only)."""
    block_name, section, name = str(entry.path[1]), entry.path[2], entry.name
    block = plan.spec.blocks[block_name]
    holder, node = entry.within[-1]
    if section == "inputs":
        reads = [ref for ref, _ in node.refs()]
        position = list(block.inputs).index(name)
        rows: list[Row] = [("from", "reads", reads[position] if position < len(reads) else "")]
        rows += [_instance_row(entry), _pruned_row(entry.pruned)]
        return f"input of block {block_name}", rows, []
    if section == "outputs":
        rows = [("from", "from", block.outputs[name])]
        static = plan.static.get(holder) if len(entry.within) == 1 else None
        if static is not None and not entry.pruned:
            shape = static.outputs.get(name, static.shape if len(block.outputs) == 1 else None)
            rows.append(("shape", "output shape", format_shape(shape, batch=True)))
        rows += [_instance_row(entry), _pruned_row(entry.pruned)]
        return f"output of block {block_name}", rows, []
    built = block.nodes[name]
    if entry.instance is not None:
        built = entry.instance.nodes.get(name, built)
    kind, rows, arguments = _node_panel(plan, built, [], entry.pruned)
    rows.insert(-1, _instance_row(entry))
    return f"{kind} in block {block_name}", rows, arguments


def _panel(plan: Plan, entry: Entry) -> Panel:
    section, name = str(entry.path[0]), entry.name
    if section == "blocks":
        return _block_panel(plan, entry)
    if section == "inputs":
        return _input_panel(plan, name, entry.pruned)
    if section == "outputs":
        return _head_panel(plan, name)
    if section == "shared":
        return _shared_panel(plan, name, entry.pruned)
    static = _static_rows(None if entry.pruned else plan.static.get(name))
    return _node_panel(plan, plan.spec.nodes[name], static, entry.pruned)


# ---- where in the spec -----------------------------------------------------------------------


def excerpt(lines: Sequence[str], line: int) -> list[str]:
    """An entry's lines: its key's line and the lines indented below it (at most 12)."""
    if not 0 < line <= len(lines):
        return []
    first = lines[line - 1]
    indent = len(first) - len(first.lstrip())
    shown = [first]
    for text in lines[line : line - 1 + MAX_SOURCE_LINES]:
        if text.strip() and len(text) - len(text.lstrip()) <= indent:
            break
        shown.append(text)
    while shown and not shown[-1].strip():
        shown.pop()
    return shown


def _diagnostic_key(path: SpecPath) -> SpecPath:
    """The entry a diagnostic's spec path points into: `("nodes", "conv")` for
    `nodes.conv.filters`, `("blocks", "cnn", "nodes", "probs")` inside a block; `()` for
    anything else (a whole block, `compile`)."""
    if len(path) >= 2 and path[0] in ("inputs", "shared", "nodes", "outputs"):
        return path[:2]
    if len(path) >= 4 and path[0] == "blocks" and path[2] in ("inputs", "nodes", "outputs"):
        return path[:4]
    return ()


def _diagnostic(diagnostic: Diagnostic, vertex: str | None) -> dict[str, Any]:
    return {
        "code": str(diagnostic.code),
        "title": diagnostic.code.title,
        "severity": str(diagnostic.severity),
        "message": diagnostic.message,
        "hint": diagnostic.hint or "",
        "path": format_path(diagnostic.path),
        "line": diagnostic.location.line,
        "vertex": vertex,
    }


def page_data(
    plan: Plan, diagnostics: Sequence[Diagnostic], titles: Collection[str]
) -> dict[str, Any]:
    """Everything the page's script shows, by vertex id; the diagnostics in the order given,
    each at every drawn vertex of its entry (a block member is drawn once per instance)."""
    entries = drawn_entries(plan, titles)
    at: dict[SpecPath, list[str]] = {}
    for vertex, entry in entries.items():
        at.setdefault(entry.path, []).append(vertex)
    marks: dict[str, list[int]] = {}
    listed = []
    for index, diagnostic in enumerate(diagnostics):
        vertices = at.get(_diagnostic_key(diagnostic.path), [])
        for vertex in vertices:
            marks.setdefault(vertex, []).append(index)
        listed.append(_diagnostic(diagnostic, vertices[0] if vertices else None))
    source = plan.spec.source
    vertices_data: dict[str, Any] = {}
    for vertex, entry in entries.items():
        kind, rows, arguments = _panel(plan, entry)
        line, shown = 0, []
        if source is not None:
            line = source.locate_key(entry.path).line
            shown = excerpt(source.lines, line)
            rows.append(("line", "line in the spec", f"{PurePath(source.file).name}:{line}"))
        vertices_data[vertex] = {
            "name": entry.name,
            "qualified": entry.qualified,
            "kind": kind,
            "rows": rows,
            "arguments": arguments,
            "source": shown,
            "line": line,
            "diagnostics": marks.get(vertex, []),
        }
    return {
        "name": plan.spec.name,
        "parameters": parameters_text(plan.trainable, plan.non_trainable),
        "vertices": vertices_data,
        "diagnostics": listed,
    }
