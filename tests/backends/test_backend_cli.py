"""`--backend` on the command line: `build` builds on it (over ``KERAS_BACKEND``), quietly;
`validate` warns for it without touching the process; a second backend in one process is a
usage error."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from graphspec.cli import main
from tests.backends.runs import finish, need, start
from tests.conftest import SPECS
from tests.test_keras_fence import loaded_modules, under

pytestmark = pytest.mark.backends

SMALL = SPECS / "seeds" / "seed000_siso.yaml"
INCEPTION = SPECS / "seeds" / "seed002_inception.yaml"
BUILD = """
import sys
from graphspec.cli import main
code = main(sys.argv[1:])
import keras
print(code, keras.backend.backend())
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Mapping[str, tuple[str, str, Path]]:
    """`graphspec build` with KERAS_BACKEND=jax, with and without `--backend torch`, each in
    its own process: (what it printed, its stderr, the model file) by case."""
    need("jax")
    need("torch")
    folder = tmp_path_factory.mktemp("cli")
    cases = {"flag": ["--backend", "torch"], "variable": []}
    running = {}
    for case, flags in cases.items():
        output = folder / f"{case}.keras"
        args = ["build", *flags, "-q", str(SMALL), "-o", str(output)]
        running[case] = (start("jax", ["-c", BUILD, *args]), output)
    found = {}
    for case, (process, output) in running.items():
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-4000:]
        found[case] = (out.strip().splitlines()[-1], err, output)
    return found


def test_backend_flag_wins_over_keras_backend(built: Mapping[str, Any]) -> None:
    assert built["flag"][0] == "0 torch"
    assert built["variable"][0] == "0 jax"


def test_build_on_another_backend_is_quiet(built: Mapping[str, Any]) -> None:
    """Only graphspec's own lines: TensorFlow, which Keras imports to save when it is
    installed, starts silenced (runtime/backend.py's table)."""
    for _, err, _ in built.values():
        lines = [line for line in err.splitlines() if line.strip()]
        assert lines[0].startswith("building ") and lines[-1].startswith("wrote "), err


def test_a_model_built_on_torch_loads_on_tensorflow(built: Mapping[str, Any], keras: Any) -> None:
    import graphspec

    model = graphspec.load_model(built["flag"][2])
    assert model.count_params() == graphspec.build(SMALL).count_params()


def test_a_second_backend_in_one_process_is_a_usage_error(
    keras: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = "jax" if keras.backend.backend() != "jax" else "torch"
    before = os.environ.get("KERAS_BACKEND")
    output = tmp_path / "m.keras"
    assert main(["build", "--backend", other, "-q", str(SMALL), "-o", str(output)]) == 2
    assert "needs a new process" in capsys.readouterr().err
    assert os.environ.get("KERAS_BACKEND") == before and not output.exists()


def test_validate_warns_for_the_backend_and_leaves_the_environment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = os.environ.get("KERAS_BACKEND")
    assert main(["validate", "--backend", "torch", str(INCEPTION)]) == 0
    assert "warning[GS502] AveragePooling2D" in capsys.readouterr().out
    assert main(["validate", "--backend", "jax", str(INCEPTION)]) == 0
    assert "GS502" not in capsys.readouterr().out
    assert os.environ.get("KERAS_BACKEND") == before


def test_keras_backend_variable_alone_makes_validate_warn() -> None:
    code = (
        "import os, contextlib, io\n"
        "os.environ['KERAS_BACKEND'] = 'torch'\n"
        "from graphspec.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    assert main(['validate', {str(INCEPTION)!r}]) == 0\n"
        "assert 'GS502' in out.getvalue(), out.getvalue()\n"
    )
    finish(start("torch", ["-c", code]), timeout=120)


def test_validate_with_backend_imports_nothing_it_does_not_run() -> None:
    code = (
        "import contextlib, io\n"
        "from graphspec.cli import main\n"
        "with contextlib.redirect_stderr(io.StringIO()):\n"
        f"    assert main(['validate', '--backend', 'torch', {str(INCEPTION)!r}]) == 0\n"
    )
    modules = loaded_modules(code)
    assert under(modules, "graphspec.runtime", "keras", "tensorflow", "torch", "jax") == []
