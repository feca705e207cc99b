"""The run's plots: one PNG per head with its loss and each of its metrics, training and
validation, by epoch. matplotlib (the `train` extra) is imported here only, with its Agg
backend: no display is needed, and nothing else pays for the import.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from graphspec.atomic import replacing
from graphspec.spec.model import Spec
from graphspec.train.history import History

SKIPPED = frozenset({"learning_rate", "lr"})
"""Logged values that are not a head's: ReduceLROnPlateau's learning rate."""


def head_panels(history: History, spec: Spec) -> dict[str, list[str]]:
    """Plot name → the training names it shows (each with its `val_` twin when logged).

    One head: ``HEAD`` shows every value (Keras logs them without the head's name). Several:
    ``HEAD`` shows ``HEAD_loss`` and ``HEAD_<metric>``, and ``loss`` the total loss."""
    names = [n for n in history.names if not n.startswith("val_") and n not in SKIPPED]
    heads = list(spec.outputs)
    if len(heads) == 1:
        return {heads[0]: names}
    panels: dict[str, list[str]] = {"loss": [n for n in names if n == "loss"]}
    for head in heads:
        panels[head] = [n for n in names if n.startswith(f"{head}_")]
    return {plot: shown for plot, shown in panels.items() if shown}


def write_plots(history: History, spec: Spec, folder: Path) -> list[Path]:
    """plots/HEAD.png for each head (and plots/loss.png for a model of several heads)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    folder.mkdir(exist_ok=True)
    columns = history.columns()
    epochs = range(1, history.epochs + 1)
    written = []
    for plot, shown in head_panels(history, spec).items():
        figure, axes = pyplot.subplots(
            1, len(shown), figsize=(4.5 * len(shown), 3.5), squeeze=False
        )
        for axis, name in zip(axes[0], shown, strict=True):
            _panel(axis, epochs, name, columns[name], columns.get(f"val_{name}"))
        figure.suptitle(f"{spec.name}: {plot}")
        figure.tight_layout()
        path = folder / f"{plot}.png"
        with replacing(path, suffix=".tmp.png") as temporary:
            figure.savefig(temporary, format="png", dpi=100)
        pyplot.close(figure)
        written.append(path)
    return written


def _panel(
    axis: object,
    epochs: range,
    name: str,
    training: Sequence[float],
    validation: Sequence[float] | None,
) -> None:
    marker = "o" if len(epochs) < 30 else None
    axis.plot(epochs, training, label="training", marker=marker)  # type: ignore[attr-defined]
    if validation is not None and any(not math.isnan(v) for v in validation):
        axis.plot(epochs, validation, label="validation", marker=marker)  # type: ignore[attr-defined]
    axis.set_title(name)  # type: ignore[attr-defined]
    axis.set_xlabel("epoch")  # type: ignore[attr-defined]
    axis.legend()  # type: ignore[attr-defined]
    axis.grid(alpha=0.3)  # type: ignore[attr-defined]
