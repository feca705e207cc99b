"""Time a cold `graphspec validate` of every seed spec against validating by building in Keras.

Prints a table and writes benchmarks/results/validate.json. Run: `make bench` or
`.venv/bin/python benchmarks/bench_validate.py [--runs 5]`.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted(str(p) for p in (ROOT / "specs" / "seeds").glob("*.yaml"))
BUILD_ALL = "import sys, graphspec\nfor path in sys.argv[1:]:\n    graphspec.build(path)\n"


def cold(command: list[str], runs: int) -> list[float]:
    """Wall-clock seconds of a fresh process, `runs` times."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="repetitions (median reported)")
    args = parser.parse_args()
    python = sys.executable
    rows = {
        "python -c pass": cold([python, "-c", "pass"], args.runs),
        f"graphspec validate ({len(SEEDS)} seed specs)": cold(
            [python, "-m", "graphspec", "validate", *SEEDS], args.runs
        ),
        "graphspec validate (1 spec)": cold(
            [python, "-m", "graphspec", "validate", SEEDS[0]], args.runs
        ),
        f"build in Keras ({len(SEEDS)} seed specs)": cold(
            [python, "-c", BUILD_ALL, *SEEDS], max(1, args.runs // 2)
        ),
    }
    print(f"{'command':<44} {'median s':>9} {'min s':>7} {'max s':>7}")
    results = {}
    for name, times in rows.items():
        median = statistics.median(times)
        results[name] = {"median_s": round(median, 4), "runs": [round(t, 4) for t in times]}
        print(f"{name:<44} {median:>9.3f} {min(times):>7.3f} {max(times):>7.3f}")
    fast = results[f"graphspec validate ({len(SEEDS)} seed specs)"]["median_s"]
    slow = results[f"build in Keras ({len(SEEDS)} seed specs)"]["median_s"]
    print(f"validate is {slow / fast:.1f}x faster than validating by building")
    out = ROOT / "benchmarks" / "results" / "validate.json"
    out.write_text(
        json.dumps(
            {"machine": platform.platform(), "python": platform.python_version(), **results},
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
