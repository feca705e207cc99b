"""Draw a Plan's top-level graph as Mermaid or Graphviz DOT text (`graphspec graph`).

Pure text generation: no Keras, no graphviz package. Both formats draw the same picture,
collected once into vertices and edges:

- inputs as stadiums / `invhouse`, heads as output shapes fed by their source node, with loss;
- layer nodes `name: Dense`, sequences `name: Conv2D → MaxPooling2D → Flatten`, merges as
  hexagons, expressions as parallelograms (edges named by their binding);
- `use` nodes filled, each joined by a dotted line to its `shared: entry` node;
- block instances: in Mermaid one box `name: block cnn ×2`; in DOT a cluster holding the
  block's body (input ports, nodes, nested instances as clusters, output ports with their
  shapes), drawn once per instance however often `repeat` chains it, within `MAX_EXPANDED`
  vertices (later instances are boxes, so `dot` stays quick on any spec);
- pruned nodes, inputs, shared entries and block bodies, and every edge into them, dashed.

Everything a spec controls (names, expressions, losses) is escaped for the target syntax, and
the output follows declaration order, so the same spec always gives the same text. Labels show
each top-level node's static output shape (`plan.static[name].shape`) where it is known.

Vertex ids (the `<title>` of each vertex in the SVG `dot` draws): `in_NAME`, `shared_NAME`,
`n_NAME`, `out_HEAD`; inside a block instance's cluster `cluster_n_NODE`, `n_NODE/INNER` for its
nodes and inputs and `n_NODE/out:OUTPUT` for its outputs (nested: `n_NODE/INNER/...`). Spec
names are identifiers, so these never collide.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from graphspec.analyse.plan import BlockInstance, Plan
from graphspec.diagnostics.render import CONTROL
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

__all__ = ["FORMATS", "render", "render_dot", "render_mermaid"]

Kind = Literal["input", "layer", "sequence", "use", "shared", "block", "op", "expr", "head", "port"]

MAX_LABEL: Final = 60
"""Longest piece of spec text (an expression, a layer chain) shown in a label, in characters."""
MAX_CHAIN: Final = 4
"""Longest layer chain shown in full; longer sequences show their ends and a count."""
MAX_EXPANDED: Final = 1000
"""Most vertices the DOT drawing spends on block bodies; later instances are single boxes."""

_NOT_ID = re.compile(r"[^A-Za-z0-9_]")


@dataclass(frozen=True)
class _Vertex:
    id: str
    kind: Kind
    lines: tuple[str, ...]
    """The label: the first line names the vertex, later lines add details (shape, loss)."""
    pruned: bool


@dataclass(frozen=True)
class _Edge:
    source: str
    target: str
    label: str
    pruned: bool
    shares: bool = False
    """A dotted link from a shared entry to one of its uses (weights, not data)."""


@dataclass(frozen=True)
class _Cluster:
    """A block instance drawn with its body (DOT only): input ports, the block's nodes (nested
    instances as clusters again) and output ports, inside a box labelled with the instance."""

    id: str
    lines: tuple[str, ...]
    pruned: bool
    members: tuple[_Vertex | _Cluster, ...]


@dataclass(frozen=True)
class _Drawing:
    title: str
    members: tuple[_Vertex | _Cluster, ...]
    """The top level in declaration order: inputs, shared entries, nodes, heads."""
    edges: tuple[_Edge, ...]

    @property
    def vertices(self) -> tuple[_Vertex, ...]:
        """Every vertex, those inside clusters included, in drawing order."""
        return tuple(_flatten(self.members))


def _flatten(members: Sequence[_Vertex | _Cluster]) -> Iterator[_Vertex]:
    for member in members:
        if isinstance(member, _Cluster):
            yield from _flatten(member.members)
        else:
            yield member


def _shorten(text: str, limit: int = MAX_LABEL) -> str:
    """One line of at most `limit` characters (spec text may hold newlines and be long)."""
    flat = " ".join(CONTROL.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _chain(node: SequenceNode) -> str:
    layers = [item.layer for item in node.sequence]
    if len(layers) > MAX_CHAIN:
        layers = [*layers[:2], f"… ({len(layers) - 3} more)", layers[-1]]
    return _shorten(" → ".join(layers))


def _format_shape(shape: Any) -> str | None:
    """`(None, 16, 16, 128)` like Keras prints it (batch first), or None when unknown."""
    if not isinstance(shape, tuple | list):
        return None if shape is None else _shorten(str(shape))
    return format_shape(shape, batch=True)


class _Ids:
    """Vertex ids: `in_NAME`, `shared_NAME`, `n_NAME`, `out_HEAD` at the top level (safe in
    both syntaxes), `PARENT/NAME` and `PARENT/out:OUTPUT` inside a block instance's cluster
    (DOT only); names cleaned to `[A-Za-z0-9_]` and made unique."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.ids: dict[tuple[str, str], str] = {}

    def __call__(self, section: str, name: str) -> str:
        return self._unique((section, name), f"{section}_{_NOT_ID.sub('_', name)[:64]}")

    def scoped(self, parent: str, name: str, marker: str = "") -> str:
        """The id of a vertex inside `parent`'s cluster (a spec name never holds `/` or `:`)."""
        base = f"{parent}/{marker}{_NOT_ID.sub('_', name)[:64]}"
        return self._unique((f"{parent}/{marker}", name), base)

    def _unique(self, key: tuple[str, str], base: str) -> str:
        if key not in self.ids:
            candidate, count = base, 1
            while candidate in self.taken:
                count += 1
                candidate = f"{base}_{count}"
            self.taken.add(candidate)
            self.ids[key] = candidate
        return self.ids[key]


