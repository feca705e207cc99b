"""`graphspec schema`: the JSON Schema of the spec language, for editors and CI."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from graphspec.cli.exits import EXIT_OK
from graphspec.cli.files import check_output, write_text_atomically

if TYPE_CHECKING:
    from graphspec.cli.options import Commands
    from graphspec.settings import Options


def add_parser(commands: Commands, parents: Sequence[argparse.ArgumentParser]) -> None:
    """Takes no `parents`: the schema is the same whatever the spec options say."""
    parser = commands.add_parser(
        "schema",
        help="print the JSON Schema of the spec language",
        description="Print the JSON Schema of spec language v1 (for editors and CI).",
    )
    parser.add_argument("-o", "--output", metavar="PATH", help="write to a file instead")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    from graphspec.spec.schema import json_schema

    text = json.dumps(json_schema(), indent=2, sort_keys=False) + "\n"
    if args.output:
        output = Path(args.output)
        check_output(output)
        write_text_atomically(output, text)
    else:
        out.write(text)
    return EXIT_OK
