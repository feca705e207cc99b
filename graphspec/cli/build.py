"""`graphspec build`: validate, build the Keras model and save it as .keras (needs Keras)."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from graphspec.cli.exits import EXIT_INVALID, EXIT_OK, UsageError
from graphspec.cli.files import check_output, expand
from graphspec.cli.reports import check_file, print_diagnostics
from graphspec.diagnostics import Diagnostic

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
    parser.add_argument("-q", "--quiet", action="store_true", help="do not print the summary")
    parser.set_defaults(run=run)


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
    worst = EXIT_OK
    for index, (spec, output) in enumerate(zip(specs, outputs, strict=True), start=1):
        counter = f"[{index}/{len(specs)}] " if len(specs) > 1 else ""
        print(f"{counter}building {spec} ...", file=err)
        worst = max(worst, _build_one(spec, output, args.quiet, options, out, err))
    return worst


def _build_one(
    spec: Path, output: Path, quiet: bool, options: Options, out: TextIO, err: TextIO
) -> int:
    from graphspec.pipeline import build_report

    report = check_file(spec, options)  # the one analysis; build_report emits its plan
    print_diagnostics(report.diagnostics, err)
    if not report.ok:
        return EXIT_INVALID
    from graphspec.cli import keras_side

    started = time.perf_counter()
    try:
        model, built = build_report(report, options)
    except keras_side.BuildUnavailable as error:
        raise UsageError(str(error)) from error
    print_diagnostics(added(report.diagnostics, built.diagnostics), err)
    if model is None:
        return EXIT_INVALID
    # Keras 3.15 walks the graph iteratively here; the raise is insurance for other 3.x.
    with keras_side.deep_recursion(len(model.layers)):
        if not quiet:
            model.summary(print_fn=lambda line, *_, **__: print(line, file=out))
        keras_side.save_model_atomically(model, output)
    seconds = time.perf_counter() - started
    print(f"wrote {output} ({model.count_params():,} parameters) in {seconds:.1f} s", file=err)
    return EXIT_OK


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
