"""`graphspec lsp`: the language server, over stdio, for any editor that speaks LSP.

Needs the `[lsp]` extra (pygls); imported only inside `run`, so building the parser (and every
other command) never loads it. No Keras: diagnostics stop at static shapes, as `validate`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from graphspec.cli.exits import UsageError

if TYPE_CHECKING:
    from graphspec.cli.options import Commands
    from graphspec.settings import Options

INSTALL_HINT = "graphspec lsp needs pygls: pip install 'graphspec[lsp]'"


def add_parser(commands: Commands, parents: Sequence[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "lsp",
        parents=parents,
        help="run the language server over stdio (diagnostics, hover, completion in editors)",
        description="A Language Server Protocol server on stdin/stdout: diagnostics as you "
        "type (the same as validate, up to static shapes), hover with shapes and parameters, "
        "go to definition, references, rename, completion, quick fixes and document symbols. "
        "Each spec is checked with the custom layers of the nearest pyproject.toml above it, "
        "and the options given here on top. Needs the [lsp] extra.",
        epilog="An editor starts it and talks to it; it checks the YAML and JSON files whose "
        "text has the graphspec: version key, and nothing else. Settings for VS Code, Neovim, "
        "Helix and others: docs/editors.md. Exit status: 0 after the client's shutdown and "
        "exit, or when stdin closes; 1 after an exit without shutdown (the protocol's rule).",
    )
    parser.add_argument(
        "--stdio", action="store_true", help="talk over stdin/stdout (the default and only way)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    try:
        from graphspec.lsp.document import ProjectOptions
        from graphspec.lsp.server import serve
    except ImportError as error:
        raise UsageError(f"{INSTALL_HINT} ({error})") from error
    return serve(
        ProjectOptions(
            strict=options.strict,
            limits=options.limits,
            custom_layers=tuple(args.custom_layer),
            custom_objects=tuple(args.custom_object),
            backend=options.backend,
        )
    )
