"""Scale-out on the engines Keras users already run: tf.distribute's `MirroredStrategy` and
`MultiWorkerMirroredStrategy` (configured by `TF_CONFIG`) on TensorFlow, and
`keras.distribution.DataParallel` on JAX.

INTERFACE STUB (issue 12): the owner of this module replaces the body; `graphspec.train.run`
builds and compiles the model inside `distribution_scope(...)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

Distribute = Literal["none", "mirrored", "multi-worker", "data-parallel"]
DISTRIBUTE_CHOICES: tuple[Distribute, ...] = ("none", "mirrored", "multi-worker", "data-parallel")


@dataclass(frozen=True)
class Distribution:
    """What a run is spread over: the kind, the replicas and whether this process is the chief
    (the only one that writes the run folder's files)."""

    kind: Distribute
    replicas: int = 1
    chief: bool = True


@contextmanager
def distribution_scope(kind: Distribute = "none") -> Iterator[Distribution]:
    """Enter the strategy's scope (build and compile the model inside it)."""
    yield Distribution(kind)
