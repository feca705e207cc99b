"""Time `graphspec smoke` on every seed spec: Keras' import apart, then per spec the analysis
and the smoke run (build, random data, gradients, one training step, evaluate, predict), as
the CLI runs it (steps traced into graphs) and eagerly (`--eager`, what the test uses).

One process, as `graphspec smoke specs/seeds/` runs: Keras is imported once (its own row) and
one warm-up run (the first spec, not counted) pays TensorFlow's first tracing. Each figure is
the median of `--runs` runs. Prints a table (seconds, the loss per head, dead weights) and
writes benchmarks/results/smoke.json.
Run: `.venv/bin/python benchmarks/bench_smoke.py [--runs 1] [SPEC ...]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bench_static import machine, write_results  # noqa: E402

SEEDS = sorted((ROOT / "specs" / "seeds").glob("*.yaml"))
OUTPUT = ROOT / "benchmarks" / "results" / "smoke.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", type=Path, help="specs (default: every seed spec)")
    parser.add_argument("--runs", type=int, default=1, help="runs per spec and mode (median)")
    parser.add_argument("--batch-size", type=int, default=2)
    args = parser.parse_args()
    specs: list[Path] = args.specs or SEEDS

    started = time.perf_counter()
    from graphspec.runtime.backend import import_keras

    keras = import_keras()
    keras_import = time.perf_counter() - started
    from graphspec.pipeline import check_path
    from graphspec.train.smoke import smoke_report

    smoke_report(check_path(specs[0]), batch_size=args.batch_size)  # warm-up, not counted
    rows: list[dict[str, Any]] = []
    for path in specs:
        analyse_s, graph_s, eager_s = [], [], []
        result = None
        for _ in range(args.runs):
            t0 = time.perf_counter()
            report = check_path(path)
            analyse_s.append(time.perf_counter() - t0)
            result = smoke_report(report, batch_size=args.batch_size)
            graph_s.append(result.seconds)
            eager_s.append(smoke_report(report, batch_size=args.batch_size, eager=True).seconds)
        assert result is not None
        rows.append(
            {
                "spec": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
                "status": result.status,
                "analyse_s": statistics.median(analyse_s),
                "smoke_s": statistics.median(graph_s),
                "smoke_eager_s": statistics.median(eager_s),
                "loss": {h.name: h.loss for h in result.heads},
                "dead": None
                if result.dead is None
                else {d.entry: list(d.variables) for d in result.dead},
                "failure": None
                if result.failure is None
                else f"{result.failure.step}: {result.failure.message}",
            }
        )
    print_table(keras_import, rows, keras.backend.backend())
    write_results(
        {
            "machine": machine(),
            "backend": keras.backend.backend(),
            "runs": args.runs,
            "batch_size": args.batch_size,
            "keras_import_s": keras_import,
            "total_smoke_s": sum(row["smoke_s"] for row in rows),
            "total_smoke_eager_s": sum(row["smoke_eager_s"] for row in rows),
            "specs": rows,
        },
        OUTPUT,
    )
    return 0 if all(row["status"] == "ok" for row in rows) else 1


def print_table(keras_import: float, rows: list[dict[str, Any]], backend: str) -> None:
    print(f"import keras ({backend}): {keras_import:.2f} s (once, not in the rows)\n")
    header = ("spec", "analyse s", "smoke s", "eager s", "loss per head", "dead weights")
    table = [header]
    for row in rows:
        losses = ", ".join(
            f"{head} {loss:.3f}" if loss is not None else f"{head} -"
            for head, loss in row["loss"].items()
        )
        dead = "not checked" if row["dead"] is None else ("; ".join(row["dead"]) or "none")
        if row["failure"]:
            dead += f" [FAILED {row['failure']}]"
        table.append(
            (
                Path(row["spec"]).stem,
                f"{row['analyse_s']:.3f}",
                f"{row['smoke_s']:.2f}",
                f"{row['smoke_eager_s']:.2f}",
                losses,
                dead,
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    total = sum(row["smoke_s"] for row in rows)
    eager = sum(row["smoke_eager_s"] for row in rows)
    print(f"\n{len(rows)} specs: smoke {total:.1f} s in all, eager {eager:.1f} s")


if __name__ == "__main__":
    raise SystemExit(main())
