"""`graphspec validate`: check specs without Keras, every problem of every file in one run."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from graphspec.cli.exits import EXIT_INVALID, EXIT_OK
from graphspec.cli.files import DIRECTORY_RULE, expand
from graphspec.cli.reports import check_file, print_diagnostics
from graphspec.diagnostics import Diagnostic, Severity
from graphspec.diagnostics.render import file_json, format_github, run_json, sarif_log

if TYPE_CHECKING:
    from graphspec.cli.options import Commands
    from graphspec.settings import Options

FORMATS = ("text", "json", "github", "sarif")


def add_parser(commands: Commands, parents: Sequence[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "validate",
        parents=parents,
        help="check specs without Keras (fast; for CI and editors)",
        description="Check specs: syntax, schema, references, cycles, layer arguments, "
        "reachability. Never imports TensorFlow or Keras. Every problem of every file is "
        "reported in one run.",
    )
    parser.add_argument(
        "specs",
        nargs="+",
        metavar="SPEC",
        help=f"spec files, directories or glob patterns; {DIRECTORY_RULE}",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="output format (default: text, or github when GITHUB_ACTIONS=true); sarif: one "
        "SARIF 2.1.0 log for code scanning",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    files = expand(args.specs)
    fmt = args.format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    invalid = warnings = 0
    entries = []
    found: list[Diagnostic] = []
    for file in files:
        report = check_file(file, options)
        invalid += 0 if report.ok else 1
        warnings += sum(d.severity is Severity.WARNING for d in report.diagnostics)
        if fmt == "json":
            entries.append(file_json(str(file), report.diagnostics))
        elif fmt == "sarif":
            found += report.diagnostics
        elif fmt == "github":
            for diagnostic in report.diagnostics:
                print(format_github(diagnostic), file=out)
        else:
            print_diagnostics(report.diagnostics, out)
    if fmt == "json":
        out.write(json.dumps(run_json(entries), indent=2) + "\n")
    elif fmt == "sarif":
        from graphspec import __version__

        out.write(json.dumps(sarif_log(found, __version__), indent=2) + "\n")
    else:
        print(
            f"checked {len(files)} spec(s): {len(files) - invalid} valid, {invalid} invalid, "
            f"{warnings} warning(s)",
            file=err,
        )
    return EXIT_INVALID if invalid else EXIT_OK
