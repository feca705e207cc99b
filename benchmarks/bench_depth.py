"""Depth: chains deeper than Keras' own recursion allows, built, saved, loaded and validated.

Keras' Model() recurses once per chained layer and fails with RecursionError on a chain of
about 1,000 layers; graphspec raises the recursion limit while it builds and loads
(graphspec/deep.py). Prints two tables and writes benchmarks/results/depth.json:

(a) for chains of 1,000, 2,000 and 5,000 Dense layers (benchmarks/generate_specs.py --chain),
    each in a fresh process: `graphspec validate`'s checks, `graphspec build` (the CLI's own
    code: validate, emit, Keras summary, atomic save), `graphspec.load_model` and a first
    `predict` (which traces the model), with the total and the time per layer of each step and
    the process's peak RSS; then the baseline at Python's default recursion limit: plain
    `keras.Model(...)` on the same chain, and plain `keras.saving.load_model` on the smallest.
    The steps run in a thread with a 512 KiB stack (the smallest default thread stack of a
    common platform, macOS's): deep work must not need a large C stack;
(b) cold `graphspec validate` of 10,000- and 100,000-node chains with the default caps.

Run: `.venv/bin/python benchmarks/bench_depth.py` (about 10 minutes), `--quick` for a smoke run
(1,000 layers, 10,000 nodes; writes depth-quick.json), `--layers 20000` for other depths
(20,000 layers take about 12 minutes and 5 GiB).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_static import cold_runs, machine, run_cold, write_results  # noqa: E402
from generate_specs import generate_chain  # noqa: E402

CHILD_TIMEOUT_S = 3600
STACK_KIB = 512
PLAIN_LOAD_MAX = 2_000
"""Plain keras.saving.load_model is tried at the default limit only up to this many layers:
it reads every layer before it fails, which takes as long as a successful load."""


# ---- one depth, in a fresh process ---------------------------------------------------------------


def _rss_mib() -> float:
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def _in_thread(function: Callable[[], None], stack_kib: int) -> None:
    """Run `function` in a thread with a `stack_kib` stack; re-raise what it raised."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            function()
        except BaseException as error:  # handed to the caller
            failure.append(error)

    previous = threading.stack_size(stack_kib * 1024)
    try:
        worker = threading.Thread(target=target, name="bench-depth")
        worker.start()
    finally:
        threading.stack_size(previous)
    worker.join()
    if failure:
        raise failure[0]


def _fails_at_default_limit(function: Callable[[], Any]) -> str:
    try:
        function()
    except RecursionError:
        return "RecursionError"
    except Exception as error:
        return f"{type(error).__name__}: {str(error)[:120]}"
    return "ok"


def child(layers: int, stack_kib: int) -> dict[str, Any]:
    """Validate, build (CLI), load and predict one chain; the figures of each step."""
    import numpy as np

    import graphspec
    from graphspec import cli
    from graphspec.cli import keras_side
    from graphspec.pipeline import check_path
    from graphspec.runtime.backend import import_keras

    result: dict[str, Any] = {"layers": layers, "stack_kib": stack_kib}
    started = time.perf_counter()
    keras = import_keras()
    result["import_keras_s"] = time.perf_counter() - started
    result["rss_after_import_mib"] = _rss_mib()
    work = Path(tempfile.mkdtemp(prefix="bench_depth_"))
    spec = work / f"chain_{layers}.yaml"
    spec.write_text(generate_chain(layers), encoding="utf-8")
    saved = work / f"chain_{layers}.keras"
    limit = sys.getrecursionlimit()

    def steps() -> None:
        started = time.perf_counter()
        report = check_path(spec)
        result["validate_s"] = time.perf_counter() - started
        assert report.ok, [d.format() for d in report.diagnostics[:3]]

        saves: list[float] = []
        save = keras_side.save_model_atomically

        def timed_save(model: Any, path: Path) -> None:
            began = time.perf_counter()
            save(model, path)
            saves.append(time.perf_counter() - began)

        keras_side.save_model_atomically = timed_save  # what `graphspec build` calls
        out, err = io.StringIO(), io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["build", str(spec), "-o", str(saved), "--force"])
        result["build_s"] = time.perf_counter() - started
        assert code == 0, err.getvalue()[-2000:]
        result["save_s"] = saves[0]
        result["summary_lines"] = len(out.getvalue().splitlines())
        result["saved_mib"] = saved.stat().st_size / 2**20
        result["rss_after_build_mib"] = _rss_mib()
        keras.backend.clear_session()

        started = time.perf_counter()
        model = graphspec.load_model(saved)
        result["load_s"] = time.perf_counter() - started
        result["loaded_layers"] = len(model.layers)
        result["rss_after_load_mib"] = _rss_mib()

        batch = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
        started = time.perf_counter()
        predicted = model.predict(batch, verbose=0)
        result["predict_s"] = time.perf_counter() - started
        result["prediction_finite"] = bool(np.all(np.isfinite(predicted)))
        assert sys.getrecursionlimit() == limit, "the recursion limit was not restored"

        result["plain_keras_model"] = _fails_at_default_limit(
            lambda: keras.Model(model.inputs, model.outputs)
        )
        if layers <= PLAIN_LOAD_MAX:
            result["plain_keras_load"] = _fails_at_default_limit(
                lambda: keras.saving.load_model(saved, safe_mode=True)
            )

    try:
        _in_thread(steps, stack_kib)
    finally:
        for path in work.iterdir():
            path.unlink()
        work.rmdir()
    result["default_recursion_limit"] = limit
    return result


