"""`graphspec graph`: Mermaid and DOT drawings of a Plan, pruned parts dashed, text escaped."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import pytest

from graphspec.analyse.plan import NodeStatic, Plan, ScopePlan
from graphspec.pipeline import check, check_path, load, loads
from graphspec.spec.model import Spec
from graphspec.views import drawing
from graphspec.views.drawing import FORMATS, render, render_dot, render_mermaid
from tests.conftest import SPECS, spec_files

SEEDS = SPECS / "seeds"
ALL_SPECS = spec_files()


def plan_of(spec: Spec | Path) -> Plan:
    """The analysed Plan of a spec."""
    report = check(spec if isinstance(spec, Spec) else load(spec))
    assert report.plan is not None, [d.message for d in report.diagnostics]
    return report.plan


def mermaid_of(name: str) -> str:
    return render_mermaid(plan_of(SEEDS / name))


def dot_of(name: str) -> str:
    return render_dot(plan_of(SEEDS / name))


# ---- a tiny DOT reader: enough structure to prove the output is well formed ----------------

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|->|[{}\[\];,=]|[A-Za-z_][A-Za-z0-9_]*|\S')


def dot_tokens(text: str) -> list[str]:
    """DOT tokens; a quoted string is one token, so braces inside labels do not count."""
    return list(_TOKEN.findall(text))


def _strip_strings(text: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)


def dot_structure(text: str) -> tuple[set[str], list[tuple[str, str]]]:
    """Declared vertex ids and edges of our DOT output; asserts that the syntax is balanced
    and that every cluster (`subgraph "cluster_..." { ... }`) is closed."""
    outside = _strip_strings(text)
    assert '"' not in outside.replace('""', ""), "an unterminated string"
    depth = 0
    for char in outside:
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        assert depth >= 0, "a closing brace before its opening one"
    assert depth == 0, "unbalanced braces or brackets"
    assert outside.lstrip().startswith('digraph ""') and outside.rstrip().endswith("}")

    tokens = dot_tokens(text)
    assert tokens[:3] == ["digraph", tokens[1], "{"] and tokens[-1] == "}"
    body = tokens[3:-1]
    assert body[-1] == ";", "the last statement lacks its ';'"
    declared: set[str] = set()
    edges: list[tuple[str, str]] = []
    statement: list[str] = []
    open_clusters = 0
    for token in body:
        if token == "{":
            assert statement[0] == "subgraph" and statement[1].startswith('"cluster_'), statement
            assert len(statement) == 2, statement
            open_clusters += 1
            statement = []
            continue
        if token == "}" and not statement:
            open_clusters -= 1
            assert open_clusters >= 0
            continue
        if token != ";":
            statement.append(token)
            continue
        if statement[0] in ("graph", "node", "edge"):
            assert statement[1] == "[" and statement[-1] == "]", statement
        elif len(statement) > 2 and statement[1] == "->":
            assert len(statement) == 3 or statement[3] == "[", statement
            edges.append((statement[0], statement[2]))
        else:
            assert statement[1] == "[" and statement[-1] == "]", statement
            declared.add(statement[0])
        statement = []
    assert open_clusters == 0 and not statement
    return declared, edges


def dot_line(dot: str, vertex: str) -> str:
    """The statement that declares a vertex."""
    return next(line for line in dot.splitlines() if line.strip().startswith(f'"{vertex}" ['))


def cluster_of(dot: str, node: str) -> str:
    """The text of a block instance's cluster, from its opening line to its closing brace."""
    lines = dot.splitlines()
    start = next(i for i, line in enumerate(lines) if f'subgraph "cluster_{node}" {{' in line)
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    end = next(i for i in range(start + 1, len(lines)) if lines[i] == indent + "}")
    return "\n".join(lines[start : end + 1])


# ---- every spec renders in both formats -----------------------------------------------------


@pytest.mark.parametrize("path", ALL_SPECS, ids=lambda p: p.stem)
def test_dot_is_well_formed(path: Path) -> None:
    declared, edges = dot_structure(render_dot(plan_of(path)))
    assert edges, "a model has edges"
    for source, target in edges:
        assert source in declared and target in declared, (source, target)