def _describe(node: Node) -> tuple[Kind, str]:
    """The vertex kind of a node and the text after `name: ` in its label."""
    if isinstance(node, LayerNode):
        return "layer", node.layer
    if isinstance(node, SequenceNode):
        return "sequence", _chain(node)
    if isinstance(node, UseNode):
        return "use", f"use {node.use}"
    if isinstance(node, BlockNode):
        repeat = f" ×{node.repeat}" if node.repeat > 1 else ""
        return "block", f"block {node.block}{repeat}"
    if isinstance(node, OpNode):
        details = ""
        if node.axis is not None:
            details = f" axis={node.axis}"
        elif node.axes is not None:
            details = f" axes={node.axes}"
        return "op", f"{node.op}{details}"
    assert isinstance(node, ExprNode)
    return "expr", _shorten(node.expr)


def _arguments(node: BlockNode) -> tuple[str, ...]:
    """A block instance's `with:` and `each:` in one short line (none when it has neither)."""
    given = [f"{key}={_value(value)}" for key, value in node.with_.items()]
    given += [f"{key}={'|'.join(_value(v) for v in values)}" for key, values in node.each.items()]
    return (_shorten(", ".join(given)),) if given else ()


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


Target = str | dict[str, str]
"""What a name in a scope reads: a vertex, or an expanded block instance's output ports."""


@dataclass
class _Scope:
    """The top level or one block instance's body while it is collected."""

    parent: str | None
    """The cluster's vertex id prefix; None at the top level."""
    instance: BlockInstance | None
    """The instance whose body this is (None at the top level, or when none is built)."""
    pruned: frozenset[str]
    """The scope's pruned nodes and inputs."""
    all_pruned: bool
    """Inside a pruned instance: everything is."""
    targets: dict[str, Target] = field(default_factory=dict)


@dataclass(frozen=True)
class _Pending:
    """An edge whose source is a reference, resolved once every vertex of its scope exists
    (a reference may name a node declared after its reader)."""

    scope: _Scope
    ref: str
    target: str
    binding: str
    pruned: bool


