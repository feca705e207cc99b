"""`graphspec graph`: draw a spec's graph as Mermaid or Graphviz dot text (no Keras)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from graphspec.cli.exits import EXIT_INVALID, EXIT_OK, UsageError
from graphspec.cli.files import expand
from graphspec.cli.reports import check_file, print_diagnostics

if TYPE_CHECKING:
    from graphspec.cli.options import Commands
    from graphspec.settings import Options


def add_parser(commands: Commands, parents: Sequence[argparse.ArgumentParser]) -> None:
    from graphspec.views.drawing import FORMATS

    parser = commands.add_parser(
        "graph",
        parents=parents,
        help="draw the graph as Mermaid or Graphviz dot (no Keras)",
        description="Print the spec's graph: inputs, layers, merges, shared uses, blocks and "
        "heads, with pruned parts dashed. Paste Mermaid into Markdown; render dot with "
        "'dot -Tsvg'. Never imports TensorFlow or Keras.",
    )
    parser.add_argument("spec", metavar="SPEC", help="the spec file")
    parser.add_argument(
        "--format", choices=tuple(FORMATS), default="mermaid", help="default: mermaid"
    )
    parser.add_argument("-o", "--output", metavar="PATH", help="write to a file instead")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    from graphspec.views.drawing import FORMATS

    if Path(args.spec).is_dir():
        raise UsageError(f"{args.spec}: is a directory; graph draws one spec")
    (spec,) = expand([args.spec])
    report = check_file(spec, options)
    print_diagnostics(report.diagnostics, err, infos=False)
    if report.plan is None:
        return EXIT_INVALID
    text = FORMATS[args.format](report.plan)
    if args.output:
        target = Path(args.output)
        if target.is_dir():
            raise UsageError(f"{target}: is a directory")
        target.write_text(text, encoding="utf-8")
    else:
        out.write(text)
    return EXIT_OK
