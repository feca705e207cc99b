"""`make demo`: a table row per built spec, one diagnostic, a summary, a graph and a diff, a
short training run on the digits, and where the files are; its example files say what the
demo claims."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import graphspec
from graphspec.cli import main
from graphspec.pipeline import check_path
from tests.conftest import ROOT, SPECS

DEMO = ROOT / "docs" / "examples" / "demo"


def _demo_recipe() -> str:
    makefile = (ROOT / "Makefile").read_text()
    return makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]


def test_the_demo_shows_each_command_once() -> None:
    recipe = _demo_recipe()
    for command in ("build", "validate", "summary", "graph", "diff"):
        assert len(re.findall(rf"graphspec {command} ", recipe)) == 1, command
    assert "--quiet" in recipe  # a table row per spec, not Keras' summaries
    assert "Models: $(DEMO)/*.keras" in recipe


def test_the_demo_trains_a_digits_spec_briefly_and_shows_its_plot() -> None:
    recipe = _demo_recipe()
    assert len(re.findall(r"graphspec fit ", recipe)) == 1
    assert "-m graphspec.examples.digits $(DEMO)/digits\n" in recipe  # writes train/test.npz
    assert "--data $(DEMO)/digits/train.npz" in recipe
    assert "--validation-data $(DEMO)/digits/test.npz" in recipe
    epochs = re.search(r"--epochs (\d+)", recipe)
    assert epochs and int(epochs[1]) <= 5  # the demo stays quick
    spec_path = re.search(r"graphspec fit (specs/train/\w+\.yaml)", recipe)
    run = re.search(r" -o (\$\(DEMO\)/runs/\w+)", recipe)
    assert spec_path and run
    (head,) = graphspec.load(ROOT / spec_path[1]).outputs  # one plot per head: plots/HEAD.png
    assert f"Plot: {run[1]}/plots/{head}.png" in recipe


def test_the_demo_names_only_files_that_exist() -> None:
    for path in re.findall(r"(?:specs|docs)/[\w/.-]+\.yaml", _demo_recipe()):
        assert (ROOT / path).is_file(), path


def test_the_demos_mistake_is_three_errors() -> None:
    report = check_path(DEMO / "mistake.yaml")
    assert sorted(str(d.code) for d in report.diagnostics) == ["GS107", "GS201", "GS301"]


def test_the_demos_diff_changes_widths_and_a_loss(capsys: pytest.CaptureFixture[str]) -> None:
    old = SPECS / "seeds" / "seed002_dense.yaml"
    assert main(["diff", str(old), str(DEMO / "dense_wider.yaml")]) == 1
    out = capsys.readouterr().out
    assert "sequence[0].units 32 -> 64" in out
    assert "total params: 3,466 -> 8,970" in out


def test_quiet_build_of_several_specs_prints_a_row_each_and_a_total(
    keras: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    specs = [
        SPECS / "seeds" / "seed002_dense.yaml",
        SPECS / "seeds" / "seed001_ensemble_pruned.yaml",
    ]
    code = main(["build", *map(str, specs), "--output-dir", str(tmp_path), "--quiet"])
    assert code == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].split() == ["spec", "parameters", "heads", "warnings", "file"]
    assert lines[1].split()[:4] == ["seed002_dense", "3,466", "output_tensor", "0"]
    assert lines[2].split()[0] == "seed001_ensemble_pruned"
    assert lines[2].split()[3] == "1"  # the pruned branch's GS401
    assert re.fullmatch(
        rf"built 2 of 2 specs into {re.escape(str(tmp_path))} in [\d.]+ s; 1 warning", lines[3]
    )
    assert "Model:" not in captured.out  # no Keras summary
    assert captured.err.count("GS401") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "seed001_ensemble_pruned.keras",
        "seed002_dense.keras",
    ]


def test_a_failed_spec_is_a_row_too(
    keras: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    specs = [DEMO / "mistake.yaml", SPECS / "seeds" / "seed002_dense.yaml"]
    assert main(["build", *map(str, specs), "--output-dir", str(tmp_path), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "not built (errors above)" in out
    assert "built 1 of 2 specs" in out
