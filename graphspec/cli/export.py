"""`graphspec export`: a spec or .keras model to a SavedModel, ONNX or LiteRT, verified in its
own runtime (needs Keras and the format's converter; the logic is in `graphspec.export`)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from graphspec.cli.exits import EXIT_INVALID, EXIT_OK, UsageError
from graphspec.cli.files import check_output, expand_one
from graphspec.cli.reports import print_diagnostics

if TYPE_CHECKING:
    from graphspec.cli.options import Commands
    from graphspec.settings import Options

FORMATS = ("saved_model", "onnx", "litert")
"""`graphspec.export.formats.FORMATS`' names, spelled here so that building the parser loads no
export module (a test keeps the two equal)."""
SUFFIXES = {"saved_model": "", "onnx": ".onnx", "litert": ".tflite"}
"""Each format's artifact suffix ("" for a directory), as `graphspec.export.formats` says."""


def add_parser(commands: Commands, parents: Sequence[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "export",
        parents=parents,
        help="export a spec or .keras model to SavedModel, ONNX or LiteRT, verified",
        description="Build a spec (or load a .keras model), export it with Keras' model.export, "
        "load the artifact in its own runtime (tf.saved_model.load, onnxruntime, the LiteRT "
        "interpreter) and compare its predictions with Keras' on the same random input. A "
        "failed conversion or verification is a diagnostic (exit 1) and writes nothing; an "
        "existing output is replaced only with --force. Needs the 'tensorflow' extra, and the "
        "'export' extra for ONNX and LiteRT.",
    )
    parser.add_argument("source", metavar="SPEC_OR_MODEL", help="a spec file or a .keras model")
    parser.add_argument("--format", required=True, choices=FORMATS, help="the artifact's format")
    parser.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="where to write it (default: <name>.onnx, <name>.tflite or the directory "
        "<name>_saved_model in the current directory)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing output")
    parser.add_argument(
        "--tolerance",
        type=_tolerance,
        default=1e-4,
        metavar="X",
        help="how far the export's outputs may be from Keras' (|got - keras| <= X * (1 + "
        "|keras|); default 1e-4)",
    )
    parser.add_argument("--seed", type=int, default=0, help="the random input's seed (default 0)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    source = expand_one(args.source, "export takes one spec or model")
    output = Path(args.output) if args.output else _default_output(source, args.format)
    _check_output(output, args.format, args.force)  # before any slow work
    from graphspec.cli import keras_side
    from graphspec.export import exporter

    try:
        exported, diagnostics = exporter.export_source(
            source, output, args.format, options, tolerance=args.tolerance, seed=args.seed
        )
    except (keras_side.BuildUnavailable, exporter.ConverterMissing) as error:
        raise UsageError(str(error)) from error
    except exporter.ModelUnreadable as error:
        raise UsageError(str(error)) from error
    except OSError as error:
        raise UsageError(f"{error.filename or source}: {error.strerror or error}") from error
    print_diagnostics(diagnostics, err)
    if exported is None:
        return EXIT_INVALID
    print(
        f"wrote {output} ({exported.format.title}; verified with {exported.format.runtime}, "
        f"largest difference from Keras {exported.max_difference:.2g}) "
        f"in {exported.seconds:.1f} s",
        file=err,
    )
    return EXIT_OK


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def _default_output(source: Path, format_name: str) -> Path:
    suffix = SUFFIXES[format_name]
    return Path(f"{source.stem}{suffix}" if suffix else f"{source.stem}_saved_model")


def _check_output(path: Path, format_name: str, force: bool) -> None:
    """`check_output` for a file; for a SavedModel directory the same refusals, and with
    --force only a directory that holds a SavedModel is replaced (never any other one)."""
    suffix = SUFFIXES[format_name]
    if suffix:
        check_output(path, (suffix,), force=force)
        return
    if path.is_symlink():
        raise UsageError(f"{path}: is a symbolic link; refusing to write through it")
    if path.exists():
        if not force:
            raise UsageError(f"{path}: already exists; pass --force to overwrite it")
        if path.is_dir() and not (path / "saved_model.pb").is_file():
            raise UsageError(f"{path}: is a directory that holds no SavedModel; not replacing it")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{parent}: no such directory")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"{parent}: not writable")
