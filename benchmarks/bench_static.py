"""Static analysis against building in Keras: cold start, growth with graph size, memory.

Prints three tables and writes benchmarks/results/static.json (machine, date, every figure):

(a) a cold `graphspec validate specs/seeds/seed002_qa.yaml` against a cold process that
    validates the same spec by building it with Keras (the goal: validate ≥10× faster);
(b) in-process `graphspec.pipeline.check_text` (load, schema, graph and every static check
    the pipeline has when this runs) of generated specs of 100, 1,000 and 10,000 nodes: median
    time, time per node (flat = linear growth), tracemalloc peak, a stage breakdown, and the
    wall time and max RSS of a cold `graphspec validate` of the same spec written to a file;
(c) building the same generated specs with Keras, for comparison (10,000 nodes is skipped:
    Keras' functional API recurses once per chained layer and hits RecursionError).

Run: `.venv/bin/python benchmarks/bench_static.py` (about 2 minutes), `--quick` for a smoke run
(fewer runs, 100 and 1,000 nodes; writes static-quick.json), `--profile 10000` to print where
the in-process analysis of a 10,000-node spec spends its time.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import functools
import gc
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_specs import generate  # noqa: E402

from graphspec.pipeline import Report, analyse, check_text  # noqa: E402
from graphspec.read.source import load_text  # noqa: E402
from graphspec.spec.parse import parse_spec  # noqa: E402

QA_SPEC = "specs/seeds/seed002_qa.yaml"
KERAS_LIMIT_S = 120
"""A Keras build that takes longer is abandoned (reported as skipped)."""
KERAS_MAX_NODES = 1000
"""Larger specs are not built: Keras' Model() hits RecursionError past ~990 chained layers."""
BUILD = """\
import json, sys, time
started = time.perf_counter()
import graphspec
imported = time.perf_counter()
import keras
keras_imported = time.perf_counter()
model = graphspec.build(sys.argv[1])
built = time.perf_counter()
print(json.dumps({"import_graphspec_s": imported - started,
                  "import_keras_s": keras_imported - imported, "build_s": built - keras_imported,
                  "layers": len(model.layers), "params": model.count_params()}))
"""
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


# ---- measuring ---------------------------------------------------------------------------------


def run_cold(command: Sequence[str], timeout: float = 600) -> dict[str, Any]:
    """One fresh process: wall seconds, max RSS (MiB), exit status and stdout."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=out, stderr=err)
        try:
            _, status, usage = _wait(process, timeout)
        except TimeoutError:
            process.kill()
            process.wait()
            return {"ok": False, "error": f"timed out after {timeout:.0f} s"}
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    code = os.waitstatus_to_exitcode(status)
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    result: dict[str, Any] = {
        "ok": code == 0,
        "wall_s": wall,
        "max_rss_mib": usage.ru_maxrss * scale / 2**20,
        "stdout": stdout,
    }
    if code != 0:
        result["error"] = f"exit {code}: {stderr.strip()[-500:]}"
    return result


def _wait(process: subprocess.Popen[bytes], timeout: float) -> tuple[int, int, Any]:
    """`os.wait4` on the child (its own rusage, not all children's), with a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return pid, status, usage
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.005)


def cold_runs(command: Sequence[str], runs: int, timeout: float = 600) -> dict[str, Any]:
    """`runs` fresh processes: median and every wall time, the largest RSS."""
    results = [run_cold(command, timeout) for _ in range(runs)]
    failed = [r for r in results if not r["ok"]]
    if failed:
        return {"ok": False, "error": failed[0]["error"]}
    walls = [r["wall_s"] for r in results]
    return {
        "ok": True,
        "median_s": statistics.median(walls),
        "runs_s": [round(w, 4) for w in walls],
        "max_rss_mib": max(r["max_rss_mib"] for r in results),
        "stdout": results[-1]["stdout"],
    }


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def traced_peak(function: Callable[[], Any]) -> float:
    """Peak Python memory (MiB) allocated while `function` runs, by tracemalloc."""
    gc.collect()
    tracemalloc.start()
    try:
        function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def stages(text: str) -> dict[str, float]:
    """Seconds in each pipeline stage: load (YAML), schema (pydantic), analyse (the rest)."""
    gc.collect()
    t0 = time.perf_counter()
    source, _ = load_text(text, "<bench>")
    t1 = time.perf_counter()
    assert source is not None
    spec, _ = parse_spec(source)
    t2 = time.perf_counter()
    assert spec is not None
    analyse(spec)
    t3 = time.perf_counter()
    return {"load_s": t1 - t0, "schema_s": t2 - t1, "analyse_s": t3 - t2}


