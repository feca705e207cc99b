"""Import cost: `import graphspec` loads no submodule, `validate` loads only what it runs.

What a process imports is checked in a fresh subprocess (this one has imported everything by
now). No timings here: benchmarks/bench_validate.py measures them.
"""

from __future__ import annotations

import ast
import importlib
import tomllib

import pytest

import graphspec
from tests.conftest import ROOT, SPECS
from tests.test_keras_fence import BUILD_SIDE, loaded_modules, under

SEED = str(SPECS / "seeds" / "seed000_mimo.yaml")
NOT_FOR_VALIDATE = (
    *BUILD_SIDE,
    "graphspec.importer",
    "graphspec.views",
    "graphspec.lsp",
    "pygls",
    "lsprotocol",
    "keras",
    "tensorflow",
    "numpy",
)
"""Modules and packages (with everything under them) that `validate` must not import."""


def test_validate_imports_nothing_it_does_not_run() -> None:
    code = (
        "import contextlib, io\n"
        "from graphspec.cli import main\n"
        "with contextlib.redirect_stderr(io.StringIO()):\n"
        f"    assert main(['validate', {SEED!r}]) == 0\n"
    )
    assert under(loaded_modules(code), *NOT_FOR_VALIDATE) == []


def test_import_graphspec_loads_no_submodule() -> None:
    """The package itself is the only graphspec module; reading the version loads none either."""
    modules = loaded_modules("import graphspec\nassert graphspec.__version__")
    assert under(modules, "graphspec") == ["graphspec"]


def test_public_names_are_the_static_imports() -> None:
    """`__all__`, the `if TYPE_CHECKING:` imports (what mypy sees) and what runs agree."""
    tree = ast.parse((ROOT / "graphspec" / "__init__.py").read_text())
    static = {
        alias.asname or alias.name: node.module
        for block in tree.body
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    assert sorted(static) == sorted(graphspec.__all__)
    for name, module in static.items():
        assert getattr(graphspec, name) is getattr(importlib.import_module(module), name), name
    assert set(graphspec.__all__) <= set(dir(graphspec))


def test_public_load_is_the_function_after_the_stages_are_imported() -> None:
    code = (
        "import graphspec.read.source, graphspec.pipeline\n"
        "import graphspec\n"
        "from graphspec import load\n"
        "assert load is graphspec.load is graphspec.pipeline.load, graphspec.load\n"
    )
    assert "graphspec.read.source" in loaded_modules(code)


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        graphspec.no_such_name  # noqa: B018


def test_version_is_the_one_pyproject_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    if "version" in project["project"].get("dynamic", []):
        dynamic = project["tool"]["setuptools"]["dynamic"]["version"]
        assert dynamic == {"attr": "graphspec.__version__"}
    else:
        assert graphspec.__version__ == project["project"]["version"]