class _Collector:
    """Collects a Plan's drawing: vertices, clusters (DOT) and edges, in declaration order."""

    def __init__(self, plan: Plan, expand_blocks: bool) -> None:
        self.plan = plan
        self.spec = plan.spec
        self.ids = _Ids()
        self.edges: list[_Edge | _Pending] = []
        self.budget = MAX_EXPANDED if expand_blocks else 0
        self.sizes: dict[str, int] = {}

    def drawing(self) -> _Drawing:
        spec, plan = self.spec, self.plan
        top = _Scope(None, None, plan.top.pruned_nodes | plan.top.pruned_inputs, False)
        members: list[_Vertex | _Cluster] = []
        for name, model_input in spec.inputs.items():
            top.targets[name] = vertex_id = self.ids("in", name)
            lines = (name, f"{_format_shape(model_input.shape)} {model_input.dtype}")
            members.append(_Vertex(vertex_id, "input", lines, name in top.pruned))
        for name, shared in spec.shared.items():
            what = shared.layer if isinstance(shared, SharedLayer) else f"block {shared.block}"
            pruned = name in plan.pruned_shared
            lines = (f"shared: {name}", what)
            members.append(_Vertex(self.ids("shared", name), "shared", lines, pruned))
        for name in spec.nodes:
            top.targets[name] = self.ids("n", name)  # before any reference reads them
        for name, node in spec.nodes.items():
            members.append(self.node(top, name, node))
        for head, head_spec in spec.outputs.items():
            details = [f"loss: {head_spec.loss}" if head_spec.loss else ""]
            if head_spec.loss_weight is not None:
                details.append(f"× {head_spec.loss_weight:g}")
            detail = _shorten(" ".join(d for d in details if d))
            head_id = self.ids("out", head)
            members.append(_Vertex(head_id, "head", (head, detail) if detail else (head,), False))
            self.edges.append(_Pending(top, head_spec.from_, head_id, "", False))
        return _Drawing(spec.name, tuple(members), tuple(self.resolved()))

    def node(self, scope: _Scope, name: str, node: Node) -> _Vertex | _Cluster:
        """One node's vertex (or cluster), its edges pending."""
        pruned = scope.all_pruned or name in scope.pruned
        if scope.parent is None:
            node_id = self.ids("n", name)
        else:
            scope.targets[name] = node_id = self.ids.scoped(scope.parent, name)
        if isinstance(node, BlockNode) and self.fits(node.block):
            return self.cluster(scope, name, node, node_id, pruned)
        kind, text = _describe(node)
        for ref, path in node.refs():  # an expr's `from` keys name the bindings, as do
            key = path[1]  # the call arguments (`call: {initial_state: [...]}`)
            binding = key if isinstance(key, str) else ""
            self.edges.append(_Pending(scope, ref, node_id, binding, pruned))
        if isinstance(node, UseNode) and node.use in self.spec.shared:
            shared_id = self.ids("shared", node.use)
            self.edges.append(_Edge(shared_id, node_id, "", pruned, shares=True))
        lines = (f"{name}: {text}", *self.shape_lines(scope, name))
        return _Vertex(node_id, kind, lines, pruned)

    def cluster(
        self, scope: _Scope, name: str, node: BlockNode, node_id: str, pruned: bool
    ) -> _Cluster:
        """A block instance with its body: drawn once however often `repeat` chains it (the
        label says ×N), so a picture grows with the spec, not with the model."""
        self.budget -= self.size(node.block)
        block = self.spec.blocks[node.block]
        block_plan = self.plan.blocks.get(node.block)
        inner_pruned = block_plan.pruned_nodes | block_plan.pruned_inputs if block_plan else None
        instance = self.first_instance(scope, name)
        inner = _Scope(node_id, instance, inner_pruned or frozenset(), pruned)
        members: list[_Vertex | _Cluster] = []
        for input_name in block.inputs:
            inner.targets[input_name] = port = self.ids.scoped(node_id, input_name)
            port_pruned = pruned or input_name in inner.pruned
            members.append(_Vertex(port, "port", (input_name,), port_pruned))
        for (ref, _), input_name in zip(node.refs(), block.inputs, strict=False):
            port_id = inner.targets[input_name]
            assert isinstance(port_id, str)
            self.edges.append(_Pending(scope, ref, port_id, "", pruned))
        for inner_name in block.nodes:
            inner.targets[inner_name] = self.ids.scoped(node_id, inner_name)
        for inner_name, inner_node in block.nodes.items():
            built = instance.nodes.get(inner_name, inner_node) if instance else inner_node
            members.append(self.node(inner, inner_name, built))
        shapes = self.output_shapes(scope, name)
        ports: dict[str, str] = {}
        for output, ref in block.outputs.items():
            ports[output] = port = self.ids.scoped(node_id, output, marker="out:")
            shape = _format_shape(shapes.get(output))
            port_lines = (output, shape) if shape else (output,)
            members.append(_Vertex(port, "port", port_lines, pruned))
            self.edges.append(_Pending(inner, ref, port, "", pruned))
        scope.targets[name] = ports
        _, text = _describe(node)
        lines = (f"{name}: {text}", *_arguments(node))
        return _Cluster(f"cluster_{node_id}", lines, pruned, tuple(members))

    def fits(self, block: str) -> bool:
        """Whether a block instance is drawn with its body: within `MAX_EXPANDED` vertices
        in all (past it, instances are boxes, so a huge spec still lays out quickly)."""
        return block in self.spec.blocks and self.size(block) <= self.budget

    def size(self, block_name: str) -> int:
        """The vertices a block instance's cluster holds (nested instances in full)."""
        if block_name not in self.sizes:
            self.sizes[block_name] = 1 << 30  # a cycle (never in a sound Plan) never fits
            block = self.spec.blocks[block_name]
            inner = sum(
                self.size(node.block) if isinstance(node, BlockNode) else 1
                for node in block.nodes.values()
            )
            self.sizes[block_name] = len(block.inputs) + inner + len(block.outputs)
        return self.sizes[block_name]

    def first_instance(self, scope: _Scope, name: str) -> BlockInstance | None:
        """The (first) instance a block node builds; None for one that is not built."""
        if scope.parent is None:
            calls: Mapping[str, tuple[str, ...]] = self.plan.top_calls
        elif scope.instance is not None:
            calls = scope.instance.calls
        else:
            return None
        keys = calls.get(name, ())
        return self.plan.instances.get(keys[0]) if keys else None

    def shape_lines(self, scope: _Scope, name: str) -> tuple[str, ...]:
        """A top-level node's static output shape(s) as a label line; none inside blocks."""
        entry = self.plan.static.get(name) if scope.parent is None else None
        if entry is None:  # none for a pruned node
            return ()
        shape = _format_shape(entry.shape)
        if shape is None and entry.outputs:  # several block outputs
            shapes = ((key, _format_shape(value)) for key, value in entry.outputs.items())
            shape = _shorten(", ".join(f"{key}: {text or '?'}" for key, text in shapes))
        return (shape,) if shape else ()

    def output_shapes(self, scope: _Scope, name: str) -> Mapping[str, Any]:
        entry = self.plan.static.get(name) if scope.parent is None else None
        return entry.outputs if entry is not None else {}

    def resolved(self) -> Iterator[_Edge]:
        """The edges, references resolved; a reference a sound Plan would resolve but this
        drawing cannot is left out rather than guessed, and a repeated one drawn once."""
        seen: set[tuple[str, str, str]] = set()
        for edge in self.edges:
            if isinstance(edge, _Edge):
                yield edge
                continue
            found = _resolve(edge.scope, edge.ref)
            if found is None:
                continue
            source, output = found
            label = " as ".join(part for part in (output, edge.binding) if part)
            if (source, edge.target, label) in seen:
                continue
            seen.add((source, edge.target, label))
            yield _Edge(source, edge.target, label, edge.pruned)