@pytest.mark.parametrize("path", ALL_SPECS, ids=lambda p: p.stem)
def test_mermaid_links_name_declared_vertices(path: Path) -> None:
    text = render_mermaid(plan_of(path))
    lines = text.splitlines()
    assert lines[1] == "flowchart TB"
    declared = {m.group(1) for m in re.finditer(r"^    (\w+)[\[({]", text, re.MULTILINE)}
    links = re.findall(r"^    (\w+) (?:-->|-\.->|-\.-)(?:\|\"[^\"]*\"\|)? (\w+)$", text, re.M)
    assert links
    for source, target in links:
        assert source in declared and target in declared


@pytest.mark.parametrize("path", ALL_SPECS[:3], ids=lambda p: p.stem)
def test_output_is_deterministic(path: Path) -> None:
    assert render_mermaid(plan_of(path)) == render_mermaid(plan_of(path))
    assert render_dot(plan_of(path)) == render_dot(plan_of(path))


# ---- the features each seed shows -----------------------------------------------------------


def test_pruned_block_instance_is_dashed() -> None:
    mermaid = mermaid_of("seed001_ensemble_pruned.yaml")
    assert 'n_cnn3[["cnn3: block cnn"]]:::pruned' in mermaid
    assert "classDef pruned stroke-dasharray: 5 5" in mermaid
    assert "in_image -.-> n_cnn3" in mermaid  # the edge into the pruned node is dashed too
    assert "in_image --> n_cnn1" in mermaid and "in_image --> n_cnn2" in mermaid
    assert mermaid.count(":::pruned") == 1

    dot = dot_of("seed001_ensemble_pruned.yaml")
    cnn3 = cluster_of(dot, "n_cnn3")
    assert (
        'style="rounded,filled,dashed"' in cnn3
        and 'label="cnn3: block cnn\\lclasses=10\\l"' in cnn3
    )
    for inner in ("n_cnn3/x", "n_cnn3/features", "n_cnn3/probs", "n_cnn3/out:y"):
        assert 'dashed", ' in dot_line(cnn3, inner)  # the whole body is pruned with it
    assert '"in_image" -> "n_cnn3/x" [style="dashed", color="#9ca3af"];' in dot
    assert '"in_image" -> "n_cnn1/x";' in dot
    assert "dashed" not in cluster_of(dot, "n_cnn1")


def test_pruned_input_and_shared_entry_are_dashed() -> None:
    spec = loads(
        """
graphspec: 1
name: leftovers
inputs:
  x: {shape: [8]}
  unused: {shape: [8]}
shared:
  spare: {layer: Dense, units: 4}
nodes:
  y: {layer: Dense, from: x, units: 4}
  dead: {use: spare, from: unused}
outputs:
  y: y
"""
    )
    mermaid = render_mermaid(plan_of(spec))
    assert 'in_unused(["unused<br/>(None, 8) float32"]):::pruned' in mermaid
    assert 'shared_spare[("shared: spare<br/>Dense")]:::pruned' in mermaid
    assert 'n_dead["dead: use spare"]:::pruned' in mermaid
    assert "in_unused -.-> n_dead" in mermaid
    dot = render_dot(plan_of(spec))
    assert '"in_unused" -> "n_dead" [style="dashed", color="#9ca3af"];' in dot
    assert re.search(r'"shared_spare" \[shape="cylinder", style="filled,dashed"', dot)


def test_shared_uses_are_connected_to_their_entry() -> None:
    mermaid = mermaid_of("seed002_siamese.yaml")
    assert 'shared_lstm[("shared: lstm<br/>LSTM")]' in mermaid
    assert 'n_left_output["left_output: use lstm<br/>(None, 32)"]' in mermaid
    assert "shared_lstm -.- n_left_output" in mermaid
    assert "shared_lstm -.- n_right_output" in mermaid
    assert "class n_left_output,n_right_output use" in mermaid
    assert re.search(r"^    linkStyle \d+,\d+ stroke:", mermaid, re.MULTILINE)

    dot = dot_of("seed002_siamese.yaml")
    for use in ("n_left_output", "n_right_output"):
        assert f'"shared_lstm" -> "{use}" [style="dotted", arrowhead="none"' in dot
        declaration = next(
            line for line in dot.splitlines() if line.strip().startswith(f'"{use}" [')
        )
        assert 'style="filled"' in declaration


