"""The keras.applications zoo round trip: every model → spec → validate → build → compare.

For each of the 40 models (built offline with ``weights=None``): time the constructor, import
the model with `graphspec.importer.to_spec`, validate the spec (static shapes and parameter counts
against Keras' for every node), build it, compare the layer structure and parameter counts,
copy the weights across and compare, on one random batch, the heads and up to 16 inner layers'
outputs ("probes": how many of the compared tensors vary / how many were compared; a
saturated softmax alone would compare equal trivially). Prints one row per model and writes
benchmarks/results/zoo.json.

    python benchmarks/bench_zoo.py                 # all 40
    python benchmarks/bench_zoo.py ResNet50 VGG16  # some
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "zoo.json"


def run_model(keras: Any, name: str, custom: Any, predict: bool, repeat: int = 1) -> dict[str, Any]:
    from graphspec.diagnostics import SpecError
    from graphspec.importer.to_spec import import_config, model_config
    from graphspec.pipeline import analyse, build_report, loads
    from graphspec.settings import Options
    from graphspec.testing.roundtrip import compare

    options = Options(custom_layers=custom)
    constructor = getattr(keras.applications, name)
    times = []
    for _ in range(repeat):  # the best of `repeat`: both sides get the same chances
        keras.backend.clear_session()
        gc.collect()
        start = time.perf_counter()
        model = constructor(weights=None)
        times.append(time.perf_counter() - start)
    constructor_s = min(times)
    row: dict[str, Any] = {"model": name, "constructor_s": constructor_s}
    try:
        start = time.perf_counter()
        imported = import_config(model_config(model), name, custom)
        row["import_s"] = time.perf_counter() - start
        row["spec_lines"] = imported.text.count("\n")
        result = compare(model, imported.text, imported.layer_names, custom, predict=predict)
        builds = [result.build_s]
        for _ in range(repeat - 1):
            gc.collect()
            start = time.perf_counter()
            build_report(analyse(loads(imported.text, f"{name}.yaml"), options), options)
            builds.append(time.perf_counter() - start)
    except SpecError as error:
        row.update(ok=False, error="; ".join(d.format() for d in error.diagnostics[:3]))
        return row
    row.update(
        ok=result.ok,
        params=result.params,
        static_params=result.static_params,
        built_params=result.built_params,
        layers=result.layers,
        validate_s=result.validate_s,
        build_s=min(builds),
        ratio=min(builds) / constructor_s,
        max_abs_diff=result.max_abs_diff,
        compared_outputs=result.compared_outputs,
        varying_outputs=result.varying_outputs,
        mismatches=list(result.mismatches),
        notes=list(imported.notes),
    )
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", help="model names (default: all)")
    parser.add_argument("--no-predict", action="store_true", help="skip the prediction check")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--repeat", type=int, default=2, help="time constructor and build N times, keep the best"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from graphspec.runtime.backend import import_keras
    from graphspec.settings import read_project_settings

    keras = import_keras()
    custom = read_project_settings(ROOT / "benchmarks" / "zoo")
    names = args.models or sorted(n for n in dir(keras.applications) if n[0].isupper())
    header = (
        f"{'model':<20} {'params':>12} {'layers':>6} {'import s':>8} {'valid. s':>8} "
        f"{'build s':>8} {'keras s':>8} {'ratio':>6} {'max diff':>9} {'probes':>6}  result"
    )
    print(f"(times: best of {max(1, args.repeat)}; build = parse + validate + emit)")
    print(header)
    rows = []
    for name in names:
        row = run_model(keras, name, custom, not args.no_predict, max(1, args.repeat))
        rows.append(row)
        if "params" in row:
            diff = row["max_abs_diff"]
            print(
                f"{name:<20} {row['params']:>12,} {row['layers']:>6} {row['import_s']:>8.2f} "
                f"{row['validate_s']:>8.2f} {row['build_s']:>8.2f} {row['constructor_s']:>8.2f} "
                f"{row['ratio']:>6.2f} {'-' if diff is None else f'{diff:.1e}':>9} "
                f"{row['varying_outputs']:>3}/{row['compared_outputs']:<2}  "
                f"{'ok' if row['ok'] else '; '.join(row['mismatches'][:2])}",
                flush=True,
            )
        else:
            print(f"{name:<20} FAILED: {row['error']}", flush=True)
        keras.backend.clear_session()
        gc.collect()
    done = [r for r in rows if r.get("ok")]
    total_build = sum(r["build_s"] for r in rows if "build_s" in r)
    total_keras = sum(r["constructor_s"] for r in rows if "build_s" in r)
    print(
        f"\n{len(done)}/{len(rows)} models round-trip; build time {total_build:.1f} s vs "
        f"constructors {total_keras:.1f} s (ratio {total_build / max(total_keras, 1e-9):.2f})"
    )
    document = {
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "keras": keras.__version__,
        },
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "models": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0 if len(done) == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
