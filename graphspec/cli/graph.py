"""`graphspec graph`: draw a spec's graph as Mermaid or Graphviz dot text, as an SVG or PNG
picture through Graphviz's `dot`, or as one self-contained HTML page (no Keras)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from graphspec.cli.exits import EXIT_INVALID, EXIT_OK, UsageError
from graphspec.cli.files import check_output, expand_one, write_text_atomically
from graphspec.cli.reports import check_file, print_diagnostics

if TYPE_CHECKING:
    from graphspec.analyse.plan import Plan
    from graphspec.cli.options import Commands
    from graphspec.diagnostics import Diagnostic
    from graphspec.settings import Options


CHOICES = ("mermaid", "dot")
"""The names of `graphspec.views.drawing.FORMATS`, restated so that building the parser (for
every command, `validate` included) does not import the drawing code; a test keeps them equal."""
PICTURES = ("svg", "png")
"""Drawn by Graphviz's `dot` from the dot text (`graphspec.views.render.IMAGE_FORMATS`)."""
PAGE = "html"
"""One self-contained page (`graphspec.views.html.render_html`)."""
ALL_CHOICES = (*CHOICES, *PICTURES, PAGE)

FORMAT_HELP = (
    "mermaid (default): a flowchart to paste into Markdown; dot: Graphviz text; svg, png: a "
    "picture drawn by Graphviz's dot, which must be installed (Debian/Ubuntu: apt-get install "
    "graphviz; macOS: brew install graphviz); html: one self-contained page with pan and zoom "
    "and a panel for the clicked node. mermaid and dot need nothing installed. png is binary: "
    "give -o unless stdout is a pipe or a file"
)


def add_parser(commands: Commands, parents: Sequence[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "graph",
        parents=parents,
        help="draw the graph: Mermaid, Graphviz dot, SVG, PNG or an HTML page (no Keras)",
        description="Draw the spec's graph: inputs, nodes with their layer and output shape, "
        "merges, shared weights (dotted), block instances (in dot, svg and png as boxes "
        "holding their body, drawn once with ×N for repeat), heads with their loss, and pruned "
        "parts dashed. Never imports TensorFlow or Keras.",
    )
    parser.add_argument("spec", metavar="SPEC", help="the spec file")
    parser.add_argument("--format", choices=ALL_CHOICES, default="mermaid", help=FORMAT_HELP)
    parser.add_argument("-o", "--output", metavar="PATH", help="write to a file instead")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    spec = expand_one(args.spec, "graph draws one spec")
    output = Path(args.output) if args.output else None
    if output is not None:
        check_output(output)
    elif args.format == "png" and _is_terminal(out):
        raise UsageError("a PNG is binary and stdout is a terminal; give -o FILE.png")
    if args.format in PICTURES:
        _dot_or_hint()  # before the spec is read: nothing to wait for when it cannot draw
    report = check_file(spec, options)
    print_diagnostics(report.diagnostics, err, infos=False)
    if report.plan is None:
        return EXIT_INVALID
    if args.format in PICTURES:
        _write_bytes(output, out, _picture(report.plan, args.format))
        return EXIT_OK
    text = _text(report.plan, report.diagnostics, args.format)
    if output is None:
        out.write(text)
    else:
        write_text_atomically(output, text)
    return EXIT_OK


def _text(plan: Plan, diagnostics: Sequence[Diagnostic], format: str) -> str:
    if format == PAGE:
        from graphspec.views.html import render_html
        from graphspec.views.render import DotError

        try:  # the page lays its drawing out with dot
            return render_html(plan, diagnostics)
        except DotError as error:
            raise UsageError(f"cannot draw the page: {error}") from None
    from graphspec.views.drawing import FORMATS

    return FORMATS[format](plan)


def _picture(plan: Plan, format: str) -> bytes:
    """SVG or PNG bytes from `dot`; its failures (not installed, an error, too slow) are usage
    errors (exit 2) that say what to do."""
    from graphspec.views.drawing import render_dot
    from graphspec.views.render import DotError, run_dot

    try:
        return run_dot(render_dot(plan), "png" if format == "png" else "svg")
    except DotError as error:
        raise UsageError(f"cannot draw the {format}: {error}") from None


def _dot_or_hint() -> None:
    from graphspec.views.render import DotError, find_dot

    try:
        find_dot()
    except DotError as error:
        raise UsageError(f"cannot draw the picture: {error}") from None


def _write_bytes(output: Path | None, out: TextIO, data: bytes) -> None:
    if output is not None:
        from graphspec.atomic import replacing

        try:
            with replacing(output) as temporary:
                temporary.write_bytes(data)
        except OSError as error:
            raise UsageError(f"{output}: cannot write: {error.strerror or error}") from error
        return
    out.flush()
    stream: BinaryIO | None = getattr(out, "buffer", None)
    if stream is None:  # a text stream without bytes underneath (a test's StringIO)
        out.write(data.decode("utf-8", "surrogateescape"))
        return
    stream.write(data)
    stream.flush()


def _is_terminal(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False
