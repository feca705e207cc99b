"""The `training` section: needs `compile` (GS328); its callbacks are the few a spec may name,
with the arguments of their Keras signatures (GS325, GS326); `monitor` names a value the
model logs (GS327). Checked without Keras: the signatures are in `CALLBACKS` (a test compares
them with the installed Keras')."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from graphspec.analyse.state import Analysis
from graphspec.diagnostics import Diagnostic, SpecPath, codes
from graphspec.diagnostics.reporter import Reporter
from graphspec.spec.model import Spec, Training, TrainingObject


@dataclass(frozen=True)
class Argument:
    """One callback argument: what its value must be, said as the message says it."""

    kind: str
    accepts: Callable[[Any], bool]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


_MONITOR = Argument("a logged value's name, such as val_loss", lambda v: isinstance(v, str))
_MODE = Argument("auto, min or max", lambda v: v in ("auto", "min", "max"))
_DELTA = Argument("a number ≥ 0", lambda v: _number(v) and v >= 0)
_COUNT = Argument("a whole number ≥ 0", _count)
_VERBOSE = Argument("0 or 1", lambda v: v in (0, 1) and not isinstance(v, bool))
_FLAG = Argument("true or false", lambda v: isinstance(v, bool))

CALLBACKS: Mapping[str, Mapping[str, Argument]] = MappingProxyType(
    {
        "EarlyStopping": {
            "monitor": _MONITOR,
            "min_delta": _DELTA,
            "patience": _COUNT,
            "verbose": _VERBOSE,
            "mode": _MODE,
            "baseline": Argument("a number or null", lambda v: v is None or _number(v)),
            "restore_best_weights": _FLAG,
            "start_from_epoch": _COUNT,
        },
        "ReduceLROnPlateau": {
            "monitor": _MONITOR,
            "factor": Argument("a number between 0 and 1", lambda v: _number(v) and 0 < v < 1),
            "patience": _COUNT,
            "verbose": _VERBOSE,
            "mode": _MODE,
            "min_delta": _DELTA,
            "cooldown": _COUNT,
            "min_lr": _DELTA,
        },
        "TerminateOnNaN": {"raise_error": _FLAG},
    }
)
"""The callbacks a spec may name, with the arguments of Keras' signatures (3.x)."""

RUN_BY_GRAPHSPEC: Mapping[str, str] = MappingProxyType(
    {
        "ModelCheckpoint": "graphspec fit saves best.keras by the monitored value itself",
        "BackupAndRestore": "graphspec fit keeps its own backup for --resume",
        "CSVLogger": "graphspec fit writes history.csv itself",
        "TensorBoard": "graphspec fit writes TensorBoard logs with --tensorboard",
        "History": "graphspec fit keeps the history itself (history.json)",
        "ProgbarLogger": "graphspec fit shows Keras' progress bar itself (--log-mode)",
        "LearningRateScheduler": "it takes a Python function; use ReduceLROnPlateau, or a "
        "learning-rate schedule of the optimizer",
        "LambdaCallback": "it takes Python functions",
        "RemoteMonitor": "it sends the logs over the network",
    }
)
"""Keras callbacks a spec cannot name, and why (the diagnostic's hint)."""


def snake_case(name: str) -> str:
    """A Keras class's default metric name: ``SparseTopKCategoricalAccuracy`` →
    ``sparse_top_k_categorical_accuracy``, ``AUC`` → ``auc``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _logged_name(metric: TrainingObject) -> str:
    """The name Keras logs a metric under: the name written, a class's snake-cased."""
    given = metric.args.get("name")
    if isinstance(given, str):
        return given
    return snake_case(metric.name) if metric.name[:1].isupper() else metric.name


def logged_names(spec: Spec) -> list[str]:
    """Every value a training epoch of the spec's model logs, without ``val_``: ``loss``, and
    each head's metrics (with several heads, ``HEAD_loss`` and ``HEAD_<metric>``)."""
    names = ["loss"]
    several = len(spec.outputs) > 1
    for head, entry in spec.outputs.items():
        prefix = f"{head}_" if several else ""
        if several and entry.loss is not None:
            names.append(f"{head}_loss")
        names += [prefix + _logged_name(metric) for metric in entry.metrics]
    return names


def check_training(analysis: Analysis) -> list[Diagnostic]:
    """The `training` section, when the spec has one."""
    spec = analysis.spec
    section = spec.training
    if section is None:
        return []
    report = Reporter(spec.source)
    if spec.compile is None:
        report.error(
            codes.TRAINING_WITHOUT_COMPILE,
            "the spec has 'training' but no 'compile': nothing says how to train",
            ("training",),
            "add compile: {optimizer: adam} and a loss on every head",
            key=True,
        )
    logged = logged_names(spec)
    if section.monitor is not None:
        _check_monitor(report, section.monitor, logged, ("training", "monitor"))
    _check_callbacks(report, section, logged)
    return report.diagnostics


def _check_monitor(report: Reporter, monitor: str, logged: list[str], path: SpecPath) -> None:
    if monitor.removeprefix("val_") in logged:
        return
    known = [*logged, *(f"val_{name}" for name in logged)]
    hint = report.hint(monitor, known) or "name one of the values listed"
    if not any(name.endswith("_loss") for name in logged):  # one head: no head names
        hint += " (a model of one head logs its values without the head's name)"
    report.error(
        codes.UNKNOWN_MONITOR,
        f"the model logs no value '{monitor}' (it logs {', '.join(known)})",
        path,
        hint,
    )


def _check_callbacks(report: Reporter, section: Training, logged: list[str]) -> None:
    for index, entry in enumerate(section.callbacks):
        path: SpecPath = ("training", "callbacks", index)
        accepted = CALLBACKS.get(entry.name)
        if accepted is None:
            why = RUN_BY_GRAPHSPEC.get(entry.name)
            message = f"a spec cannot name the callback '{entry.name}'"
            hint = (
                why
                or report.hint(entry.name, CALLBACKS)
                or (f"the callbacks a spec may name: {', '.join(CALLBACKS)}")
            )
            if why is None:
                message = (
                    f"unknown callback '{entry.name}' (a spec may name {', '.join(CALLBACKS)})"
                )
            report.error(codes.UNKNOWN_CALLBACK, message, (*path, "name"), hint)
            continue
        _check_arguments(report, entry, accepted, path)
        monitor = entry.args.get("monitor")
        if isinstance(monitor, str):
            _check_monitor(report, monitor, logged, (*path, "monitor"))


def _check_arguments(
    report: Reporter, entry: TrainingObject, accepted: Mapping[str, Argument], path: SpecPath
) -> None:
    for name, value in entry.args.items():
        argument = accepted.get(name)
        if argument is None:
            takes = ", ".join(accepted) or "none"
            report.error(
                codes.CALLBACK_ARGUMENT,
                f"the callback {entry.name} has no argument '{name}' (it takes: {takes})",
                (*path, name),
                report.hint(name, accepted),
                key=True,
            )
        elif not argument.accepts(value):
            report.error(
                codes.CALLBACK_ARGUMENT,
                f"argument '{name}' of the callback {entry.name} must be {argument.kind}, "
                f"not {value!r}",
                (*path, name),
            )
