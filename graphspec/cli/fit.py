"""`graphspec fit`: train a spec's model on data checked against the spec, into a run folder
(needs Keras). The run itself is `graphspec.train.run.fit`; this module parses the flags,
prints the diagnostics or the closing summary and chooses the exit code: 0 trained, 1 the
spec or the data has errors or the run folder is in the way (nothing trained), 2 usage."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from graphspec.cli.exits import EXIT_INVALID, EXIT_OK, UsageError
from graphspec.cli.options import positive
from graphspec.cli.reports import print_diagnostics
from graphspec.diagnostics import SpecError

if TYPE_CHECKING:
    from graphspec.cli.options import Commands
    from graphspec.settings import Options
    from graphspec.train.data import TrainingData
    from graphspec.train.run import FitResult

Result = TypeVar("Result")

DISTRIBUTE_CHOICES = ("none", "mirrored", "multi-worker", "data-parallel")
"""`graphspec.train.distribute.DISTRIBUTE_CHOICES`, spelt out: building the parser must not
import the training side (`validate` builds it too); tests/cli/test_fit.py keeps them equal."""

LOG_MODES = {"auto": "auto", "bar": 1, "epoch": 2, "quiet": 0}
"""--log-mode → Keras' verbose: ``bar`` Keras' progress bar, ``epoch`` one line per epoch (CI
logs), ``quiet`` nothing until the summary, ``auto`` the bar on a terminal, else epoch."""


def fraction(text: str) -> float:
    """A validation split: a number from 0 up to (not including) 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1: {text}")
    return value


