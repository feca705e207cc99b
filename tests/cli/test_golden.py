"""Exact output of `graphspec validate` in each format, compared with stored golden files.

To accept an intended change: GRAPHSPEC_UPDATE_GOLDEN=1 pytest tests/cli/test_golden.py
"""

from __future__ import annotations

import os

import pytest

from graphspec.cli import main
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"
CASES = [
    "tests/fixtures/invalid/several_errors.yaml",
    "tests/fixtures/invalid/unreachable_strict.yaml",
]


@pytest.mark.parametrize(
    ("fmt", "golden"),
    [("text", "validate.txt"), ("json", "validate.json"), ("github", "validate.github.txt")],
)
def test_validate_output_matches_golden(
    fmt: str, golden: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    assert main(["validate", "--format", fmt, *CASES]) == 1
    out = capsys.readouterr().out
    path = GOLDEN / golden
    if os.environ.get("GRAPHSPEC_UPDATE_GOLDEN") == "1":
        path.write_text(out)
    assert out == path.read_text()


def test_github_format_is_chosen_on_actions(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["validate", *CASES]) == 1
    assert capsys.readouterr().out == (GOLDEN / "validate.github.txt").read_text()
