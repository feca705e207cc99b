"""Time `graphspec lsp` as an editor uses it: the real server, over stdio, through pygls' client.

Per spec size (a small seed, the largest gallery spec, ResNet-152 as the importer writes it
from keras.applications (517 layers; benchmarks/specs/resnet152.yaml), and a generated spec of
500 nodes of every form (benchmarks/generate_specs.py)) and per operation:

- `change`: a one-character edit (`didChange`, incremental, as editors send each keystroke) to
  the `publishDiagnostics` of that version: the whole pipeline up to static shapes, the ranges
  and the message round trip;
- `hover`, `definition`, `completion`: on the last `from:` reference of the spec (completion
  right after `from: `, so every name of the scope is offered);
- `check`: `graphspec.lsp.document.analyse_text` in this process, the analysis alone.

The server runs warm (opened once, then `--runs` rounds after `--warmup`); each row gives the
median, min and max in milliseconds. The budget is 50 ms for `change` on the ~500-node specs.
Writes benchmarks/results/lsp.json.
Run: `.venv/bin/python benchmarks/bench_lsp.py [--runs 30]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_static import machine, write_results  # noqa: E402
from generate_specs import generate  # noqa: E402
from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

from graphspec.lsp.document import analyse_text  # noqa: E402
from graphspec.settings import Options  # noqa: E402

BUDGET_MS = 50.0
OPERATIONS = ("change", "hover", "definition", "completion", "check")


def specs(folder: Path) -> dict[str, Path]:
    generated = folder / "generated_500.yaml"
    generated.write_text(generate(500), encoding="utf-8")
    return {
        "small (seed002_residual)": ROOT / "specs" / "seeds" / "seed002_residual.yaml",
        "gallery (translation_transformer_mini)": ROOT
        / "specs"
        / "gallery"
        / "translation_transformer_mini.yaml",
        "ResNet-152 (517 layers)": ROOT / "benchmarks" / "specs" / "resnet152.yaml",
        "generated (500 nodes)": generated,
    }


def last_reference(text: str) -> types.Position:
    """Where the last `from: NAME` names its node (the first character of NAME)."""
    index = text.rindex("from: ") + len("from: ")
    if text[index] in "[{":
        index += 1
    line = text.count("\n", 0, index)
    return types.Position(line, index - (text.rfind("\n", 0, index) + 1))


def name_edit(text: str, round_: int) -> tuple[types.Range, str]:
    """A one-character edit in the model's name (`name: resnet152` ↔ `name: resnet152x`)."""
    index = text.index("\nname: ") + len("\nname: ")
    end = text.index("\n", index)
    line = text.count("\n", 0, index)
    column = end - (index - len("name: "))
    if round_ % 2 == 0:
        return types.Range(types.Position(line, column), types.Position(line, column)), "x"
    return types.Range(types.Position(line, column), types.Position(line, column + 1)), ""


class Bench:
    """One server and its published diagnostics, awaited by version."""

    def __init__(self) -> None:
        self.client = LanguageClient("bench", "1")
        self.waiting: dict[tuple[str, int], asyncio.Future[Any]] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            future = self.waiting.pop((params.uri, params.version or 0), None)
            if future is not None and not future.done():
                future.set_result(params)

    async def start(self) -> None:
        await self.client.start_io(sys.executable, "-m", "graphspec", "lsp")
        await self.client.initialize_async(
            types.InitializeParams(capabilities=types.ClientCapabilities())
        )
        self.client.initialized(types.InitializedParams())

    def expect(self, uri: str, version: int) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting[(uri, version)] = future
        return future

    async def open(self, uri: str, text: str) -> None:
        done = self.expect(uri, 1)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "yaml", 1, text))
        )
        await asyncio.wait_for(done, 60)

    async def change(self, uri: str, version: int, edit: tuple[types.Range, str]) -> None:
        done = self.expect(uri, version)
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=version, uri=uri),
                [types.TextDocumentContentChangePartial(range=edit[0], text=edit[1])],
            )
        )
        await asyncio.wait_for(done, 60)

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await call()
    return (time.perf_counter() - start) * 1000


async def measure(path: Path, runs: int, warmup: int) -> dict[str, list[float]]:
    text = path.read_text(encoding="utf-8")
    uri = path.resolve().as_uri()
    bench = Bench()
    await bench.start()
    await bench.open(uri, text)
    identifier = types.TextDocumentIdentifier(uri)
    where = last_reference(text)
    client = bench.client
    times: dict[str, list[float]] = {name: [] for name in OPERATIONS}
    options = Options.from_sources(project=path.parent)
    version = 1
    for round_ in range(warmup + runs):
        version += 1
        edit = name_edit(text, round_)
        figures = {
            "change": await timed(lambda v=version, e=edit: bench.change(uri, v, e)),
            "hover": await timed(
                lambda: client.text_document_hover_async(types.HoverParams(identifier, where))
            ),
            "definition": await timed(
                lambda: client.text_document_definition_async(
                    types.DefinitionParams(identifier, where)
                )
            ),
            "completion": await timed(
                lambda: client.text_document_completion_async(
                    types.CompletionParams(identifier, where)
                )
            ),
        }
        start = time.perf_counter()
        analyse_text(text, str(path), options)
        figures["check"] = (time.perf_counter() - start) * 1000
        if round_ >= warmup:
            for name, value in figures.items():
                times[name].append(value)
    await bench.stop()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--only", default="", help="only the specs whose label contains this")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "lsp.json")
    args = parser.parse_args(argv)
    import tempfile

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'spec':<40} {'lines':>6} {'operation':<11} {'median':>8} {'min':>8} {'max':>8}")
        for label, path in specs(Path(folder)).items():
            if args.only not in label:
                continue
            lines = path.read_text(encoding="utf-8").count("\n")
            times = asyncio.run(measure(path, args.runs, args.warmup))
            for operation in OPERATIONS:
                values = times[operation]
                row = {
                    "spec": label,
                    "lines": lines,
                    "operation": operation,
                    "median_ms": statistics.median(values),
                    "min_ms": min(values),
                    "max_ms": max(values),
                }
                rows.append(row)
                print(
                    f"{label:<40} {lines:>6} {operation:<11} {row['median_ms']:>8.1f} "
                    f"{row['min_ms']:>8.1f} {row['max_ms']:>8.1f}",
                    flush=True,
                )
    over = [r for r in rows if r["operation"] == "change" and r["median_ms"] > BUDGET_MS]
    print(f"\nbudget: change ≤ {BUDGET_MS:.0f} ms (median): " + ("ok" if not over else "OVER"))
    write_results({"machine": machine(), "runs": args.runs, "rows": rows}, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
