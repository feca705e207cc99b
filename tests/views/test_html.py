"""`graph --format html` without a browser: the page's structure, its escaping, its
Content-Security-Policy, its determinism, and what the panel data says of each vertex."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from graphspec.analyse.plan import Plan
from graphspec.diagnostics import Diagnostic, Location, Severity, codes
from graphspec.pipeline import Report, check, check_path, check_text
from graphspec.spec.model import Spec
from graphspec.views.drawing import render_dot
from graphspec.views.html import json_for_script, render_html, svg_markup
from graphspec.views.render import DotMissing, run_dot
from graphspec.views.vertices import drawn_entries, excerpt
from tests.conftest import SPECS, spec_files, spec_options

SEEDS = SPECS / "seeds"

pytestmark = pytest.mark.skipif(
    shutil.which("dot") is None and not os.environ.get("CI"),
    reason="Graphviz's dot is not installed (make debian-tools installs it); required in CI",
)

HOSTILE = "</script><img src=x onerror=alert(1)>"
DESCRIPTION = json.dumps(HOSTILE + " \"quotes' & <!-- --> <svg onload=alert(2)>")
VOCABULARY = json.dumps([HOSTILE, "\"'&amp;", "<!--"])
HOSTILE_FILE = "<img src=x onerror=alert(4)>&quot;'.yaml"
"""A file name without a slash: the page shows the spec file's name, not its folders."""
HOSTILE_SPEC = f"""\
graphspec: 1.1
name: hostile
description: {DESCRIPTION}
unreachable: warning
inputs:
  words: {{shape: [1], dtype: string}}
  unused: {{shape: [3]}}
nodes:
  ids: {{layer: StringLookup, from: words, vocabulary: {VOCABULARY}}}
  emb: {{layer: Embedding, from: ids, input_dim: 8, output_dim: 4}}
  flat: {{layer: Flatten, from: emb}}
  dead: {{layer: Dense, from: unused, units: 2}}
outputs:
  y: {{from: flat, loss: mse}}
"""


def checked(path: Path) -> Report:
    report = check_path(path)
    assert report.plan is not None, [d.format() for d in report.diagnostics]
    return report


def plan_of(report: Report) -> Plan:
    assert report.plan is not None
    return report.plan


@pytest.fixture(scope="module")
def inception() -> tuple[Report, str]:
    report = checked(SEEDS / "seed002_inception.yaml")
    return report, render_html(plan_of(report), report.diagnostics)


@pytest.fixture(scope="module")
def pruned() -> tuple[Report, str]:
    report = checked(SEEDS / "seed001_ensemble_pruned.yaml")
    return report, render_html(plan_of(report), report.diagnostics)


@pytest.fixture(scope="module")
def hostile() -> str:
    report = check_text(HOSTILE_SPEC, name=HOSTILE_FILE)
    assert report.plan is not None, [d.format() for d in report.diagnostics]
    forged = Diagnostic(
        codes.UNREACHABLE,
        Severity.WARNING,
        f"a message with {HOSTILE}",
        Location("x.yaml", 9, 3),
        ("nodes", "ids"),
        hint=f"a hint with {HOSTILE} and ]]> and &amp;",
    )
    return render_html(report.plan, (*report.diagnostics, forged))


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each script element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._open = tag
            if tag == "script":
                self.scripts.append((dict(attrs), ""))
            else:
                self.styles.append("")

    def handle_endtag(self, tag: str) -> None:
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open == "script":
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        elif self._open == "style":
            self.styles[-1] += data


def parsed(text: str) -> _Tags:
    tags = _Tags()
    tags.feed(text)
    tags.close()
    return tags


def page_data(text: str) -> dict[str, Any]:
    scripts = [body for attrs, body in parsed(text).scripts if attrs.get("type")]
    assert len(scripts) == 1
    data: dict[str, Any] = json.loads(scripts[0])
    return data


