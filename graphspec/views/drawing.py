"""Draw a Plan's top-level graph as Mermaid or Graphviz DOT text (`graphspec graph`).

Pure text generation: no Keras, no graphviz package. Both formats draw the same picture,
collected once into vertices and edges:

- inputs as stadiums / `invhouse`, heads as output shapes fed by their source node;
- layer nodes `name: Dense`, sequences `name: Conv2D → MaxPooling2D → Flatten`, merges as
  hexagons, expressions as parallelograms, block instances `name: block cnn ×2` as boxes;
- `use` nodes filled, each joined by a dotted line to its `shared: entry` node;
- pruned nodes, inputs and shared entries, and every edge into them, dashed.

Everything a spec controls (names, expressions, losses) is escaped for the target syntax, and
the output follows declaration order, so the same spec always gives the same text. Labels show
each node's static output shape (`plan.static[name].shape`) where it is known.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from graphspec.analyse.plan import Plan
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

Kind = Literal["input", "layer", "sequence", "use", "shared", "block", "op", "expr", "head"]

MAX_LABEL: Final = 60
"""Longest piece of spec text (an expression, a layer chain) shown in a label, in characters."""
MAX_CHAIN: Final = 4
"""Longest layer chain shown in full; longer sequences show their ends and a count."""

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
class _Drawing:
    title: str
    vertices: tuple[_Vertex, ...]
    edges: tuple[_Edge, ...]


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
    """Vertex ids safe in both syntaxes: a prefix per section plus the name, made unique."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.ids: dict[tuple[str, str], str] = {}

    def __call__(self, section: str, name: str) -> str:
        key = (section, name)
        if key not in self.ids:
            base = f"{section}_{_NOT_ID.sub('_', name)[:64]}"
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


def _collect(plan: Plan) -> _Drawing:
    """The vertices and edges both formats draw, in declaration order."""
    spec = plan.spec
    ids = _Ids()
    vertices: list[_Vertex] = []
    edges: list[_Edge] = []
    pruned_nodes = plan.top.pruned_nodes
    pruned_inputs = plan.top.pruned_inputs

    def shape_line(name: str) -> tuple[str, ...]:
        entry = plan.static.get(name)  # none for a pruned node
        if entry is None:
            return ()
        shape = _format_shape(entry.shape)
        if shape is None and entry.outputs:  # several block outputs
            shapes = ((key, _format_shape(value)) for key, value in entry.outputs.items())
            shape = _shorten(", ".join(f"{key}: {text or '?'}" for key, text in shapes))
        return (shape,) if shape else ()

    for name, model_input in spec.inputs.items():
        lines = (name, f"{_format_shape(model_input.shape)} {model_input.dtype}")
        vertices.append(_Vertex(ids("in", name), "input", lines, name in pruned_inputs))

    for name, shared in spec.shared.items():
        what = shared.layer if isinstance(shared, SharedLayer) else f"block {shared.block}"
        pruned = name in plan.pruned_shared
        vertices.append(_Vertex(ids("shared", name), "shared", (f"shared: {name}", what), pruned))

    def resolve(ref: str) -> tuple[str, str] | None:
        """The vertex id a reference reads and the block output it picks ('' for none)."""
        base, _, output = ref.partition(".")
        if base in spec.nodes:
            return ids("n", base), output
        if base in spec.inputs:
            return ids("in", base), output
        return None  # a sound Plan resolves every reference; draw nothing rather than guess

    for name, node in spec.nodes.items():
        kind, text = _describe(node)
        pruned = name in pruned_nodes
        node_id = ids("n", name)
        vertices.append(_Vertex(node_id, kind, (f"{name}: {text}", *shape_line(name)), pruned))
        seen: set[tuple[str, str]] = set()
        for ref, path in node.refs():  # an expr's `from` keys name the bindings, as do
            key = path[1]  # the call arguments (`call: {initial_state: [...]}`)
            binding = key if isinstance(key, str) else ""
            found = resolve(ref)
            if found is None:
                continue
            source, output = found
            label = " as ".join(part for part in (output, binding) if part)
            if (source, label) in seen:
                continue
            seen.add((source, label))
            edges.append(_Edge(source, node_id, label, pruned))
        if isinstance(node, UseNode) and node.use in spec.shared:
            edges.append(_Edge(ids("shared", node.use), node_id, "", pruned, shares=True))

    for head, head_spec in spec.outputs.items():
        details = [f"loss: {head_spec.loss}" if head_spec.loss else ""]
        if head_spec.loss_weight is not None:
            details.append(f"× {head_spec.loss_weight:g}")
        detail = _shorten(" ".join(d for d in details if d))
        head_id = ids("out", head)
        vertices.append(_Vertex(head_id, "head", (head, detail) if detail else (head,), False))
        found = resolve(head_spec.from_)
        if found is not None:
            edges.append(_Edge(found[0], head_id, found[1], False))
    return _Drawing(spec.name, tuple(vertices), tuple(edges))


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

