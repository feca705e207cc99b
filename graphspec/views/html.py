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
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from graphspec.analyse.plan import Plan
from graphspec.diagnostics import Diagnostic
from graphspec.views.vertices import page_data

__all__ = ["Drawing", "content_security_policy", "json_for_script", "render_html", "svg_markup"]

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
    """Text escaped for HTML; dot's line breaks between elements (blank text) left out."""
    if value is None or not value.strip():
        return ""
    return html.escape(value, quote=False)


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
    out.append(_text(element.tail))


@dataclass(frozen=True)
class Drawing:
    """dot's SVG made ready for the page."""

    markup: str
    width: float
    height: float
    """The drawing's size in user units (dot's viewBox), for fitting it to the window."""
    titles: frozenset[str]
    """The ids of its vertices and clusters (each one's `<title>`)."""


def _titles(root: ElementTree.Element) -> frozenset[str]:
    return frozenset(
        group.findtext(f"{_SVG_NS}title", "")
        for group in root.iter(f"{_SVG_NS}g")
        if group.get("class") in ("node", "cluster")
    )


def svg_markup(svg: bytes) -> Drawing:
    """dot's SVG as inline markup for the page.

    Only drawing elements and presentation attributes are kept (no links, scripts, styles,
    namespaces or comments), every text and value escaped again; the drawing's groups go in
    one `<g id="gs-viewport">` that panning and zooming transform.
    """
    root = ElementTree.fromstring(svg)  # dot writes well-formed XML; expat fetches no DTD
    box = [float(n) for n in _NUMBER.findall(root.get("viewBox", ""))][2:4]
    width, height = box if len(box) == 2 else (0.0, 0.0)
    out = [
        f'<svg id="gs-drawing" role="img" aria-label="the graph" '
        f'data-width="{width:g}" data-height="{height:g}"><g id="gs-viewport">'
    ]
    for child in root:
        _write_element(child, out)
    out.append("</g></svg>")
    return Drawing("".join(out), width, height, _titles(root))


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

    drawing = svg_markup(run_dot(render_dot(plan), "svg"))
    data = page_data(plan, diagnostics, drawing.titles)
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
                f'<div id="gs-canvas">{drawing.markup}</div>',
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
