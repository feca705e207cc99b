"""Time a cold `graphspec validate` against its fair floor and against building in Keras.

Every command runs in a fresh process, `--runs` times, interleaved: each round runs every
command once, in an order rotated per round, after one warm-up round (bytecode and file
caches), so load from other processes falls on all rows alike. Medians are reported, with the
children's CPU time beside the wall time (steadier on a shared machine). Rows:

- `python -c pass`, and `import graphspec` alone (the package loads nothing until used);
- the floor: a Python that imports pydantic, PyYAML and networkx and defines and validates a
  one-field pydantic model (pydantic builds much of itself at the first model);
- `python -m graphspec validate` of one seed spec, and of all of them;
- building every seed spec in Keras (`--no-build` leaves it out: each run takes seconds).

Then `validate (1 spec)` minus the floor, against DESIGN.md's 60 ms budget, and the graphspec
modules that `python -X importtime -m graphspec validate <spec>` spends most in (medians of
the same number of runs). Writes benchmarks/results/validate.json.
Run: `make bench` or `.venv/bin/python benchmarks/bench_validate.py [--runs 7] [--no-build]`.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_static import machine, write_results  # noqa: E402

SEEDS = sorted((ROOT / "specs" / "seeds").glob("*.yaml"))
BUDGET_MS = 60
"""DESIGN.md: a cold `validate` costs at most this much more than the floor."""
FLOOR = (
    "import networkx, pydantic, yaml\n"
    "class Floor(pydantic.BaseModel):\n"
    "    x: int\n"
    "Floor.model_validate({'x': 1})\n"
)
BUILD_ALL = "import sys, graphspec\nfor path in sys.argv[1:]:\n    graphspec.build(path)\n"
IMPORT_TIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)$")
TOP_MODULES = 12
# Children import this checkout, whatever is installed; TensorFlow's start-up noise is muted.
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    "TF_CPP_MIN_LOG_LEVEL": "3",
}


def run_once(command: Sequence[str]) -> tuple[float, float, str]:
    """One fresh process: wall seconds, its CPU seconds (user + system) and its stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, done.stderr


def import_times(stderr: str) -> dict[str, tuple[int, int]]:
    """graphspec's modules in `-X importtime` output: name → (self µs, cumulative µs)."""
    found = {}
    for line in stderr.splitlines():
        match = IMPORT_TIME.match(line)
        if match and (match[4] == "graphspec" or match[4].startswith("graphspec.")):
            found[match[4]] = (int(match[1]), int(match[2]))
    return found