def test_merge_is_a_hexagon_and_sequence_shows_its_chain() -> None:
    mermaid = mermaid_of("seed002_residual.yaml")
    assert 'n_output{{"output: add<br/>(None, 16, 16, 128)"}}' in mermaid
    assert 'n_y("y: Conv2D → Conv2D → MaxPooling2D<br/>(None, 16, 16, 128)")' in mermaid
    assert 'n_residual["residual: Conv2D<br/>(None, 16, 16, 128)"]' in mermaid
    assert "n_y --> n_output" in mermaid and "n_residual --> n_output" in mermaid
    dot = dot_of("seed002_residual.yaml")
    assert 'shape="hexagon"' in dot_line(dot, "n_output")
    assert 'label="output: add\\n(None, 16, 16, 128)"' in dot_line(dot, "n_output")
    assert 'label="y: Conv2D → Conv2D → MaxPooling2D\\n(None, 16, 16, 128)"' in dot


def test_long_sequence_is_shortened() -> None:
    spec = loads(
        """
graphspec: 1
name: deep
inputs: {x: {shape: [8]}}
nodes:
  stack:
    from: x
    sequence:
      - {layer: Dense, units: 8}
      - {layer: Dropout, rate: 0.1}
      - {layer: Dense, units: 8}
      - {layer: Dropout, rate: 0.1}
      - {layer: Dense, units: 8}
      - {layer: Activation, activation: relu}
outputs: {stack: stack}
"""
    )
    assert 'n_stack("stack: Dense → Dropout → … (3 more) → Activation<br/>' in render_mermaid(
        plan_of(spec)
    )


def test_expr_blocks_heads_and_edge_bindings() -> None:
    mermaid = mermaid_of("seed001_ensemble3.yaml")
    assert 'n_prediction[/"prediction: (a + b + c) / 3<br/>(None, 10)"/]' in mermaid
    for index, binding in enumerate("abc", start=1):
        assert f'n_cnn{index} -->|"{binding}"| n_prediction' in mermaid
        assert f'n_cnn{index}[["cnn{index}: block cnn<br/>' in mermaid
    assert 'out_prediction[\\"prediction<br/>loss: categorical_crossentropy"/]' in mermaid
    assert "n_prediction --> out_prediction" in mermaid
    assert ":::pruned" not in mermaid and "-.->" not in mermaid
    dot = dot_of("seed001_ensemble3.yaml")
    assert '"out_prediction" [shape="house"' in dot
    assert '"n_prediction" -> "out_prediction";' in dot
    prediction = dot_line(dot, "n_prediction")
    assert 'shape="parallelogram"' in prediction
    assert 'label="prediction: (a + b + c) / 3\\n(None, 10)"' in prediction
    for index, binding in enumerate("abc", start=1):
        assert f'"n_cnn{index}/out:y" -> "n_prediction" [label="{binding}"];' in dot


def test_block_repeat_and_loss_weight() -> None:
    spec = loads(
        """
graphspec: 1
name: repeated
inputs: {x: {shape: [8]}}
blocks:
  unit:
    inputs: {x: {}}
    nodes: {d: {layer: Dense, from: x, units: 8}}
    outputs: {y: d}
nodes:
  body: {block: unit, from: x, repeat: 2}
outputs:
  score: {from: body, loss: mse, loss_weight: 0.5}
"""
    )
    mermaid = render_mermaid(plan_of(spec))
    assert 'n_body[["body: block unit ×2<br/>' in mermaid
    assert 'out_score[\\"score<br/>loss: mse × 0.5"/]' in mermaid
    dot = render_dot(plan_of(spec))
    body = cluster_of(dot, "n_body")
    assert 'label="body: block unit ×2\\l"' in body  # drawn once, however often it repeats
    assert body.count('"n_body/d" [') == 1
    assert '"in_x" -> "n_body/x";' in dot and '"n_body/out:y" -> "out_score";' in dot


def test_inputs_are_stadiums_and_invhouses() -> None:
    mermaid = mermaid_of("seed002_qa.yaml")
    assert 'in_text(["text<br/>(None, None) int32"])' in mermaid
    dot = dot_of("seed002_qa.yaml")
    assert '"in_text" [shape="invhouse"' in dot


