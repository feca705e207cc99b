"""Command line: `graphspec validate|build|smoke|fit|evaluate|export|summary|graph|diff|import|
schema`.

Thin: parse the arguments, build the run's `Options` once, call one command module, turn
failures into exit codes. Each command is a module with `add_parser(commands, parents)` and
`run(args, options, out, err)`; a new command is a new module and one entry in `COMMANDS`.
Only `build`, `smoke`, `fit`, `evaluate` and `export` import Keras, inside their `run`;
`import` reads a model's config without it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from graphspec import __version__
from graphspec.cli import (
    build,
    diff,
    evaluate,
    export,
    fit,
    graph,
    import_,
    schema,
    smoke,
    summary,
    validate,
)
from graphspec.cli.exits import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
)
from graphspec.cli.options import options_from, spec_options
from graphspec.diagnostics.render import escape

__all__ = [
    "COMMANDS",
    "EXIT_BROKEN_PIPE",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "main",
    "make_parser",
]

COMMANDS = (validate, build, smoke, fit, evaluate, export, summary, graph, diff, import_, schema)
"""The command modules, in the order `graphspec --help` lists them."""


def make_parser() -> argparse.ArgumentParser:
    """`graphspec` and one subcommand per module of `COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="graphspec",
        description="Compile declarative YAML/JSON network specs into Keras 3 functional models.",
        epilog=(
            "Exit codes: 0 valid, 1 invalid spec, 2 usage or I/O error, 3 internal error, "
            "141 the output pipe closed early (as `git log | head`)."
        ),
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    parser.add_argument(
        "--version", action="version", version=f"graphspec {__version__}", help="print the version"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parents = [spec_options()]
    for command in COMMANDS:
        command.add_parser(commands, parents)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    args = make_parser().parse_args(argv)
    try:
        code: int = args.run(args, options_from(args), sys.stdout, sys.stderr)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        return _closed_pipe()
    except UsageError as error:
        print(f"graphspec: error: {escape(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("graphspec: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        if args.debug:
            raise
        print(
            f"graphspec: internal error: {type(error).__name__}: {escape(str(error))}\n"
            "this is a bug in graphspec; rerun with --debug for the traceback",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _closed_pipe() -> int:
    """The reader went away (`... | head -1`): end quietly, as SIGPIPE ends `git log | head`.
    stdout is pointed at the null device so that the interpreter's own flush at exit does not
    fail again and print 'Exception ignored ... BrokenPipeError'."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a file (a test's StringIO)
        pass
    return EXIT_BROKEN_PIPE
