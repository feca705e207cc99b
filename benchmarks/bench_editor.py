"""Time the JSON Schema in an editor: how long yaml-language-server takes to validate the
largest spec under specs/, beside `graphspec validate` on the same file.

yaml-language-server (tests/ci/node, installed by `make test`'s set-up with `npm ci`) runs
once, over stdio, through the tests' LSP client (tests/ci/lsp_client.py). Rows:

- the server's start (spawn to the answer to `initialize`, settings applied);
- the first open of a spec (`didOpen` to `publishDiagnostics`): the server reads, compiles
  and caches the schema then, so this is the one-off cost of the first file of a session;
- opening the spec (a fresh URI each run, closed after) and editing it (`didChange` with the
  whole text, as an editor sends each keystroke) with the schema cached;
- the control: opening the same text without its modeline (no schema: the server only parses
  it). yaml-language-server waits `validationDelayMs` (200 ms, fixed in 1.25) after every open
  or change before it validates (a debounce for typing), so every row of the server holds
  that wait; the schema's own cost is the open row minus the control;
- `graphspec.pipeline.check_path` in this process (warm: modules imported, catalogue loaded);
- `python -m graphspec validate` in a fresh process each run (what the CLI and CI pay).

Each row is the median of `--runs` runs, interleaved in rounds after one warm-up round (as
bench_validate.py does; the server's rows apart from graphspec's, whose fresh processes would
otherwise fall between the server's). The schema's size is printed with them. Writes
benchmarks/results/editor.json.
Run: `make bench` or `.venv/bin/python benchmarks/bench_editor.py [--runs 9] [--spec PATH]`.
"""

from __future__ import annotations

import argparse
import itertools
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_static import machine, write_results  # noqa: E402
from bench_validate import run_once  # noqa: E402

from graphspec.pipeline import check_path  # noqa: E402
from tests.ci.lsp_client import LspClient  # noqa: E402

SERVER = ROOT / "tests" / "ci" / "node" / "node_modules" / "yaml-language-server"
SERVER_SETTINGS = SERVER / "out" / "server" / "src" / "yamlSettings.js"
SCHEMA_FILE = ROOT / "schemas" / "graphspec.schema.json"
OUTPUT = ROOT / "benchmarks" / "results" / "editor.json"
OPEN = "yaml-language-server: didOpen → diagnostics"
CONTROL = "yaml-language-server: didOpen → diagnostics, no schema"
SETTINGS = {
    "yaml": {
        "validate": True,
        "completion": True,
        "hover": True,
        "schemaStore": {"enable": False},
        "format": {"enable": False},
    }
}


def largest_spec() -> Path:
    """The largest spec under specs/, in bytes."""
    return max(ROOT.joinpath("specs").rglob("*.yaml"), key=lambda path: path.stat().st_size)


def summary(times: list[float]) -> dict[str, Any]:
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "runs_s": times,
    }


def interleaved(
    actions: dict[str, Callable[[], float | None]], runs: int
) -> dict[str, list[float]]:
    """`runs` timings of each action, in rounds after one warm-up round; each round runs every
    action once, in an order rotated per round, so load from other processes falls on all rows
    alike. A timing is what the action returns (a duration it measured), else its wall time."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    names = list(actions)
    for round_ in range(-1, runs):  # round -1 warms up and is not counted
        turn = round_ % len(names)
        for name in names[turn:] + names[:turn]:
            started = time.perf_counter()
            measured = actions[name]()
            elapsed = measured if measured is not None else time.perf_counter() - started
            if round_ >= 0:
                times[name].append(elapsed)
    return times


OPENED = itertools.count()
"""Numbers for the documents' names: each name is opened once (a closed document's empty
diagnostics, published on close, must not be taken for a later open's)."""


def validation_delay_ms() -> int | None:
    """The wait the installed server puts before each validation (None if not found)."""
    found = re.search(r"validationDelayMs = (\d+)", SERVER_SETTINGS.read_text(encoding="utf-8"))
    return int(found[1]) if found else None


