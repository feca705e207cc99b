"""`graphspec diff`: the structural difference of two specs as analysed (no Keras)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from graphspec.cli.exits import EXIT_INVALID, EXIT_OK
from graphspec.cli.files import expand_one
from graphspec.cli.reports import check_file, print_diagnostics
from graphspec.diagnostics.render import escape, file_json, run_json

if TYPE_CHECKING:
    from graphspec.cli.options import Commands
    from graphspec.settings import Options


def add_parser(commands: Commands, parents: Sequence[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "diff",
        parents=parents,
        help="show the structural difference of two specs (no Keras)",
        description="Compare two specs as analysed, entries matched by name: inputs, shared "
        "entries, blocks, nodes and heads added, removed or changed (form, 'from', arguments "
        "as key paths such as sequence[2].units), each node's static output shape and "
        "parameter count, each head's parameters before and after. Comments, key order, "
        "formatting and 'description' make no difference. Never imports TensorFlow or Keras.",
        epilog="Exit codes: 0 structurally identical, 1 different, or either spec invalid (its "
        "diagnostics are printed as 'validate' prints them, and nothing is compared), 2 usage "
        "or I/O error.",
    )
    parser.add_argument("old", metavar="OLD", help="the spec before (e.g. the base branch's)")
    parser.add_argument("new", metavar="NEW", help="the spec after")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="default: text")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    from graphspec.views.diff import diff_json, diff_plans, format_diff

    files = [expand_one(raw, "diff compares two spec files") for raw in (args.old, args.new)]
    old, new = (check_file(file, options) for file in files)
    if old.plan is None or new.plan is None:  # nothing to compare: say why, as validate does
        invalid = [(file, r) for file, r in zip(files, (old, new), strict=True) if r.plan is None]
        if args.format == "json":
            entries = [file_json(str(file), report.diagnostics) for file, report in invalid]
            out.write(json.dumps(run_json(entries, status="invalid"), indent=2) + "\n")
        else:
            for _, report in invalid:
                print_diagnostics(report.diagnostics, out)
        names = " and ".join(escape(str(file)) for file, _ in invalid)
        print(f"graphspec diff: {names}: invalid, not compared", file=err)
        return EXIT_INVALID
    difference = diff_plans(old.plan, new.plan)
    if args.format == "json":
        out.write(json.dumps(diff_json(difference), indent=2) + "\n")
    else:
        for line in format_diff(difference):
            print(escape(line), file=out)
    return EXIT_OK if difference.identical else EXIT_INVALID
