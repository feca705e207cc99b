"""Keras is fenced into the build side: every other package imports and runs without it.

The structure review's principle 4, as Keras fences backend code into `backend/<name>/`. The
Keras-free packages are discovered, not listed: every top-level package or module of graphspec
not on the build side. A fresh process imports every module in one of them (pkgutil), runs the
commands that go through it, and must end with neither keras nor tensorflow loaded. A new
package is checked from its first commit; one that needs Keras joins BUILD_SIDE on purpose.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys

import pytest

import graphspec
from tests.conftest import FIXTURES, ROOT, SPECS

BUILD_SIDE = (
    # The only packages and modules that may import keras or tensorflow: building, saving and
    # loading models, running them, training, comparing a model with its spec's build, and
    # regenerating the catalogue from the installed Keras. `graphspec.export` joins when it exists.
    "graphspec.emit",
    "graphspec.runtime",
    "graphspec.train",
    "graphspec.testing",
    "graphspec.catalogue.generate",
    "graphspec.export",
)
KERAS_FREE = sorted(
    f"graphspec.{info.name}"
    for info in pkgutil.iter_modules(graphspec.__path__)
    if info.name != "__main__" and f"graphspec.{info.name}" not in BUILD_SIDE
)
SEEDS = sorted(str(p) for p in (SPECS / "seeds").glob("*.yaml"))
KERAS_CONFIG = FIXTURES / "import" / "valid_dense.json"
"""A Keras JSON config (Input → Dense) that `graphspec import` turns into a valid spec."""


def loaded_modules(code: str) -> set[str]:
    """The modules in `sys.modules` after `code` runs in a fresh Python on this checkout."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def under(modules: set[str], *packages: str) -> list[str]:
    """The modules that are one of `packages` or inside one."""
    return sorted(m for m in modules if any(m == p or m.startswith(f"{p}.") for p in packages))


def commands(package: str) -> list[tuple[list[str], int]]:
    """The CLI commands (with the exit code they must give) that go through `package`."""
    validate = (["validate", SEEDS[0]], 0)
    views = [
        (["summary", SEEDS[0], SEEDS[1]], 0),
        (["graph", SEEDS[0], "--format", "mermaid"], 0),
        (["graph", SEEDS[0], "--format", "dot"], 0),
        (["diff", SEEDS[0], SEEDS[1]], 1),  # 1: the two specs differ
        (["diff", "--format", "json", SEEDS[0], SEEDS[1]], 1),
    ]
    imports = (["import", str(KERAS_CONFIG)], 0)
    schema = (["schema"], 0)
    return {
        "graphspec.cli": [validate, *views, imports, schema],
        "graphspec.views": views,
        "graphspec.importer": [imports],
        "graphspec.spec": [validate, schema],
    }.get(package, [validate])


@pytest.mark.parametrize("package", KERAS_FREE)
def test_package_imports_and_runs_without_keras(package: str) -> None:
    code = (
        "import contextlib, importlib, io, pkgutil\n"
        f"build_side = {BUILD_SIDE!r}\n"
        f"package = importlib.import_module({package!r})\n"
        "def fail(name):\n"
        "    raise ImportError(name)\n"
        "for info in pkgutil.walk_packages(getattr(package, '__path__', []),\n"
        "                                  package.__name__ + '.', onerror=fail):\n"
        "    entry_point = info.name.endswith('.__main__')  # importing it runs a program\n"
        "    built = any(info.name == b or info.name.startswith(b + '.') for b in build_side)\n"
        "    if not entry_point and not built:\n"
        "        importlib.import_module(info.name)\n"
        "from graphspec.cli import main\n"
        f"for command, expected in {commands(package)!r}:\n"
        "    out, err = io.StringIO(), io.StringIO()\n"
        "    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
        "        code = main(command)\n"
        "    assert code == expected, (command, code, err.getvalue())\n"
    )
    modules = loaded_modules(code)
    assert package in modules
    assert under(modules, "keras", "tensorflow") == []
