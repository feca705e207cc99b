"""Pictures through Graphviz's `dot` (`graphspec graph --format svg|png`): valid SVG with a
node per vertex, PNG bytes, what happens without `dot` or when it fails, hostile names, and the
README's checked-in picture kept current."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from io import StringIO
from pathlib import Path

import pytest

from graphspec.analyse.plan import Plan
from graphspec.cli import graph as graph_command
from graphspec.cli import main
from graphspec.views import render
from graphspec.views.drawing import render_dot
from graphspec.views.render import DotFailed, DotMissing, run_dot
from tests.conftest import ROOT, SPECS
from tests.views.test_drawing import dot_structure, nasty_plan, plan_of

SEEDS = SPECS / "seeds"
SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HINT = "apt-get install graphviz"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is missing")


def svg_titles(svg: bytes, kind: str) -> list[str]:
    """The `<title>` of every `<g class="node">` (or "edge", "cluster"): the DOT ids."""
    root = ElementTree.fromstring(svg)
    return [
        group.findtext(f"{SVG}title") or ""
        for group in root.iter(f"{SVG}g")
        if group.get("class") == kind
    ]


def svg_text(svg: bytes) -> list[str]:
    """Every line of text the picture shows."""
    return [text.text or "" for text in ElementTree.fromstring(svg).iter(f"{SVG}text")]


def unquote(dot_id: str) -> str:
    return dot_id[1:-1].replace('\\"', '"').replace("\\\\", "\\")


@pytest.fixture(scope="module")
def ensemble() -> Plan:
    return plan_of(SEEDS / "seed001_ensemble_pruned.yaml")


# ---- run_dot -------------------------------------------------------------------------------


@needs_dot
@pytest.mark.parametrize(
    "name", ["seed001_ensemble_pruned", "seed002_siamese", "seed002_inception", "seed002_qa"]
)
def test_svg_is_xml_with_a_node_per_vertex_and_an_edge_per_edge(name: str) -> None:
    dot = render_dot(plan_of(SEEDS / f"{name}.yaml"))
    svg = run_dot(dot, "svg")
    declared, edges = dot_structure(dot)
    assert sorted(svg_titles(svg, "node")) == sorted(unquote(d) for d in declared)
    assert len(svg_titles(svg, "edge")) == len(edges)
    assert b"<!DOCTYPE" not in svg and b"graphviz version" not in svg
    assert re.findall(rb"https?://[^\"]*", svg) == [b"http://www.w3.org/2000/svg"]


@needs_dot
def test_block_instances_are_clusters_in_the_svg(ensemble: Plan) -> None:
    svg = run_dot(render_dot(ensemble), "svg")
    assert svg_titles(svg, "cluster") == ["cluster_n_cnn1", "cluster_n_cnn2", "cluster_n_cnn3"]
    assert {"n_cnn1/features", "n_cnn3/probs", "n_cnn2/out:y"} <= set(svg_titles(svg, "node"))
    texts = svg_text(svg)
    assert "cnn3: block cnn" in texts and "prediction: (a + b) / 2" in texts
    assert "loss: categorical_crossentropy" in texts


@needs_dot
def test_png_starts_with_the_signature(ensemble: Plan) -> None:
    png = run_dot(render_dot(ensemble), "png")
    assert png.startswith(PNG_SIGNATURE) and len(png) > 1000


def test_missing_dot_is_dot_missing_with_the_install_hint(
    ensemble: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    with pytest.raises(DotMissing, match=HINT) as raised:
        run_dot(render_dot(ensemble), "svg")
    assert "--format dot and --format mermaid" in str(raised.value)


def fake_dot(folder: Path, script: str) -> Path:
    """A `dot` on PATH that runs a shell script instead of Graphviz."""
    folder.mkdir()
    dot = folder / "dot"
    dot.write_text(f"#!/bin/sh\n{script}\n")
    dot.chmod(0o755)
    return folder


def test_dot_failing_is_dot_failed_with_its_complaint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = fake_dot(tmp_path / "bin", "echo 'Error: <stdin>: syntax error in line 3' >&2; exit 1")
    monkeypatch.setenv("PATH", str(folder))
    with pytest.raises(DotFailed, match=r"exited with 1 .*syntax error in line 3"):
        run_dot("digraph {", "svg")


def test_dot_giving_nothing_is_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path / "bin", "exit 0")))
    with pytest.raises(DotFailed, match="drew nothing"):
        run_dot("digraph {}", "png")


def test_dot_running_too_long_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sleep = shutil.which("sleep") or "/bin/sleep"
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path / "bin", f"exec {sleep} 30")))
    with pytest.raises(DotFailed, match=r"took more than 0\.5 s"):
        run_dot("digraph {}", "svg", timeout=0.5)


def test_unknown_image_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown image format 'pdf'"):
        run_dot("digraph {}", "pdf")  # type: ignore[arg-type]


# ---- hostile names ---------------------------------------------------------------------------


HOSTILE_EXPR = 'a + "q" <b>&amp;</b> &#60;i> & \\N \\\\ ]; }\nb'


@needs_dot
def test_hostile_names_stay_text_in_the_svg() -> None:
    plan = nasty_plan()
    nodes = dict(plan.spec.nodes)
    nodes["b"] = nodes["b"].model_copy(update={"expr": HOSTILE_EXPR})
    plan = dataclasses.replace(plan, spec=plan.spec.model_copy(update={"nodes": nodes}))
    dot = render_dot(plan)
    declared, _ = dot_structure(dot)
    svg = run_dot(dot, "svg")  # parses as XML: nothing broke out of a label
    root = ElementTree.fromstring(svg)
    assert {element.tag for element in root.iter()} <= {
        f"{SVG}{tag}" for tag in ("svg", "g", "title", "text", "polygon", "path", "ellipse")
    }
    assert sorted(svg_titles(svg, "node")) == sorted(unquote(d) for d in declared)
    texts = svg_text(svg)
    assert 'we"ird] --> x[<b>end</b>: add' in texts  # shown as written, not as markup
    assert 'b: a + "q" <b>&amp;</b> &#60;i> & \\N \\\\ ]; } b' in texts
    assert 'o"ut ' in texts and 'loss: m"s<e>|x' in texts


def test_ampersands_are_escaped_for_graphviz() -> None:
    plan = nasty_plan()
    nodes = dict(plan.spec.nodes)
    nodes["b"] = nodes["b"].model_copy(update={"expr": "a &lt; b"})
    dot = render_dot(dataclasses.replace(plan, spec=plan.spec.model_copy(update={"nodes": nodes})))
    assert 'label="b: a &amp;lt; b\\n(None, 4)"' in dot  # Graphviz shows "a &lt; b", as written


# ---- the command ---------------------------------------------------------------------------


def graph_run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "graphspec", "graph", *args],
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


@needs_dot
def test_graph_writes_svg_and_png_files_whole(tmp_path: Path) -> None:
    spec = str(SEEDS / "seed002_siamese.yaml")
    assert main(["graph", spec, "--format", "svg", "-o", str(tmp_path / "g.svg")]) == 0
    assert main(["graph", spec, "--format", "png", "-o", str(tmp_path / "g.png")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.png", "g.svg"]  # no leftovers
    assert (tmp_path / "g.png").read_bytes().startswith(PNG_SIGNATURE)
    assert "n_left_output" in svg_titles((tmp_path / "g.svg").read_bytes(), "node")


@needs_dot
def test_graph_png_to_a_pipe_is_binary() -> None:
    result = graph_run(str(SEEDS / "seed002_siamese.yaml"), "--format", "png")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(PNG_SIGNATURE)


def test_graph_without_dot_says_how_to_install_it(tmp_path: Path) -> None:
    """A real process whose PATH has no `dot`: the hint, exit 2, no traceback, no file."""
    target = tmp_path / "g.svg"
    env = {**os.environ, "PATH": str(tmp_path)}
    result = graph_run(
        str(SEEDS / "seed002_siamese.yaml"), "--format", "svg", "-o", str(target), env=env
    )
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert "graphspec: error: cannot draw the picture: Graphviz's dot is not on PATH" in stderr
    assert HINT in stderr and "--format dot and --format mermaid" in stderr
    assert "Traceback" not in stderr and result.stdout == b""
    assert list(tmp_path.iterdir()) == []


def test_graph_when_dot_fails_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path / "bin", "echo 'out of memory' >&2; exit 3")))
    target = tmp_path / "g.png"
    assert (
        main(["graph", str(SEEDS / "seed002_dense.yaml"), "--format", "png", "-o", str(target)])
        == 2
    )
    err = capsys.readouterr().err
    assert "cannot draw the png: dot exited with 3 and drew nothing: out of memory" in err
    assert not target.exists()


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_graph_refuses_png_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["graph", str(SEEDS / "seed002_dense.yaml"), "--format", "png"]) == 2
    assert "a PNG is binary and stdout is a terminal; give -o FILE.png" in capsys.readouterr().err
    assert terminal.getvalue() == ""


def test_graph_html_writes_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--format html` writes what `graphspec.views.html.render_html` returns, with the plan
    and the diagnostics the check reported (here, the pruned block's warning)."""
    import graphspec.views.html

    seen: list[tuple[str, list[str]]] = []

    def page(plan: Plan, diagnostics: list[object]) -> str:
        seen.append((plan.spec.name, [getattr(d, "code", "") for d in diagnostics]))
        return "<!doctype html><title>page</title>\n"

    monkeypatch.setattr(graphspec.views.html, "render_html", page)
    target = tmp_path / "g.html"
    spec = str(SEEDS / "seed001_ensemble_pruned.yaml")
    assert main(["graph", spec, "--format", "html", "-o", str(target)]) == 0
    assert target.read_text() == "<!doctype html><title>page</title>\n"
    assert seen == [("seed001_ensemble_pruned", ["GS401"])]
    assert main(["graph", spec, "--format", "html"]) == 0
    assert capsys.readouterr().out == "<!doctype html><title>page</title>\n"