def vertex_of(data: dict[str, Any], qualified: str) -> str:
    """The id of the vertex (or cluster) drawn for `qualified` (`cnn1/probs`)."""
    (found,) = [v for v, entry in data["vertices"].items() if entry["qualified"] == qualified]
    return str(found)


def panel(data: dict[str, Any], vertex: str) -> dict[str, str]:
    """A vertex's panel rows by field."""
    return {field: value for field, _, value in data["vertices"][vertex]["rows"]}


# ---- the page as a document ------------------------------------------------------------------


def test_page_is_one_document_with_its_script_and_style_inline(
    inception: tuple[Report, str],
) -> None:
    text = inception[1]
    assert text.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert text.rstrip().endswith("</html>")
    tags = parsed(text)
    names = [tag for tag, _ in tags.tags]
    assert names.count("svg") == 1
    assert "link" not in names and "iframe" not in names and "img" not in names
    assert all("src" not in attrs and "href" not in attrs for _, attrs in tags.tags)
    assert [attrs.get("type") for attrs, _ in tags.scripts] == ["application/json", None]
    assert len(tags.styles) == 1
    assert len(text) < 60_000  # small: the drawing, the data, about 16 kB of script and style


def test_page_names_no_network_address(inception: tuple[Report, str]) -> None:
    text = inception[1]
    assert not re.search(r"https?:|ftp:|//[a-z]", text, re.IGNORECASE)
    assert "xmlns" not in text and "<!--" not in text and "<?xml" not in text