def check_sound(report: Report, nodes: int) -> list[str]:
    """Problems that would make the figures meaningless (errors, pruned nodes)."""
    problems = [d.format() for d in report.diagnostics if d.is_error]
    if report.plan is not None and report.plan.pruned:
        problems.append(f"{len(report.plan.pruned)} pruned parts in a {nodes}-node spec")
    return problems


# ---- the three parts ---------------------------------------------------------------------------


def part_cold(runs: int, keras_runs: int) -> dict[str, Any]:
    python = sys.executable
    validate = cold_runs([python, "-m", "graphspec", "validate", QA_SPEC], runs)
    keras = cold_runs([python, "-c", BUILD, QA_SPEC], keras_runs, KERAS_LIMIT_S)
    result: dict[str, Any] = {
        "spec": QA_SPEC,
        "python_start": _public(cold_runs([python, "-c", "pass"], runs)),
        "validate_cli": _public(validate),
        "keras_build": _public(keras),
    }
    if validate["ok"] and keras["ok"]:
        result["speedup"] = keras["median_s"] / validate["median_s"]
        result["keras_phases"] = json.loads(keras["stdout"])
    return result


def part_sizes(sizes: Sequence[int], runs: int, cold: int) -> dict[str, Any]:
    check_text(generate(20), "<warm-up>")  # import what the pipeline loads lazily
    rows: dict[str, Any] = {}
    for nodes in sizes:
        text = generate(nodes)
        times: list[float] = []
        report: Report | None = None
        for _ in range(runs):
            seconds, report = timed(functools.partial(check_text, text, f"generated_{nodes}"))
            times.append(seconds)
        assert report is not None
        row: dict[str, Any] = {
            "nodes": nodes,
            "yaml_bytes": len(text.encode()),
            "median_s": statistics.median(times),
            "runs_s": [round(t, 4) for t in times],
            "per_node_us": statistics.median(times) / nodes * 1e6,
            "diagnostics": len(report.diagnostics),
            "problems": check_sound(report, nodes),
            "stages": stages(text),
            "tracemalloc_peak_mib": traced_peak(functools.partial(check_text, text)),
        }
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
            handle.write(text)
        try:
            command = [sys.executable, "-m", "graphspec", "validate", handle.name]
            row["cli"] = _public(cold_runs(command, cold))
        finally:
            os.unlink(handle.name)
        rows[str(nodes)] = row
        print(f"  analysed {nodes:,} nodes: {row['median_s']:.3f} s", file=sys.stderr)
    return rows


def part_keras(sizes: Sequence[int]) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for nodes in sizes:
        if nodes > KERAS_MAX_NODES:
            rows[str(nodes)] = {
                "skipped": f"Keras' Model() recurses per chained layer (RecursionError past "
                f"~990); not built above {KERAS_MAX_NODES} nodes"
            }
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
            handle.write(generate(nodes))
        try:
            result = run_cold([sys.executable, "-c", BUILD, handle.name], KERAS_LIMIT_S)
        finally:
            os.unlink(handle.name)
        if result["ok"]:
            rows[str(nodes)] = {
                "cold_wall_s": result["wall_s"],
                "max_rss_mib": result["max_rss_mib"],
                **json.loads(result["stdout"]),
            }
        else:
            rows[str(nodes)] = {"skipped": result["error"]}
        print(f"  built {nodes:,} nodes with Keras", file=sys.stderr)
    return rows


def _public(result: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in result.items() if key != "stdout"}


def profile(nodes: int, top: int = 15) -> str:
    """The `top` cumulative entries of a cProfile of check_text on a generated spec."""
    text = generate(nodes)
    check_text(generate(20))
    profiler = cProfile.Profile()
    profiler.enable()
    check_text(text)
    profiler.disable()
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(top)
    return stream.getvalue()


# ---- report ------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    memory = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        first = meminfo.read_text().splitlines()[0].split()
        memory = round(int(first[1]) / 2**20, 1)
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "memory_gib": memory,
        "python": platform.python_version(),
        "commit": commit or None,
        "versions": {p: version(p) for p in ("pydantic", "PyYAML", "networkx", "keras")},
        "yaml_c_loader": _has_c_loader(),
    }