class Editor:
    """The server with one text, opened under fresh names beside the spec (so that its
    modeline resolves): each open or edit timed to the diagnostics published for it."""

    def __init__(self, client: LspClient, spec: Path, text: str) -> None:
        self.client = client
        self.spec = spec
        self.text = text

    def _published(self, uri: str, send: Callable[[], None]) -> float:
        mark = self.client.mark()
        started = time.perf_counter()
        send()
        done = self.client.notification(
            "textDocument/publishDiagnostics", lambda p: p.get("uri") == uri, after=mark
        )
        if done.params["diagnostics"]:
            raise SystemExit(f"{self.spec}: {done.params['diagnostics']}")
        return done.received_at - started

    def open(self) -> float:
        """didOpen of a fresh URI to its diagnostics; then didClose."""
        uri = self.spec.with_name(f".bench_{next(OPENED)}_{self.spec.name}").as_uri()
        elapsed = self._published(uri, lambda: self.client.open(uri, self.text))
        self.client.close_document(uri)
        return elapsed

    def edit(self) -> Callable[[], float]:
        """A document kept open, and a function timing one whole-text didChange of it."""
        uri = self.spec.with_name(f".bench_{next(OPENED)}_edited_{self.spec.name}").as_uri()
        self._published(uri, lambda: self.client.open(uri, self.text))
        version = [1]

        def change() -> float:
            version[0] += 1
            params = {
                "textDocument": {"uri": uri, "version": version[0]},
                "contentChanges": [{"text": self.text}],
            }
            return self._published(
                uri, lambda: self.client.notify("textDocument/didChange", params)
            )

        return change


def check_valid(spec: Path) -> None:
    if not check_path(spec).ok:
        raise SystemExit(f"{spec} is not valid")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per row (medians; ≥5)")
    parser.add_argument("--spec", type=Path, default=None, help="default: the largest spec")
    args = parser.parse_args()
    node = shutil.which("node")
    if node is None or not (SERVER / "package.json").is_file():
        raise SystemExit("needs node and `npm ci --prefix tests/ci/node` (make test's set-up)")
    spec = (args.spec or largest_spec()).resolve()
    python = sys.executable
    subprocess.run([python, "-m", "compileall", "-q", str(ROOT / "graphspec")], check=True)
    version = subprocess.run(
        [node, str(SERVER / "bin" / "yaml-language-server"), "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    started = time.perf_counter()
    client = LspClient([node, str(SERVER / "bin" / "yaml-language-server"), "--stdio"], ROOT)
    with client:
        client.initialize(ROOT, SETTINGS)
        start_s = time.perf_counter() - started
        text = spec.read_text(encoding="utf-8")
        editor = Editor(client, spec, text)
        first_open_s = editor.open()  # reads and compiles the schema
        without = "".join(line for line in text.splitlines(keepends=True) if "$schema=" not in line)
        command = [python, "-m", "graphspec", "validate", str(spec)]
        times = interleaved(
            {
                OPEN: editor.open,
                "yaml-language-server: didChange → diagnostics": editor.edit(),
                CONTROL: Editor(client, spec, without).open,
            },
            args.runs,
        )
    times |= interleaved(
        {
            "graphspec.pipeline.check_path (in process)": lambda: check_valid(spec),
            "python -m graphspec validate (fresh process)": lambda: run_once(command)[0],
        },
        args.runs,
    )

    rows = {name: summary(runs) for name, runs in times.items()}
    schema_kb = SCHEMA_FILE.stat().st_size / 1024
    paired = [(o - c) * 1000 for o, c in zip(times[OPEN], times[CONTROL], strict=True)]
    schema_ms = statistics.median(paired)
    delay_ms = validation_delay_ms()
    results: dict[str, Any] = {
        "machine": {
            **machine(),
            "node": subprocess.check_output([node, "--version"], text=True).strip(),
        },
        "yaml_language_server": version,
        "spec": spec.relative_to(ROOT).as_posix(),
        "spec_bytes": spec.stat().st_size,
        "schema_kb": schema_kb,
        "runs": args.runs,
        "server_start_s": start_s,
        "first_open_s": first_open_s,
        "validation_delay_ms": delay_ms,
        "schema_validation_ms": schema_ms,
        "rows": rows,
    }
    print(
        f"yaml-language-server {version}, schema {SCHEMA_FILE.relative_to(ROOT)}"
        f" {schema_kb:.0f} KB; spec {results['spec']} ({results['spec_bytes']} bytes);"
        f" medians of {args.runs} runs after one warm-up\n"
    )
    print(f"{'server start (spawn → initialized, settings applied)':<56} {start_s * 1000:>9.1f}")
    print(f"{'first didOpen → diagnostics (loads the schema)':<56} {first_open_s * 1000:>9.1f}")
    print(f"\n{'':<56} {'median ms':>9} {'min ms':>8} {'max ms':>8}")
    for name, row in rows.items():
        print(
            f"{name:<56} {row['median_s'] * 1000:>9.1f} {row['min_s'] * 1000:>8.1f}"
            f" {row['max_s'] * 1000:>8.1f}"
        )
    print(
        f"\nthe schema's own cost (didOpen minus the no-schema control, median of the"
        f" per-round differences): {schema_ms:.1f} ms;"
        f" every server row holds the server's {delay_ms} ms wait before it validates"
    )
    write_results(results, OUTPUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
