"""The options every spec-reading command shares (`--strict`, `--custom-layer`,
`--custom-object`, `--backend`, the input caps) and the one `Options` a run builds from them
and the nearest pyproject.toml."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from graphspec.catalogue.custom import CustomLayerError
from graphspec.cli.exits import UsageError
from graphspec.settings import DEFAULT_BACKEND, DEFAULT_LIMITS, KERAS_BACKENDS, Limits, Options

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]
    """What `add_subparsers` returns; each command module's `add_parser` adds itself to it."""

__all__ = ["options_from", "positive", "spec_options"]


def positive(text: str) -> int:
    """An argparse type: a positive integer, `_` allowed as a digit separator (1_000_000)."""
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def spec_options() -> argparse.ArgumentParser:
    """The parent parser of every command that reads specs: --strict, --custom-layer,
    --custom-object, --backend and one flag per cap of `Limits.flags()`."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--strict", action="store_true", help="treat unreachable (pruned) parts as errors"
    )
    parent.add_argument(
        "--custom-layer",
        action="append",
        default=[],
        metavar="MODULE.CLASS",
        help="allow specs to use this layer class by its class name (repeatable; adds to "
        "[tool.graphspec] custom-layers in the nearest pyproject.toml)",
    )
    parent.add_argument(
        "--custom-object",
        action="append",
        default=[],
        metavar="MODULE.NAME",
        help="allow specs to use this loss or metric (a function or class) by its last name "
        "as `loss:` or in `metrics:`; build imports it (repeatable; adds to [tool.graphspec] "
        "custom-objects in the nearest pyproject.toml)",
    )
    parent.add_argument(
        "--backend",
        choices=KERAS_BACKENDS,
        help="the Keras backend to build on, and to warn about (default: the KERAS_BACKEND "
        f"environment variable, else {DEFAULT_BACKEND})",
    )
    caps = parent.add_argument_group("limits for untrusted input")
    for name, meaning in Limits.flags().items():
        default = getattr(DEFAULT_LIMITS, name)
        caps.add_argument(
            f"--{name.replace('_', '-')}",
            type=positive,
            default=default,
            metavar="N",
            help=f"{meaning} (default {default:,})",
        )
    return parent


def options_from(args: argparse.Namespace) -> Options:
    """The run's options, built once: [tool.graphspec] of the nearest pyproject.toml, then
    the command line (commands that read no spec get the defaults). ``--backend`` becomes
    keras' backend where a model is built (`graphspec.pipeline.build_report`); the other
    commands only read it for their warnings, and leave the process' environment alone."""
    if not hasattr(args, "strict"):
        return Options()
    limits = Limits(**{name: getattr(args, name) for name in Limits.flags()})
    try:
        options = Options.from_sources(
            args.strict,
            limits,
            args.custom_layer,
            backend=args.backend,
            custom_objects=args.custom_object,
        )
    except CustomLayerError as error:
        raise UsageError(str(error)) from error
    return options
