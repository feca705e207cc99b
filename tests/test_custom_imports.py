"""Allowed custom classes and objects import from their project's folder, as `python -m` run
there would, without the package being installed and without leaving sys.path changed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from graphspec.catalogue.custom import import_user_module, project_folder


def _package(root: Path, name: str) -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text("")
    (root / name / "things.py").write_text("VALUE = 42\n")


def test_the_folder_of_the_pyproject_that_allowed_it_is_searched(tmp_path: Path) -> None:
    _package(tmp_path, "gs_project_pkg")
    before = list(sys.path)
    source = str(tmp_path / "pyproject.toml")
    assert import_user_module("gs_project_pkg.things", source).VALUE == 42
    assert sys.path == before


def test_a_command_line_path_is_looked_for_from_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _package(tmp_path, "gs_cli_pkg")
    monkeypatch.chdir(tmp_path)
    assert project_folder("--custom-layer") == tmp_path
    assert import_user_module("gs_cli_pkg.things", "--custom-layer").VALUE == 42


def test_the_first_pyproject_of_merged_sources_is_the_folder(tmp_path: Path) -> None:
    source = f"{tmp_path / 'pyproject.toml'}, --custom-object"
    assert project_folder(source) == tmp_path.resolve()


def test_a_missing_module_is_an_import_error_and_sys_path_is_restored(tmp_path: Path) -> None:
    before = list(sys.path)
    with pytest.raises(ImportError):
        import_user_module("gs_no_such_pkg.things", str(tmp_path / "pyproject.toml"))
    assert sys.path == before
