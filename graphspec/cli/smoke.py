"""`graphspec smoke`: one training step, evaluate and predict on random data (needs Keras).

The run itself is `graphspec.train.smoke`; this module checks the files, prints each result
as text or JSON and chooses the exit code: 0 when every spec ran, 1 when one is invalid or a
step failed. Keras is imported only inside `run`, through the Keras side
(`graphspec.train.smoke`), so building the parser never loads it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from graphspec.cli.exits import EXIT_INVALID, EXIT_OK, UsageError
from graphspec.cli.files import expand
from graphspec.cli.options import positive
from graphspec.cli.reports import check_file, print_diagnostics
from graphspec.diagnostics.render import escape, file_json, run_json

if TYPE_CHECKING:
    from graphspec.cli.options import Commands
    from graphspec.settings import Options
    from graphspec.train.smoke import SmokeResult

FORMATS = ("text", "json")


def add_parser(commands: Commands, parents: Sequence[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "smoke",
        parents=parents,
        help="train one step on random data, evaluate and predict (needs Keras)",
        description="Build each spec's model, draw random inputs of its shapes and dtypes "
        "(ids below the Embedding's input_dim, null dimensions sized so the shapes fit) and "
        "random targets that fit each head's loss, then run one training step, evaluate and "
        "predict. Reports the loss per head and every node whose trainable weights get no "
        "gradient. A spec without 'compile' trains with adam and mse. Exit 0 when every "
        "spec ran, 1 when one is invalid or a step failed.",
    )
    parser.add_argument("specs", nargs="+", metavar="SPEC", help="spec files or directories")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument(
        "--batch-size", type=positive, default=2, metavar="N", help="rows of random data (2)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the random data (0)")
    parser.add_argument(
        "--eager",
        action="store_true",
        help="run the steps eagerly: faster for small models, but skips graph tracing",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    files = expand(args.specs)
    from graphspec.runtime.backend import BuildUnavailable
    from graphspec.train.smoke import smoke_report

    results = []
    for index, file in enumerate(files, start=1):
        report = check_file(file, options)
        if len(files) > 1 and args.format == "text":
            print(f"[{index}/{len(files)}] {file} ...", file=err)
        try:
            result = smoke_report(report, options, args.batch_size, args.seed, args.eager)
        except BuildUnavailable as error:
            raise UsageError(str(error)) from error
        results.append(result)
        if args.format == "text":
            print_diagnostics(result.diagnostics, err)
            print(format_result(result), file=out)
    failed = sum(not result.ok for result in results)
    if args.format == "json":
        out.write(json.dumps(run_json(result_json(r) for r in results), indent=2) + "\n")
    else:
        print(f"smoke: {len(results) - failed} of {len(results)} spec(s) ran", file=err)
    return EXIT_INVALID if failed else EXIT_OK


def format_result(result: SmokeResult) -> str:
    """One spec's result as text: a status line, the inputs drawn, a table of heads, dead
    weights and the failure."""
    file = escape(result.file)
    if result.status == "invalid":
        return f"{file}: invalid (nothing ran)"
    lines = [f"{file}: {result.status} in {result.seconds:.1f} s (batch {result.batch_size})"]
    for name, data in result.inputs.items():
        bound = f", ids < {data.below}" if data.below is not None else ""
        lines.append(f"  input {name}: {data.shape} {data.dtype}{bound}")
    rows = [("head", "loss function", "targets", "loss")]
    for head in result.heads:
        loss = f"{head.loss:.4f}" if head.loss is not None else "-"
        rows.append((head.name, head.loss_name or "-", head.target, loss))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        lines.append("  " + "  ".join(cells).rstrip())
    if result.loss is not None:
        lines.append(f"  total loss: {result.loss:.4f}")
    if result.dead is None:
        lines.append("  dead weights: not checked (needs the TensorFlow backend)")
    elif result.failure is None or result.dead:
        if not result.dead:
            lines.append("  dead weights: none")
        for dead in result.dead:
            names = ", ".join(dead.variables)
            lines.append(f"  dead weights: {escape(dead.entry)} gets no gradient ({names})")
    if result.failure is not None:
        lines.append(f"  failed at {result.failure.step}: {escape(result.failure.message)}")
    return "\n".join(lines)


def result_json(result: SmokeResult) -> dict[str, Any]:
    """One spec's result in the run's JSON document (`file_json` plus the run's figures)."""
    entry = file_json(result.file, result.diagnostics)
    entry["status"] = result.status
    if result.status == "invalid":
        return entry
    entry.update(
        name=result.name,
        seconds=round(result.seconds, 3),
        batch_size=result.batch_size,
        inputs={
            name: {"shape": list(data.shape), "dtype": data.dtype, "below": data.below}
            for name, data in result.inputs.items()
        },
        heads=[
            {"name": h.name, "loss_function": h.loss_name, "targets": h.target, "loss": h.loss}
            for h in result.heads
        ],
        loss=result.loss,
        dead=None
        if result.dead is None
        else [{"entry": d.entry, "variables": list(d.variables)} for d in result.dead],
        failure=None
        if result.failure is None
        else {"step": result.failure.step, "message": result.failure.message},
    )
    return entry
