"""Heads: each head's loss and metrics, and the optimizer, are names Keras knows (or custom
objects the user allowed), with arguments their classes take."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphspec.analyse.state import Analysis
from graphspec.catalogue.custom import CustomObjects
from graphspec.catalogue.reader import ArgInfo, Catalogue, load_catalogue
from graphspec.diagnostics import Diagnostic, SpecPath, codes
from graphspec.diagnostics.reporter import Reporter
from graphspec.spec.model import TrainingObject, plain_value


@dataclass(frozen=True)
class _Kind:
    """What a loss (or a metric) is checked against: the names Keras resolves, the arguments
    of each class, and the class each name stands for."""

    what: str
    names: frozenset[str]
    args: Mapping[str, Mapping[str, ArgInfo]]
    classes: Mapping[str, str]

    @classmethod
    def losses(cls, catalogue: Catalogue) -> _Kind:
        return cls("loss", catalogue.losses, catalogue.loss_args, catalogue.loss_classes)

    @classmethod
    def metrics(cls, catalogue: Catalogue) -> _Kind:
        return cls("metric", catalogue.metrics, catalogue.metric_args, catalogue.metric_classes)


class _HeadChecker:
    def __init__(self, report: Reporter, custom: CustomObjects) -> None:
        self.report = report
        self.custom = custom

    def check(self, kind: _Kind, entry: TrainingObject, head: str, path: SpecPath) -> None:
        """One loss or metric: a custom object, a class with its arguments, or a name."""
        name, args = entry.name, entry.args
        label = f"{kind.what} '{name}' of head '{head}'"
        self.plain_values(label, args, path)
        if self.custom.get(name) is not None:
            return  # build imports it; its arguments are the function's or class's own
        if name in kind.args:
            self.arguments(label, name, kind.args[name], args, path)
        elif name in kind.names:
            if args:
                self.function_name(kind, label, entry, path)
        else:
            known = kind.names | kind.args.keys() | self.custom.objects.keys()
            hint = self.report.hint(name, known)
            if hint is None and not self.custom:
                hint = (
                    f"a {kind.what} of your own is allowed outside the spec: --custom-object "
                    f'MODULE.{name} or [tool.graphspec] custom-objects = ["MODULE.{name}"]'
                )
            self.report.error(
                codes.UNKNOWN_NAME, f"unknown {kind.what} '{name}' for head '{head}'", path, hint
            )

    def plain_values(self, label: str, args: Mapping[str, Any], path: SpecPath) -> None:
        for arg, value in args.items():
            if not plain_value(value):
                self.report.error(
                    codes.TRAINING_ARGUMENT_VALUE,
                    f"argument '{arg}' of the {label} must be a number, string, boolean, null "
                    "or a list of those",
                    (*path, arg),
                )

    def arguments(
        self,
        label: str,
        name: str,
        accepted: Mapping[str, ArgInfo],
        args: Mapping[str, Any],
        path: SpecPath,
    ) -> None:
        """A class's arguments: each one it takes, and every one it needs."""
        for arg in args:
            if arg not in accepted:
                choices = ", ".join(a for a in accepted if a != "name") or "none"
                self.report.error(
                    codes.UNKNOWN_ARGUMENT,
                    f"the {label} has no argument '{arg}' (it takes: {choices})",
                    (*path, arg),
                    self.report.hint(arg, accepted),
                    key=True,
                )
        for info in accepted.values():
            if info.required and info.name not in args:
                self.report.error(
                    codes.MISSING_ARGUMENT,
                    f"the {label} needs the argument '{info.name}'",
                    path,
                    f"write {{name: {name}, {info.name}: ...}}",
                )

    def function_name(self, kind: _Kind, label: str, entry: TrainingObject, path: SpecPath) -> None:
        """Arguments on a function name or alias (`mse`): only a class takes arguments."""
        cls = kind.classes.get(entry.name)
        arguments = ", ".join(f"{key}: {json.dumps(value)}" for key, value in entry.args.items())
        if cls is not None and cls != entry.name:
            hint = f"name the class: {{name: {cls}, {arguments}}}"
        else:
            hint = f"Keras has no {kind.what} class for '{entry.name}'; write the name alone"
        self.report.error(
            codes.TRAINING_ARGUMENTS_ON_FUNCTION,
            f"the {label} is a function or alias name, which takes no arguments",
            (*path, "name"),
            hint,
        )


def check_heads(analysis: Analysis) -> list[Diagnostic]:
    """Losses, metrics and the optimizer (with their arguments) against the catalogue and the
    allowed custom objects; with `compile`, every head needs a loss."""
    spec = analysis.spec
    report = Reporter(spec.source)
    catalogue = load_catalogue()
    checker = _HeadChecker(report, analysis.options.custom_objects)
    losses, metrics = _Kind.losses(catalogue), _Kind.metrics(catalogue)
    compiled = spec.compile is not None
    for head, entry in spec.outputs.items():
        path: SpecPath = ("outputs", head)
        if entry.loss is not None:
            checker.check(losses, entry.loss, head, (*path, "loss"))
        elif compiled:
            report.error(
                codes.HEAD_WITHOUT_LOSS,
                f"head '{head}' has no 'loss', but the spec has 'compile'",
                path,
                "give every head a loss, e.g. {from: ..., loss: mse}",
                key=True,
            )
        for index, metric in enumerate(entry.metrics):
            checker.check(metrics, metric, head, (*path, "metrics", index))
    if spec.compile is not None:
        _check_optimizer(
            report, catalogue, spec.compile.optimizer.name, spec.compile.optimizer.args
        )
    return report.diagnostics


def _check_optimizer(
    report: Reporter, catalogue: Catalogue, name: str, args: Mapping[str, Any]
) -> None:
    opt_path: SpecPath = ("compile", "optimizer")
    if name not in catalogue.optimizers:
        report.error(
            codes.UNKNOWN_NAME,
            f"unknown optimizer '{name}'",
            opt_path,
            report.hint(name, catalogue.optimizers),
        )
        return
    accepted = catalogue.optimizer_args.get(name, {})
    for arg in args:
        if accepted and arg not in accepted:
            report.error(
                codes.UNKNOWN_ARGUMENT,
                f"optimizer '{name}' has no argument '{arg}'",
                (*opt_path, arg),
                report.hint(arg, accepted),
                key=True,
            )
