"""`graphspec graph`: draw a spec's graph as Mermaid or Graphviz dot text (no Keras)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from graphspec.cli.exits import EXIT_INVALID, EXIT_OK
from graphspec.cli.files import check_output, expand_one, write_text_atomically
from graphspec.cli.reports import check_file, print_diagnostics

if TYPE_CHECKING:
    from graphspec.cli.options import Commands
    from graphspec.settings import Options


CHOICES = ("mermaid", "dot")
"""The names of `graphspec.views.drawing.FORMATS`, restated so that building the parser (for
every command, `validate` included) does not import the drawing code; a test keeps them equal."""


def add_parser(commands: Commands, parents: Sequence[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "graph",
        parents=parents,
        help="draw the graph as Mermaid or Graphviz dot (no Keras)",
        description="Print the spec's graph: inputs, layers, merges, shared uses, blocks and "
        "heads, with pruned parts dashed. Paste Mermaid into Markdown; render dot with "
        "'dot -Tsvg'. Never imports TensorFlow or Keras.",
    )
    parser.add_argument("spec", metavar="SPEC", help="the spec file")
    parser.add_argument("--format", choices=CHOICES, default="mermaid", help="default: mermaid")
    parser.add_argument("-o", "--output", metavar="PATH", help="write to a file instead")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    from graphspec.views.drawing import FORMATS

    spec = expand_one(args.spec, "graph draws one spec")
    output = Path(args.output) if args.output else None
    if output is not None:
        check_output(output)
    report = check_file(spec, options)
    print_diagnostics(report.diagnostics, err, infos=False)
    if report.plan is None:
        return EXIT_INVALID
    text = FORMATS[args.format](report.plan)
    if output is None:
        out.write(text)
    else:
        write_text_atomically(output, text)
    return EXIT_OK
