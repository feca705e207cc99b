"""Distribution (graphspec.train.distribute): the checks before any engine starts, one case per
file under tests/fixtures/distribute/, and the runs themselves, each in its own subprocess
(tests/train/distributed_runs.py): MirroredStrategy over two logical CPU devices,
MultiWorkerMirroredStrategy over two local worker processes, a worker killed and the cluster
restarted, and JAX DataParallel over two host-platform devices."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graphspec.diagnostics import Location, SpecError
from graphspec.train.distribute import (
    DISTRIBUTE_CHOICES,
    Distribution,
    TfConfig,
    batch_problems,
    distribution_problems,
    distribution_scope,
    read_tf_config,
)
from tests.conftest import ROOT
from tests.test_invalid_fixtures import Fixture, _found, fixtures
from tests.train.distributed_runs import free_ports, tf_config
from tests.train.tiny import TINY, write_tiny

CASES = fixtures("distribute")


def _setting(fixture: Fixture, name: str) -> str | None:
    found = re.search(rf"^# {name}: (.+)$", fixture.path.read_text(), re.M)
    return found[1].strip() if found else None


def _problems(fixture: Fixture) -> tuple:
    kind = _setting(fixture, "distribute")
    assert kind in DISTRIBUTE_CHOICES, f"{fixture.path}: '# distribute:' names no kind"
    env = dict(
        line.split("=", 1) for line in re.findall(r"^# env: (.+)$", fixture.path.read_text(), re.M)
    )
    where = Location(str(fixture.path))
    found = distribution_problems(
        kind, backend=fixture.backend or "tensorflow", environ=env, location=where
    )
    devices = _setting(fixture, "devices")
    if devices is not None:
        samples = dict(item.split("=") for item in (_setting(fixture, "samples") or "").split())
        spread = Distribution(kind, int(devices))
        batch = int(_setting(fixture, "batch") or 32)
        counts = {name: int(count) for name, count in samples.items()}
        found += batch_problems(spread, batch, counts, where)
    return found


@pytest.mark.parametrize("fixture", CASES, ids=lambda f: f.path.stem)
def test_distribution_problems_are_as_declared(fixture: Fixture) -> None:
    found = _problems(fixture)
    assert sorted(_found(found, errors=True) + _found(found, errors=False)) == list(
        fixture.expected
    )
    for diagnostic in found:
        assert diagnostic.location.file == str(fixture.path)
        assert diagnostic.message and diagnostic.hint


def test_the_fixtures_show_every_distribution_code() -> None:
    codes = {e.code for f in CASES for e in f.expected}
    assert codes == {f"GS85{n}" for n in range(1, 7)}


def test_scope_refuses_before_starting_any_engine() -> None:
    with pytest.raises(SpecError) as raised, distribution_scope("multi-worker", environ={}):
        pytest.fail("entered")
    assert [str(d.code) for d in raised.value.diagnostics] == ["GS853"]


def test_no_distribution_is_one_chief_replica() -> None:
    with distribution_scope("none", environ={}) as spread:
        assert spread == Distribution("none", 1, True)


@pytest.mark.parametrize(
    ("cluster", "task", "chief", "name"),
    [
        ({"worker": ["a:1", "b:2"]}, {"type": "worker", "index": 0}, True, "chief"),
        ({"worker": ["a:1", "b:2"]}, {"type": "worker", "index": 1}, False, "worker-1"),
        ({"chief": ["c:3"], "worker": ["a:1"]}, {"type": "worker", "index": 0}, False, "worker-0"),
        ({"chief": ["c:3"], "worker": ["a:1"]}, {"type": "chief", "index": 0}, True, "chief"),
    ],
)
def test_the_chief_is_the_chief_task_or_worker_0(
    cluster: dict, task: dict, chief: bool, name: str
) -> None:

    config = read_tf_config(json.dumps({"cluster": cluster, "task": task}))
    assert isinstance(config, TfConfig)
    assert (config.chief, config.task, config.workers) == (
        chief,
        name,
        sum(map(len, cluster.values())),
    )


# The runs: each a `graphspec.fit` in subprocesses (tests/train/distributed_runs.py), on the tiny
# classifier of tests/train/tiny.py (40 rows of 4 features, batches of 8, 5 epochs).

RUNS_MODULE = "tests.train.distributed_runs"
EPOCHS = 5
LOSS_RTOL = 1e-5
"""Relative tolerance between the loss trajectories of one device and two replicas: the same
global batch and seed give the same gradients, only summed in another order (measured: equal
to 2e-7)."""


def _spec(folder: Path, epochs: int = EPOCHS) -> tuple[Path, Path]:
    text = TINY.replace("epochs: 2", f"epochs: {epochs}\n  shuffle: false")
    spec, train, _ = write_tiny(folder, text)
    return spec, train


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CONFIG", "KERAS_BACKEND")}
    env.update(PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3", **extra)
    return env


def _start(mode: str, spec: Path, data: Path, run: Path, out: Path, env: dict[str, str]) -> Any:
    command = [sys.executable, "-m", RUNS_MODULE, mode, str(spec), str(data), str(run), str(out)]
    log = out.with_suffix(".log").open("w")
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def _finish(process: Any, out: Path, timeout: float = 120) -> list[dict[str, Any]]:
    code = process.wait(timeout=timeout)
    assert code == 0, out.with_suffix(".log").read_text()[-3000:]
    return list(json.loads(out.read_text()))


def _wait_for(condition: Any, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.1)


def _weights(entry: dict[str, Any]) -> list[Any]:
    with np.load(entry["weights"]) as arrays:
        return [arrays[name] for name in arrays.files]


def _cluster(spec: Path, data: Path, run: Path, tmp: Path, tag: str, **env: str) -> list[Any]:
    """Start the two workers of one cluster on free local ports, with the same command, as a
    cluster's manager does (each waits in MultiWorkerMirroredStrategy for the other)."""
    ports = free_ports(2)
    outs = [tmp / f"{tag}{index}.json" for index in (0, 1)]
    envs = [_env(TF_CONFIG=tf_config(ports, index), **env) for index in (0, 1)]
    return [_start("multi-worker", spec, data, run, o, e) for o, e in zip(outs, envs, strict=True)]