def summary(walls: list[float], cpus: list[float]) -> dict[str, Any]:
    return {
        "median_s": statistics.median(walls),
        "min_s": min(walls),
        "max_s": max(walls),
        "cpu_median_s": statistics.median(cpus),
        "runs_s": walls,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="rounds (medians reported; ≥5)")
    parser.add_argument("--spec", type=Path, default=SEEDS[0], help="the one spec validated")
    parser.add_argument("--no-build", action="store_true", help="skip building in Keras")
    args = parser.parse_args()
    python = sys.executable
    # An installed graphspec has its bytecode compiled (pip does it; so does `make`); without
    # it, every cold run would compile ~45 modules from source (~40 ms) and measure that. This
    # machine sets PYTHONDONTWRITEBYTECODE, so compile once here, explicitly.
    subprocess.run([python, "-m", "compileall", "-q", str(ROOT / "graphspec")], check=True)
    spec = str(args.spec.resolve())
    one = f"graphspec validate (1 spec: {args.spec.stem})"
    every = f"graphspec validate ({len(SEEDS)} seed specs)"
    floor = "floor: pydantic + PyYAML + networkx + 1 model"
    commands: dict[str, list[str]] = {
        "python -c pass": [python, "-c", "pass"],
        "import graphspec": [python, "-c", "import graphspec"],
        floor: [python, "-c", FLOOR],
        one: [python, "-m", "graphspec", "validate", spec],
        every: [python, "-m", "graphspec", "validate", *map(str, SEEDS)],
    }
    build = f"build in Keras ({len(SEEDS)} seed specs)"
    build_runs = 0 if args.no_build else max(3, args.runs // 2)
    if build_runs:
        commands[build] = [python, "-c", BUILD_ALL, *map(str, SEEDS)]
    profile = [python, "-X", "importtime", "-m", "graphspec", "validate", spec]

    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    profiles: list[dict[str, tuple[int, int]]] = []
    names = list(commands)
    for round_ in range(-1, args.runs):  # round -1 warms up and is not counted
        turn = round_ % len(names)
        for name in names[turn:] + names[:turn]:
            if name == build and round_ >= build_runs:
                continue
            wall, cpu, _ = run_once(commands[name])
            if round_ >= 0:
                walls[name].append(wall)
                cpus[name].append(cpu)
        if round_ >= 0:
            profiles.append(import_times(run_once(profile)[2]))
        print(
            f"round {round_ + 1}/{args.runs} done" if round_ >= 0 else "warmed up", file=sys.stderr
        )

    results: dict[str, Any] = {
        "machine": machine(),
        "runs": args.runs,
        "floor_code": FLOOR,
        "commands": {},
    }
    print(f"\n{'command':<52} {'median s':>9} {'min s':>7} {'max s':>7} {'cpu s':>7}")
    for name in commands:
        row = summary(walls[name], cpus[name])
        results["commands"][name] = row
        print(
            f"{name:<52} {row['median_s']:>9.3f} {row['min_s']:>7.3f} {row['max_s']:>7.3f}"
            f" {row['cpu_median_s']:>7.3f}"
        )

    paired = [(v - f) * 1000 for v, f in zip(walls[one], walls[floor], strict=True)]
    over = {
        "median_of_round_differences_ms": statistics.median(paired),
        "difference_of_medians_ms": (
            statistics.median(walls[one]) - statistics.median(walls[floor])
        )
        * 1000,
        "cpu_difference_ms": (statistics.median(cpus[one]) - statistics.median(cpus[floor])) * 1000,
        "budget_ms": BUDGET_MS,
    }
    over["within_budget"] = over["median_of_round_differences_ms"] <= BUDGET_MS
    results["validate_over_floor"] = over
    print(
        f"\nvalidate (1 spec) - floor: {over['median_of_round_differences_ms']:.0f} ms"
        f" (median of per-round differences; difference of medians"
        f" {over['difference_of_medians_ms']:.0f} ms, of CPU time"
        f" {over['cpu_difference_ms']:.0f} ms): "
        f"{'within' if over['within_budget'] else 'OVER'} the {BUDGET_MS} ms budget"
    )
    if build_runs:
        ratio = statistics.median(walls[build]) / statistics.median(walls[every])
        results["build_over_validate"] = ratio
        print(f"validate is {ratio:.1f}x faster than validating by building")

    modules = {name for run in profiles for name in run}
    rows = [
        {
            "module": name,
            "self_us": int(statistics.median(run.get(name, (0, 0))[0] for run in profiles)),
            "cumulative_us": int(statistics.median(run.get(name, (0, 0))[1] for run in profiles)),
        }
        for name in modules
    ]
    own = statistics.median(sum(self_us for self_us, _ in run.values()) for run in profiles)
    top = sorted(rows, key=lambda row: -row["cumulative_us"])[:TOP_MODULES]
    results["import_time"] = {
        "command": ["python", "-X", "importtime", "-m", "graphspec", "validate", args.spec.name],
        "graphspec_modules_imported": len(modules),
        "graphspec_self_us_total": int(own),
        "top_by_cumulative": top,
    }
    print(
        f"\ngraphspec modules imported by `validate {args.spec.name}`: {len(modules)}, their own"
        f" (self) import time {own / 1000:.0f} ms; top {TOP_MODULES} by cumulative import time"
        f" (median of {len(profiles)}):"
    )
    print(f"{'module':<36} {'self µs':>9} {'cumulative µs':>14}")
    for row in top:
        print(f"{row['module']:<36} {row['self_us']:>9} {row['cumulative_us']:>14}")
    write_results(results, ROOT / "benchmarks" / "results" / "validate.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
