"""Every file graphspec writes gets the mode a user's own file gets (issue 14).

Each writer (`build -o`, `import -o`, `graph -o`, `schema -o`, `export` in each format, the
catalogue generator, `save_model_atomically`) is run under the umasks 022 and 077: a new file
gets ``0o666 & ~umask`` as ``open(path, "w")`` would give it (a SavedModel directory, and the
folders in it, ``0o777 & ~umask``), a replaced file (with --force) keeps its mode, and nothing
else is left beside the output. Four `graphspec build` processes writing the same file leave
one whole model and no temporary file.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from graphspec.catalogue import generate as catalogue
from graphspec.cli import main
from tests.conftest import ROOT, SPECS
from tests.export.support import needs

SPEC = SPECS / "seeds" / "seed002_dense.yaml"
UMASKS = [pytest.param(0o022, id="umask022"), pytest.param(0o077, id="umask077")]
TINY_CATALOGUE = {"keras_version": "0", "layers": {}, "layer_aliases": {}}
"""What the generator writes in these tests: the write is under test, not Keras' layers."""


@dataclass(frozen=True)
class Writer:
    name: str
    output: str
    """The output's name in the test's folder."""
    write: Callable[[Path, Path], int]
    """Writes the output at the first path (--force given), reading the model at the second;
    returns the exit code."""
    directory: bool = False


def _cli(*argv: str) -> Callable[[Path, Path], int]:
    """A CLI writer: ``{out}`` and ``{model}`` in ``argv`` stand for the output and the model."""

    def write(out: Path, model: Path) -> int:
        return main([a.format(out=out, model=model, spec=SPEC) for a in argv])

    return write


def _catalogue(out: Path, model: Path) -> int:
    return catalogue.main(["-o", str(out)], out=lambda _line: None)


def _save_model(out: Path, model: Path) -> int:
    from graphspec.runtime.saving import load_model, save_model_atomically

    save_model_atomically(load_model(model), out)
    return 0


WRITERS = [
    pytest.param(Writer("build", "m.keras", _cli("build", "{spec}", "-o", "{out}", "--force"))),
    pytest.param(Writer("import", "s.yaml", _cli("import", "{model}", "-o", "{out}", "--force"))),
    pytest.param(Writer("graph", "g.md", _cli("graph", "{spec}", "-o", "{out}"))),
    pytest.param(
        Writer("graph-png", "g.png", _cli("graph", "{spec}", "--format", "png", "-o", "{out}")),
        marks=pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is missing"),
    ),
    pytest.param(Writer("schema", "s.json", _cli("schema", "-o", "{out}"))),
    pytest.param(Writer("catalogue", "catalogue.json", _catalogue)),
    pytest.param(Writer("save_model_atomically", "api.keras", _save_model)),
    *(
        pytest.param(
            Writer(
                f"export-{fmt}",
                name,
                _cli("export", "{spec}", "--format", fmt, "-o", "{out}", "--force"),
                directory=fmt == "saved_model",
            ),
            marks=needs(fmt),
        )
        for fmt, name in (("onnx", "m.onnx"), ("litert", "m.tflite"), ("saved_model", "sm"))
    ),
]


def _ids(value: Any) -> str | None:
    return value.name if isinstance(value, Writer) else None


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The process's umask set to the parameter, and restored whatever happens (it is
    process-wide)."""
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed's model, built once, in a folder of its own (what `import` reads)."""
    pytest.importorskip("keras")
    path = tmp_path_factory.mktemp("model") / "model.keras"
    assert main(["build", str(SPEC), "-o", str(path)]) == 0
    return path


@pytest.fixture(autouse=True)
def tiny_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalogue, "generate", lambda: dict(TINY_CATALOGUE))


def _modes_inside(folder: Path) -> set[tuple[str, int]]:
    return {("dir" if p.is_dir() else "file", _mode(p)) for p in folder.rglob("*")}


@pytest.mark.parametrize("umask", UMASKS, indirect=True)
@pytest.mark.parametrize("writer", WRITERS, ids=_ids)
def test_a_new_output_gets_the_umask_default(
    writer: Writer, umask: int, model: Path, tmp_path: Path
) -> None:
    out = tmp_path / writer.output
    assert writer.write(out, model) == 0
    assert os.listdir(tmp_path) == [writer.output]  # no temporary file beside it
    if writer.directory:
        assert _mode(out) == 0o777 & ~umask
        inside = _modes_inside(out)
        assert ("file", 0o666 & ~umask) in inside
        assert inside <= {("file", 0o666 & ~umask), ("dir", 0o777 & ~umask)}
    else:
        assert out.stat().st_size > 0
        assert _mode(out) == 0o666 & ~umask


@pytest.mark.parametrize("umask", UMASKS, indirect=True)
@pytest.mark.parametrize("writer", WRITERS, ids=_ids)
def test_a_replaced_output_keeps_its_mode(
    writer: Writer, umask: int, model: Path, tmp_path: Path
) -> None:
    out = tmp_path / writer.output
    if writer.directory:
        assert writer.write(out, model) == 0  # --force replaces only a SavedModel
        out.chmod(0o750)
    else:
        out.write_text("old")
        out.chmod(0o640)
    assert writer.write(out, model) == 0
    assert _mode(out) == (0o750 if writer.directory else 0o640)
    assert os.listdir(tmp_path) == [writer.output]
    if not writer.directory:
        assert out.read_bytes() != b"old"


@pytest.mark.slow  # four TensorFlow imports: about 20 s on an idle machine
def test_concurrent_builds_of_one_file_leave_one_whole_model(keras: Any, tmp_path: Path) -> None:
    out = tmp_path / "same.keras"
    command = [sys.executable, "-m", "graphspec", "build", str(SPEC), "-o", str(out), "--force"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    runs = [
        subprocess.Popen(
            command,
            cwd=tmp_path,
            env=env,
            umask=0o022,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    errors = [run.communicate(timeout=300)[1].decode() for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, errors
    assert os.listdir(tmp_path) == ["same.keras"]
    assert _mode(out) == 0o644
    loaded = keras.saving.load_model(out)
    assert loaded.count_params() == 3466


def test_ctrl_c_while_build_saves_leaves_nothing(
    keras: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted_save(self: Any, path: str, *args: Any, **kwargs: Any) -> None:
        Path(path).write_bytes(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.Model, "save", interrupted_save)
    out = tmp_path / "m.keras"
    assert main(["build", str(SPEC), "-o", str(out)]) == 130
    assert "graphspec: interrupted" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


@needs("saved_model")
def test_a_saved_models_folders_follow_the_umask_not_tensorflows_0755(
    model: Path, tmp_path: Path
) -> None:
    previous = os.umask(0o002)
    try:
        assert (
            main(["export", str(SPEC), "--format", "saved_model", "-o", str(tmp_path / "sm")]) == 0
        )
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "sm") == 0o775
    assert _modes_inside(tmp_path / "sm") == {("file", 0o664), ("dir", 0o775)}