def test_declaration_order() -> None:
    spec_path = SEEDS / "seed002_qa.yaml"
    spec = load(spec_path)
    expected = [
        *(f"in_{n}" for n in spec.inputs),
        *(f"n_{n}" for n in spec.nodes),
        *(f"out_{n}" for n in spec.outputs),
    ]
    mermaid = render_mermaid(plan_of(spec_path))
    ids = re.findall(r"^    (\w+)[\[({]", mermaid, re.MULTILINE)
    assert ids == expected
    declared = re.findall(r'^    "(\w+)" \[', render_dot(plan_of(spec_path)), re.MULTILINE)
    assert declared == expected
    # edges follow node order too: every edge into a node comes before edges into later ones
    targets = re.findall(r"^    \w+ --> (\w+)$", mermaid, re.MULTILINE)
    assert targets == sorted(targets, key=expected.index)


def test_static_shapes_appear_in_labels() -> None:
    plan = plan_of(SEEDS / "seed002_residual.yaml")
    shapes = {
        "y": NodeStatic("sequence", (16, 16, 128)),
        "residual": NodeStatic("Conv2D", (16, 16, 128)),
        "output": NodeStatic("add", None),  # unknown: no shape line
    }
    plan = dataclasses.replace(plan, static=shapes)
    mermaid = render_mermaid(plan)
    assert 'n_residual["residual: Conv2D<br/>(None, 16, 16, 128)"]' in mermaid
    assert 'n_output{{"output: add"}}' in mermaid
    assert 'label="residual: Conv2D\\n(None, 16, 16, 128)"' in render_dot(plan)


def test_several_block_outputs_show_each_shape() -> None:
    plan = plan_of(SEEDS / "seed001_ensemble3.yaml")
    both = SimpleNamespace(shape=None, outputs={"left": (10,), "right": None})
    object.__setattr__(plan, "static", {"cnn1": both})
    assert 'n_cnn1[["cnn1: block cnn<br/>left: (None, 10), right: ?"]]' in render_mermaid(plan)


def test_checked_plan_carries_static_shapes() -> None:
    report = check_path(SEEDS / "seed002_residual.yaml")
    assert report.ok and report.plan is not None
    mermaid = render_mermaid(report.plan)
    assert 'n_output{{"output: add<br/>(None, 16, 16, 128)"}}' in mermaid
    assert 'n_y("y: Conv2D → Conv2D → MaxPooling2D<br/>(None, 16, 16, 128)")' in mermaid
    pruned = check_path(SEEDS / "seed001_ensemble_pruned.yaml").plan
    assert pruned is not None
    assert 'n_cnn3[["cnn3: block cnn"]]:::pruned' in render_mermaid(pruned)  # no shape: not built


# ---- escaping ---------------------------------------------------------------------------------

NASTY_EXPR = 'a * "q" + [b] <br> {c} (d) | e # f; `g` \\ %% h\nend'


def nasty_plan() -> Plan:
    """A plan whose names and texts try to break out of labels: a sound plan whose spec and
    scope are then renamed past what the schema allows."""
    plan = plan_of(
        loads(
            """
graphspec: 1
name: nasty
inputs:
  x: {shape: [4]}
  end: {shape: [4]}
nodes:
  a: {layer: Dense, from: x, units: 4}
  b: {expr: "a + b", from: {a: a, b: end}}
  o: {op: add, from: [a, b]}
outputs:
  out: {from: o, loss: mse}
"""
        )
    )
    spec = plan.spec
    weird = 'we"ird] --> x[<b>end</b>'
    nodes = dict(spec.nodes)
    nodes["b"] = nodes["b"].model_copy(update={"expr": NASTY_EXPR})
    nodes[weird] = nodes.pop("o")
    head = spec.outputs["out"].model_copy(update={"from_": weird, "loss": 'm"s<e>|x'})
    spec = spec.model_copy(update={"nodes": nodes, "outputs": {'o"ut\n': head}, "name": 'n"a}m{e'})
    rename = {"o": weird}
    top = plan.top
    renamed = ScopePlan(
        top.inputs,
        tuple(rename.get(n, n) for n in top.order),
        frozenset(rename.get(n, n) for n in top.live),
        nx.relabel_nodes(top.graph, rename),
    )
    static = {rename.get(name, name): facts for name, facts in plan.static.items()}
    return dataclasses.replace(plan, spec=spec, top=renamed, static=static, head_layers={})


