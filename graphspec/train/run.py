"""`graphspec fit` and `graphspec evaluate` as functions: train a spec's model on data checked
against the spec, leaving a run folder behind; evaluate a trained model.

A run, in order: analyse the spec (its errors raised as `SpecError`, nothing trained), read the
data and check it against the Plan (`graphspec.train.data`; its GS8xx diagnostics raised as
`RunError`), merge the settings (`graphspec.train.settings`), prepare the run folder
(`graphspec.train.folder`), then build *and* compile the model inside the distribution's
scope (`graphspec.train.distribute`) and call Keras' own ``model.fit`` with Keras' own progress
bar. graphspec adds only per-epoch callbacks (`graphspec.train.callbacks`): none runs Python
per batch, so a run trains as fast as the same ``model.fit`` written by hand.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from graphspec.diagnostics import Code, Diagnostic, Severity, SpecError, codes
from graphspec.diagnostics.reporter import Locator
from graphspec.pipeline import Report, analyse, check_path
from graphspec.settings import DEFAULT_OPTIONS, Options
from graphspec.spec.model import Spec
from graphspec.train.data import Role, TrainingData, check_data, read_data, split_xy
from graphspec.train.distribute import Distribute, batch_problems, distribution_scope
from graphspec.train.folder import (
    RunError,
    completed_epochs,
    prepare_run_folder,
    run_folder_problem,
)
from graphspec.train.history import History, best_epoch
from graphspec.train.settings import TrainingSettings, training_settings

if TYPE_CHECKING:
    from graphspec.analyse.plan import Plan

Verbose = Literal["auto", 0, 1, 2]
"""Keras' ``verbose``: 0 silent, 1 the progress bar, 2 one line per epoch; ``auto``: the bar on
a terminal, one line per epoch otherwise (a CI log)."""

DataSource = TrainingData | str | os.PathLike[str] | Mapping[str, Any]
"""What `fit` and `evaluate` take as data: anything `graphspec.train.data.read_data` reads."""


@dataclass(frozen=True)
class FitResult:
    """What a run did: its history (every epoch of the run, resumed ones included), where its
    files are, and the best epoch by the monitored value."""

    run_dir: Path
    history: Mapping[str, tuple[float, ...]]
    epochs: int
    """Epochs the run has completed, in all its sessions."""
    initial_epoch: int
    """Epochs completed before this session (a resumed run's)."""
    monitor: str
    mode: Literal["min", "max"]
    best_epoch: int | None
    """1-based; None when the monitored value was never a number."""
    best_value: float | None
    settings: TrainingSettings
    seconds: float
    files: tuple[Path, ...] = field(default=())
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    """The warnings and notes about the spec and the data (errors stop the run instead)."""

    @property
    def final(self) -> dict[str, float]:
        """Each logged value at the last epoch."""
        return {name: values[-1] for name, values in self.history.items() if values}

    @property
    def stopped_early(self) -> bool:
        """Whether a callback (EarlyStopping) ended the run before its epochs."""
        return self.epochs < self.settings.epochs


def analysed(spec: Spec | str | os.PathLike[str], options: Options) -> Report:
    """The spec analysed, with its Plan; `SpecError` with every diagnostic when it has errors
    (OSError when the file cannot be read)."""
    report = analyse(spec, options) if isinstance(spec, Spec) else check_path(Path(spec), options)
    if not report.ok or report.plan is None:
        raise SpecError(report.diagnostics)
    return report


def spec_problem(
    spec: Spec, code: Code, message: str, path: tuple[str, ...], hint: str
) -> Diagnostic:
    """A run problem located in the spec (at ``path``, or its nearest written parent)."""
    return Diagnostic(code, Severity.ERROR, message, Locator(spec.source).at(path), path, hint)


def checked_data(
    plan: Plan, source: DataSource, role: Role
) -> tuple[TrainingData, list[Diagnostic]]:
    """The data read (`read_data`) and its problems against the spec (`check_data`)."""
    data = source if isinstance(source, TrainingData) else read_data(source)
    return data, list(check_data(plan, data, role))


def finished_epochs(output: Path, epochs: int) -> int:
    """The epochs of the finished run in ``output`` (one stopped early included) when it
    was asked for ``epochs`` too, else ``epochs``: a finished run trains further only when
    asked for more epochs (--epochs, or the spec's changed)."""
    from graphspec.train.folder import RunFolder

    record = RunFolder(output).read_record()
    done, asked = record.get("epochs"), record.get("settings", {}).get("epochs")
    if record.get("status") == "finished" and isinstance(done, int) and asked == epochs:
        return done
    return epochs


def _compile_problem(spec: Spec) -> Diagnostic | None:
    if spec.compile is not None:
        return None
    return spec_problem(
        spec,
        codes.NOT_COMPILED,
        f"the spec '{spec.name}' has no 'compile' section: nothing says how to train it",
        (),
        "add compile: {optimizer: adam} and a loss on every head",
    )


def _monitor_problem(spec: Spec, settings: TrainingSettings, validates: bool) -> Diagnostic | None:
    if validates or not settings.monitor.startswith("val_"):
        return None
    return spec_problem(
        spec,
        codes.NO_VALIDATION_DATA,
        f"the run monitors '{settings.monitor}', a validation value, but has no validation data",
        ("training", "monitor"),
        "give --validation-data, set training.validation_split, or monitor a training value "
        f"('{settings.monitor.removeprefix('val_')}')",
    )


def _split_problem(
    spec: Spec, settings: TrainingSettings, train: TrainingData
) -> Diagnostic | None:
    if not (train.is_dataset and settings.validates):
        return None
    return spec_problem(
        spec,
        codes.SPLIT_OF_A_DATASET,
        f"validation_split {settings.validation_split:g} of the training data "
        f"{train.origin}, a dataset: Keras splits arrays only, so the run would validate "
        "on nothing",
        ("training", "validation_split"),
        "give --validation-data (a second data function), or --validation-split 0",
    )


def as_model_takes(arrays: Mapping[str, Any]) -> Any:
    """Arrays by input (or head) name as the emitted model takes them: the array alone for a
    model of one input (head), as graphspec builds it, else the mapping by name."""
    if len(arrays) == 1:
        return next(iter(arrays.values()))
    return dict(arrays)


def model_data(plan: Plan, data: TrainingData) -> dict[str, Any]:
    """``x`` and ``y`` as `model.fit` and `model.evaluate` take them for the emitted model:
    arrays split by name (`as_model_takes`), or the dataset as ``x``, its ``(x, y)`` dicts
    unwrapped where the model has one input or one head (`unwrapped_dataset`)."""
    if data.is_dataset:
        single_input = len(plan.top.live_inputs) == 1
        return {"x": unwrapped_dataset(data.dataset, single_input, len(plan.spec.outputs) == 1)}
    x, y = split_xy(plan, data)
    return {"x": as_model_takes(x), "y": as_model_takes(y)}


def _validation(data: dict[str, Any] | None) -> Any:
    if data is None:
        return None
    return (data["x"], data["y"]) if "y" in data else data["x"]


def _only(value: Any, single: bool) -> Any:
    if single and isinstance(value, Mapping) and len(value) == 1:
        return next(iter(value.values()))
    return value


def unwrapped_dataset(dataset: Any, single_input: bool, single_head: bool) -> Any:
    """A dataset of ``(x, y[, sample_weight])`` dicts as a model of one input or one head takes
    it: that dict's only value (Keras matches a dict to a model's outputs by name only when the
    model has several). A `tf.data.Dataset` is mapped; a `keras.utils.PyDataset` wrapped."""
    if not (single_input or single_head):
        return dataset

    def unwrap(x: Any, y: Any, *rest: Any) -> tuple[Any, ...]:
        return (_only(x, single_input), _only(y, single_head), *rest)

    if hasattr(dataset, "element_spec"):
        return dataset.map(unwrap)
    from graphspec.train.callbacks import UnwrappedPyDataset

    return UnwrappedPyDataset(dataset, unwrap)


def require_tensorboard() -> None:
    """`BuildUnavailable` (a usage error on the command line) when TensorBoard, which Keras'
    TensorBoard callback writes through, is not installed: before anything runs."""
    import importlib.util

    if importlib.util.find_spec("tensorboard") is None:
        from graphspec.runtime.backend import BuildUnavailable

        raise BuildUnavailable(
            "--tensorboard needs the tensorboard package: pip install 'graphspec[train]'"
        )


def resolve_verbose(verbose: Verbose) -> int:
    """Keras' verbose for ``auto``: the progress bar on a terminal, else one line per epoch."""
    if verbose != "auto":
        return verbose
    return 1 if sys.stdout.isatty() else 2


def fit(
    spec: Spec | str | os.PathLike[str],
    data: DataSource,
    *,
    output: str | os.PathLike[str],
    validation_data: DataSource | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    seed: int | None = None,
    validation_split: float | None = None,
    resume: bool = False,
    force: bool = False,
    distribute: Distribute = "none",
    tensorboard: bool = False,
    plots: bool = True,
    verbose: Verbose = "auto",
    options: Options = DEFAULT_OPTIONS,
    on_warnings: Callable[[tuple[Diagnostic, ...]], None] | None = None,
) -> FitResult:
    """Train a spec's model on ``data``, leaving the run folder ``output`` behind.

    ``spec``: a spec file or a `Spec`. ``data`` and ``validation_data``: a `.npz` file, a folder
    of `.npy` files or arrays by input and head name. ``epochs``, ``batch_size``, ``seed`` and
    ``validation_split`` override the spec's `training` section. ``resume``: continue the run in
    ``output`` from its last completed epoch; ``force``: start it again. Raises `SpecError` for
    a spec with errors and `RunError` (a `SpecError`) for data that does not fit it or a run
    folder in the way; nothing is trained then. The warnings about the spec and the data are
    passed to ``on_warnings`` before training starts (the CLI prints them) and kept in
    `FitResult.diagnostics`.

    >>> result = graphspec.fit("mnist.yaml", "train.npz", output="runs/a")  # doctest: +SKIP
    >>> result.best_epoch, result.history["val_loss"]  # doctest: +SKIP
    """
    started = time.perf_counter()
    if tensorboard:
        require_tensorboard()
    report = analysed(spec, options)
    plan = report.plan
    assert plan is not None and report.spec is not None
    model_spec = report.spec
    problems: list[Diagnostic] = []
    compile_problem = _compile_problem(model_spec)
    if compile_problem is not None:
        raise RunError([compile_problem])
    train, found = checked_data(plan, data, "training")
    problems += found
    validation = None
    if validation_data is not None:
        validation, found = checked_data(plan, validation_data, "validation")
        problems += found
    settings = training_settings(
        model_spec,
        validation_data=validation is not None,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        validation_split=validation_split,
    )
    if resume and epochs is None:  # a finished run trains further only when asked to
        settings = replace(settings, epochs=finished_epochs(Path(output), settings.epochs))
    monitor_problem = _monitor_problem(
        model_spec, settings, validation is not None or settings.validates
    )
    folder_problem = (  # a worker of several only learns inside the scope if it is the chief
        run_folder_problem(Path(output), model_spec, resume=resume, force=force)
        if distribute != "multi-worker"
        else None
    )
    split_problem = _split_problem(model_spec, settings, train)
    problems += [p for p in (monitor_problem, split_problem, folder_problem) if p is not None]
    if any(d.is_error for d in problems):
        raise RunError(problems)
    notes = (*report.diagnostics, *problems)
    if notes and on_warnings is not None:
        on_warnings(notes)
    return _train(
        plan,
        model_data(plan, train),
        model_data(plan, validation) if validation is not None else None,
        settings,
        _RunRequest(Path(output), resume, force, distribute, tensorboard, plots, verbose),
        options,
        started,
        notes,
    )


def _sample_counts(
    train: dict[str, Any], validation: dict[str, Any] | None, settings: TrainingSettings
) -> dict[str, int]:
    """Samples per data set as model.fit batches them (arrays only; a dataset batches itself):
    Keras' validation_split keeps the first ``int(n * (1 - split))`` rows for training."""
    counts: dict[str, int] = {}
    for name, data in (("training", train), ("validation", validation)):
        if data is None or "y" not in data:
            continue
        first = next(iter(data["x"].values())) if isinstance(data["x"], dict) else data["x"]
        counts[name] = len(first)
    if "training" in counts and settings.validation_split and validation is None:
        total = counts["training"]
        counts["training"] = int(total * (1 - settings.validation_split))
        counts["validation"] = total - counts["training"]
    return counts


def _parts(data: Mapping[str, Any]) -> list[Any]:
    return [
        array
        for part in (data.get("x"), data.get("y"))
        for array in (part.values() if isinstance(part, Mapping) else (part,))
        if array is not None
    ]


def holds_strings(data: Mapping[str, Any]) -> bool:
    """Whether arrays for `model.fit` hold strings (a `string` input, or string labels)."""
    return "y" in data and any(
        getattr(getattr(array, "dtype", None), "kind", None) in ("U", "S", "O")
        for array in _parts(data)
    )


def _sliced(part: Any, rows: slice) -> Any:
    return {k: v[rows] for k, v in part.items()} if isinstance(part, Mapping) else part[rows]


def string_dataset(
    data: dict[str, Any], batch_size: int, *, shuffle: bool, seed: int | None
) -> dict[str, Any]:
    """Arrays holding strings as the batched `tf.data.Dataset` Keras takes them in (its array
    adapter refuses strings), shuffled each epoch as `model.fit` shuffles arrays."""
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((data["x"], data["y"]))
    if shuffle:
        rows = len(_parts(data)[0])
        dataset = dataset.shuffle(rows, seed=seed, reshuffle_each_iteration=True)
    return {"x": dataset.batch(batch_size)}


def string_datasets(
    train: dict[str, Any], validation: dict[str, Any] | None, settings: TrainingSettings
) -> tuple[dict[str, Any], dict[str, Any] | None, TrainingSettings]:
    """Training and validation arrays holding strings as datasets; a validation split made
    here as Keras makes it (the last rows validate), since Keras splits no dataset."""
    if validation is None and settings.validation_split:
        keep = int(len(_parts(train)[0]) * (1 - settings.validation_split))
        head, tail = slice(None, keep), slice(keep, None)
        validation = {part: _sliced(train[part], tail) for part in ("x", "y")}
        train = {part: _sliced(train[part], head) for part in ("x", "y")}
        settings = replace(settings, validation_split=0.0)
    made = string_dataset(train, settings.batch_size, shuffle=settings.shuffle, seed=settings.seed)
    if validation is not None:
        validation = string_dataset(validation, settings.batch_size, shuffle=False, seed=None)
    return made, validation, settings


@dataclass(frozen=True)
class _RunRequest:
    output: Path
    resume: bool
    force: bool
    distribute: Distribute
    tensorboard: bool
    plots: bool
    verbose: Verbose


def _train(
    plan: Plan,
    train: dict[str, Any],
    validation: dict[str, Any] | None,
    settings: TrainingSettings,
    request: _RunRequest,
    options: Options,
    started: float,
    notes: tuple[Diagnostic, ...],
) -> FitResult:
    from graphspec.emit.model import emit_model
    from graphspec.emit.recursion import deep_recursion, plan_layer_bound
    from graphspec.runtime.backend import choose_backend, import_keras
    from graphspec.runtime.saving import save_model_atomically
    from graphspec.train.callbacks import run_callbacks
    from graphspec.train.compile import compile_model

    choose_backend(options.backend)
    keras = import_keras()
    with distribution_scope(request.distribute) as dist:
        uneven = batch_problems(
            dist, settings.batch_size, _sample_counts(train, validation, settings)
        )
        if uneven:
            raise SpecError(uneven)
        if holds_strings(train):  # Keras' array adapter takes no strings: tf.data does
            train, validation, settings = string_datasets(train, validation, settings)
        folder = prepare_run_folder(
            request.output,
            plan.spec,
            settings,
            resume=request.resume,
            force=request.force,
            chief=dist.chief,
        )
        if settings.seed is not None:
            keras.utils.set_random_seed(settings.seed)
        with deep_recursion(plan_layer_bound(plan)):
            model, problems = emit_model(plan, options)
            if model is not None:
                problems = compile_model(model, plan, options)
        if problems:
            raise SpecError(problems)
        history = History.read(folder.history_csv) if request.resume else History()
        callbacks = run_callbacks(
            plan.spec,
            settings,
            folder,
            history,
            chief=dist.chief,
            resume=request.resume,
            tensorboard=request.tensorboard,
        )
        try:
            model.fit(
                **train,
                batch_size=None if "y" not in train else settings.batch_size,
                epochs=settings.epochs,
                validation_split=settings.validation_split,
                validation_data=_validation(validation),
                shuffle=settings.shuffle and "y" in train,  # a dataset shuffles itself
                callbacks=callbacks,
                verbose=resolve_verbose(request.verbose),
            )
        except KeyboardInterrupt:  # Ctrl-C: the backup keeps the last completed epoch
            if dist.chief:
                folder.mark("interrupted", completed_epochs(folder.backup))
            raise
        history = History.read(folder.history_csv) if dist.chief else history
        initial = folder.initial_epoch
        if dist.chief:
            save_model_atomically(model, folder.final_model)
            folder.finish(history, plan.spec, plots=request.plots)
    best = best_epoch(history, settings.monitor, settings.mode)
    return FitResult(
        run_dir=folder.path,
        history=history.columns(),
        epochs=history.epochs,
        initial_epoch=initial,
        monitor=settings.monitor,
        mode=settings.mode,
        best_epoch=best[0] if best else None,
        best_value=best[1] if best else None,
        settings=settings,
        seconds=time.perf_counter() - started,
        files=folder.files(),
        diagnostics=notes,
    )


Checkpoint = Literal["best", "final"]


def _model_file(folder: Path, checkpoint: Checkpoint) -> Path:
    return folder / ("best.keras" if checkpoint == "best" else "model.keras")


def evaluate(
    model: Spec | str | os.PathLike[str],
    data: DataSource,
    *,
    weights: str | os.PathLike[str] | None = None,
    checkpoint: Checkpoint = "best",
    batch_size: int | None = None,
    verbose: Verbose = 0,
    options: Options = DEFAULT_OPTIONS,
) -> dict[str, float]:
    """The model's loss and metrics on ``data``, by Keras' logged names (``loss``,
    ``accuracy``; ``HEAD_loss``, ``HEAD_accuracy`` with several heads).

    ``model``: a run folder (`fit`'s ``output``: its spec.yaml, and best.keras or with
    ``checkpoint="final"`` model.keras), a `.keras` file, or a spec (file or `Spec`) with
    ``weights`` (a `.keras` or `.weights.h5` file). The data is checked against the spec first
    (`RunError`, nothing evaluated); a bare `.keras` file is checked against the spec
    graphspec imports from it, when it imports.
    """
    from graphspec.runtime.backend import choose_backend
    from graphspec.runtime.saving import load_model

    choose_backend(options.backend)
    path = None if isinstance(model, Spec) else Path(model)
    spec: Spec | Path | None = model if isinstance(model, Spec) else path
    file: Path | None = Path(weights) if weights is not None else None
    if path is not None and path.is_dir():
        spec, file = path / "spec.yaml", _model_file(path, checkpoint)
    elif path is not None and path.suffix == ".keras":
        spec, file = None, path
    plan = _plan_for(spec, file, options)
    if file is None:
        raise ValueError(
            f"{spec if isinstance(spec, Path) else 'a Spec'}: a spec alone has no trained "
            "weights to evaluate; give weights= (a run's best.keras), or the run folder"
        )
    if plan is not None:
        compile_problem = _compile_problem(plan.spec)
        if compile_problem is not None:
            raise RunError([compile_problem])
    if file.suffix == ".keras":
        keras_model = load_model(
            file, custom_layers=options.custom_layers, custom_objects=options.custom_objects
        )
    else:
        keras_model = _built(plan, options)
        keras_model.load_weights(str(file))
    names = [tensor.name for tensor in keras_model.inputs]
    if plan is not None and set(names) != set(plan.top.live_inputs):
        raise ValueError(
            f"{file}: a model of inputs {sorted(names)}, not the spec's "
            f"{sorted(plan.top.live_inputs)}: the weights are another model's"
        )
    if plan is None:
        arrays = (data if isinstance(data, TrainingData) else read_data(data)).arrays
        x = {name: arrays[name] for name in names if name in arrays}
        y = {name: arrays[name] for name in keras_model.output_names if name in arrays}
        inputs = {"x": as_model_takes(x), "y": as_model_takes(y)}
    else:
        checked, problems = checked_data(plan, data, "evaluation")
        if any(d.is_error for d in problems):
            raise RunError(problems)
        inputs = model_data(plan, checked)
        if holds_strings(inputs):
            inputs = string_dataset(inputs, batch_size or 32, shuffle=False, seed=None)
    result = keras_model.evaluate(
        **inputs,
        batch_size=batch_size if "y" in inputs else None,
        verbose=resolve_verbose(verbose),
        return_dict=True,
    )
    ordered = sorted(result, key=lambda name: (name != "loss", not name.endswith("loss")))
    return {name: float(result[name]) for name in ordered}


def _plan_for(spec: Spec | Path | None, file: Path | None, options: Options) -> Plan | None:
    """The Plan the data is checked against: the spec's, else that of the spec imported from
    the `.keras` file (None when the model has no spec form)."""
    if spec is not None:
        return analysed(spec, options).plan
    if file is None:
        return None
    from graphspec.importer.to_spec import import_path
    from graphspec.pipeline import check_text

    try:
        imported = import_path(file)
    except SpecError:
        return None
    # named apart from the .keras file: a diagnostic must not quote the zip's bytes as its text
    return check_text(imported.text, f"{file} (its imported spec)", options).plan


def _built(plan: Plan | None, options: Options) -> Any:
    from graphspec.pipeline import build_report

    assert plan is not None
    model, report = build_report(Report("<spec>", (), plan.spec, plan), options)
    if model is None:
        raise SpecError(report.diagnostics)
    return model


def format_summary(result: FitResult) -> str:
    """The run on one screen: epochs, the best epoch, the last epoch's values (training and
    validation side by side) and the files."""
    spent = f"{result.seconds:.1f} s"
    lines = [f"trained {result.epochs} epoch(s) in {spent} → {result.run_dir}"]
    if result.initial_epoch and result.initial_epoch >= result.epochs:
        lines[0] = (
            f"nothing to train: the run in {result.run_dir} had completed its "
            f"{result.epochs} epoch(s) already (train it further with --epochs N, "
            f"N > {result.epochs})"
        )
    elif result.initial_epoch:
        lines[0] += f" (resumed after epoch {result.initial_epoch})"
    if result.stopped_early:
        lines.append(f"stopped early by a callback (of {result.settings.epochs} epochs)")
    if result.best_epoch is not None and result.best_value is not None:
        lines.append(
            f"best epoch {result.best_epoch}: {result.monitor} {result.best_value:.4g} "
            f"({result.mode}) → best.keras"
        )
    else:
        lines.append(f"best epoch: none ({result.monitor} was never logged as a number)")
    final = result.final
    names = sorted(  # the total loss, each head's loss, then the metrics
        (n for n in final if not n.startswith("val_")),
        key=lambda n: (n != "loss", not n.endswith("loss")),
    )
    if names:
        header = f"epoch {result.epochs}"
        width = max(len(header), *(len(n) for n in names))
        lines.append(f"  {header:<{width}}  {'training':>10}  {'validation':>10}")
        for name in names:
            validation = final.get(f"val_{name}")
            shown = f"{validation:>10.4g}" if validation is not None else f"{'-':>10}"
            lines.append(f"  {name:<{width}}  {final[name]:>10.4g}  {shown}")
    files = [path.name + ("/" if path.is_dir() else "") for path in result.files]
    lines.append("files: " + "  ".join(files))
    return "\n".join(lines)