def _resolve(scope: _Scope, ref: str) -> tuple[str, str] | None:
    """The vertex a reference reads and the output it picks ('' for none, or when the vertex
    is that output's port)."""
    base, _, output = ref.partition(".")
    target = scope.targets.get(base)
    if target is None or isinstance(target, str):
        return None if target is None else (target, output)
    ports = list(target.values())
    if not output:
        return (ports[0], "") if ports else None
    if output.isdigit():
        position = int(output)
        return (ports[position], "") if position < len(ports) else None
    return (target[output], "") if output in target else None


def _collect(plan: Plan, expand_blocks: bool = False) -> _Drawing:
    """The vertices and edges both formats draw, in declaration order; DOT expands block
    instances into clusters."""
    return _Collector(plan, expand_blocks).drawing()


# ---- Mermaid ---------------------------------------------------------------------------------

_MERMAID_ENTITIES: Final = {
    "#": "#35;",
    '"': "#quot;",
    "&": "#amp;",
    "<": "#lt;",
    ">": "#gt;",
    "`": "#96;",
    "\\": "#92;",
    "|": "#124;",
}
_MERMAID_SPECIAL = re.compile("[" + re.escape("".join(_MERMAID_ENTITIES)) + "]")

_MERMAID_SHAPES: Final[Mapping[Kind, tuple[str, str]]] = {
    "input": ("([", "])"),
    "layer": ("[", "]"),
    "sequence": ("(", ")"),
    "use": ("[", "]"),
    "shared": ("[(", ")]"),
    "block": ("[[", "]]"),
    "op": ("{{", "}}"),
    "expr": ("[/", "/]"),
    "head": ("[\\", "/]"),
    "port": ("((", "))"),  # DOT only: Mermaid draws block instances as boxes
}
_MERMAID_CLASSES: Final = (
    ("input", "fill:#e3f2fd,stroke:#1565c0"),
    ("head", "fill:#e8f5e9,stroke:#2e7d32"),
    ("use", "fill:#fff3cd,stroke:#b8860b"),
    ("shared", "fill:#fff3cd,stroke:#b8860b"),
    ("block", "fill:#f3e5f5,stroke:#6a1b9a"),
    ("op", "fill:#eceff1,stroke:#455a64"),
    ("expr", "fill:#eceff1,stroke:#455a64"),
    ("pruned", "stroke-dasharray: 5 5,opacity:0.6"),
)


