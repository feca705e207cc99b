"""Export: every spec under specs/ to every format, verified, and timed side by side.

For each spec (built once) and each format of `graphspec.export.formats.FORMATS`, the export
that `graphspec export` runs: Keras' `model.export` to a temporary directory, the artifact
loaded in its own runtime and compared with Keras on random input (within 1e-4). A format
either works (with the largest difference from Keras and the seconds to write and verify) or
gives the diagnostic that names the layer it cannot take. Then, in the same process, the time
of one batch of inference in Keras (`predict_on_batch`, a traced function) and in each
runtime that took the model: the SavedModel's `serve` under TensorFlow, onnxruntime (CPU) and
the LiteRT interpreter, each at its default threading, on the same arrays, interleaved so that
machine noise falls on all of them alike; the median of the runs is reported.

Prints the table and writes benchmarks/results/export.json. Run:
`.venv/bin/python benchmarks/bench_export.py` (a few minutes; needs the 'export' extra),
`--quick` for three specs (writes export-quick.json), `--batch N` (default 32).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_static import machine, write_results  # noqa: E402

from graphspec.export import exporter  # noqa: E402
from graphspec.export.formats import FORMATS  # noqa: E402
from graphspec.settings import Options  # noqa: E402

QUICK = ("seeds/seed002_dense.yaml", "seeds/seed000_mimo.yaml", "seeds/seed002_qa.yaml")
RUNS = 30
"""Timed runs per runtime (after one warm-up), interleaved."""
PACKAGES = ("keras", "tensorflow", "tf2onnx", "onnx", "onnxruntime", "ai-edge-litert")


def specs(quick: bool) -> list[Path]:
    found = sorted((ROOT / "specs").rglob("*.yaml"))
    return [ROOT / "specs" / q for q in QUICK] if quick else found


def export_all(model: Any, spec: Path, where: Any, directory: Path) -> dict[str, Any]:
    """Each format's outcome for one model, with the artifact's path where it worked."""
    outcomes: dict[str, Any] = {}
    for name, fmt in FORMATS.items():
        missing = fmt.missing()
        if missing:
            outcomes[name] = {"works": False, "code": None, "diagnostic": fmt.install_hint()}
            continue
        path = directory / f"{spec.stem}{fmt.suffix or '_saved_model'}"
        exported, problems = exporter.export_model(model, path, name, where=where)
        if exported is None:
            problem = problems[0]
            outcomes[name] = {
                "works": False,
                "code": str(problem.code),
                "diagnostic": problem.format(),
            }
        else:
            outcomes[name] = {
                "works": True,
                "max_difference": exported.max_difference,
                "export_s": exported.seconds,
                "open_size": exported.open_size,
                "path": path,
            }
    return outcomes


def time_inference(model: Any, outcomes: dict[str, Any], batch: int) -> dict[str, float]:
    """Median milliseconds per batch: Keras and every runtime whose export worked, on the
    open size the exports were verified with (a runner that fails on the batch is left out)."""
    sizes = [o["open_size"] for o in outcomes.values() if o["works"]]
    size = sizes[0] if sizes else exporter.OPEN_SIZES[0]
    inputs = exporter.sample_inputs(model, batch=batch, seed=1, open_size=size)
    feed = inputs if len(inputs) > 1 else inputs[0]
    runners = {"keras": lambda: model.predict_on_batch(feed)}
    for name, outcome in outcomes.items():
        if outcome["works"]:
            run = exporter.load_runner(FORMATS[name], outcome["path"], exporter.input_names(model))
            runners[name] = lambda run=run: run(inputs)
    for name, runner in list(runners.items()):
        try:
            runner()  # warm up: tracing, allocation, delegates
        except Exception as error:
            print(f"  {name} cannot run a batch of {batch}: {type(error).__name__}")
            del runners[name]
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(RUNS):
        for name, runner in runners.items():
            started = time.perf_counter()
            runner()
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three specs only")
    parser.add_argument("--batch", type=int, default=32, help="inference batch size")
    args = parser.parse_args(argv)
    os.chdir(ROOT)  # diagnostics name specs/... as a user in the checkout would see them
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for spec in specs(args.quick):
            model, where, _ = exporter.build_spec(spec.relative_to(ROOT), Options())
            name = str(spec.relative_to(ROOT / "specs"))
            if model is None:
                rows.append({"spec": name, "built": False})
                continue
            outcomes = export_all(model, spec, where, Path(scratch))
            timings = time_inference(model, outcomes, args.batch)
            for outcome in outcomes.values():
                outcome.pop("path", None)
            rows.append(
                {
                    "spec": name,
                    "parameters": model.count_params(),
                    "formats": outcomes,
                    "ms_per_batch": timings,
                }
            )
            print_row(rows[-1])
            sys.stdout.flush()
    summary = {
        name: sum(r["formats"][name]["works"] for r in rows if "formats" in r) for name in FORMATS
    }
    print(f"\nworks, of {len(rows)} specs: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    print_refusals(rows)
    settings = {"quick": args.quick, "batch": args.batch, "runs": RUNS, "tolerance": 1e-4}
    info = machine()
    info["versions"] = {p: _version(p) for p in PACKAGES}
    results = {"machine": info, "settings": settings, "works": summary, "specs": rows}
    output = (
        ROOT / "benchmarks" / "results" / ("export-quick.json" if args.quick else "export.json")
    )
    write_results(results, output)
    return 0


HEADER = (
    f"{'spec':36} {'saved_model':>11} {'onnx':>6} {'litert':>6}   ms/batch: "
    f"{'keras':>7} {'tf_sm':>7} {'onnxrt':>7} {'litert':>7}"
)


def print_row(row: dict[str, Any]) -> None:
    if not getattr(print_row, "headed", False):
        print(HEADER)
        print_row.headed = True  # type: ignore[attr-defined]
    formats, times = row["formats"], row["ms_per_batch"]
    works = [("ok" if formats[n]["works"] else formats[n]["code"] or "n/a") for n in FORMATS]
    figures = [
        f"{times[n]:7.2f}" if n in times else f"{'-':>7}"
        for n in ("keras", "saved_model", "onnx", "litert")
    ]
    print(
        f"{row['spec']:36} {works[0]:>11} {works[1]:>6} {works[2]:>6}   ms/batch: "
        + " ".join(figures)
    )


def print_refusals(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        for name, outcome in row.get("formats", {}).items():
            if not outcome["works"]:
                print(f"\n{row['spec']} → {name}:\n  {outcome['diagnostic'].splitlines()[0]}")


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


if __name__ == "__main__":
    raise SystemExit(main())
