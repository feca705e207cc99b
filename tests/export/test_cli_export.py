"""`graphspec export`: exit codes and refusals (an existing output without --force, an unknown
format, a missing converter, a directory that is no SavedModel), and one real export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphspec.cli import export as export_command
from graphspec.cli import main
from graphspec.export.formats import FORMATS
from tests.conftest import SPECS

SPEC = SPECS / "seeds" / "seed002_dense.yaml"


def test_the_cli_names_the_formats_of_the_table() -> None:
    assert tuple(FORMATS) == export_command.FORMATS
    assert {name: f.suffix for name, f in FORMATS.items()} == export_command.SUFFIXES


def test_a_saved_model_is_written_and_verified(
    keras: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "dense"
    command = ["export", str(SPEC), "--format", "saved_model", "-o", str(output)]
    assert main(command) == 0
    err = capsys.readouterr().err
    assert f"wrote {output} (TensorFlow SavedModel; verified with tf.saved_model.load" in err
    assert (output / "saved_model.pb").is_file()
    # existing output: refused without --force, before any work
    assert main(command) == 2
    assert "already exists; pass --force to overwrite it" in capsys.readouterr().err
    assert main([*command, "--force"]) == 0


def test_an_existing_file_is_refused_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "m.onnx"
    output.write_text("keep me")
    assert main(["export", str(SPEC), "--format", "onnx", "-o", str(output)]) == 2
    assert "m.onnx: already exists; pass --force" in capsys.readouterr().err
    assert output.read_text() == "keep me"


def test_an_unknown_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["export", str(SPEC), "--format", "coreml", "-o", "m.mlmodel"])
    assert exited.value.code == 2
    assert "invalid choice: 'coreml'" in capsys.readouterr().err


@pytest.mark.parametrize(("format_name", "name"), [("onnx", "m.tflite"), ("litert", "m.onnx")])
def test_the_suffix_must_fit_the_format(
    format_name: str, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(SPEC), "--format", format_name, "-o", str(tmp_path / name)]) == 2
    assert "the output must end in" in capsys.readouterr().err


def test_a_missing_converter_gives_the_install_hint(
    keras: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(type(FORMATS["onnx"]), "missing", lambda self: ["tf2onnx", "onnxruntime"])
    output = tmp_path / "m.onnx"
    assert main(["export", str(SPEC), "--format", "onnx", "-o", str(output)]) == 2
    err = capsys.readouterr().err
    assert "ONNX export needs tf2onnx, onnxruntime: pip install 'graphspec[export]'" in err
    assert not output.exists()


def test_force_never_replaces_a_directory_that_is_no_saved_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    command = ["export", str(SPEC), "--format", "saved_model", "-o", str(tmp_path), "--force"]
    assert main(command) == 2
    assert "holds no SavedModel; not replacing it" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_an_invalid_spec_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("graphspec: 1\nname: bad\ninputs: {x: {shape: [4]}}\noutputs: {y: nope}\n")
    output = tmp_path / "bad_saved_model"
    assert main(["export", str(spec), "--format", "saved_model", "-o", str(output)]) == 1
    assert "error[GS205]" in capsys.readouterr().err
    assert not output.exists()


def test_a_negative_tolerance_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["export", str(SPEC), "--format", "onnx", "--tolerance", "-1"])
    assert "expected a finite number >= 0" in capsys.readouterr().err


def test_the_default_output_is_named_after_the_source() -> None:
    assert export_command._default_output(SPEC, "onnx") == Path("seed002_dense.onnx")
    assert export_command._default_output(SPEC, "saved_model") == Path("seed002_dense_saved_model")
