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


def spec_files() -> list[Path]:
    """Every example spec under specs/ (the expected-figures tables are not specs)."""
    return sorted(p for p in SPECS.rglob("*.yaml"))


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
