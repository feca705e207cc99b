"""`graphspec summary`: the static table of nodes, shapes and parameters (no Keras)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from graphspec.cli.exits import EXIT_INVALID, EXIT_OK
from graphspec.cli.files import expand
from graphspec.cli.reports import check_file, print_diagnostics

if TYPE_CHECKING:
    from graphspec.cli.options import Commands
    from graphspec.settings import Options


def add_parser(commands: Commands, parents: Sequence[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "summary",
        parents=parents,
        help="print the static table of nodes, shapes and parameters (no Keras)",
        description="Print every node's layer, output shape and parameter count as inferred "
        "statically, pruned parts marked, and the totals. Never imports TensorFlow or Keras.",
    )
    parser.add_argument("specs", nargs="+", metavar="SPEC", help="spec files or directories")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print info notes")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    from graphspec.views.summary import render_summary

    worst = EXIT_OK
    for file in expand(args.specs):
        report = check_file(file, options)
        print_diagnostics(report.diagnostics, err, infos=args.verbose)
        if report.plan is None:
            worst = EXIT_INVALID
            continue
        out.write(render_summary(report.plan, str(file)) + "\n")
    return worst
