"""`graphspec evaluate`: a trained model's loss and metrics on data checked against its spec
(needs Keras). The evaluation itself is `graphspec.train.run.evaluate`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from graphspec.cli.exits import EXIT_INVALID, EXIT_OK, UsageError
from graphspec.cli.fit import add_data_argument, read_data_flags, reported
from graphspec.cli.options import positive

if TYPE_CHECKING:
    from graphspec.cli.options import Commands
    from graphspec.settings import Options
    from graphspec.train.data import TrainingData


def add_parser(commands: Commands, parents: Sequence[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "evaluate",
        parents=parents,
        help="a trained model's loss and metrics on data checked against its spec",
        description="Evaluate a run folder (its spec.yaml, and best.keras or with "
        "--checkpoint final model.keras), a .keras file (checked against the spec imported "
        "from it), or a spec with --weights. The data is checked against the spec first: "
        "nothing is evaluated when a problem is an error. Prints each loss and metric by the "
        "name Keras logs. Exit 0 evaluated, 1 the spec or the data has errors, 2 usage.",
        epilog="example: graphspec evaluate runs/mnist --data test.npz",
    )
    parser.add_argument(
        "model", metavar="RUN_OR_MODEL", help="a run folder, a .keras file or a spec file"
    )
    add_data_argument(parser)
    parser.add_argument(
        "--weights", metavar="FILE", help="with a spec: the trained model (.keras) or weights"
    )
    parser.add_argument(
        "--checkpoint",
        choices=("best", "final"),
        default="best",
        help="with a run folder: best.keras or model.keras (default: best)",
    )
    parser.add_argument("--batch-size", type=positive, metavar="N", help="samples per step")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, options: Options, out: TextIO, err: TextIO) -> int:
    target = Path(args.model)
    if not target.exists():
        raise UsageError(f"{target}: no such run folder, model or spec")
    if not target.is_dir() and target.suffix != ".keras" and args.weights is None:
        raise UsageError(
            f"{target}: a spec alone has no trained weights; give --weights (a run's "
            "best.keras), or evaluate the run folder"
        )
    if args.weights is not None and not Path(args.weights).is_file():
        raise UsageError(f"{args.weights}: no such weights file")
    missing = missing_run_file(target, args)
    if missing is not None:
        raise UsageError(missing)
    (data,) = read_data_flags(args, "data")
    assert data is not None
    values = reported(
        lambda: _evaluated(
            target,
            data,
            weights=args.weights,
            checkpoint=args.checkpoint,
            batch_size=args.batch_size,
            options=options,
        ),
        err,
    )
    if values is None:
        return EXIT_INVALID
    print(f"evaluated {evaluated_file(target, args)} on {data_description(data)}", file=err)
    if args.format == "json":
        print(json.dumps(values, indent=2), file=out)
    else:
        width = max(len(name) for name in values)
        for name, value in values.items():
            print(f"{name:<{width}}  {value:.6g}", file=out)
    return EXIT_OK


def evaluated_file(target: Path, args: argparse.Namespace) -> Path:
    """The trained model file `evaluate` loads for ``target``."""
    if target.is_dir():
        return target / ("best.keras" if args.checkpoint == "best" else "model.keras")
    return target if target.suffix == ".keras" else Path(args.weights)


def data_description(data: TrainingData) -> str:
    """The data as a person checks it: where it came from and, for arrays, how many samples."""
    counts = {len(array) for array in data.arrays.values() if hasattr(array, "__len__")}
    if data.is_dataset or len(counts) != 1:
        return data.origin
    return f"{data.origin} ({counts.pop()} samples)"


def missing_run_file(target: Path, args: argparse.Namespace) -> str | None:
    """Why a run folder cannot be evaluated (not a run; its model file not written yet)."""
    if not target.is_dir():
        return None
    if not (target / "spec.yaml").is_file():
        return f"{target}: not a run folder of graphspec fit (no spec.yaml)"
    file = evaluated_file(target, args)
    if file.is_file():
        return None
    other = "final" if args.checkpoint == "best" else "best"
    return (
        f"{file}: not written (yet): the run has not finished, or logged no best epoch; "
        f"evaluate --checkpoint {other}, or finish the run with graphspec fit --resume"
    )


def _evaluated(target: Path, data: TrainingData, **settings: Any) -> dict[str, float]:
    """`graphspec.train.run.evaluate`; a model file that is not the spec's is a usage error."""
    from graphspec.train.run import evaluate

    try:
        return evaluate(target, data, **settings)
    except ValueError as error:
        raise UsageError(str(error)) from error
