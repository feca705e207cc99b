"""`graphspec fit` and `graphspec evaluate` on the command line: the summary, the run folder,
exit codes (1 spec or data problems and a run folder in the way, 2 usage), the log modes."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from graphspec.cli import fit as fit_command
from graphspec.cli import main, make_parser
from graphspec.train.distribute import DISTRIBUTE_CHOICES
from tests.train.tiny import TINY, write_tiny


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return write_tiny(tmp_path_factory.mktemp("cli"))


@pytest.fixture(scope="module")
def trained(files: tuple[Path, Path, Path], keras: Any) -> tuple[Path, str]:
    """One run with one line per epoch, and what it printed (Keras' lines, then the summary;
    captured by hand: capsys is per test)."""
    spec, train, validation = files
    output = spec.parent / "runs" / "a"
    stream = io.StringIO()
    with contextlib.redirect_stdout(stream):
        code = main(
            [
                "fit",
                str(spec),
                "--data",
                str(train),
                "--validation-data",
                str(validation),
                "-o",
                str(output),
                "--epochs",
                "3",
                "--log-mode",
                "epoch",
            ]
        )
    assert code == 0
    return output, stream.getvalue()


def test_fit_trains_and_prints_a_summary(trained: tuple[Path, str]) -> None:
    output, text = trained
    assert text.count("Epoch ") == 3  # --epochs overrides the spec's 2
    summary = text[text.index("trained 3 epoch(s)") :]
    assert str(output) in summary
    assert "best epoch " in summary and "val_loss" in summary and "→ best.keras" in summary
    assert "training  validation" in summary and "accuracy" in summary
    assert "model.keras" in summary and "plots/" in summary
    assert len(summary.splitlines()) <= 24  # one screen
    assert json.loads((output / "history.json").read_text())["epochs"] == 3


def test_fit_prints_json_for_ci(
    files: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec, train, _ = files
    argv = ["fit", str(spec), "--data", str(train), "-o", str(tmp_path / "r"), "-q"]
    assert main([*argv, "--epochs", "1", "--no-plots", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["epochs"] == 1 and document["best_epoch"] == 1
    assert document["monitor"] == "loss" and document["history"]["loss"] == [
        document["final"]["loss"]
    ]
    assert not (tmp_path / "r" / "plots").exists()


def test_warnings_are_printed_before_training(
    files: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, train, _ = files
    pruned = tmp_path / "pruned.yaml"
    pruned.write_text(
        TINY.replace("nodes:\n", "nodes:\n  unused: {layer: Dense, from: x, units: 2}\n")
    )
    argv = ["fit", str(pruned), "--data", str(train), "-o", str(tmp_path / "r"), "-q"]
    assert main([*argv, "--epochs", "1", "--no-plots"]) == 0
    assert "warning[GS401]" in capsys.readouterr().err


def test_evaluate_prints_each_value(
    trained: tuple[Path, str], files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    output, _ = trained
    _, _, validation = files
    assert main(["evaluate", str(output), "--data", str(validation), "--format", "json"]) == 0
    values = json.loads(capsys.readouterr().out)
    assert set(values) == {"loss", "accuracy"}
    assert main(["evaluate", str(output / "model.keras"), "--data", str(validation)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["loss", "accuracy"]


def test_evaluate_a_spec_without_weights_is_a_usage_error(
    files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    spec, _, validation = files
    assert main(["evaluate", str(spec), "--data", str(validation)]) == 2
    assert "--weights" in capsys.readouterr().err


def test_a_second_run_into_the_folder_exits_1(
    trained: tuple[Path, str], files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    output, _ = trained
    spec, train, _ = files
    assert main(["fit", str(spec), "--data", str(train), "-o", str(output), "-q"]) == 1
    err = capsys.readouterr().err
    assert "error[GS830]" in err and "--resume" in err


def test_data_problems_exit_1_and_train_nothing(
    files: tuple[Path, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from graphspec.diagnostics import Diagnostic, Location, Severity

    spec, train, _ = files
    problem = Diagnostic("GS830", Severity.ERROR, "stands for a data problem", Location(str(train)))
    monkeypatch.setattr("graphspec.train.run.check_data", lambda plan, data, role: (problem,))
    assert main(["fit", str(spec), "--data", str(train), "-o", str(tmp_path / "r"), "-q"]) == 1
    assert "stands for a data problem" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_missing_data_is_gs801_and_exits_1(
    files: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec, _, _ = files
    argv = ["fit", str(spec), "--data", str(tmp_path / "missing.npz"), "-o", str(tmp_path / "r")]
    assert main(argv) == 1
    assert "error[GS801]" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_an_invalid_spec_exits_1(
    files: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, train, _ = files
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.replace("units: 8", "units: eight"))
    assert main(["fit", str(bad), "--data", str(train), "-o", str(tmp_path / "r")]) == 1
    assert "error[GS" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    "flags",
    [
        ["--data", "{train}", "-o", "r", "--epochs", "0"],
        ["--data", "{train}", "-o", "r", "--resume", "--force"],
        ["--data", "{train}", "-o", "r", "--distribute", "cluster"],
        ["--data", "{train}"],
    ],
    ids=["zero-epochs", "resume-and-force", "unknown-distribute", "no-output"],
)
def test_usage_errors_exit_2(
    flags: list[str], files: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    spec, train, _ = files
    argv = ["fit", str(spec), *(flag.format(train=train) for flag in flags)]
    with pytest.raises(SystemExit) as caught:
        code = main(argv)
        raise SystemExit(code)
    assert caught.value.code == 2
    assert not (tmp_path / "r").exists()


def test_the_help_names_every_flag() -> None:
    parser = make_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    text = commands.choices["fit"].format_help()  # type: ignore[union-attr]
    for flag in (
        "--data",
        "--validation-data",
        "--epochs",
        "--batch-size",
        "--seed",
        "--resume",
        "--force",
        "--distribute",
        "--tensorboard",
        "--log-mode",
        "--quiet",
        "runs/NAME",
    ):
        assert flag in text, flag
    assert "--weights" in commands.choices["evaluate"].format_help()  # type: ignore[union-attr]


def test_the_cli_offers_every_distribution() -> None:
    assert fit_command.DISTRIBUTE_CHOICES == DISTRIBUTE_CHOICES


def test_log_modes_are_keras_verbose_levels() -> None:
    assert fit_command.LOG_MODES == {"auto": "auto", "bar": 1, "epoch": 2, "quiet": 0}


@pytest.mark.parametrize("value", ["1", "-0.1", "half"])
def test_a_validation_split_outside_zero_to_one_is_a_usage_error(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["fit", "spec.yaml", "--data", "d.npz", "-o", "r", "--validation-split", value])
    assert exit_.value.code == 2
    assert "--validation-split" in capsys.readouterr().err


def test_the_validation_split_flag_overrides_the_spec() -> None:
    from graphspec.spec.model import Spec
    from graphspec.train.settings import training_settings

    spec = Spec.model_validate(
        {
            "graphspec": 1.1,
            "name": "tiny",
            "inputs": {"x": {"shape": [2]}},
            "nodes": {"d": {"layer": "Dense", "from": "x", "units": 1}},
            "outputs": {"d": {"from": "d", "loss": "mse"}},
            "compile": {"optimizer": "adam"},
            "training": {"validation_split": 0.5},
        }
    )
    assert training_settings(spec).validation_split == 0.5
    assert training_settings(spec, validation_split=0.2).validation_split == 0.2
    assert training_settings(spec, validation_split=0.0).monitor == "loss"
    assert training_settings(spec, validation_data=True, validation_split=0.2).validation_split == 0


def test_json_output_keeps_keras_progress_on_stderr(
    files: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec, train, _ = files
    argv = ["fit", str(spec), "--data", str(train), "-o", str(tmp_path / "r"), "--no-plots"]
    assert main([*argv, "--epochs", "1", "--log-mode", "epoch", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["epochs"] == 1  # stdout is the JSON document alone
    assert "5/5" in captured.err and "loss:" in captured.err  # Keras' epoch line


def test_ctrl_c_keeps_a_resumable_run_and_says_how_to_continue(
    files: tuple[Path, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    keras: Any,
) -> None:
    from graphspec.train import callbacks

    class CtrlC(keras.callbacks.Callback):  # type: ignore[misc,name-defined]
        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            if epoch == 1:
                raise KeyboardInterrupt

    made = callbacks.run_callbacks
    spec, train, _ = files
    output = tmp_path / "r"
    argv = ["fit", str(spec), "--data", str(train), "-o", str(output), "-q", "--no-plots"]
    with monkeypatch.context() as patch:
        patch.setattr(callbacks, "run_callbacks", lambda *a, **k: [*made(*a, **k), CtrlC()])
        assert main([*argv, "--epochs", "4"]) == 130
    err = capsys.readouterr().err
    assert "interrupted after 2 completed epoch(s)" in err and "--resume" in err
    assert "Traceback" not in err
    assert json.loads((output / "run.json").read_text())["status"] == "interrupted"
    assert main([*argv, "--epochs", "4", "--resume"]) == 0
    assert "(resumed after epoch 2)" in capsys.readouterr().out
    assert json.loads((output / "history.json").read_text())["epochs"] == 4
    assert json.loads((output / "run.json").read_text())["status"] == "finished"
    assert main([*argv, "--resume"]) == 0  # a finished run, without --epochs
    assert "nothing to train" in capsys.readouterr().out.splitlines()[0]


def test_evaluate_says_what_it_evaluated_on_stderr(
    trained: tuple[Path, str], files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    output, _ = trained
    _, _, validation = files
    assert main(["evaluate", str(output), "--data", str(validation), "--checkpoint", "final"]) == 0
    captured = capsys.readouterr()
    assert [line.split()[0] for line in captured.out.splitlines()] == ["loss", "accuracy"]
    expected = f"evaluated {output / 'model.keras'} on {validation} (20 samples)\n"
    assert captured.err == expected


def test_evaluate_a_run_without_its_model_file_is_a_usage_error(
    trained: tuple[Path, str],
    files: tuple[Path, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import shutil

    output, _ = trained
    _, _, validation = files
    unfinished = tmp_path / "unfinished"
    shutil.copytree(output, unfinished, ignore=shutil.ignore_patterns("model.keras"))
    argv = ["evaluate", str(unfinished), "--data", str(validation), "--checkpoint", "final"]
    assert main(argv) == 2  # was an internal error (exit 3) from Keras' load_model
    err = capsys.readouterr().err
    assert "model.keras: not written" in err and "--checkpoint best" in err
    (tmp_path / "plain").mkdir()
    assert main(["evaluate", str(tmp_path / "plain"), "--data", str(validation)]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_resume_without_epochs_leaves_an_early_stopped_run_as_it_is(
    files: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, train, _ = files
    stopping = tmp_path / "stopping.yaml"
    stopping.write_text(
        TINY.replace("epochs: 2", "epochs: 6").replace(
            "  seed: 1\n",
            "  seed: 1\n  callbacks:\n    - {name: EarlyStopping, min_delta: 100, patience: 0}\n",
        )
    )
    output = tmp_path / "r"
    argv = ["fit", str(stopping), "--data", str(train), "-o", str(output), "-q", "--no-plots"]
    assert main(argv) == 0
    assert "stopped early" in capsys.readouterr().out
    assert main([*argv, "--resume"]) == 0  # was: trained on to the spec's epochs
    assert capsys.readouterr().out.startswith("nothing to train")
    assert json.loads((output / "history.json").read_text())["epochs"] == 2


def test_evaluate_with_wrong_weights_is_a_usage_error_not_a_crash(
    trained: tuple[Path, str],
    files: tuple[Path, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    output, _ = trained
    spec, _, validation = files
    argv = ["evaluate", str(spec), "--data", str(validation), "--weights"]
    assert main([*argv, str(tmp_path / "nope.keras")]) == 2  # was an internal error (exit 3)
    assert "no such weights file" in capsys.readouterr().err
    other = tmp_path / "other.yaml"
    other.write_text(
        TINY.replace("x: {shape: [4]}", "z: {shape: [4]}").replace("from: x", "from: z")
    )
    argv = ["evaluate", str(other), "--data", str(validation), "--weights"]
    assert main([*argv, str(output / "model.keras")]) == 2  # was an internal error from Keras
    assert "the weights are another model's" in capsys.readouterr().err


def test_evaluate_a_keras_file_does_not_quote_its_bytes(
    trained: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy as np

    output, _ = trained
    empty = tmp_path / "empty.npz"
    np.savez(empty, other=np.zeros(3))
    assert main(["evaluate", str(output / "model.keras"), "--data", str(empty)]) == 1
    err = capsys.readouterr().err
    assert "(its imported spec)" in err and "error[GS803]" in err and "\\x00" not in err
