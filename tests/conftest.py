"""Shared fixtures: paths, and Keras imported once per session only by tests that build."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def spec_files(custom: bool = False) -> list[Path]:
    """Every example spec under specs/ (the expected-figures tables are not specs) that needs
    no custom objects; with ``custom``, those too (`spec_options` gives their options)."""
    figures = expected_figures()
    return sorted(
        p for p in SPECS.rglob("*.yaml") if custom or not figures.get(p, {}).get("custom_objects")
    )


def spec_options(path: Path) -> Any:
    """The options a spec is checked and built with: the custom objects its expected.toml row
    lists (``custom_objects = ["tests.gallery.objects.contrastive_loss"]``), as this
    repository's pyproject.toml allows them to the command line."""
    from graphspec.catalogue.custom import CustomObjects
    from graphspec.settings import Options

    paths = expected_figures().get(path, {}).get("custom_objects", [])
    return Options(custom_objects=CustomObjects.from_paths(paths, "expected.toml"))


def expected_figures() -> dict[Path, dict[str, Any]]:
    """The expected.toml tables next to the specs, keyed by spec path."""
    figures: dict[Path, dict[str, Any]] = {}
    for table in sorted(SPECS.rglob("expected.toml")):
        for name, row in tomllib.loads(table.read_text()).items():
            figures[table.parent / name] = row
    return figures


@pytest.fixture(scope="session")
def keras() -> Any:
    return pytest.importorskip("keras")
