"""tests/fixtures/runs/*.yaml: runs that `graphspec fit` refuses before training, with the
diagnostics their ``# expect:`` header declares (`tests/test_invalid_fixtures.py` reads the
headers; line 0: the problem is the run folder's, not a place in the spec). ``# run:`` says
what happens first:

- ``once``: one run, into a new folder;
- ``twice``: a first run, then the same run into its folder;
- ``foreign``: a run with --force into a folder of the user's files;
- ``changed``: a first run, then --resume with the spec's units changed from 3 to 4;
- ``dataset``: one run on the tiny data as a `tf.data.Dataset` (as a data function returns).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import graphspec
from graphspec.cli import main
from graphspec.train.folder import RunError
from tests.test_invalid_fixtures import Fixture, _found, fixtures
from tests.train.tiny import tiny_data


def _situation(fixture: Fixture) -> str:
    found = re.search(r"^# run: (\w+)$", fixture.path.read_text(), re.M)
    assert found, f"{fixture.path}: no '# run:' line"
    return found[1]


def _refused(fixture: Fixture, output: Path) -> tuple[RunError, list[str]]:
    """The run the fixture describes, and the CLI flags of its refused step."""
    situation = _situation(fixture)
    spec: Any = fixture.path
    flags: list[str] = []
    if situation in ("twice", "changed"):
        graphspec.fit(spec, tiny_data(), output=output, verbose=0)
    if situation == "foreign":
        output.mkdir()
        (output / "notes.txt").write_text("mine")
        flags = ["--force"]
    if situation == "changed":
        text = fixture.path.read_text().replace("units: 3", "units: 4")
        spec = graphspec.loads(text, name=str(fixture.path))
        flags = ["--resume"]
    data: Any = tiny_data()
    if situation == "dataset":
        import tensorflow as tf

        data = tf.data.Dataset.from_tensor_slices(({"x": data["x"]}, {"digit": data["digit"]}))
        data = data.batch(8)
    with pytest.raises(RunError) as caught:
        graphspec.fit(
            spec,
            data,
            output=output,
            verbose=0,
            force="--force" in flags,
            resume="--resume" in flags,
        )
    return caught.value, flags


@pytest.mark.parametrize("fixture", fixtures("runs"), ids=lambda f: f.path.stem)
def test_the_run_is_refused_as_declared(
    fixture: Fixture, tmp_path: Path, keras: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "run"
    error, flags = _refused(fixture, output)
    assert _found(error.diagnostics, errors=True) == list(fixture.expected)
    for diagnostic in error.diagnostics:
        assert diagnostic.hint and diagnostic.message
        folder = diagnostic.location.line == 0
        assert diagnostic.location.file == str(output if folder else fixture.path)
    if _situation(fixture) in ("changed", "dataset"):
        return  # the CLI reads the file, unchanged; or arrays, not a dataset
    data = tmp_path / "train.npz"
    import numpy as np

    np.savez(data, **tiny_data())
    command = ["fit", str(fixture.path), "--data", str(data), "-o", str(output), *flags]
    assert main([*command, "--log-mode", "quiet"]) == 1
    assert f"error[{fixture.expected[0].code}]" in capsys.readouterr().err


def test_every_run_code_has_a_fixture() -> None:
    declared = {e.code for f in fixtures("runs") for e in f.expected}
    assert declared == {"GS830", "GS831", "GS832", "GS833", "GS834", "GS835"}