def test_quotes_and_brackets_in_names_are_escaped_in_mermaid() -> None:
    text = render_mermaid(nasty_plan())
    assert "we#quot;ird] --#gt; x[#lt;b#gt;end#lt;/b#gt;: add" in text
    assert "b: a * #quot;q#quot; + [b] #lt;br#gt; {c} (d) #124; e #35; f; #96;g#96; #92;" in text
    assert 'out_o_ut_[\\"o#quot;ut <br/>loss: m#quot;s#lt;e#gt;#124;x"/]' in text
    for line in text.splitlines()[2:]:
        if '"' in line:  # every label is one quoted string holding no raw quote
            assert line.count('"') in (2, 4), line


def test_quotes_and_braces_in_names_are_escaped_in_dot() -> None:
    text = render_dot(nasty_plan())
    declared, edges = dot_structure(text)
    assert len(declared) == 6 and len(edges) == 6
    for source, target in edges:
        assert source in declared and target in declared
    assert 'label="we\\"ird] --> x[<b>end</b>: add\\n(None, 4)"' in text
    assert (
        'label="b: a * \\"q\\" + [b] <br> {c} (d) | e # f; `g` \\\\ %% h end\\n(None, 4)"' in text
    )
    assert text.startswith('digraph "n\\"a}m{e" {')


def test_long_expression_is_shortened() -> None:
    plan = nasty_plan()
    nodes = dict(plan.spec.nodes)
    nodes["b"] = nodes["b"].model_copy(update={"expr": " + ".join(["a"] * 200)})
    spec = plan.spec.model_copy(update={"nodes": nodes})
    text = render_mermaid(dataclasses.replace(plan, spec=spec))
    label = re.search(r'n_b\[/"(.*)<br/>\(None, 4\)"/\]', text)
    assert label is not None and label.group(1).endswith("…") and len(label.group(1)) <= 64


def test_render_by_format_name() -> None:
    plan = plan_of(SEEDS / "seed002_siamese.yaml")
    assert set(FORMATS) == {"mermaid", "dot"}
    assert render(plan, "dot") == render_dot(plan)
    assert render(plan) == render_mermaid(plan)
    with pytest.raises(ValueError, match="unknown graph format 'svg'"):
        render(plan, "svg")


def test_bidirectional_and_zero_width_characters_never_reach_a_label() -> None:
    """The same characters the terminal renderer escapes (diagnostics.render.CONTROL)."""
    plan = nasty_plan()
    nodes = dict(plan.spec.nodes)
    nodes["b"] = nodes["b"].model_copy(update={"expr": "a\u202e + b\u200b\u2066"})
    spec = plan.spec.model_copy(update={"nodes": nodes})
    for text in (render_mermaid(dataclasses.replace(plan, spec=spec)), render_dot(plan)):
        assert not any(char in text for char in "\u202e\u200b\u2066")


# ---- block instances as clusters (DOT) ---------------------------------------------------------

NESTED = """
graphspec: 1.1
name: nested
inputs: {x: {shape: [8]}}
shared:
  enc: {block: unit}
blocks:
  unit:
    params: {units: 8}
    inputs: {x: {}}
    nodes: {d: {layer: Dense, from: x, units: "${units}"}}
    outputs: {y: d}
  pair:
    params: {width: 8}
    inputs: {a: {}, b: {}}
    nodes:
      first: {block: unit, from: a}
      again: {use: enc, from: b}
      both: {op: add, from: [first, again]}
      unused: {layer: Dense, from: a, units: 2}
    outputs: {y: both, z: first}
nodes:
  p: {block: pair, from: [x, x], with: {width: 4}}
  r: {block: unit, from: p.y, each: {units: [8, 8, 8]}}
outputs:
  y: r
  z: {from: p.z, loss: mse}
"""


@pytest.fixture(scope="module")
def nested_dot() -> str:
    return render_dot(plan_of(loads(NESTED)))


