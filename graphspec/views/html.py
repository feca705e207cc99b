"""`graphspec graph --format html`: one self-contained page with the drawing (laid out by
Graphviz), pan and zoom, a panel that shows a clicked vertex's layer, arguments, shape,
parameters and line in the spec, and the diagnostics at their vertices.

The page loads nothing: its script and style are inline (`graphspec/views/assets/`), allowed
by their hashes in a Content-Security-Policy whose `default-src 'none'` refuses every other
load. What a spec controls reaches the page in three places, each escaped for its context:
the drawing (dot's SVG, parsed and written again from an allowlist of elements and
attributes), the vertex data (JSON in a `<script type="application/json">`, with `<`, `>`
and `&` as `\\u` escapes) and a few HTML texts (`html.escape`); the script shows the data
with `textContent` only. The same spec and diagnostics give the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import PurePath
from typing import Any, Final

import networkx as nx

from graphspec.analyse.plan import NodeStatic, Plan
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

__all__ = ["render_html", "svg_markup", "vertex_ids"]

MAX_SOURCE_LINES: Final = 12
"""Longest excerpt of the spec shown for one vertex, in lines."""

_SECTIONS: Final = (("inputs", "in"), ("shared", "shared"), ("nodes", "n"), ("outputs", "out"))
"""Spec section → the prefix `graphspec.views.drawing` gives its vertex ids."""
_ID_LENGTH: Final = 64
"""How much of a name a vertex id keeps (`graphspec.views.drawing._Ids`)."""

Row = tuple[str, str, str]
"""One line of the panel: (field, label, value); the page marks each value with its field."""


# ---- which drawn vertex is which spec entry -----------------------------------------------


def vertex_ids(spec: Spec) -> dict[str, tuple[str, str]]:
    """DOT vertex id → (spec section, name) for the entries the drawing draws.

    Names are identifiers, so a vertex id is the section's prefix and the name cut to 64
    characters. Two names of a section that share those 64 characters have ids decided by
    drawing order; both are left out rather than guessed (the panel's list still has them).
    """
    found: dict[str, tuple[str, str]] = {}
    ambiguous: set[str] = set()
    for section, prefix in _SECTIONS:
        entries: Mapping[str, Any] = getattr(spec, section)
        for name in entries:
            vertex = f"{prefix}_{name[:_ID_LENGTH]}"
            if vertex in found:
                ambiguous.add(vertex)
            found[vertex] = (section, name)
    return {vertex: entry for vertex, entry in found.items() if vertex not in ambiguous}


# ---- the drawing: dot's SVG, written again from an allowlist --------------------------------

_SVG_NS: Final = "{http://www.w3.org/2000/svg}"
_ELEMENTS: Final = frozenset(
    {"svg", "g", "title", "polygon", "polyline", "path", "ellipse", "circle", "rect", "line"}
    | {"text", "tspan"}
)
_ATTRIBUTES: Final = frozenset(
    {"id", "class", "points", "d", "cx", "cy", "r", "rx", "ry", "x", "y", "x1", "y1", "x2"}
    | {"y2", "width", "height", "transform", "fill", "stroke", "stroke-width", "opacity"}
    | {"stroke-dasharray", "stroke-opacity", "fill-opacity", "text-anchor", "font-family"}
    | {"font-size", "font-weight", "font-style", "text-decoration", "dominant-baseline"}
)
_NUMBER = re.compile(r"-?[0-9.]+")


def _text(value: str | None) -> str:
    return html.escape(value or "", quote=False)


def _write_element(element: ElementTree.Element, out: list[str]) -> None:
    tag = element.tag.removeprefix(_SVG_NS)
    if tag in _ELEMENTS:
        attributes = "".join(
            f' {key}="{html.escape(value)}"'
            for key, value in sorted(element.attrib.items())
            if key in _ATTRIBUTES
        )
        out.append(f"<{tag}{attributes}>{_text(element.text)}")
        for child in element:
            _write_element(child, out)
        out.append(f"</{tag}>")
    if element.tail and element.tail.strip():
        out.append(_text(element.tail))


def svg_markup(svg: bytes) -> tuple[str, float, float]:
    """dot's SVG as inline markup for the page, with its width and height in user units.

    Only drawing elements and presentation attributes are kept (no links, scripts, styles,
    namespaces or comments), every text and value escaped again; the drawing's groups go in
    one `<g id="gs-viewport">` that panning and zooming transform.
    """
    root = ElementTree.fromstring(svg)  # dot writes well-formed XML; no DTD is fetched
    box = [float(n) for n in _NUMBER.findall(root.get("viewBox", ""))][2:4]
    width, height = box if len(box) == 2 else (0.0, 0.0)
    out = [
        f'<svg id="gs-drawing" role="img" aria-label="the graph" '
        f'data-width="{width:g}" data-height="{height:g}"><g id="gs-viewport">'
    ]
    for child in root:
        _write_element(child, out)
    out.append("</g></svg>")
    return "".join(out), width, height


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


def _parameters(trainable: int | None, non_trainable: int | None) -> str:
    """`1,234 (trainable 1,200, non-trainable 34)`; unknown where a layer has no rule."""
    if trainable is None or non_trainable is None:
        known = f"trainable {_count(trainable)}, non-trainable {_count(non_trainable)}"
        return f"unknown ({known})"
    total = trainable + non_trainable
    if not non_trainable:
        return f"{total:,} (all trainable)" if total else "0"
    return f"{total:,} (trainable {trainable:,}, non-trainable {non_trainable:,})"


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
    for key in ("from", "layer", "sequence", "use", "block", "op", "expr"):
        written.pop(key, None)
    return [(key, _value(value)) for key, value in written.items()]


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
    rows.append(("parameters", "parameters", _parameters(static.trainable, static.non_trainable)))
    return rows


def _pruned_row(pruned: bool) -> Row:
    return ("pruned", "pruned", "yes: not built, no weights" if pruned else "no")


def _depends_on(plan: Plan, source: str) -> str:
    """The parameters of everything a head's source node reads, itself included."""
    graph: nx.DiGraph = plan.top.graph
    names = {source} | (set(nx.ancestors(graph, source)) if source in graph else set())
    statics = [plan.static[name] for name in sorted(names) if name in plan.static]
    trainable = _sum(s.trainable for s in statics)
    non_trainable = _sum(s.non_trainable for s in statics)
    return _parameters(trainable, non_trainable)


def _sum(values: Iterable[int | None]) -> int | None:
    total = 0
    for value in values:
        if value is None:
            return None
        total += value
    return total


def _entry_rows(
    plan: Plan, section: str, name: str
) -> tuple[str, list[Row], list[tuple[str, str]]]:
    """The kind, the rows and the arguments the panel shows for one spec entry."""
    spec = plan.spec
    if section == "inputs":
        entry = spec.inputs[name]
        rows: list[Row] = [
            ("shape", "shape", format_shape(entry.shape, batch=True)),
            ("dtype", "dtype", str(entry.dtype)),
            _pruned_row(name in plan.top.pruned_inputs),
        ]
        return "input", rows, []
    if section == "outputs":
        head = spec.outputs[name]
        base = head.from_.partition(".")[0]
        rows = [
            ("from", "from", head.from_),
            ("shape", "output shape", format_shape(plan.head_shapes.get(name), batch=True)),
            ("loss", "loss", str(head.loss) if head.loss is not None else "none"),
        ]
        if head.loss_weight is not None:
            rows.append(("loss_weight", "loss weight", f"{head.loss_weight:g}"))
        metrics = ", ".join(str(metric) for metric in head.metrics)
        rows.append(("metrics", "metrics", metrics or "none"))
        rows.append(("parameters", "parameters it depends on", _depends_on(plan, base)))
        return "head", rows, []
    if section == "shared":
        shared = spec.shared[name]
        what = shared.layer if isinstance(shared, SharedLayer) else f"block {shared.block}"
        uses = _uses(spec, name)
        statics = [plan.static[use] for use in uses if use in plan.static]
        trainable = _sum(s.trainable for s in statics)
        rows = [
            ("layer", "layer", what),
            ("uses", "used by", ", ".join(uses) or "none"),
            (
                "parameters",
                "parameters",
                _parameters(trainable, _sum(s.non_trainable for s in statics)),
            ),
            _pruned_row(name in plan.pruned_shared),
        ]
        written = shared.model_dump(by_alias=True, exclude_defaults=True)
        written.pop("layer", None)
        written.pop("block", None)
        return "shared entry", rows, [(k, _value(v)) for k, v in written.items()]
    node = spec.nodes[name]
    kind, what = _describe(node, spec)
    rows = [("layer", "layer", what)]
    rows.append(("from", "from", _references(node.from_)))
    pruned = name in plan.top.pruned_nodes
    rows.extend(_static_rows(None if pruned else plan.static.get(name)))
    if isinstance(node, UseNode):
        together = ", ".join(_uses(spec, node.use))
        note = f"shared entry {node.use}, used by {together}; counted once, at the first use"
        rows.append(("weights", "weights", note))
    rows.append(_pruned_row(pruned))
    return kind, rows, _node_arguments(node)


def _uses(spec: Spec, entry: str) -> list[str]:
    """The nodes that use a shared entry, in declaration order."""
    return [n for n, node in spec.nodes.items() if isinstance(node, UseNode) and node.use == entry]


def _excerpt(lines: Sequence[str], line: int) -> list[str]:
    """The entry's lines: its key's line and the lines indented below it (at most 12)."""
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


@dataclass(frozen=True)
class _Place:
    file: str
    line: int
    excerpt: list[str]


def _place(spec: Spec, path: SpecPath) -> _Place | None:
    source = spec.source
    if source is None:
        return None
    location = source.locate_key(path)
    return _Place(PurePath(source.file).name, location.line, _excerpt(source.lines, location.line))


def _diagnostic_vertex(path: SpecPath, entries: Mapping[tuple[str, str], str]) -> str | None:
    """The drawn vertex a diagnostic's spec path points into (None for blocks, compile...)."""
    if len(path) >= 2 and isinstance(path[0], str) and isinstance(path[1], str):
        return entries.get((path[0], path[1]))
    return None


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


def _page_data(plan: Plan, diagnostics: Sequence[Diagnostic], drawn: set[str]) -> dict[str, Any]:
    """Everything the script shows, by vertex id; diagnostics in file order."""
    ids = vertex_ids(plan.spec)
    entries = {entry: vertex for vertex, entry in ids.items() if vertex in drawn}
    listed = [_diagnostic(d, _diagnostic_vertex(d.path, entries)) for d in diagnostics]
    vertices: dict[str, Any] = {}
    for vertex, (section, name) in ids.items():
        if vertex not in drawn:
            continue
        kind, rows, arguments = _entry_rows(plan, section, name)
        place = _place(plan.spec, (section, name))
        if place is not None:
            rows.append(("line", "line in the spec", f"{place.file}:{place.line}"))
        vertices[vertex] = {
            "name": name,
            "kind": kind,
            "rows": rows,
            "arguments": arguments,
            "source": place.excerpt if place else [],
            "line": place.line if place else 0,
            "diagnostics": [i for i, d in enumerate(listed) if d["vertex"] == vertex],
        }
    return {
        "name": plan.spec.name,
        "parameters": _parameters(plan.trainable, plan.non_trainable),
        "vertices": vertices,
        "diagnostics": listed,
    }


def json_for_script(data: Any) -> str:
    """JSON safe inside a `<script>` element: `<`, `>` and `&` (only ever inside strings)
    as `\\u` escapes, so no `</script>` or `<!--` can end or change the element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# ---- the page ----------------------------------------------------------------------------


def _asset(name: str) -> str:
    return (resources.files("graphspec.views") / "assets" / name).read_text(encoding="utf-8")


def _hash(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def content_security_policy(script: str, style: str) -> str:
    """Nothing may load; only the page's own script and style run, by their hashes."""
    return (
        "default-src 'none'; "
        f"script-src {_hash(script)}; style-src {_hash(style)}; "
        "img-src 'none'; font-src 'none'; connect-src 'none'; "
        "base-uri 'none'; form-action 'none'"
    )


def render_html(plan: Plan, diagnostics: Sequence[Diagnostic]) -> str:
    """The page for one analysed spec and the diagnostics its check reported.

    Raises `graphspec.views.render.DotMissing` when Graphviz's dot is not installed.
    """
    from graphspec.views.drawing import render_dot
    from graphspec.views.render import run_dot

    drawing, _, _ = svg_markup(run_dot(render_dot(plan), "svg"))
    drawn = set(re.findall(r"<title>([A-Za-z0-9_]+)</title>", drawing))
    data = _page_data(plan, diagnostics, drawn)
    script, style = _asset("page.js"), _asset("page.css")
    title = html.escape(f"{plan.spec.name}: graphspec")
    description = html.escape(plan.spec.description or "")
    counts = f"{len(plan.spec.nodes)} nodes, {len(diagnostics)} diagnostics"
    return (
        "\n".join(
            [
                "<!DOCTYPE html>",
                '<html lang="en">',
                "<head>",
                '<meta charset="utf-8">',
                '<meta http-equiv="Content-Security-Policy" content="'
                f'{content_security_policy(script, style)}">',
                '<meta name="referrer" content="no-referrer">',
                '<meta name="viewport" content="width=device-width, initial-scale=1">',
                '<meta name="generator" content="graphspec">',
                f"<title>{title}</title>",
                f"<style>{style}</style>",
                "</head>",
                "<body>",
                '<header id="gs-header">',
                f'<h1 id="gs-title">{html.escape(plan.spec.name)}</h1>',
                f'<p id="gs-summary">{counts}; parameters {html.escape(data["parameters"])}</p>',
                f'<p id="gs-description">{description}</p>',
                '<nav id="gs-tools" aria-label="find and zoom">'
                '<input id="gs-find" type="search" list="gs-names" placeholder="find a node" '
                'aria-label="find a node by name" autocomplete="off">'
                '<datalist id="gs-names"></datalist>'
                '<button type="button" id="gs-zoom-in" title="zoom in (+)">+</button>'
                '<button type="button" id="gs-zoom-out" title="zoom out (−)">−</button>'
                '<button type="button" id="gs-fit" title="fit to the window (0)">fit</button>'
                "</nav>",
                "</header>",
                "<main>",
                f'<div id="gs-canvas">{drawing}</div>',
                '<aside id="gs-panel">',
                '<section id="gs-details" aria-live="polite">'
                '<p class="gs-hint">Click a node, an input or a head to see it here.</p>'
                "</section>",
                '<section id="gs-diagnostics-section"><h2>Diagnostics</h2>'
                '<ul id="gs-diagnostics"></ul></section>',
                "</aside>",
                "</main>",
                f'<script type="application/json" id="gs-data">{json_for_script(data)}</script>',
                f"<script>{script}</script>",
                "</body>",
                "</html>",
            ]
        )
        + "\n"
    )