@pytest.mark.distributed
def test_mirrored_over_two_cpu_devices_follows_the_one_device_losses(tmp_path: Path) -> None:
    spec, data = _spec(tmp_path)
    out = tmp_path / "mirrored.json"
    env = _env(LOGICAL_CPUS="2")
    one, two = _finish(_start("none,mirrored", spec, data, tmp_path / "run", out, env), out)
    assert (one["replicas"], two["replicas"]) == (1, 2)
    assert len(two["history"]["loss"]) == EPOCHS
    np.testing.assert_allclose(two["history"]["loss"], one["history"]["loss"], rtol=LOSS_RTOL)
    assert one["history"]["loss"][-1] < one["history"]["loss"][0]  # it trained
    for a, b in zip(_weights(one), _weights(two), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)


@pytest.mark.distributed
def test_two_workers_train_one_model_and_agree_on_its_weights(tmp_path: Path) -> None:
    spec, data = _spec(tmp_path)
    run = tmp_path / "run"
    chief, other = _cluster(spec, data, run, tmp_path, "w")
    (first,), (second,) = _finish(chief, tmp_path / "w0.json"), _finish(other, tmp_path / "w1.json")
    assert first["replicas"] == second["replicas"] == 2
    for a, b in zip(_weights(first), _weights(second), strict=True):
        np.testing.assert_array_equal(a, b)
    assert first["epochs"] == EPOCHS and len(first["history"]["loss"]) == EPOCHS
    assert second["history"] == {}  # only the chief keeps the history and writes the run folder
    assert {p.name for p in run.iterdir()} >= {"model.keras", "best.keras", "history.csv"}
    assert not list(run.glob("**/*.tmp*"))


@pytest.mark.distributed
def test_a_killed_worker_and_a_restarted_cluster_resume_from_the_backup(tmp_path: Path) -> None:
    """TensorFlow's recovery for MultiWorkerMirroredStrategy: when a worker dies, the others
    fail or wait in their next collective; the cluster's manager restarts every task, and each
    restores the last backup (BackupAndRestore). Here worker 1 is killed (SIGKILL) once two
    epochs are backed up, the chief is stopped as a manager would, and both start again with
    the same command (graphspec fit --resume): the run continues from the epoch the backup
    holds, ends after its epochs, and the workers agree on the weights."""
    epochs = 6
    spec, data = _spec(tmp_path, epochs)
    run = tmp_path / "run"
    state = run / "backup" / "state.json"
    chief, other = _cluster(spec, data, run, tmp_path, "a", EPOCH_SECONDS="0.5")

    def backed_up() -> int:
        try:
            return int(json.loads(state.read_text())["epoch"])
        except (OSError, ValueError, KeyError):
            return 0

    _wait_for(lambda: backed_up() >= 2 or chief.poll() is not None, "two epochs backed up")
    other.kill()
    other.wait()
    try:
        chief.wait(timeout=5)
        chief_ended = "failed by itself"
    except subprocess.TimeoutExpired:  # waiting in a collective for the dead worker
        chief.kill()
        chief.wait()
        chief_ended = "was stopped"
    done = backed_up()
    print(f"worker 1 killed after {done} of {epochs} epochs backed up; the chief {chief_ended}")
    assert 2 <= done < epochs, "the kill came too late to interrupt the run"
    (first,), (second,) = (
        _finish(process, tmp_path / f"b{n}.json")
        for n, process in enumerate(_cluster(spec, data, run, tmp_path, "b"))
    )
    assert first["initial_epoch"] == second["initial_epoch"] == done  # nothing trained twice
    assert first["epochs"] == epochs
    assert len(first["history"]["loss"]) == epochs  # the first session's epochs kept
    for a, b in zip(_weights(first), _weights(second), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.distributed
def test_jax_data_parallel_over_two_host_devices_follows_the_one_device_losses(
    tmp_path: Path,
) -> None:
    pytest.importorskip("jax")
    spec, data = _spec(tmp_path)
    out = tmp_path / "jax.json"
    env = _env(KERAS_BACKEND="jax", XLA_FLAGS="--xla_force_host_platform_device_count=2")
    one, two = _finish(_start("none,data-parallel", spec, data, tmp_path / "run", out, env), out)
    assert (one["kind"], two["kind"]) == ("none", "data-parallel")
    assert (one["replicas"], two["replicas"]) == (1, 2)
    np.testing.assert_allclose(two["history"]["loss"], one["history"]["loss"], rtol=LOSS_RTOL)
