"""Scale-out on the engines Keras users already run: tf.distribute's `MirroredStrategy` and
`MultiWorkerMirroredStrategy` (configured by `TF_CONFIG`) on TensorFlow, and
`keras.distribution.DataParallel` on JAX.

`graphspec.train.run` builds and compiles the model inside `distribution_scope(kind)`, which
checks first (`distribution_problems`, GS851–GS856, every problem at once, nothing imported):

- ``mirrored`` and ``multi-worker`` are tf.distribute strategies: TensorFlow backend only.
  ``mirrored`` under JAX is refused rather than quietly turned into ``data-parallel``: the two
  differ in what they accept (``data-parallel`` needs every batch to split evenly over the
  devices), so the run says which engine it uses.
- ``multi-worker`` reads `TF_CONFIG` as TensorFlow documents it; the chief is the task of type
  ``chief``, or worker 0 when the cluster has no chief. Only the chief writes the run folder
  (its backup included); every task restores from that backup, so the run folder must be on
  storage every task reads (docs/distributed.md).
- ``data-parallel`` is Keras' distribution API, JAX only; across processes it is configured by
  Keras' own ``KERAS_DISTRIBUTION_*`` variables (`keras.distribution.initialize`).

In every kind the batch size is the global batch: each step's batch is split over all replicas.

Keras 3.15 cannot `fit` under `MultiWorkerMirroredStrategy` (keras-team/keras#20585): it
reduces the first input batch, and the per-step logs, with a collective all-reduce that fails
on them. `_fix_keras_multi_worker` mends both places for collective strategies only: the
symbolic build reads the first local replica's batch (only its shapes matter), and the logs,
which are metric results already synchronised over the replicas, are read from the first
replica, as Keras does under TPUStrategy. It also keeps a save by the chief alone from
creating variables (a collective broadcast the other workers never join):
`_remember_saving_skipsets`.

`MultiWorkerMirroredStrategy` waits, as it is made, until every worker of the cluster has
started, and must configure TensorFlow's runtime before anything runs in it; graphspec's keras
import has run one probe op, so the runtime is reset first (`_restart_tensorflow_runtime`).
From Python, a multi-worker `graphspec.fit` must therefore be the first thing in its process
to use TensorFlow, as TensorFlow documents for the strategy itself.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from graphspec.diagnostics import Code, Diagnostic, Location, Severity, SpecError, codes

Distribute = Literal["none", "mirrored", "multi-worker", "data-parallel"]
DISTRIBUTE_CHOICES: tuple[Distribute, ...] = ("none", "mirrored", "multi-worker", "data-parallel")

ENGINE_BACKEND: Mapping[str, str] = {
    "mirrored": "tensorflow",
    "multi-worker": "tensorflow",
    "data-parallel": "jax",
}
"""The Keras backend each kind runs on."""

TASK_TYPES = ("chief", "worker")
"""The task types `MultiWorkerMirroredStrategy` trains with (no ``ps``, no ``evaluator``)."""

_ADDRESS = re.compile(r"^[\w.\-\[\]:]+:\d{1,5}$")
_KERAS_PROCESSES = "KERAS_DISTRIBUTION_NUM_PROCESSES"
_KERAS_PROCESS_ID = "KERAS_DISTRIBUTION_PROCESS_ID"


@dataclass(frozen=True)
class Distribution:
    """What a run is spread over: the kind, the replicas and whether this process is the chief
    (the only one that writes the run folder's files)."""

    kind: Distribute
    replicas: int = 1
    chief: bool = True
    task: str = "chief"
    """This process in the cluster, as a folder name: ``chief``, ``worker-1``."""
    strategy: Any = field(default=None, compare=False, repr=False)
    """The tf.distribute strategy or keras.distribution object; None for ``none``."""


@dataclass(frozen=True)
class TfConfig:
    """`TF_CONFIG`, read: the cluster's task addresses by type, and this process's task."""

    cluster: Mapping[str, tuple[str, ...]]
    task_type: str
    task_index: int

    @property
    def chief(self) -> bool:
        if "chief" in self.cluster:
            return self.task_type == "chief"
        return self.task_type == "worker" and self.task_index == 0

    @property
    def task(self) -> str:
        return "chief" if self.chief else f"{self.task_type}-{self.task_index}"

    @property
    def workers(self) -> int:
        return sum(len(self.cluster.get(kind, ())) for kind in TASK_TYPES)


def _problem(code: Code, message: str, location: Location) -> Diagnostic:
    return Diagnostic(code, code.severity, message, location, hint=code.fix)


def read_tf_config(text: str) -> TfConfig | str:
    """`TF_CONFIG` parsed and checked, or what is wrong with it (a sentence)."""
    try:
        config = json.loads(text)
    except ValueError as error:
        return f"TF_CONFIG is not JSON ({error})"
    if not isinstance(config, dict):
        return "TF_CONFIG is not a JSON object"
    cluster, task = config.get("cluster"), config.get("task")
    if not isinstance(cluster, dict) or not cluster:
        return "TF_CONFIG has no 'cluster' object of task addresses"
    if not isinstance(task, dict):
        return "TF_CONFIG has no 'task' object ({'type': ..., 'index': ...})"
    addresses: dict[str, tuple[str, ...]] = {}
    for kind, listed in cluster.items():
        if not isinstance(listed, list) or not all(isinstance(a, str) for a in listed):
            return f"TF_CONFIG's cluster '{kind}' is not a list of 'host:port' strings"
        wrong = [a for a in listed if not _ADDRESS.match(a)]
        if wrong:
            return (
                f"TF_CONFIG's cluster '{kind}' has an address that is not host:port: {wrong[0]!r}"
            )
        addresses[kind] = tuple(listed)
    unused = sorted(set(addresses) - set(TASK_TYPES))
    if unused:
        return (
            f"TF_CONFIG's cluster has task type '{unused[0]}', which"
            " MultiWorkerMirroredStrategy does not train with (only chief and worker)"
        )
    if len(addresses.get("chief", ())) > 1:
        return "TF_CONFIG's cluster has more than one chief"
    task_type, index = task.get("type"), task.get("index")
    if task_type not in addresses:
        return f"TF_CONFIG's task type {task_type!r} is not in its cluster ({', '.join(addresses)})"
    if not isinstance(index, int) or isinstance(index, bool):
        return f"TF_CONFIG's task index {index!r} is not an integer"
    if not 0 <= index < len(addresses[task_type]):
        count = len(addresses[task_type])
        return f"TF_CONFIG's task index {index} is outside its {count} '{task_type}' tasks"
    return TfConfig(addresses, task_type, index)


def distribution_problems(
    kind: Distribute,
    *,
    backend: str | None = None,
    environ: Mapping[str, str] | None = None,
    location: Location | None = None,
) -> tuple[Diagnostic, ...]:
    """Every problem with running `kind` here (GS851–GS855), without importing any engine.
    `backend` defaults to the one keras uses (``KERAS_BACKEND``); `location` is where the
    choice was made (the spec's ``training`` entry, or the spec file for a flag)."""
    from graphspec.runtime.backend import selected_backend

    env = os.environ if environ is None else environ
    where = location or Location("<command line>")
    backend = backend or selected_backend().name
    found: list[Diagnostic] = []
    engine = ENGINE_BACKEND.get(kind)
    if engine == "tensorflow" and backend != "tensorflow":
        found.append(
            _problem(
                codes.DISTRIBUTE_NEEDS_TENSORFLOW,
                f"--distribute {kind} is a tf.distribute strategy; Keras runs on {backend} here",
                where,
            )
        )
    if engine == "jax" and backend != "jax":
        found.append(
            _problem(
                codes.DATA_PARALLEL_NEEDS_JAX,
                "--distribute data-parallel is Keras' distribution API, which runs on JAX"
                f" only; Keras runs on {backend} here",
                where,
            )
        )
    text = env.get("TF_CONFIG", "").strip()
    if kind == "multi-worker":
        if not text:
            message = "--distribute multi-worker needs TF_CONFIG (the cluster and this task)"
            found.append(_problem(codes.TF_CONFIG_MISSING, message, where))
        elif isinstance(config := read_tf_config(text), str):
            found.append(_problem(codes.TF_CONFIG_MALFORMED, config, where))
    elif text:
        message = (
            f"TF_CONFIG is set but the run is --distribute {kind}:"
            " this process trains alone, ignoring the cluster"
        )
        found.append(_problem(codes.TF_CONFIG_IGNORED, message, where))
    return tuple(found)


def batch_problems(
    distribution: Distribution,
    batch_size: int,
    samples: Mapping[str, int],
    location: Location | None = None,
) -> tuple[Diagnostic, ...]:
    """Under ``data-parallel`` every batch, the last one of each data set included, is split
    evenly over the devices (JAX shards arrays in equal parts): `samples` maps a data set's
    name (``training``, ``validation``) to its number of samples (GS856)."""
    if distribution.kind != "data-parallel" or distribution.replicas <= 1:
        return ()
    devices = distribution.replicas
    where = location or Location("<command line>")
    found = []
    if batch_size % devices:
        message = f"the batch size {batch_size} does not split over {devices} devices"
        found.append(_problem(codes.BATCH_UNEVEN_OVER_DEVICES, message, where))
    for name, count in samples.items():
        last = count % batch_size
        if not batch_size % devices and last % devices:
            message = (
                f"the {name} data's last batch of {last} samples ({count} in all, batches"
                f" of {batch_size}) does not split over {devices} devices"
            )
            found.append(_problem(codes.BATCH_UNEVEN_OVER_DEVICES, message, where))
    return tuple(found)


def raise_errors(problems: tuple[Diagnostic, ...]) -> None:
    """`SpecError` with every problem when one is an error; warnings alone go to stderr."""
    if any(d.severity is Severity.ERROR for d in problems):
        raise SpecError(problems)
    for warning in problems:
        print(warning.format(), file=sys.stderr)


@contextmanager
def distribution_scope(
    kind: Distribute = "none",
    *,
    environ: Mapping[str, str] | None = None,
    location: Location | None = None,
) -> Iterator[Distribution]:
    """Enter the strategy's scope (build and compile the model inside it). Raises `SpecError`
    with every problem (GS851–GS855) before any engine is started."""
    env = os.environ if environ is None else environ
    raise_errors(distribution_problems(kind, environ=env, location=location))
    if kind == "none":
        yield Distribution("none")
    elif kind == "data-parallel":
        with _data_parallel(env) as distribution:
            yield distribution
    else:
        with _tf_strategy(kind, env) as distribution:
            yield distribution


@contextmanager
def _tf_strategy(kind: Distribute, env: Mapping[str, str]) -> Iterator[Distribution]:
    from graphspec.runtime.backend import import_keras

    import_keras()
    import tensorflow as tf

    if kind == "multi-worker":
        config = read_tf_config(env["TF_CONFIG"])
        assert isinstance(config, TfConfig)
        _fix_keras_multi_worker()
        _restart_tensorflow_runtime()
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        chief, task = config.chief, config.task
    else:
        strategy = tf.distribute.MirroredStrategy(_local_devices(tf))
        chief, task = True, "chief"
    with strategy.scope():
        yield Distribution(kind, strategy.num_replicas_in_sync, chief, task, strategy)


def _restart_tensorflow_runtime() -> None:
    """`MultiWorkerMirroredStrategy` configures TensorFlow's runtime as it starts ("collective
    ops must be configured at program startup"); importing keras through graphspec has already
    started it (one probe op, `graphspec.runtime.backend.import_keras`). Reset the eager
    context, as TensorFlow's own multi-worker tests do; whatever the process made with
    TensorFlow before is gone (the module's docstring)."""
    from tensorflow.python.eager import context

    if context.context()._context_handle is not None:
        context._reset_context()


def _local_devices(tf: Any) -> list[str]:
    """The devices `mirrored` spreads over: every visible GPU, else every logical CPU device
    (one on a plain machine; several when a program splits the CPU, as the tests do).
    `MirroredStrategy()` alone would take the first CPU only."""
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return [device.name for device in devices]


@contextmanager
def _data_parallel(env: Mapping[str, str]) -> Iterator[Distribution]:
    from graphspec.runtime.backend import import_keras

    keras = import_keras()
    processes = int(env.get(_KERAS_PROCESSES, "1") or 1)
    process = int(env.get(_KERAS_PROCESS_ID, "0") or 0)
    if processes > 1:
        keras.distribution.initialize()
    devices = keras.distribution.list_devices()
    parallel = keras.distribution.DataParallel(devices=devices)
    previous = keras.distribution.distribution()
    keras.distribution.set_distribution(parallel)
    task = "chief" if process == 0 else f"process-{process}"
    try:
        yield Distribution("data-parallel", len(devices), process == 0, task, parallel)
    finally:
        keras.distribution.set_distribution(previous)


_FIXED = False


def _fix_keras_multi_worker() -> None:
    """Mend Keras 3's `fit` under `MultiWorkerMirroredStrategy` (keras-team/keras#20585);
    see the module's docstring. Changes nothing for other strategies; done once a process."""
    global _FIXED
    if _FIXED:
        return
    import tensorflow as tf
    from keras.src import tree
    from keras.src.backend.tensorflow import trainer

    build = trainer.TensorFlowTrainer._maybe_symbolic_build
    reduce_per_replica = trainer.reduce_per_replica
    collective = trainer._collective_all_reduce_multi_worker

    def symbolic_build(self: Any, iterator: Any = None, data_batch: Any = None) -> Any:
        strategy = self._distribute_strategy
        if iterator is None or strategy is None or not collective(strategy):
            return build(self, iterator=iterator, data_batch=data_batch)
        _remember_saving_skipsets()
        for _, _, batches in iterator:
            first = next(batches)
            break

        def local(value: Any) -> Any:
            if isinstance(value, tf.distribute.DistributedValues):
                return strategy.experimental_local_results(value)[0]
            return value

        return build(self, data_batch=tree.map_structure(local, first))

    def reduce(values: Any, strategy: Any, reduction: str = "auto") -> Any:
        if reduction == "auto" and collective(strategy):
            reduction = "first"
        return reduce_per_replica(values, strategy, reduction)

    trainer.TensorFlowTrainer._maybe_symbolic_build = symbolic_build
    trainer.reduce_per_replica = reduce
    _FIXED = True


SAVING_TYPES = (
    "Operation",
    "Layer",
    "Functional",
    "Sequential",
    "Metric",
    "Optimizer",
    "Loss",
    "Cross",
    "Feature",
)
"""Every type `keras.src.saving.saving_lib.get_attr_skipset` knows."""


def _remember_saving_skipsets() -> None:
    """Keras 3.15 makes a throwaway `Optimizer(1.0)` (and Layer, Metric, ...) on every save, to
    learn which attributes to skip: it stores the answer under another key than it reads
    (``saving_attr_skipset_`` vs ``saving_attr_skiplist_``). Under a collective strategy a new
    variable is a broadcast from worker 0, so a save by the chief alone would wait for workers
    that are training. Computed once when `fit` starts, by every worker alike (their
    broadcasts match), then read back; idempotent."""
    from keras.src.saving import saving_lib

    compute = getattr(saving_lib.get_attr_skipset, "computes", saving_lib.get_attr_skipset)
    known = {name: compute(name) for name in SAVING_TYPES}

    def get_attr_skipset(obj_type: str) -> Any:
        if obj_type not in known:
            known[obj_type] = compute(obj_type)
        return known[obj_type]

    get_attr_skipset.computes = compute  # type: ignore[attr-defined]
    saving_lib.get_attr_skipset = get_attr_skipset