_DOT_STYLES: Final[Mapping[Kind, Mapping[str, str]]] = {
    "input": {"shape": "invhouse", "style": "filled", "fillcolor": "#e3f2fd"},
    "layer": {"shape": "box"},
    "sequence": {"shape": "box", "style": "rounded"},
    "use": {"shape": "box", "style": "filled", "fillcolor": "#fff3cd"},
    "shared": {"shape": "cylinder", "style": "filled", "fillcolor": "#fff3cd"},
    "block": {"shape": "box3d", "style": "filled", "fillcolor": "#f3e5f5"},
    "op": {"shape": "hexagon"},
    "expr": {"shape": "parallelogram"},
    "head": {"shape": "house", "style": "filled", "fillcolor": "#e8f5e9"},
}


def dot_escape(text: str) -> str:
    """Spec text made safe inside a double-quoted DOT string: `\\` and `"` escaped."""
    flat = CONTROL.sub(" ", text)
    return flat.replace("\\", "\\\\").replace('"', '\\"')


def _dot_attributes(attributes: Mapping[str, str]) -> str:
    return ", ".join(f'{key}="{value}"' for key, value in attributes.items())


def render_dot(plan: Plan) -> str:
    """A Graphviz digraph of the plan's top-level graph (pruned parts dashed)."""
    drawing = _collect(plan)
    out = [
        f'digraph "{dot_escape(drawing.title)}" {{',
        f'    graph [rankdir="TB", label="{dot_escape(drawing.title)}", labelloc="t"];',
        '    node [fontname="Helvetica", fontsize="11"];',
        '    edge [fontname="Helvetica", fontsize="9"];',
    ]
    for vertex in drawing.vertices:
        style = dict(_DOT_STYLES[vertex.kind])
        style["label"] = "\\n".join(dot_escape(line) for line in vertex.lines)
        if vertex.pruned:
            styles = [s for s in style.get("style", "").split(",") if s]
            style["style"] = ",".join([*styles, "dashed"])
            style["fontcolor"] = "#777777"
        out.append(f'    "{vertex.id}" [{_dot_attributes(style)}];')
    for edge in drawing.edges:
        attributes: dict[str, str] = {}
        if edge.label:
            attributes["label"] = dot_escape(edge.label)
        if edge.shares:
            attributes |= {"style": "dotted", "arrowhead": "none", "color": "#b8860b"}
        elif edge.pruned:
            attributes["style"] = "dashed"
        suffix = f" [{_dot_attributes(attributes)}]" if attributes else ""
        out.append(f'    "{edge.source}" -> "{edge.target}"{suffix};')
    out.append("}")
    return "\n".join(out) + "\n"


FORMATS: Final[Mapping[str, Callable[[Plan], str]]] = {
    "mermaid": render_mermaid,
    "dot": render_dot,
}
"""`graphspec graph --format` choices and their renderers."""


def render(plan: Plan, format: str = "mermaid") -> str:
    """Render with the named format (one of `FORMATS`); ValueError for another name."""
    try:
        renderer = FORMATS[format]
    except KeyError:
        choices: Sequence[str] = sorted(FORMATS)
        raise ValueError(f"unknown graph format {format!r}; choose from {choices}") from None
    return renderer(plan)
