"""Time Graphviz's `dot` on the drawings `graphspec graph --format svg|png|html` makes, with
and without the layout attributes `graphspec.views.drawing.layout_attributes` adds to large
drawings (`nslimit`, `splines=line`).

Per spec (the README's seed, the largest gallery spec, ResNet-152 as the importer writes it,
and generated specs of 200, 500 and 1,000 nodes of every form, benchmarks/generate_specs.py):
the vertices of the drawing, the seconds `dot -Tsvg` takes on the DOT text as
`render_dot` writes it ("tuned") and on the same text without the layout attributes
("default"), and the width of each picture in points (a bounded layout must not sprawl). A
run past `--timeout` seconds is recorded as that many seconds, `timed_out` true. Each figure
is the best of `--runs`. Writes benchmarks/results/graph.json.
Run: `.venv/bin/python benchmarks/bench_graph.py [--runs 1] [--timeout 60]`.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_static import machine, write_results  # noqa: E402
from generate_specs import generate  # noqa: E402

from graphspec.pipeline import check_text  # noqa: E402
from graphspec.settings import Options  # noqa: E402
from graphspec.views.drawing import layout_attributes, render_dot  # noqa: E402

GENERATED = (200, 500, 1000)
_WIDTH = re.compile(rb'<svg width="([0-9.]+)pt"')


def specs() -> dict[str, str]:
    named = {
        "seed001_ensemble_pruned": ROOT / "specs" / "seeds" / "seed001_ensemble_pruned.yaml",
        "translation_transformer_mini": ROOT
        / "specs"
        / "gallery"
        / "translation_transformer_mini.yaml",
        "ResNet-152 (517 layers)": ROOT / "benchmarks" / "specs" / "resnet152.yaml",
    }
    texts = {name: path.read_text(encoding="utf-8") for name, path in named.items()}
    for nodes in GENERATED:
        texts[f"generated ({nodes} nodes)"] = generate(nodes)
    return texts


def without_layout(dot_text: str) -> str:
    """The DOT text as `dot` would lay it out by default: the layout attributes removed."""
    for key, value in layout_attributes(10**9).items():
        dot_text = dot_text.replace(f', {key}="{value}"', "", 1)
    return dot_text


def run_dot(dot_text: str, timeout: float) -> tuple[float, float | None, bool]:
    """Seconds `dot -Tsvg` took, the picture's width in points, and whether it timed out."""
    dot = shutil.which("dot")
    assert dot is not None, "Graphviz's dot is not on PATH"
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [dot, "-Tsvg"], input=dot_text.encode(), capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return timeout, None, True
    seconds = time.perf_counter() - start
    width = _WIDTH.search(done.stdout)
    return seconds, float(width.group(1)) if width else None, False


def measure(dot_text: str, runs: int, timeout: float) -> dict[str, Any]:
    results = [run_dot(dot_text, timeout) for _ in range(runs)]
    seconds = min(result[0] for result in results)
    return {"seconds": seconds, "width_pt": results[0][1], "timed_out": results[0][2]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks/results/graph.json")
    args = parser.parse_args()
    rows = []
    print(f"{'spec':34} {'vertices':>8} {'default s':>10} {'tuned s':>8} {'widths pt':>16}")
    for name, text in specs().items():
        report = check_text(text, f"{name}.yaml", Options())
        assert report.plan is not None, f"{name} does not check"
        tuned_text = render_dot(report.plan)
        vertices = tuned_text.count(" [shape=")
        default = measure(without_layout(tuned_text), args.runs, args.timeout)
        tuned = measure(tuned_text, args.runs, args.timeout)
        rows.append({"spec": name, "vertices": vertices, "default": default, "tuned": tuned})
        late = ">" if default["timed_out"] else " "
        print(
            f"{name:34} {vertices:8} {late}{default['seconds']:9.2f} {tuned['seconds']:8.2f} "
            f"{default['width_pt'] or 0:7.0f} {tuned['width_pt'] or 0:8.0f}"
        )
    write_results({"machine": machine(), "runs": args.runs, "rows": rows}, args.output)


if __name__ == "__main__":
    main()