def mermaid_escape(text: str) -> str:
    """Spec text made safe inside a quoted Mermaid label: entities for `" # < > & | \\ ``."""
    flat = CONTROL.sub(" ", text)
    return _MERMAID_SPECIAL.sub(lambda m: _MERMAID_ENTITIES[m.group()], flat)


def _any_pruned(drawing: _Drawing) -> bool:
    return any(v.pruned for v in drawing.vertices)


def render_mermaid(plan: Plan) -> str:
    """A Mermaid flowchart of the plan's top-level graph (pruned parts dashed)."""
    drawing = _collect(plan)
    out = [f"%% graphspec: {mermaid_escape(drawing.title)}", "flowchart TB"]
    for vertex in drawing.vertices:
        opening, closing = _MERMAID_SHAPES[vertex.kind]
        label = "<br/>".join(mermaid_escape(line) for line in vertex.lines)
        pruned = ":::pruned" if vertex.pruned else ""
        out.append(f'    {vertex.id}{opening}"{label}"{closing}{pruned}')
    shared_links: list[str] = []
    for index, edge in enumerate(drawing.edges):
        if edge.shares:
            arrow = "-.-"
            shared_links.append(str(index))
        else:
            arrow = "-.->" if edge.pruned else "-->"
        label = f'|"{mermaid_escape(edge.label)}"|' if edge.label else ""
        out.append(f"    {edge.source} {arrow}{label} {edge.target}")
    used = {v.kind for v in drawing.vertices} | ({"pruned"} if _any_pruned(drawing) else set())
    for name, style in _MERMAID_CLASSES:
        if name in used:
            out.append(f"    classDef {name} {style}")
    for name, _ in _MERMAID_CLASSES:
        members = [v.id for v in drawing.vertices if v.kind == name]
        if members:
            out.append(f"    class {','.join(members)} {name}")
    if shared_links:
        out.append(f"    linkStyle {','.join(shared_links)} stroke:#b8860b,stroke-width:2px")
    return "\n".join(out) + "\n"