def seed(text: str) -> int:
    """An argparse type: a whole number ≥ 0."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, got {text!r}")
    return int(text)


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        required=True,
        metavar="PATH",
        help="a .npz file, a folder of .npy files (memory-mapped), with one array per input "
        "and per head, by name, or the name of an allowed data function (docs/data.md)",
    )
    parser.add_argument(
        "--data-function",
        action="append",
        default=[],
        metavar="MODULE.FUNCTION",
        help="allow --data to name this function, which returns a tf.data.Dataset or "
        "keras.utils.PyDataset of (x, y) dicts (repeatable; adds to [tool.graphspec] "
        "data-functions in the nearest pyproject.toml)",
    )


def read_data_flags(args: argparse.Namespace, *names: str) -> list[TrainingData | None]:
    """The data each flag names (None where a flag is not given), read with the allowed data
    functions; what cannot be read travels in the data, for `check_data` to report (GS801)."""
    from graphspec.catalogue.custom import CustomLayerError
    from graphspec.train.data import allowed_data_functions, read_data

    try:
        functions = allowed_data_functions(args.data_function)
    except CustomLayerError as error:
        raise UsageError(str(error)) from error
    values = [getattr(args, name) for name in names]
    return [None if value is None else read_data(value, functions) for value in values]


def add_parser(commands: Commands, parents: Sequence[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "fit",
        parents=parents,
        help="train a spec's model on data checked against it, into a run folder",
        description="Check the data against the spec (every problem at once; nothing is "
        "trained when one is an error), build and compile the model and train it with "
        "Keras' model.fit. The run folder gets model.keras (final), best.keras (best epoch "
        "by the monitored value), history.csv and history.json (one row per epoch), plots/ "
        "(a PNG per head) and, with --tensorboard, logs/. Settings come from the spec's "
        "'training' section; the flags below override it. A run killed at any moment "
        "continues from its last completed epoch with --resume. Exit 0 trained, 1 the spec "
        "or the data has errors or the run folder is in the way, 2 usage.",
        epilog="example: graphspec fit mnist.yaml --data train.npz --validation-data val.npz "
        "-o runs/mnist --epochs 5",
    )
    parser.add_argument("spec", metavar="SPEC", help="the spec file")
    add_data_argument(parser)
    parser.add_argument(
        "--validation-data",
        metavar="PATH",
        help="validation data, as --data (default: the spec's training.validation_split of "
        "the training data, if any)",
    )
    parser.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="the run folder, e.g. runs/NAME"
    )
    settings = parser.add_argument_group("overriding the spec's training section")
    settings.add_argument("--epochs", type=positive, metavar="N", help="epochs to train in all")
    settings.add_argument("--batch-size", type=positive, metavar="N", help="samples per step")
    settings.add_argument(
        "--validation-split",
        type=fraction,
        metavar="F",
        help="the last fraction F (0 <= F < 1) of the training arrays validates each epoch "
        "(ignored with --validation-data)",
    )
    settings.add_argument(
        "--seed", type=seed, metavar="N", help="seed of initialisation, shuffling and dropout"
    )
    again = parser.add_mutually_exclusive_group()
    again.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in the folder from its last completed epoch (a new run when "
        "the folder is new); with --epochs, train a finished run further",
    )
    again.add_argument(
        "--force", action="store_true", help="remove the run in the folder and start again"
    )
    parser.add_argument(
        "--distribute",
        choices=DISTRIBUTE_CHOICES,
        default="none",
        help="train over several devices or machines: mirrored (the visible GPUs or CPUs), "
        "multi-worker (TF_CONFIG), data-parallel (JAX); see docs/distributed.md (default: "
        "none)",
    )
    parser.add_argument(
        "--tensorboard", action="store_true", help="write TensorBoard logs to the run's logs/"
    )
    parser.add_argument("--no-plots", action="store_true", help="write no plots/ (no matplotlib)")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="the closing summary as text, or as one JSON object (for CI; default: text)",
    )
    logging = parser.add_mutually_exclusive_group()
    logging.add_argument(
        "--log-mode",
        choices=LOG_MODES,
        default="auto",
        help="progress while training: bar (Keras' progress bar), epoch (one line per epoch, "
        "for CI logs), quiet, or auto: bar on a terminal, else epoch (default: auto)",
    )
    logging.add_argument(
        "-q", "--quiet", action="store_true", help="no progress, only the closing summary"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    from graphspec.train.run import format_summary

    spec = Path(args.spec)
    if not spec.is_file():
        raise UsageError(f"{spec}: no such spec file")
    train, validation = read_data_flags(args, "data", "validation_data")
    assert train is not None
    # with --format json, stdout holds the JSON document alone: Keras' progress goes to stderr
    progress: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    if args.format == "json":
        progress = contextlib.redirect_stdout(err)
    with progress, interrupted_run(Path(args.output), err):
        result = _fit(args, spec, train, validation, options, err)
    if result is None:
        return EXIT_INVALID
    if args.format == "json":
        print(json.dumps(result_json(result), indent=2), file=out)
    else:
        print(format_summary(result), file=out)
    return EXIT_OK


def _fit(
    args: argparse.Namespace,
    spec: Path,
    train: TrainingData,
    validation: TrainingData | None,
    options: Options,
    err: TextIO,
) -> FitResult | None:
    from graphspec.train.run import fit

    return reported(
        lambda: fit(
            spec,
            train,
            validation_data=validation,
            output=args.output,
            epochs=args.epochs,
            batch_size=args.batch_size,
            seed=args.seed,
            validation_split=args.validation_split,
            resume=args.resume,
            force=args.force,
            distribute=args.distribute,
            tensorboard=args.tensorboard,
            plots=not args.no_plots,
            verbose=0 if args.quiet else LOG_MODES[args.log_mode],  # type: ignore[arg-type]
            options=options,
            on_warnings=lambda notes: print_diagnostics(notes, err),
        ),
        err,
    )


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def result_json(result: FitResult) -> dict[str, Any]:
    """A run as `--format json` prints it (NaN and infinities as null)."""
    return {
        "run_dir": str(result.run_dir),
        "epochs": result.epochs,
        "initial_epoch": result.initial_epoch,
        "stopped_early": result.stopped_early,
        "monitor": result.monitor,
        "mode": result.mode,
        "best_epoch": result.best_epoch,
        "best_value": result.best_value,
        "final": {name: _number(value) for name, value in result.final.items()},
        "history": {
            name: [_number(value) for value in values] for name, values in result.history.items()
        },
        "files": [str(path) for path in result.files],
        "seconds": round(result.seconds, 3),
    }


def reported(call: Callable[[], Result], err: TextIO) -> Result | None:
    """What ``call`` returns; None once a `SpecError`'s diagnostics are printed (the spec, the
    data or the run folder: exit 1). Keras not installed, or a file that cannot be read or
    written, is a usage error (exit 2)."""
    from graphspec.runtime.backend import BuildUnavailable

    try:
        return call()
    except SpecError as error:
        print_diagnostics(error.diagnostics, err)
        return None
    except BuildUnavailable as error:
        raise UsageError(str(error)) from error
    except OSError as error:
        raise UsageError(f"cannot read or write: {error}") from error


@contextlib.contextmanager
def interrupted_run(output: Path, err: TextIO) -> Iterator[None]:
    """Ctrl-C while training: say what the run folder keeps and how to continue it, then let
    the interruption end the command (exit 130)."""
    try:
        yield
    except KeyboardInterrupt:
        from graphspec.train.folder import RunFolder, completed_epochs

        folder = RunFolder(output)
        if folder.record.is_file():
            done = completed_epochs(folder.backup)
            print(
                f"graphspec: training interrupted after {done} completed epoch(s); "
                f"'{output}' keeps them: continue with the same command and --resume",
                file=err,
            )
        raise