def test_graph_html_without_dot_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import graphspec.views.html

    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    monkeypatch.setattr(
        graphspec.views.html, "render_html", lambda plan, diagnostics: run_dot("digraph {}", "svg")
    )
    assert main(["graph", str(SEEDS / "seed002_dense.yaml"), "--format", "html"]) == 2
    captured = capsys.readouterr()
    assert "cannot draw the page: Graphviz's dot is not on PATH" in captured.err
    assert HINT in captured.err and captured.out == ""


def test_graph_help_describes_every_format() -> None:
    result = graph_run("--help")
    text = " ".join(result.stdout.decode().split())
    assert "--format {mermaid,dot,svg,png,html}" in text
    for words in (
        "svg, png: a picture drawn by Graphviz's dot",
        "apt-get install graphviz",
        "html: one self-contained page",
        "mermaid and dot need nothing installed",
    ):
        assert words in text
    assert graph_command.ALL_CHOICES == ("mermaid", "dot", "svg", "png", "html")
    assert graph_command.PICTURES == render.IMAGE_FORMATS


# ---- the README's picture --------------------------------------------------------------------

PICTURES = ROOT / "docs" / "pictures"


def pictured() -> list[str]:
    """The seed specs `make pictures` draws (the Makefile's PICTURES)."""
    match = re.search(r"^PICTURES := (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, "the Makefile has no PICTURES list"
    return match[1].split()


@pytest.mark.parametrize("name", pictured())
def test_checked_in_picture_is_current(name: str) -> None:
    """The dot text beside the picture is what graphspec draws now (Graphviz's layout may
    differ between releases; the text does not), and the PNG was drawn from it: `dot` (the
    release line the Makefile installs) lays that text out at the picture's size. Run
    `make pictures` when this fails."""
    dot = (PICTURES / f"{name}.dot").read_text()
    assert dot == render_dot(plan_of(SEEDS / f"{name}.yaml")), "run `make pictures`"
    png = (PICTURES / f"{name}.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png_size(png) == png_size(run_dot(dot, "png")), "run `make pictures`"


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header chunk (IHDR, right after the signature)."""
    assert png[12:16] == b"IHDR"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_readme_shows_the_picture() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in pictured():
        assert f"](docs/pictures/{name}.png)" in readme
