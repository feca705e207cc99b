"""A run's training settings: the spec's `training` section, then the flags, which win.

`TrainingSettings` is what `graphspec.train.run.fit` trains with, decided once before the
model is built: the epochs and batch size, the validation split, the seed, and the monitored
metric with the direction it improves in (which picks ``best.keras`` and which callbacks
watch unless they name another).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from graphspec.spec.model import Callback, Spec, Training

Mode = Literal["min", "max"]

_RISING = re.compile(r"acc|auc|precision|recall|f1|fbeta|iou|r2|top_k|categorical_accuracy")
"""Metric names that improve going up (Keras' own ``mode='auto'`` knows only ``acc``)."""


def improves_upwards(monitor: str) -> bool:
    """Whether a logged metric is better when larger: accuracies, AUC, precision, recall,
    F-scores, IoU, R²; a loss or an error is better when smaller."""
    name = monitor.removeprefix("val_")
    return not name.endswith("loss") and _RISING.search(name) is not None


def default_monitor(validation: bool) -> str:
    """`val_loss` when the run validates, else `loss`."""
    return "val_loss" if validation else "loss"


@dataclass(frozen=True)
class TrainingSettings:
    """What one run trains with, merged from the spec and the flags."""

    epochs: int
    batch_size: int
    validation_split: float
    shuffle: bool
    seed: int | None
    monitor: str
    mode: Mode
    callbacks: tuple[Callback, ...] = ()

    @property
    def validates(self) -> bool:
        """Whether Keras holds out part of the training data for validation."""
        return self.validation_split > 0


def training_settings(
    spec: Spec,
    *,
    validation_data: bool = False,
    epochs: int | None = None,
    batch_size: int | None = None,
    seed: int | None = None,
) -> TrainingSettings:
    """The spec's `training` section (its defaults when it has none) with each flag given
    (not None) in place of the spec's value. ``validation_data``: the run has validation data
    of its own, so the split is not used and the default monitor is `val_loss`."""
    section = spec.training or Training()
    split = 0.0 if validation_data else section.validation_split
    monitor = section.monitor or default_monitor(validation_data or split > 0)
    mode: Mode
    if section.mode == "auto":
        mode = "max" if improves_upwards(monitor) else "min"
    else:
        mode = section.mode
    return TrainingSettings(
        epochs=section.epochs if epochs is None else epochs,
        batch_size=section.batch_size if batch_size is None else batch_size,
        validation_split=split,
        shuffle=section.shuffle,
        seed=section.seed if seed is None else seed,
        monitor=monitor,
        mode=mode,
        callbacks=tuple(section.callbacks),
    )
