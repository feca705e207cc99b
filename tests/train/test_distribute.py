"""Distribution (graphspec.train.distribute): the checks before any engine starts, one case per
file under tests/fixtures/distribute/, and the runs themselves, each in its own subprocess
(tests/train/distributed_runs.py): MirroredStrategy over two logical CPU devices,
MultiWorkerMirroredStrategy over two local worker processes, a worker killed and the cluster
restarted, and JAX DataParallel over two host-platform devices."""

from __future__ import annotations

import re
from pathlib import Path

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
from tests.test_invalid_fixtures import Fixture, _found, fixtures

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
    import json

    config = read_tf_config(json.dumps({"cluster": cluster, "task": task}))
    assert isinstance(config, TfConfig)
    assert (config.chief, config.task, config.workers) == (
        chief,
        name,
        sum(map(len, cluster.values())),
    )
