"""Distributed runs of `graphspec.fit`, one process each, for tests/train/test_distribute.py and
benchmarks/bench_train.py: ``python -m tests.train.distributed_runs MODE SPEC DATA RUN OUT``.

The engines are configured by the environment, as on a cluster: ``TF_CONFIG`` for a worker,
``KERAS_BACKEND=jax`` and ``XLA_FLAGS`` for JAX; ``LOGICAL_CPUS=N`` splits the CPU into N
logical devices before TensorFlow starts (what `mirrored` spreads over on a machine without
GPUs). MODE is a ``--distribute`` kind, or several separated by commas (``none,mirrored``),
run one after the other in this process into RUN-0, RUN-1, ... OUT receives, as JSON, each
run's history, replicas, samples per second of the ``model.fit`` call, and the final weights'
path (``OUT.N.npz``, written by every process, chief or not: the product writes only the
chief's files).

``EPOCHS=N`` overrides the spec's epochs (``--epochs``). ``EPOCH_SECONDS=S`` sleeps S seconds
after each epoch, so that a test can kill a worker between
epochs; the sleep is the test's, not graphspec's.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any


def free_ports(count: int) -> list[int]:
    """Ports free on localhost now, for a cluster's workers."""
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def tf_config(ports: list[int], index: int) -> str:
    """`TF_CONFIG` of worker `index` in a cluster of workers on localhost at `ports`."""
    workers = [f"localhost:{port}" for port in ports]
    return json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})


def _split_cpu() -> None:
    count = int(os.environ.get("LOGICAL_CPUS", "0") or 0)
    if count > 1:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * count
        )


def _replicas(keras: Any, model: Any) -> int:
    """The replicas the model trains on: Keras' distribution (JAX) or tf.distribute's."""
    distribution = keras.distribution.distribution()
    if distribution is not None:
        return int(distribution.device_mesh.devices.size)
    strategy = getattr(model, "distribute_strategy", None)
    return int(strategy.num_replicas_in_sync) if strategy is not None else 1


def _record_fits(log: list[dict[str, Any]], out: Path) -> None:
    """Wrap `keras.Model.fit` to time it and save the final weights (every process)."""
    import keras
    import numpy as np

    fit = keras.Model.fit
    pause = float(os.environ.get("EPOCH_SECONDS", "0") or 0)

    class Pause(keras.callbacks.Callback):  # type: ignore[misc]
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            time.sleep(pause)

    def timed_fit(self: Any, x: Any = None, y: Any = None, **kwargs: Any) -> Any:
        if pause:
            kwargs["callbacks"] = [*kwargs.get("callbacks", []), Pause()]
        started = time.perf_counter()
        history = fit(self, x, y, **kwargs)
        seconds = time.perf_counter() - started
        weights = out.with_suffix(f".{len(log)}.npz")
        np.savez(weights, *self.get_weights())
        samples = len(next(iter(x.values())) if isinstance(x, dict) else x)
        epochs = len(history.history.get("loss", []))
        log.append(
            {
                "replicas": _replicas(keras, self),
                "seconds": seconds,
                "samples_per_second": samples * epochs / seconds,
                "weights": str(weights),
                "initial_epoch": history.epoch[0] if history.epoch else None,
            }
        )
        return history

    keras.Model.fit = timed_fit


def main(argv: list[str]) -> int:
    mode, spec, data, run, out = argv
    _split_cpu()
    from graphspec.runtime.backend import import_keras
    from graphspec.train.run import fit

    import_keras()  # as the CLI does first: multi-worker must then restart TensorFlow's runtime

    log: list[dict[str, Any]] = []
    _record_fits(log, Path(out))
    kinds = mode.split(",")
    results = []
    for n, kind in enumerate(kinds):
        result = fit(
            spec,
            data,
            output=f"{run}-{n}" if len(kinds) > 1 else run,
            distribute=kind,  # type: ignore[arg-type]
            resume=True,
            verbose=0,
            plots=False,
            epochs=int(os.environ["EPOCHS"]) if os.environ.get("EPOCHS") else None,
        )
        results.append(
            {
                "kind": kind,
                "history": dict(result.history),
                "epochs": result.epochs,
                "initial_epoch": result.initial_epoch,
                **log[n],
            }
        )
    Path(out).write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
