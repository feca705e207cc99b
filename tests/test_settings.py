"""User options: [tool.graphspec] in pyproject.toml, the command line on top, built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphspec.catalogue.custom import CustomLayerError, CustomLayers
from graphspec.cli import main
from graphspec.settings import DEFAULT_LIMITS, Limits, Options, read_project_settings


def test_pyproject_settings_are_found_upwards(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.graphspec]\ncustom-layers = ["mypkg.layers.Scale"]\n'
    )
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    found = read_project_settings(nested)
    assert found.get("Scale") is not None and found.layers["Scale"].path == "mypkg.layers.Scale"


def test_no_pyproject_means_no_custom_layers(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert not read_project_settings(tmp_path)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ('[tool.graphspec]\ncustom-layers = ["os"]\n', "not an import path"),
        ("[tool.graphspec]\ncustom-layers = [1]\n", "custom-layers"),
        ('[tool.graphspec]\nlayers = ["a.B"]\n', "layers"),
        ('[tool.graphspec.custom-layers.S]\nclass = "a.S"\nshape = "round"\n', "shape"),
        ('[tool.graphspec.custom-layers.S]\ntrainable = "units"\n', "class"),
        (
            '[tool.graphspec.custom-layers.S]\nclass = "a.S"\ntrainable = "__import__(1)"\n',
            "may use only",
        ),
        ("[tool.graphspec\n", "cannot read"),
    ],
)
def test_bad_pyproject_settings(tmp_path: Path, settings: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(settings)
    with pytest.raises(CustomLayerError, match=message):
        read_project_settings(tmp_path)


def test_custom_layer_formula() -> None:
    layer = CustomLayers.from_settings(
        {"S": {"class": "a.S", "shape": "same", "trainable": "2 * units + 1"}}, "t"
    ).layers["S"]
    assert layer.params({"units": 4}) == (9, 0)
    with pytest.raises(ValueError):
        layer.params({"units": "4"})


def test_options_merge_project_and_command_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.graphspec]\ncustom-layers = ["a.b.One"]\n')
    options = Options.from_sources(True, Limits(max_nodes=5), ["c.d.Two"], project=tmp_path)
    assert options.strict and options.limits.max_nodes == 5
    assert sorted(options.custom_layers.layers) == ["One", "Two"]


def test_limit_flags_are_the_limits_fields() -> None:
    assert set(Limits.flags()) == {
        "max_bytes",
        "max_depth",
        "max_nodes",
        "max_params",
        "max_vocabulary_bytes",
    }
    assert all(hasattr(DEFAULT_LIMITS, name) for name in Limits.flags())


def test_bad_settings_are_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.graphspec]\ncustom-layers = 3\n")
    (tmp_path / "s.yaml").write_text("graphspec: 1\n")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "s.yaml"]) == 2
    assert "[tool.graphspec] custom-layers" in capsys.readouterr().err


def test_custom_objects_from_pyproject_and_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.graphspec]\ncustom-objects = ["mypkg.losses.contrastive_loss"]\n'
    )
    options = Options.from_sources(project=tmp_path, custom_objects=["mypkg.metrics.Top"])
    objects = options.custom_objects.objects
    assert sorted(objects) == ["Top", "contrastive_loss"]
    assert objects["contrastive_loss"].module == "mypkg.losses"
    assert str(tmp_path / "pyproject.toml") in options.custom_objects.source


@pytest.mark.parametrize(
    "settings", ['custom-objects = ["contrastive_loss"]', "custom-objects = [3]"]
)
def test_a_bad_custom_object_is_a_usage_error(tmp_path: Path, settings: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.graphspec]\n{settings}\n")
    with pytest.raises(CustomLayerError, match=r"custom-objects|import path"):
        Options.from_sources(project=tmp_path)


def test_the_custom_object_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "graphspec: 1\nname: s\ninputs: {x: {shape: [2]}}\n"
        "outputs: {x: {from: x, loss: contrastive_loss}}\n"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["validate", str(spec)]) == 1
    assert "--custom-object" in capsys.readouterr().out
    assert main(["validate", "--custom-object", "nowhere.contrastive_loss", str(spec)]) == 0
    assert main(["validate", "--custom-object", "contrastive_loss", str(spec)]) == 2
