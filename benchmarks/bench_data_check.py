"""The data check's cost: `graphspec.train.data.read_data` + `check_data` on ~1 GB of `.npy`
data, side by side with simply reading the same arrays once.

Writes an MNIST-shaped folder (``image.npy`` float32 (N, 28, 28, 1), ``label.npy`` int64 (N,),
~1 GiB together) to a temporary folder, then runs each way, each in a fresh process (so its
peak RSS is its own), median of ``--repeat`` runs:

- ``import only``: Python, numpy and graphspec's data modules imported, nothing read (the RSS
  every other row starts from);
- ``np.load into memory``: `numpy.load` of each file, what a script without graphspec does;
- ``one pass over the memmap``: `numpy.load(mmap_mode="r")` and one `numpy.sum` per array;
- ``graphspec check``: `read_data` (memory-mapped) and `check_data` against the spec: shapes,
  dtypes, sample counts, and full scans for NaN/inf (image) and the label range (label).

Each way runs twice: ``cold``, with the files' pages first dropped from the page cache
(`os.posix_fadvise(POSIX_FADV_DONTNEED)`, no root needed), and ``warm``, right after a read.
The check must not read everything into memory twice: its peak RSS stays near ``import only``
(the scan hands each chunk's pages back), while ``np.load`` holds the whole data.

Run: ``.venv/bin/python benchmarks/bench_data_check.py`` (about a minute; ``--gib 0.1`` for a
smoke run). Prints a table and writes benchmarks/results/data_check.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SPEC = """\
graphspec: 1
name: mnist_like
inputs:
  image: {shape: [28, 28, 1]}
nodes:
  flat: {layer: Flatten, from: image}
  probs: {layer: Dense, from: flat, units: 10, activation: softmax}
outputs:
  label: {from: probs, loss: sparse_categorical_crossentropy}
"""
SAMPLE_BYTES = 28 * 28 * 4 + 8
WAYS = ("import only", "np.load into memory", "one pass over the memmap", "graphspec check")


def _rss_mib() -> float:
    """This process's peak RSS. Linux: VmHWM, which exec resets (ru_maxrss keeps the peak of
    the process that forked it: the parent that wrote the data)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def write_data(folder: Path, gib: float) -> int:
    """The arrays, written in slices so writing them needs little memory; their sample count."""
    import numpy as np

    samples = int(gib * 2**30 / SAMPLE_BYTES)
    rng = np.random.default_rng(0)
    image = np.lib.format.open_memmap(folder / "image.npy", "w+", "float32", (samples, 28, 28, 1))
    label = np.lib.format.open_memmap(folder / "label.npy", "w+", "int64", (samples,))
    step = 20_000
    for start in range(0, samples, step):
        stop = min(samples, start + step)
        image[start:stop] = rng.random((stop - start, 28, 28, 1), dtype="float32")
        label[start:stop] = rng.integers(0, 10, stop - start)
    image.flush()
    label.flush()
    del image, label
    return samples


def drop_cache(folder: Path) -> None:
    """Evict the files' pages from the page cache (clean pages: no root needed)."""
    for path in folder.glob("*.npy"):
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(descriptor)


def child(way: str, folder: Path) -> dict[str, Any]:
    """One way, in this (fresh) process: seconds and peak RSS."""
    import numpy as np

    import graphspec
    from graphspec.train.data import check_data, read_data

    plan = graphspec.check(graphspec.loads(SPEC)).plan
    assert plan is not None
    files = sorted(folder.glob("*.npy"))
    found: Any = None
    start = time.perf_counter()
    if way == "np.load into memory":
        found = [np.load(path) for path in files]
    elif way == "one pass over the memmap":
        found = [float(np.sum(np.load(path, mmap_mode="r"))) for path in files]
    elif way == "graphspec check":
        found = check_data(plan, read_data(folder), "training")
        assert found == (), found
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_rss_mib": _rss_mib()}


def run_child(way: str, folder: Path, cold: bool) -> dict[str, Any]:
    if cold:
        drop_cache(folder)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, __file__, "--child", way, str(folder)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=1.0, help="size of the data (GiB)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("WAY", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]))))
        return 0
    from bench_static import machine, write_results

    rows: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-data-") as temporary:
        folder = Path(temporary)
        samples = write_data(folder, args.gib)
        size = sum(p.stat().st_size for p in folder.glob("*.npy")) / 2**30
        print(f"{samples} samples, {size:.2f} GiB of .npy in {folder}\n")
        print(f"{'way':<28} {'cache':<6} {'seconds':>8} {'GiB/s':>7} {'peak RSS MiB':>13}")
        for way in WAYS:
            for cold in (True, False):
                if not cold:
                    run_child("one pass over the memmap", folder, cold=False)  # warm the cache
                runs = [run_child(way, folder, cold) for _ in range(args.repeat)]
                seconds = statistics.median(r["seconds"] for r in runs)
                rss = max(r["peak_rss_mib"] for r in runs)
                rate = size / seconds if seconds > 1e-3 else float("nan")
                cache = "cold" if cold else "warm"
                rows[f"{way} ({cache})"] = {"seconds": seconds, "gib_per_s": rate, "rss": rss}
                print(f"{way:<28} {cache:<6} {seconds:8.3f} {rate:7.2f} {rss:13.0f}")
    results = {"machine": machine(), "gib": size, "samples": samples, "rows": rows}
    write_results(results, ROOT / "benchmarks" / "results" / "data_check.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