# ---- Graphviz DOT ----------------------------------------------------------------------------

FONT: Final = "Helvetica,Arial,sans-serif"
"""Graphviz takes the first font it finds; an SVG names all three for the browser."""

_INK: Final = "#374151"
_FADED: Final = "#9ca3af"
"""Pruned parts: grey outlines and text on a dashed line (still legible in print)."""

_DOT_GRAPH: Final = {
    "rankdir": "TB",
    "labelloc": "t",
    "fontname": FONT,
    "fontsize": "14",
    "bgcolor": "white",
    "nodesep": "0.3",
    "ranksep": "0.4",
}
LARGE_DRAWING: Final = 200
"""Vertices from which `dot` bounds its network-simplex passes (`nslimit`): on a generated
500-node spec (760 vertices) the layout then takes 1.2 s instead of 4.5 s and is no wider;
below, drawings are left exactly as `dot` draws them by default
(benchmarks/bench_graph.py measures both)."""
HUGE_DRAWING: Final = 800
"""Vertices from which edges are drawn straight (`splines=line`) instead of routed around
vertices: routing 1,865 edges took `dot` 14 s of the 18 s of a 1,000-node spec."""
NETWORK_SIMPLEX_LIMIT: Final = "2"
"""`nslimit`: network-simplex iterations per vertex when placing vertices across a rank; the
default (unbounded) costs minutes on 1,000 nodes for a drawing barely narrower."""


def layout_attributes(vertices: int) -> dict[str, str]:
    """The graph attributes that keep `dot` quick on a drawing of `vertices` vertices: none
    for a small drawing (its picture is `dot`'s default), bounded placement from
    `LARGE_DRAWING` on, straight edges from `HUGE_DRAWING` on."""
    attributes: dict[str, str] = {}
    if vertices >= LARGE_DRAWING:
        attributes["nslimit"] = NETWORK_SIMPLEX_LIMIT
    if vertices >= HUGE_DRAWING:
        attributes["splines"] = "line"
    return attributes


_DOT_NODE: Final = {
    "fontname": FONT,
    "fontsize": "11",
    "shape": "box",
    "style": "filled",
    "fillcolor": "white",
    "color": _INK,
    "fontcolor": "#111827",
    "margin": "0.12,0.06",
}
_DOT_EDGE: Final = {"fontname": FONT, "fontsize": "9", "color": "#4b5563", "arrowsize": "0.7"}

_DOT_STYLES: Final[Mapping[Kind, Mapping[str, str]]] = {
    "input": {"shape": "invhouse", "style": "filled", "fillcolor": "#dbeafe", "color": "#1d4ed8"},
    "layer": {"shape": "box", "style": "filled"},
    "sequence": {"shape": "box", "style": "rounded,filled"},
    "use": {"shape": "box", "style": "filled", "fillcolor": "#fef3c7", "color": "#b45309"},
    "shared": {"shape": "cylinder", "style": "filled", "fillcolor": "#fef3c7", "color": "#b45309"},
    "block": {"shape": "box3d", "style": "filled", "fillcolor": "#ede9fe", "color": "#6d28d9"},
    "op": {"shape": "hexagon", "style": "filled", "fillcolor": "#f3f4f6"},
    "expr": {"shape": "parallelogram", "style": "filled", "fillcolor": "#f3f4f6"},
    "head": {"shape": "house", "style": "filled", "fillcolor": "#dcfce7", "color": "#15803d"},
    "port": {
        "shape": "ellipse",
        "style": "filled",
        "fillcolor": "#ede9fe",
        "color": "#6d28d9",
        "fontsize": "9",
        "margin": "0.04,0.02",
    },
}
_DOT_CLUSTER: Final = {
    "style": "rounded,filled",
    "fillcolor": "#faf5ff",
    "color": "#6d28d9",
    "fontsize": "10",
    "labeljust": "l",
}