def test_csp_refuses_every_load_and_allows_the_page_s_own_script_and_style_by_hash(
    inception: tuple[Report, str],
) -> None:
    text = inception[1]
    tags = parsed(text)
    metas = [attrs for tag, attrs in tags.tags if tag == "meta" and attrs.get("http-equiv")]
    assert [m["http-equiv"] for m in metas] == ["Content-Security-Policy"]
    policy = dict(
        (part.split()[0], part.split()[1:]) for part in str(metas[0]["content"]).split(";")
    )
    assert policy["default-src"] == ["'none'"]
    assert policy["connect-src"] == policy["img-src"] == policy["base-uri"] == ["'none'"]
    script = next(body for attrs, body in tags.scripts if not attrs)

    def digest(body: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"

    assert policy["script-src"] == [digest(script)]
    assert policy["style-src"] == [digest(tags.styles[0])]
    assert "unsafe" not in str(metas[0]["content"])
    # the first thing in <head> after the charset, so it covers everything after it
    assert text.index("Content-Security-Policy") < text.index("<style>")


def test_same_spec_gives_the_same_bytes(inception: tuple[Report, str]) -> None:
    again = checked(SEEDS / "seed002_inception.yaml")
    assert render_html(plan_of(again), again.diagnostics) == inception[1]


def test_missing_dot_is_reported_not_hidden(
    inception: tuple[Report, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_dot(dot_text: str, image_format: str) -> bytes:
        raise DotMissing("Graphviz's dot is not on PATH")

    monkeypatch.setattr("graphspec.views.render.run_dot", no_dot)
    with pytest.raises(DotMissing):
        render_html(plan_of(inception[0]), ())


# ---- escaping --------------------------------------------------------------------------------


def test_hostile_text_stays_text(hostile: str) -> None:
    tags = parsed(hostile)
    names = [tag for tag, _ in tags.tags]
    assert "img" not in names
    assert len(tags.scripts) == 2  # the data and the page's own script, nothing injected
    assert all(not key.startswith("on") for _, attrs in tags.tags for key in attrs)
    assert "<img" not in hostile and "<svg onload" not in hostile
    assert "</script><" not in hostile.replace("</script>\n<", "")
    # the texts arrive intact: in the title and description (HTML), and in the data (JSON)
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in hostile
    data = page_data(hostile)
    arguments = dict(data["vertices"]["n_ids"]["arguments"])
    assert HOSTILE in arguments["vocabulary"]
    messages = [d["message"] for d in data["diagnostics"]]
    assert f"a message with {HOSTILE}" in messages
    assert data["vertices"]["in_words"]["rows"][-1][2] == f"{HOSTILE_FILE}:6"


def test_json_for_script_cannot_close_its_element() -> None:
    value = {"a</script>": "<!-- </SCRIPT> & \u2028"}
    text = json_for_script(value)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == value


def test_svg_keeps_only_drawing_elements_and_attributes() -> None:
    svg = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     viewBox="0.00 0.00 120.50 80.00" width="121pt" height="80pt" onload="alert(1)">
<!-- a comment -->
<g id="graph0" class="graph" style="fill:red"><title>&lt;/script&gt;</title>
<script>alert(2)</script>
<a xlink:href="https://example.com/"><text x="1" y="2">link &amp; text</text></a>
<foreignObject><div>html</div></foreignObject>
<polygon fill="white" points="0,0 1,1" onclick="alert(3)"/>
<image xlink:href="https://example.com/x.png"/>
</g></svg>"""
    drawing = svg_markup(svg)
    assert (drawing.width, drawing.height) == (120.5, 80.0)
    assert drawing.titles == frozenset()  # no vertex: the graph's own group is neither
    assert drawing.markup == (
        '<svg id="gs-drawing" role="img" aria-label="the graph" data-width="120.5" '
        'data-height="80"><g id="gs-viewport"><g class="graph" id="graph0">'
        '<title>&lt;/script&gt;</title><polygon fill="white" points="0,0 1,1"></polygon>'
        "</g></g></svg>"
    )


# ---- what the panel shows --------------------------------------------------------------------


def test_inception_vertices_show_layer_shape_parameters_and_line(
    inception: tuple[Report, str],
) -> None:
    report, text = inception
    data = page_data(text)
    assert sorted(data["vertices"]) == sorted(
        ["in_x", "n_branch_a", "n_branch_b", "n_branch_c", "n_branch_d", "n_output", "out_output"]
    )
    branch_b = panel(data, "n_branch_b")
    assert branch_b["layer"] == "Conv2D → Conv2D"
    assert branch_b["shape"] == "(None, 16, 16, 128)"
    static = plan_of(report).static["branch_b"]
    assert static.params == (64 * 128 + 128) + (9 * 128 * 128 + 128)
    assert branch_b["parameters"] == f"{static.params:,} (all trainable)"
    assert branch_b["pruned"] == "no"
    assert branch_b["line"] == "seed002_inception.yaml:17"
    vertex = data["vertices"]["n_branch_b"]
    assert vertex["line"] == 17 and vertex["source"][0] == "  branch_b:"
    assert vertex["source"][-1].strip().startswith("- {layer: Conv2D, filters: 128, kernel_size: 3")
    assert vertex["arguments"][1] == (
        [
            "[1] Conv2D",
            "filters: 128, kernel_size: 3, strides: 2, padding: same, activation: relu",
        ]
    )
    branch_a = dict(data["vertices"]["n_branch_a"]["arguments"])
    assert branch_a == {
        "filters": "128",
        "kernel_size": "1",
        "strides": "2",
        "activation": "relu",
    }
    merge = panel(data, "n_output")
    assert (merge["layer"], merge["shape"]) == ("concatenate", "(None, 16, 16, 512)")
    assert panel(data, "in_x")["shape"] == "(None, 32, 32, 64)"
    head = panel(data, "out_output")
    assert head["from"] == "output" and head["loss"] == "none"
    assert head["parameters"] == f"{plan_of(report).trainable:,} (all trainable)"
    assert data["diagnostics"] == []


def test_pruned_branch_carries_its_gs401_warning(pruned: tuple[Report, str]) -> None:
    data = page_data(pruned[1])
    cnn3 = vertex_of(data, "cnn3")
    assert cnn3 == "cluster_n_cnn3"  # a block instance drawn with its body
    (warning,) = data["diagnostics"]
    assert (warning["code"], warning["severity"], warning["vertex"]) == ("GS401", "warning", cnn3)
    assert warning["line"] == 32 and warning["path"] == "nodes.cnn3"
    assert data["vertices"][cnn3]["diagnostics"] == [0]
    assert panel(data, cnn3)["pruned"] == "yes: not built, no weights"
    assert panel(data, vertex_of(data, "cnn1"))["pruned"] == "no"
    assert all(entry["diagnostics"] == [] for v, entry in data["vertices"].items() if v != cnn3)
    head = panel(data, "out_prediction")
    assert (head["loss"], head["metrics"]) == ("categorical_crossentropy", "accuracy")
    cnn1 = data["vertices"][vertex_of(data, "cnn1")]
    assert dict(cnn1["arguments"]) == {"with": '{"classes": 10}'}


def test_block_bodies_show_their_members_per_instance(pruned: tuple[Report, str]) -> None:
    data = page_data(pruned[1])
    probs = panel(data, vertex_of(data, "cnn1/probs"))
    assert probs["layer"] == "Dense" and probs["from"] == "features"
    assert probs["instance"] == "cnn1 (block cnn, classes=10)"
    assert probs["pruned"] == "no"
    assert probs["line"] == "seed001_ensemble_pruned.yaml:26"
    vertex = data["vertices"][vertex_of(data, "cnn1/probs")]
    assert vertex["kind"] == "layer in block cnn"
    assert dict(vertex["arguments"])["units"] == "10"  # `${classes}`, as the instance builds it
    assert vertex["source"][0].strip().startswith("probs: {layer: Dense")
    assert panel(data, vertex_of(data, "cnn3/probs"))["pruned"] == "yes: not built, no weights"
    port = panel(data, vertex_of(data, "cnn1/x"))
    assert (port["from"], port["line"]) == ("image", "seed001_ensemble_pruned.yaml:16")
    out = panel(data, vertex_of(data, "cnn1/y"))
    assert (out["from"], out["shape"]) == ("probs", "(None, 10)")
    features = data["vertices"][vertex_of(data, "cnn2/features")]
    assert features["arguments"][0][0] == "[0] Conv2D"


def test_a_diagnostic_in_a_block_body_marks_it_in_every_instance(
    pruned: tuple[Report, str],
) -> None:
    report = pruned[0]
    inside = Diagnostic(
        codes.UNREACHABLE,
        Severity.INFO,
        "inside",
        Location("f", 26, 7),
        ("blocks", "cnn", "nodes", "probs", "units"),
    )
    data = page_data(render_html(plan_of(report), (inside,)))
    marked = [
        data["vertices"][v]["qualified"]
        for v in data["vertices"]
        if data["vertices"][v]["diagnostics"]
    ]
    assert marked == ["cnn1/probs", "cnn2/probs", "cnn3/probs"]
    assert data["diagnostics"][0]["vertex"] == vertex_of(data, "cnn1/probs")


def test_a_diagnostic_outside_the_drawing_is_listed_without_a_vertex(
    pruned: tuple[Report, str],
) -> None:
    report = pruned[0]
    elsewhere = Diagnostic(
        codes.UNREACHABLE, Severity.INFO, "in a block", Location("f", 20, 7), ("blocks", "cnn")
    )
    data = page_data(render_html(plan_of(report), (*report.diagnostics, elsewhere)))
    assert [d["vertex"] for d in data["diagnostics"]] == ["cluster_n_cnn3", None]


_VERTEX_TITLE = re.compile(r'<g class="(?:node|cluster)" id="[a-z]+[0-9]+"><title>([^<]*)</title>')


@pytest.mark.parametrize("path", spec_files(custom=True), ids=lambda p: p.stem)
def test_every_drawn_vertex_of_every_spec_has_its_panel(path: Path) -> None:
    report = check_path(path, spec_options(path))
    plan = plan_of(report)
    text = render_html(plan, report.diagnostics)
    data = page_data(text)
    spec = plan.spec
    vertices = data["vertices"]
    top = {entry["qualified"] for entry in vertices.values() if "/" not in entry["qualified"]}
    assert top == set(spec.inputs) | set(spec.shared) | set(spec.nodes) | set(spec.outputs)
    assert set(vertices) == set(_VERTEX_TITLE.findall(text))
    assert all(vertex["line"] > 0 and vertex["source"] for vertex in vertices.values())
    for diagnostic in data["diagnostics"]:  # one about a top-level entry is at its vertex
        if diagnostic["path"].split(".")[0] in ("inputs", "shared", "nodes", "outputs"):
            assert diagnostic["vertex"] in vertices


def test_vertex_ids_leave_out_names_the_drawing_cannot_tell_apart() -> None:
    long = "a" * 64
    text = f"""\
graphspec: 1
name: long_names
inputs:
  x: {{shape: [4]}}
nodes:
  {long}_one: {{layer: Dense, from: x, units: 2}}
  {long}_two: {{layer: Dense, from: {long}_one, units: 2}}
  short: {{layer: Dense, from: {long}_two, units: 2}}
outputs:
  y: short
"""
    report = check_text(text)
    assert report.plan is not None
    titles = svg_markup(run_dot(render_dot(report.plan), "svg")).titles
    assert len(titles) == 5  # the drawing has them all, as n_aaa…a and n_aaa…a_2
    entries = drawn_entries(report.plan, titles)
    assert {vertex: entry.path for vertex, entry in entries.items()} == {
        "in_x": ("inputs", "x"),
        "n_short": ("nodes", "short"),
        "out_y": ("outputs", "y"),
    }
    data = page_data(render_html(report.plan, report.diagnostics))
    assert sorted(data["vertices"]) == ["in_x", "n_short", "out_y"]


def test_excerpt_stops_at_the_next_entry() -> None:
    lines = ["nodes:", "  a:", "    from: x", "", "    layer: Dense", "  b: {}", "outputs:"]
    assert excerpt(lines, 2) == ["  a:", "    from: x", "", "    layer: Dense"]
    assert excerpt(lines, 6) == ["  b: {}"]
    assert excerpt(lines, 0) == []


def test_a_shared_entry_and_its_uses() -> None:
    report = checked(SEEDS / "seed002_siamese.yaml")
    data = page_data(render_html(plan_of(report), report.diagnostics))
    entry = panel(data, "shared_lstm")
    assert (entry["layer"], entry["uses"]) == ("LSTM", "left_output, right_output")
    static = plan_of(report).static
    lstm = 4 * (128 * 32 + 32 * 32 + 32)  # kernel, recurrent kernel, bias of 4 gates
    assert entry["parameters"] == f"{lstm:,} (all trainable)"
    assert static["left_output"].params == lstm
    assert static["right_output"].params == 0  # counted once
    assert dict(data["vertices"]["shared_lstm"]["arguments"]) == {"units": "32"}
    use = panel(data, "n_right_output")
    assert use["layer"] == "use lstm (LSTM)"
    assert use["weights"].startswith("shared entry lstm, used by left_output, right_output")


def test_a_spec_without_a_file_has_no_lines() -> None:
    spec = Spec.model_validate(
        {
            "graphspec": 1,
            "name": "in_memory",
            "inputs": {"x": {"shape": [4]}},
            "nodes": {"y": {"layer": "Dense", "from": "x", "units": 2}},
            "outputs": {"y": "y"},
        }
    )
    assert spec.source is None
    report = check(spec)
    data = page_data(render_html(plan_of(report), report.diagnostics))
    assert panel(data, "n_y")["shape"] == "(None, 2)"
    assert all(v["line"] == 0 and v["source"] == [] for v in data["vertices"].values())
    assert "line" not in panel(data, "n_y")
