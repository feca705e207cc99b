"""Time graphspec on hostile input: every invalid fixture, and inputs built to grow.

Issue 4 asks that hostile input end in bounded time (under a second) and that the work grow
linearly with the input. Timing never decides a test's pass/fail here (tests/read/test_hostile.py
checks exit codes, output and memory); this script measures and prints the figures, flags any
file over a second and any growth worse than linear, and writes benchmarks/results/hostile.json.

Run: `.venv/bin/python benchmarks/bench_hostile.py`.
"""

from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphspec.diagnostics.render import format_text  # noqa: E402
from graphspec.pipeline import check_path, check_text  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "invalid"
BOUND_SECONDS = 1.0


def spec(nodes: str, head: str = "n", extra: str = "") -> str:
    """A small spec around the given node lines."""
    text = "graphspec: 1\nname: t\ninputs:\n  x: {shape: [8]}\n" + extra
    if nodes:
        text += "nodes:\n" + nodes
    return text + f"outputs:\n  out: {head}\n"


def unknown_references(n: int) -> str:
    return spec(
        "".join(f"  n{i}: {{layer: Dense, from: missing{i}, units: 2}}\n" for i in range(n)), "n0"
    )


def unknown_heads(n: int) -> str:
    nodes = "".join(f"  n{i}: {{layer: Dense, from: x, units: 2}}\n" for i in range(n))
    return spec(nodes, head="x") + "".join(f"  h{i}: m{i}\n" for i in range(n))


def wide_merge(op: str) -> Callable[[int], str]:
    def make(n: int) -> str:
        return spec(f"  m: {{op: {op}, from: [{', '.join(['x'] * n)}]}}\n", head="m")

    return make


def metric_flood(n: int) -> str:
    return spec("", head="{from: x, metrics: [" + ", ".join(["a"] * n) + "]}")


def repeats(n: int) -> str:
    """n chained instances of a block, each repeated 1,000 times (refused by GS020)."""
    block = (
        "  b: {inputs: {t: {}}, nodes: {d: {layer: Dense, from: t, units: 8}}, outputs: {y: d}}\n"
    )
    nodes = "  n0: {block: b, from: x, repeat: 1000}\n" + "".join(
        f"  n{i}: {{block: b, from: n{i - 1}, repeat: 1000}}\n" for i in range(1, n)
    )
    return spec(nodes, head=f"n{n - 1}", extra="blocks:\n" + block)


def seconds(function: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def check_and_format(text: str) -> None:
    lines = text.splitlines()
    for diagnostic in check_text(text, "spec.yaml").diagnostics:
        format_text(diagnostic, lines)


def main() -> int:
    fixtures = sorted(FIXTURES.glob("*.yaml"))
    timed = [(path.name, seconds(lambda p=path: check_path(p))) for path in fixtures]  # type: ignore[misc]
    slowest = sorted(timed, key=lambda row: -row[1])[:5]
    over = [name for name, took in timed if took > BOUND_SECONDS]
    print(f"(a) {len(fixtures)} invalid fixtures, checked in process (median of 3)")
    print(f"    total {sum(t for _, t in timed):.3f} s; over {BOUND_SECONDS} s: {over or 'none'}")
    for name, took in slowest:
        print(f"    {name:<44} {took * 1000:8.1f} ms")

    growth = [
        ("unknown references", unknown_references, 250),
        ("unknown heads", unknown_heads, 150),
        ("add of n inputs", wide_merge("add"), 300),
        ("concatenate of n inputs", wide_merge("concatenate"), 300),
        ("n misspelt metrics (checked + formatted)", metric_flood, 500),
        ("n blocks x repeat 1000 (refused)", repeats, 250),
    ]
    print("\n(b) growth: time at n and 4n (linear: the ratio stays near 4)")
    print(f"    {'input':<42} {'n':>5} {'at n ms':>9} {'at 4n ms':>9} {'ratio':>6}")
    rows = []
    for label, make, n in growth:
        small = seconds(lambda m=make, k=n: check_and_format(m(k)))  # type: ignore[misc]
        large = seconds(lambda m=make, k=n: check_and_format(m(4 * k)))  # type: ignore[misc]
        ratio = large / small if small else float("nan")
        flag = "" if ratio < 6 else "  <- worse than linear"
        print(f"    {label:<42} {n:>5} {small * 1000:9.1f} {large * 1000:9.1f} {ratio:6.1f}{flag}")
        rows.append({"input": label, "n": n, "seconds_n": small, "seconds_4n": large})

    out = ROOT / "benchmarks" / "results" / "hostile.json"
    document = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
        "fixtures": {name: round(took, 5) for name, took in timed},
        "over_bound": over,
        "growth": rows,
    }
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