def part_keras(sizes: Sequence[int], stack_kib: int) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for layers in sizes:
        print(f"  {layers:,} layers ...", file=sys.stderr, flush=True)
        command = [
            sys.executable,
            __file__,
            "--child",
            str(layers),
            "--stack-kib",
            str(stack_kib),
        ]
        run = run_cold(command, CHILD_TIMEOUT_S)
        if not run["ok"]:
            rows[str(layers)] = {"layers": layers, "error": run.get("error", "failed")}
            continue
        rows[str(layers)] = {
            **json.loads(run["stdout"].strip().splitlines()[-1]),
            "wall_s": run["wall_s"],
            "max_rss_mib": run["max_rss_mib"],
        }
    return rows


# ---- static validation of deep chains -----------------------------------------------------------


def part_static(sizes: Sequence[int], runs: int) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for nodes in sizes:
        print(f"  validate {nodes:,} nodes ...", file=sys.stderr, flush=True)
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
            handle.write(generate_chain(nodes))
        try:
            size = Path(handle.name).stat().st_size
            command = [sys.executable, "-m", "graphspec", "validate", handle.name]
            run = cold_runs(command, runs)
        finally:
            os.unlink(handle.name)
        row: dict[str, Any] = {"nodes": nodes, "yaml_bytes": size, "ok": run["ok"]}
        if run["ok"]:
            row.update(
                median_s=run["median_s"],
                runs_s=run["runs_s"],
                per_node_us=run["median_s"] / nodes * 1e6,
                max_rss_mib=run["max_rss_mib"],
            )
        else:
            row["error"] = run["error"]
        rows[str(nodes)] = row
    return rows


# ---- report --------------------------------------------------------------------------------------

STEPS = (
    ("validate", "validate_s"),
    ("graphspec build (CLI)", "build_s"),
    ("  of which the save", "save_s"),
    ("graphspec.load_model", "load_s"),
    ("predict (first call)", "predict_s"),
)


def print_tables(results: dict[str, Any]) -> None:
    keras_rows = results["keras"]
    stack = results["settings"]["stack_kib"]
    print(f"\n(a) chains of Dense layers: fresh process each, steps in a {stack} KiB-stack thread")
    print(f"{'layers':>7}  {'step':<24} {'total s':>8} {'ms/layer':>9}")
    for row in keras_rows.values():
        layers = row["layers"]
        if "error" in row:
            print(f"{layers:>7,}  failed: {row['error']}")
            continue
        for label, key in STEPS:
            seconds = row[key]
            print(f"{layers:>7,}  {label:<24} {seconds:>8.2f} {seconds / layers * 1000:>9.2f}")
        plain = f"plain keras.Model(): {row['plain_keras_model']}"
        if "plain_keras_load" in row:
            plain += f"; plain keras.saving.load_model(): {row['plain_keras_load']}"
        print(
            f"{'':>7}  peak RSS {row['max_rss_mib']:,.0f} MiB (after import "
            f"{row['rss_after_import_mib']:,.0f}); {row['loaded_layers']:,} layers loaded; "
            f".keras {row['saved_mib']:.1f} MiB"
        )
        print(f"{'':>7}  at the default limit ({row['default_recursion_limit']:,}): {plain}")
    good = [row for row in keras_rows.values() if "error" not in row]
    if len(good) > 1:
        first, last = good[0], good[-1]
        ratios = ", ".join(
            f"{label.strip()} ×{(last[key] / last['layers']) / (first[key] / first['layers']):.2f}"
            for label, key in STEPS
            if key not in ("validate_s", "save_s")
        )
        print(f"per-layer time, {last['layers']:,} / {first['layers']:,} layers: {ratios}")

    print("\n(b) cold `graphspec validate` of a flat chain, default caps")
    print(f"{'nodes':>8} {'MiB':>6} {'median s':>9} {'µs/node':>8} {'RSS MiB':>8}")
    for row in results["static"].values():
        mib = row["yaml_bytes"] / 2**20
        if not row["ok"]:
            print(f"{row['nodes']:>8,} {mib:>6.1f} failed: {row['error']}")
            continue
        print(
            f"{row['nodes']:>8,} {mib:>6.1f} {row['median_s']:>9.2f} "
            f"{row['per_node_us']:>8.0f} {row['max_rss_mib']:>8.0f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1,000 layers only")
    parser.add_argument("--layers", type=int, nargs="+", help="chain depths to build")
    parser.add_argument("--nodes", type=int, nargs="+", help="chain sizes to validate")
    parser.add_argument("--stack-kib", type=int, default=STACK_KIB, help="thread stack (KiB)")
    parser.add_argument("--output", type=Path, help="JSON file (default benchmarks/results/...)")
    parser.add_argument("--child", type=int, metavar="LAYERS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        print(json.dumps(child(args.child, args.stack_kib)))
        return 0
    if args.quick:
        layers, nodes, runs, default = [1_000], [10_000], 1, "depth-quick.json"
    else:
        layers, nodes, runs, default = [1_000, 2_000, 5_000], [10_000, 100_000], 3, "depth.json"
    layers = args.layers or layers
    nodes = args.nodes or nodes
    results: dict[str, Any] = {
        "machine": machine(),
        "settings": {
            "quick": args.quick,
            "layers": layers,
            "nodes": nodes,
            "validate_runs": runs,
            "stack_kib": args.stack_kib,
        },
    }
    print("(a) build, save, load, predict ...", file=sys.stderr)
    results["keras"] = part_keras(layers, args.stack_kib)
    print("(b) static validation ...", file=sys.stderr)
    results["static"] = part_static(nodes, runs)
    print_tables(results)
    write_results(results, args.output or ROOT / "benchmarks" / "results" / default)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