def test_nested_block_instances_are_nested_clusters(nested_dot: str) -> None:
    declared, edges = dot_structure(nested_dot)
    pair = cluster_of(nested_dot, "n_p")
    assert 'label="p: block pair\\lwidth=4\\l"' in pair
    first = cluster_of(nested_dot, "n_p/first")
    assert first in pair and '"n_p/first/d" [' in first  # the inner instance, inside
    assert {'"n_p/a"', '"n_p/b"', '"n_p/out:y"', '"n_p/out:z"'} <= declared
    assert 'label="y\\n(None, 8)"' in dot_line(pair, "n_p/out:y")  # outputs show their shape
    for edge in [
        ('"in_x"', '"n_p/a"'),  # each `from` reaches its block input, in order
        ('"in_x"', '"n_p/b"'),
        ('"n_p/a"', '"n_p/first/x"'),
        ('"n_p/first/out:y"', '"n_p/both"'),
        ('"n_p/both"', '"n_p/out:y"'),
        ('"n_p/first/out:y"', '"n_p/out:z"'),
        ('"n_p/out:y"', '"n_r/x"'),  # `p.y` reads that output's port
        ('"n_p/out:z"', '"out_z"'),
        ('"n_r/out:y"', '"out_y"'),
    ]:
        assert edge in edges, edge


def test_shared_use_and_pruned_node_inside_a_block(nested_dot: str) -> None:
    assert '"shared_enc" -> "n_p/again" [style="dotted", arrowhead="none"' in nested_dot
    assert 'style="filled,dashed"' in dot_line(nested_dot, "n_p/unused")
    assert '"n_p/a" -> "n_p/unused" [style="dashed", color="#9ca3af"];' in nested_dot
    assert "dashed" not in dot_line(nested_dot, "n_p/both")


def test_repeated_instance_is_drawn_once_with_its_values(nested_dot: str) -> None:
    repeated = cluster_of(nested_dot, "n_r")
    assert 'label="r: block unit ×3\\lunits=8|8|8\\l"' in repeated
    assert repeated.count('"n_r/d" [') == 1


def test_mermaid_keeps_block_instances_as_boxes() -> None:
    mermaid = render_mermaid(plan_of(loads(NESTED)))
    assert 'n_p[["p: block pair<br/>(None, 8)"]]' in mermaid
    assert 'n_p -->|"z"| out_z' in mermaid and 'n_p -->|"y"| n_r' in mermaid
    assert "cluster" not in mermaid and "n_p/" not in mermaid


def test_past_the_budget_instances_are_boxes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A spec whose block bodies would take more than MAX_EXPANDED vertices draws the later
    instances as single boxes, so `dot` stays quick on any spec."""
    monkeypatch.setattr(drawing, "MAX_EXPANDED", 8)  # cnn: an input, two nodes, an output
    dot = dot_of("seed001_ensemble3.yaml")
    assert 'subgraph "cluster_n_cnn1"' in dot and 'subgraph "cluster_n_cnn2"' in dot
    assert 'subgraph "cluster_n_cnn3"' not in dot
    assert 'shape="box3d"' in dot_line(dot, "n_cnn3")
    assert '"n_cnn3" -> "n_prediction" [label="c"];' in dot
    declared, edges = dot_structure(dot)
    assert all(source in declared and target in declared for source, target in edges)


# ---- large drawings stay quick in dot -------------------------------------------------------


def test_layout_attributes_grow_with_the_drawing() -> None:
    small = drawing.layout_attributes(drawing.LARGE_DRAWING - 1)
    large = drawing.layout_attributes(drawing.LARGE_DRAWING)
    huge = drawing.layout_attributes(drawing.HUGE_DRAWING)
    assert small == {}
    assert large == {"nslimit": drawing.NETWORK_SIMPLEX_LIMIT}
    assert huge == {"nslimit": drawing.NETWORK_SIMPLEX_LIMIT, "splines": "line"}


@pytest.mark.parametrize("path", ALL_SPECS, ids=lambda p: p.stem)
def test_small_drawings_keep_dots_default_layout(path: Path) -> None:
    """Every spec of the corpus draws as `dot` lays it out by default (the README's picture
    does not move); only drawings of LARGE_DRAWING vertices and more are bounded."""
    graph_line = render_dot(plan_of(path)).splitlines()[1]
    assert "nslimit" not in graph_line and "splines" not in graph_line


def test_a_large_drawing_bounds_dots_layout() -> None:
    from benchmarks.generate_specs import generate

    text = render_dot(plan_of(loads(generate(200))))
    vertices = text.count(" [shape=")
    assert drawing.LARGE_DRAWING <= vertices < drawing.HUGE_DRAWING, vertices
    graph_line = text.splitlines()[1]
    assert 'nslimit="2"' in graph_line and "splines" not in graph_line
    declared, edges = dot_structure(text)  # still well formed
    assert all(source in declared and target in declared for source, target in edges)
