"""Heads: each head's loss and metrics, and the optimizer, are names Keras knows."""

from __future__ import annotations

from graphspec.analyse.state import Analysis
from graphspec.catalogue.reader import load_catalogue
from graphspec.diagnostics import Diagnostic, SpecPath, codes
from graphspec.diagnostics.reporter import Reporter


def check_heads(analysis: Analysis) -> list[Diagnostic]:
    """Losses, metrics and the optimizer (with its arguments) against the catalogue; with
    `compile`, every head needs a loss."""
    spec = analysis.spec
    report = Reporter(spec.source)
    catalogue = load_catalogue()
    compiled = spec.compile is not None
    for head, entry in spec.outputs.items():
        path: SpecPath = ("outputs", head)
        if entry.loss is not None and entry.loss not in catalogue.losses:
            report.error(
                codes.UNKNOWN_NAME,
                f"unknown loss '{entry.loss}' for head '{head}'",
                (*path, "loss"),
                report.hint(entry.loss, catalogue.losses),
            )
        if compiled and entry.loss is None:
            report.error(
                codes.HEAD_WITHOUT_LOSS,
                f"head '{head}' has no 'loss', but the spec has 'compile'",
                path,
                "give every head a loss, e.g. {from: ..., loss: mse}",
                key=True,
            )
        for index, metric in enumerate(entry.metrics):
            if metric not in catalogue.metrics:
                report.error(
                    codes.UNKNOWN_NAME,
                    f"unknown metric '{metric}' for head '{head}'",
                    (*path, "metrics", index),
                    report.hint(metric, catalogue.metrics),
                )
    if spec.compile is not None:
        optimizer = spec.compile.optimizer
        opt_path: SpecPath = ("compile", "optimizer")
        if optimizer.name not in catalogue.optimizers:
            report.error(
                codes.UNKNOWN_NAME,
                f"unknown optimizer '{optimizer.name}'",
                opt_path,
                report.hint(optimizer.name, catalogue.optimizers),
            )
            return report.diagnostics
        accepted = catalogue.optimizer_args.get(optimizer.name, {})
        for arg in optimizer.args:
            if accepted and arg not in accepted:
                report.error(
                    codes.UNKNOWN_ARGUMENT,
                    f"optimizer '{optimizer.name}' has no argument '{arg}'",
                    (*opt_path, arg),
                    report.hint(arg, accepted),
                    key=True,
                )
    return report.diagnostics