def _has_c_loader() -> bool:
    import yaml

    return hasattr(yaml, "CSafeLoader")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_tables(results: dict[str, Any]) -> None:
    cold = results["cold"]
    print("\n(a) cold process, one spec (" + cold["spec"] + ")")
    print(f"{'command':<44} {'median s':>9} {'runs':>5} {'max RSS MiB':>12}")
    for label, key in (
        ("python -c pass", "python_start"),
        ("graphspec validate", "validate_cli"),
        ("validate by building with Keras", "keras_build"),
    ):
        row = cold[key]
        if row["ok"]:
            runs = len(row["runs_s"])
            print(f"{label:<44} {row['median_s']:>9.3f} {runs:>5} {row['max_rss_mib']:>12.0f}")
        else:
            print(f"{label:<44} failed: {row['error']}")
    if "speedup" in cold:
        verdict = "met" if cold["speedup"] >= 10 else "NOT met"
        phases = cold["keras_phases"]
        print(
            f"validate is {cold['speedup']:.1f}x faster (goal ≥10x: {verdict}); the Keras "
            f"process spends {phases['import_keras_s']:.2f} s importing Keras, "
            f"{phases['build_s']:.2f} s building"
        )

    sizes = results["sizes"]
    print("\n(b) static analysis of generated specs (check_text in process; CLI cold)")
    header = (
        f"{'nodes':>7} {'median s':>9} {'µs/node':>8} {'load s':>7} {'schema s':>9} "
        f"{'analyse s':>10} {'tracemalloc MiB':>16} {'CLI s':>7} {'CLI RSS MiB':>12}"
    )
    print(header)
    for row in sizes.values():
        cli = row["cli"]
        st = row["stages"]
        cli_s = _seconds(cli.get("median_s")) if cli["ok"] else "fail"
        rss = f"{cli['max_rss_mib']:.0f}" if cli["ok"] else "-"
        print(
            f"{row['nodes']:>7,} {row['median_s']:>9.3f} {row['per_node_us']:>8.0f} "
            f"{st['load_s']:>7.3f} {st['schema_s']:>9.3f} {st['analyse_s']:>10.3f} "
            f"{row['tracemalloc_peak_mib']:>16.1f} {cli_s:>7} {rss:>12}"
        )
        for problem in row["problems"][:3]:
            print(f"        ! {problem}")
    per_node = [row["per_node_us"] for row in sizes.values()]
    if len(per_node) > 1:
        print(
            f"per-node time, largest spec / smallest: ×{per_node[-1] / per_node[0]:.2f} "
            "(1.0 = linear growth)"
        )

    print("\n(c) building the generated specs with Keras (cold process)")
    print(
        f"{'nodes':>7} {'total s':>8} {'import keras s':>15} {'build s':>8} {'layers':>7} "
        f"{'RSS MiB':>8}"
    )
    for nodes, row in results["keras"].items():
        if "skipped" in row:
            print(f"{int(nodes):>7,} skipped: {row['skipped']}")
            continue
        print(
            f"{int(nodes):>7,} {row['cold_wall_s']:>8.2f} {row['import_keras_s']:>15.2f} "
            f"{row['build_s']:>8.2f} {row['layers']:>7} {row['max_rss_mib']:>8.0f}"
        )
        analysed = sizes.get(nodes)
        if analysed:
            ratio = row["build_s"] / analysed["median_s"]
            print(f"        static analysis is {ratio:.0f}x faster than the build alone")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer runs, ≤1,000 nodes")
    parser.add_argument("--output", type=Path, help="JSON file (default benchmarks/results/...)")
    parser.add_argument(
        "--profile", type=int, metavar="NODES", help="only print a cProfile of NODES nodes"
    )
    args = parser.parse_args()
    if args.profile:
        print(profile(args.profile))
        return 0
    sizes: tuple[int, ...]
    if args.quick:
        sizes, runs, cold, keras_runs = (100, 1000), 1, 1, 1
        default = "static-quick.json"
    else:
        sizes, runs, cold, keras_runs = (100, 1000, 10000), 3, 3, 5
        default = "static.json"
    cli_runs = 3 if args.quick else 5
    print("(a) cold processes ...", file=sys.stderr)
    results: dict[str, Any] = {
        "machine": machine(),
        "settings": {"quick": args.quick, "sizes": sizes, "runs": runs, "cold_runs": cold},
        "cold": part_cold(cli_runs, keras_runs),
    }
    print("(b) static analysis ...", file=sys.stderr)
    results["sizes"] = part_sizes(sizes, runs, cold)
    print("(c) Keras builds ...", file=sys.stderr)
    results["keras"] = part_keras(sizes)
    print_tables(results)
    write_results(results, args.output or ROOT / "benchmarks" / "results" / default)
    return 0


def write_results(results: dict[str, Any], output: Path) -> None:
    """Write a benchmark's figures (rounded) as JSON and say where."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(_rounded(results), indent=2) + "\n")
    print(f"\nwrote {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")


def _rounded(value: Any) -> Any:
    """Figures to 4 significant digits, so the JSON stays readable."""
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(item) for item in value]
    return value


if __name__ == "__main__":
    raise SystemExit(main())
