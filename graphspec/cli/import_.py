"""`graphspec import`: the spec of a Keras model, from a .keras file or a JSON config.

Reads the model's config only, so no TensorFlow; the spec is validated before it is written.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from graphspec.cli.exits import EXIT_INVALID, EXIT_OK, UsageError
from graphspec.cli.files import check_output, write_text_atomically
from graphspec.cli.reports import print_diagnostics
from graphspec.diagnostics.render import escape

if TYPE_CHECKING:
    from graphspec.cli.options import Commands
    from graphspec.settings import Options


def add_parser(commands: Commands, parents: Sequence[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "import",
        parents=parents,
        help="write the spec of a Keras model (.keras file or JSON config)",
        description="Read a Keras model's config (a .keras file or the JSON of model.to_json()) "
        "and write the spec a person would write: chains as 'sequence', layers called twice "
        "as 'shared' + 'use', nested models as blocks, x + y as 'op' or 'expr', default "
        "arguments left out, heads named after the model's outputs. Deterministic; the spec "
        "is validated before it is written. Reads the config only: no TensorFlow needed. "
        "Classes outside keras.layers must be allowed (--custom-layer or [tool.graphspec]); "
        "a Lambda layer is an error that says how to write it as an 'expr' node.",
    )
    parser.add_argument("model", metavar="MODEL", help="a .keras file or a Keras JSON config")
    parser.add_argument(
        "-o", "--output", metavar="SPEC", help="where to write the spec (.yaml; default stdout)"
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing spec")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    from graphspec.diagnostics import SpecError
    from graphspec.importer.to_spec import import_path
    from graphspec.pipeline import check_text
    from graphspec.read.source import split_lines

    model = Path(args.model)
    if not model.is_file():
        raise UsageError(f"{model}: no such file")
    output = Path(args.output) if args.output else None
    if output is not None:
        check_output(output, (".yaml", ".yml"), force=args.force)
    try:
        imported = import_path(model, options.custom_layers)
    except SpecError as error:
        print_diagnostics(error.diagnostics, err)
        return EXIT_INVALID
    name = str(output) if output else f"<{model.name} imported>"
    report = check_text(imported.text, name, options)
    # Quote the imported text, not a file of that name: with --force, one may already exist.
    print_diagnostics(report.diagnostics, err, infos=False, lines=split_lines(imported.text))
    if not report.ok:
        print("graphspec: the imported spec does not validate; nothing written", file=err)
        return EXIT_INVALID
    for note in imported.notes:
        print(f"note: {escape(note)}", file=err)
    if output is None:
        out.write(imported.text)
        return EXIT_OK
    write_text_atomically(output, imported.text)
    plan = report.plan
    total = (
        "?"
        if plan is None or plan.trainable is None or plan.non_trainable is None
        else f"{plan.trainable + plan.non_trainable:,}"
    )
    nodes = len(report.spec.nodes) if report.spec else 0
    print(f"wrote {output}: {nodes} nodes, {total} parameters", file=err)
    return EXIT_OK