def dot_escape(text: str) -> str:
    """Spec text made safe inside a double-quoted DOT string: `\\` and `"` escaped, and `&`
    written `&amp;` (Graphviz reads `&name;` in a label as an HTML entity)."""
    flat = CONTROL.sub(" ", text)
    return flat.replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')


def _dot_attributes(attributes: Mapping[str, str]) -> str:
    return ", ".join(f'{key}="{value}"' for key, value in attributes.items())


def _dot_label(lines: Sequence[str]) -> str:
    return "\\n".join(dot_escape(line) for line in lines)


def _faded(style: Mapping[str, str]) -> dict[str, str]:
    """A pruned vertex's or cluster's style: dashed grey outline and text, a near-white fill."""
    styles = [s for s in style.get("style", "").split(",") if s]
    return {
        **style,
        "style": ",".join([*styles, "dashed"]),
        "fillcolor": "#f9fafb",
        "color": _FADED,
        "fontcolor": "#6b7280",
    }


def _dot_members(members: Sequence[_Vertex | _Cluster], indent: str) -> Iterator[str]:
    for member in members:
        if isinstance(member, _Cluster):
            style = _faded(_DOT_CLUSTER) if member.pruned else dict(_DOT_CLUSTER)
            style["label"] = "".join(f"{dot_escape(line)}\\l" for line in member.lines)
            yield f'{indent}subgraph "{dot_escape(member.id)}" {{'
            yield f"{indent}    graph [{_dot_attributes(style)}];"
            yield from _dot_members(member.members, indent + "    ")
            yield f"{indent}}}"
            continue
        style = {**_DOT_STYLES[member.kind], "label": _dot_label(member.lines)}
        if member.pruned:
            style = _faded(style)
        yield f'{indent}"{dot_escape(member.id)}" [{_dot_attributes(style)}];'


def render_dot(plan: Plan) -> str:
    """A Graphviz digraph of the plan's top-level graph: block instances as clusters with their
    body (within `MAX_EXPANDED`), pruned parts dashed and grey, shared weights dotted."""
    drawing = _collect(plan, expand_blocks=True)
    title = dot_escape(drawing.title)
    graph = {**_DOT_GRAPH, **layout_attributes(len(drawing.vertices))}
    out = [
        f'digraph "{title}" {{',
        f'    graph [label="{title}", {_dot_attributes(graph)}];',
        f"    node [{_dot_attributes(_DOT_NODE)}];",
        f"    edge [{_dot_attributes(_DOT_EDGE)}];",
        *_dot_members(drawing.members, "    "),
    ]
    for edge in drawing.edges:
        attributes: dict[str, str] = {}
        if edge.label:
            attributes["label"] = dot_escape(edge.label)
        if edge.shares:
            attributes |= {"style": "dotted", "arrowhead": "none", "color": "#b45309"}
            attributes["penwidth"] = "1.5"
        elif edge.pruned:
            attributes |= {"style": "dashed", "color": _FADED}
        suffix = f" [{_dot_attributes(attributes)}]" if attributes else ""
        source, target = dot_escape(edge.source), dot_escape(edge.target)
        out.append(f'    "{source}" -> "{target}"{suffix};')
    out.append("}")
    return "\n".join(out) + "\n"


FORMATS: Final[Mapping[str, Callable[[Plan], str]]] = {
    "mermaid": render_mermaid,
    "dot": render_dot,
}
"""The text formats of `graphspec graph --format` and their renderers; the pictures (svg, png:
`graphspec.views.render`) and the page (html: `graphspec.views.html`) are drawn from them."""


def render(plan: Plan, format: str = "mermaid") -> str:
    """Render with the named format (one of `FORMATS`); ValueError for another name."""
    try:
        renderer = FORMATS[format]
    except KeyError:
        choices: Sequence[str] = sorted(FORMATS)
        raise ValueError(f"unknown graph format {format!r}; choose from {choices}") from None
    return renderer(plan)
