"""`graphspec build`: validate, build the Keras model and save it as .keras (needs Keras)."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from graphspec.cli.exits import EXIT_INVALID, EXIT_OK, UsageError
from graphspec.cli.files import check_output, expand
from graphspec.cli.reports import check_file, print_diagnostics
from graphspec.diagnostics import Diagnostic, Severity

if TYPE_CHECKING:
    from graphspec.cli.options import Commands
    from graphspec.settings import Options


def add_parser(commands: Commands, parents: Sequence[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "build",
        parents=parents,
        help="validate, build the Keras model and save it as .keras",
        description="Validate a spec, build its Keras 3 functional model, print the Keras "
        "summary and save the model atomically (never a half-written file; an existing file "
        "only with --force). Needs the extra of its backend: 'tensorflow' (the default), "
        "'jax' or 'torch'.",
    )
    parser.add_argument("specs", nargs="+", metavar="SPEC", help="the spec file(s)")
    parser.add_argument(
        "-o", "--output", metavar="PATH", help="where to save one spec's model (a .keras file)"
    )
    parser.add_argument(
        "--output-dir",
        metavar="DIR",
        help="where to save each model as <spec name>.keras (default: the current directory)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing output file")
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="do not print Keras' summary; with several specs, print one table row per spec "
        "(parameters, heads, warnings, file) as each is built",
    )
    parser.set_defaults(run=run)


@dataclass(frozen=True)
class Built:
    """One row of the closing table: what building one spec gave."""

    spec: Path
    parameters: int | None
    heads: tuple[str, ...]
    warnings: int
    output: Path | None

    def row(self) -> str:
        heads = ", ".join(self.heads)
        if len(heads) > 28:
            heads = heads[:27] + "…"
        params = f"{self.parameters:,}" if self.parameters is not None else "-"
        where = str(self.output) if self.output is not None else "not built (errors above)"
        return f"{self.spec.stem[:32]:<32} {params:>11}  {heads:<28} {self.warnings:>8}  {where}"


_HEADER = f"{'spec':<32} {'parameters':>11}  {'heads':<28} {'warnings':>8}  file"


def run(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    specs = expand(args.specs)
    if args.output and len(specs) > 1:
        raise UsageError("-o/--output takes one spec; use --output-dir for several")
    if args.output_dir and not Path(args.output_dir).is_dir():
        raise UsageError(f"{args.output_dir}: no such directory")
    directory = Path(args.output_dir or ".")
    outputs = [Path(args.output) if args.output else directory / f"{s.stem}.keras" for s in specs]
    if len(set(outputs)) < len(outputs):
        raise UsageError("two specs would be saved to the same file; give them distinct names")
    for output in outputs:  # refuse before any slow work
        check_output(output, (".keras",), force=args.force)
    table = args.quiet and len(specs) > 1  # one row per spec, printed as each is built
    if table:
        print(_HEADER, file=out, flush=True)
    started = time.perf_counter()
    rows: list[Built] = []
    for index, (spec, output) in enumerate(zip(specs, outputs, strict=True), start=1):
        if not table:
            counter = f"[{index}/{len(specs)}] " if len(specs) > 1 else ""
            print(f"{counter}building {spec} ...", file=err)
        rows.append(_build_one(spec, output, args.quiet, options, out, err, wrote=not table))
        if table:
            print(rows[-1].row(), file=out, flush=True)
    if len(specs) > 1:
        print(_total(rows, time.perf_counter() - started), file=out)
    return EXIT_OK if all(row.output for row in rows) else EXIT_INVALID


def _total(rows: Sequence[Built], seconds: float) -> str:
    built = [row for row in rows if row.output is not None]
    warnings = sum(row.warnings for row in rows)
    folders = sorted({str(row.output.parent) for row in built if row.output is not None})
    where = f" into {', '.join(folders)}" if folders else ""
    return (
        f"built {len(built)} of {len(rows)} specs{where} in {seconds:.1f} s; "
        f"{warnings} warning{'s' if warnings != 1 else ''}"
    )


def _build_one(
    spec: Path,
    output: Path,
    quiet: bool,
    options: Options,
    out: TextIO,
    err: TextIO,
    wrote: bool = True,
) -> Built:
    from graphspec.pipeline import build_report

    report = check_file(spec, options)  # the one analysis; build_report emits its plan
    print_diagnostics(report.diagnostics, err)
    heads = tuple(report.spec.outputs) if report.spec is not None else ()
    warnings = sum(1 for d in report.diagnostics if d.severity == Severity.WARNING)
    failed = Built(spec, None, heads, warnings, None)
    if not report.ok:
        return failed
    from graphspec.cli import keras_side

    started = time.perf_counter()
    try:
        model, built = build_report(report, options)
    except keras_side.BuildUnavailable as error:
        raise UsageError(str(error)) from error
    later = added(report.diagnostics, built.diagnostics)
    print_diagnostics(later, err)
    warnings += sum(1 for d in later if d.severity == Severity.WARNING)
    if model is None:
        return replace(failed, warnings=warnings)
    # Keras 3.15 walks the graph iteratively here; the raise is insurance for other 3.x.
    with keras_side.deep_recursion(len(model.layers)):
        if not quiet:
            model.summary(print_fn=lambda line, *_, **__: print(line, file=out))
        keras_side.save_model_atomically(model, output)
    seconds = time.perf_counter() - started
    if wrote:
        print(f"wrote {output} ({model.count_params():,} parameters) in {seconds:.1f} s", file=err)
    return Built(spec, model.count_params(), heads, warnings, output)


def added(before: Iterable[Diagnostic], after: Iterable[Diagnostic]) -> list[Diagnostic]:
    """What `after` holds beyond `before`, in `after`'s order: the diagnostics a later stage
    added to a report already printed (each counted, so a repeated one is printed again)."""
    printed = Counter(before)
    new = []
    for diagnostic in after:
        if printed[diagnostic]:
            printed[diagnostic] -= 1
        else:
            new.append(diagnostic)
    return new
