"""`graphspec.fit` and `graphspec.evaluate`: the run folder, the history, the best checkpoint,
refusals before anything trains, resuming a finished run for more epochs."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import pytest

import graphspec
from graphspec.diagnostics import Diagnostic, Location, Severity, SpecError
from graphspec.runtime.backend import BuildUnavailable
from graphspec.train.folder import RunError
from graphspec.train.history import History
from graphspec.train.run import FitResult
from tests.train.tiny import TINY, tiny_data, write_tiny


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return write_tiny(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def run(files: tuple[Path, Path, Path], keras: Any) -> FitResult:
    spec, train, validation = files
    output = spec.parent / "runs" / "first"
    return graphspec.fit(spec, train, validation_data=validation, output=output, verbose=0)


def test_the_run_folder_holds_every_file(run: FitResult) -> None:
    names = {path.name for path in run.run_dir.iterdir()}
    assert {"model.keras", "best.keras", "history.json", "history.csv", "plots"} <= names
    assert {"run.json", "spec.yaml", "backup"} <= names
    assert [p.name for p in (run.run_dir / "plots").iterdir()] == ["digit.png"]
    assert (run.run_dir / "plots" / "digit.png").read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in run.run_dir.rglob("*") if ".tmp" in p.name]  # nothing half-written


def test_the_history_has_one_row_per_epoch(run: FitResult) -> None:
    assert run.epochs == 2 and run.initial_epoch == 0 and not run.stopped_early
    assert set(run.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 2 for values in run.history.values())
    lines = (run.run_dir / "history.csv").read_text().splitlines()
    assert lines[0].split(",")[0] == "epoch" and [line[0] for line in lines[1:]] == ["1", "2"]
    document = json.loads((run.run_dir / "history.json").read_text())
    assert document["epochs"] == 2
    assert document["history"]["val_loss"] == pytest.approx(list(run.history["val_loss"]))
    assert History.read(run.run_dir / "history.csv").columns() == run.history


def test_the_best_epoch_is_the_lowest_validation_loss(run: FitResult) -> None:
    assert run.monitor == "val_loss" and run.mode == "min"
    values = run.history["val_loss"]
    assert run.best_value == min(values)
    assert run.best_epoch == values.index(min(values)) + 1


def test_evaluate_a_run_folder_a_keras_file_and_a_spec_with_weights(
    run: FitResult, files: tuple[Path, Path, Path]
) -> None:
    spec, _, validation = files
    final = graphspec.evaluate(run.run_dir, validation, checkpoint="final")
    assert set(final) == {"loss", "accuracy"}
    assert final["loss"] == pytest.approx(run.final["val_loss"], rel=1e-4)
    assert graphspec.evaluate(run.run_dir / "model.keras", validation) == pytest.approx(final)
    by_weights = graphspec.evaluate(spec, validation, weights=run.run_dir / "model.keras")
    assert by_weights == pytest.approx(final)
    best = graphspec.evaluate(run.run_dir, validation)
    assert best["loss"] == pytest.approx(run.best_value, rel=1e-4)


def test_an_existing_run_folder_is_refused(run: FitResult, files: tuple[Path, Path, Path]) -> None:
    spec, train, _ = files
    before = (run.run_dir / "history.csv").read_text()
    with pytest.raises(RunError) as caught:
        graphspec.fit(spec, train, output=run.run_dir, verbose=0)
    assert [str(d.code) for d in caught.value.diagnostics] == ["GS830"]
    assert "--resume" in (caught.value.diagnostics[0].hint or "")
    assert (run.run_dir / "history.csv").read_text() == before


def test_a_folder_graphspec_did_not_make_is_never_touched(
    files: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    spec, train, _ = files
    (tmp_path / "notes.txt").write_text("mine")
    for flags in ({}, {"force": True}, {"resume": True}):
        with pytest.raises(RunError) as caught:
            graphspec.fit(spec, train, output=tmp_path, verbose=0, **flags)
        assert [str(d.code) for d in caught.value.diagnostics] == ["GS831"]
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_file_in_the_way_and_a_data_problem_are_reported_together(
    files: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, train, _ = files
    output = tmp_path / "model.keras"
    output.write_text("not a run")
    problem = Diagnostic("GS830", Severity.ERROR, "a data problem", Location("train.npz"))
    monkeypatch.setattr("graphspec.train.run.check_data", lambda plan, data, role: (problem,))
    with pytest.raises(RunError) as caught:
        graphspec.fit(spec, train, output=output, force=True, verbose=0)
    assert caught.value.diagnostics[0].message == "a data problem"
    assert [str(d.code) for d in caught.value.diagnostics] == ["GS830", "GS831"]
    assert "is a file" in caught.value.diagnostics[1].message
    assert output.read_text() == "not a run"


def test_resume_of_a_finished_run_trains_the_epochs_asked_for_more(
    files: tuple[Path, Path, Path], tmp_path: Path, keras: Any
) -> None:
    spec, train, _ = files
    output = tmp_path / "run"
    first = graphspec.fit(spec, train, output=output, epochs=1, verbose=0)
    assert first.epochs == 1 and first.monitor == "loss"
    again = graphspec.fit(spec, train, output=output, epochs=3, resume=True, verbose=0)
    assert again.initial_epoch == 1 and again.epochs == 3
    assert again.history["loss"][0] == first.history["loss"][0]
    assert len(again.history["loss"]) == 3 and all(map(math.isfinite, again.history["loss"]))
    assert json.loads((output / "run.json").read_text())["epochs"] == 3
    saved = keras.saving.load_model(output / "model.keras")
    assert int(saved.optimizer.iterations) == 3 * 5  # the optimizer's state was restored


def test_resume_with_another_model_is_refused(
    files: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    spec, train, _ = files
    output = tmp_path / "run"
    graphspec.fit(spec, train, output=output, epochs=1, verbose=0)
    wider = graphspec.loads(TINY.replace("units: 8", "units: 9"), name="wider.yaml")
    with pytest.raises(RunError) as caught:
        graphspec.fit(wider, train, output=output, resume=True, verbose=0)
    assert [str(d.code) for d in caught.value.diagnostics] == ["GS832"]
    longer = graphspec.loads(TINY.replace("epochs: 2", "epochs: 3"), name="longer.yaml")
    assert graphspec.fit(longer, train, output=output, resume=True, verbose=0).epochs == 3


def test_a_validation_monitor_without_validation_data_trains_nothing(
    files: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    text = TINY.replace("  seed: 1\n", "  seed: 1\n  monitor: val_accuracy\n")
    spec = graphspec.loads(text, name="monitored.yaml")
    with pytest.raises(RunError) as caught:
        graphspec.fit(spec, tiny_data(), output=tmp_path / "run", verbose=0)
    (found,) = caught.value.diagnostics
    assert str(found.code) == "GS833" and found.path == ("training", "monitor")
    assert found.location.line == 16
    assert not (tmp_path / "run").exists()


def test_data_problems_are_raised_with_every_diagnostic(
    files: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, train, validation = files
    problem = Diagnostic("GS830", Severity.ERROR, "a data problem", Location("train.npz"))
    monkeypatch.setattr("graphspec.train.run.check_data", lambda plan, data, role: (problem,))
    with pytest.raises(SpecError) as caught:
        graphspec.fit(spec, train, validation_data=validation, output=tmp_path / "r", verbose=0)
    assert caught.value.diagnostics == (problem, problem)
    assert not (tmp_path / "r").exists()


def test_a_spec_without_compile_is_refused(tmp_path: Path) -> None:
    text = TINY.split("compile:")[0].replace("graphspec: 1.1", "graphspec: 1")
    with pytest.raises(RunError) as caught:
        graphspec.fit(graphspec.loads(text), tiny_data(), output=tmp_path / "r", verbose=0)
    assert [str(d.code) for d in caught.value.diagnostics] == ["GS834"]


def test_fit_and_evaluate_a_dataset_of_dicts(tmp_path: Path, keras: Any) -> None:
    """A tf.data.Dataset and a PyDataset of ({input: ...}, {head: ...}) batches train a model
    of one input and one head (Keras takes a dict by name only for several)."""
    tf = pytest.importorskip("tensorflow")
    data = tiny_data()
    dataset = tf.data.Dataset.from_tensor_slices(({"x": data["x"]}, {"digit": data["digit"]}))

    class Batches(keras.utils.PyDataset):  # type: ignore[misc]
        def __len__(self) -> int:
            return 5

        def __getitem__(self, index: int) -> tuple[dict[str, Any], dict[str, Any]]:
            rows = slice(8 * index, 8 * index + 8)
            return {"x": data["x"][rows]}, {"digit": data["digit"][rows]}

    spec = graphspec.loads(TINY)
    result = graphspec.fit(
        spec, dataset.batch(8), validation_data=Batches(), output=tmp_path / "r", verbose=0
    )
    assert result.epochs == 2 and len(result.history["val_loss"]) == 2
    values = graphspec.evaluate(tmp_path / "r", Batches())
    assert values["loss"] == pytest.approx(result.best_value, rel=1e-4)


TWO_HEADS = """\
graphspec: 1.1
name: two_heads
inputs:
  x: {shape: [4]}
nodes:
  hidden: {layer: Dense, from: x, units: 8, activation: relu}
  probs: {layer: Dense, from: hidden, units: 3, activation: softmax}
  size: {layer: Dense, from: hidden, units: 1}
outputs:
  digit: {from: probs, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
  size: {from: size, loss: mse, metrics: [mae]}
compile: {optimizer: adam}
training:
  epochs: 5
  batch_size: 8
  validation_split: 0.25
  monitor: val_digit_accuracy
  callbacks:
    - TerminateOnNaN
    - {name: EarlyStopping, patience: 0, min_delta: 10}
"""


def test_two_heads_early_stopping_plots_and_tensorboard(tmp_path: Path, keras: Any) -> None:
    """EarlyStopping watches the run's monitored value (an accuracy: max) and stops at the
    second epoch; each head gets its plot, the total loss its own; TensorBoard writes its
    logs (the train extra installs it)."""
    data = {**tiny_data(), "size": tiny_data()["x"][:, :1]}
    spec = graphspec.loads(TWO_HEADS)
    result = graphspec.fit(spec, data, output=tmp_path / "r", tensorboard=True, verbose=0)
    assert (result.monitor, result.mode) == ("val_digit_accuracy", "max")
    assert result.epochs == 2 and result.stopped_early
    assert {"digit_loss", "val_size_mae", "val_digit_accuracy"} <= set(result.history)
    plots = sorted(p.name for p in (result.run_dir / "plots").iterdir())
    assert plots == ["digit.png", "loss.png", "size.png"]
    assert any((result.run_dir / "logs").rglob("events.out.tfevents.*"))
    assert [p.name for p in result.files][-1] == "logs"


def test_tensorboard_missing_is_a_usage_error_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "tensorboard" else real(name, *a),
    )
    with pytest.raises(BuildUnavailable, match="graphspec\\[train\\]"):
        graphspec.fit(
            graphspec.loads(TWO_HEADS), tiny_data(), output=tmp_path / "r", tensorboard=True
        )
    assert not (tmp_path / "r").exists()


def test_the_summary_puts_the_total_loss_first_then_each_heads() -> None:
    from graphspec.train.run import FitResult, format_summary
    from graphspec.train.settings import TrainingSettings

    settings = TrainingSettings(2, 8, 0.25, True, None, "val_loss", "min")
    logged = ("digit_loss", "loss", "size_loss", "digit_accuracy")
    history = {name: (1.0, 0.5) for name in (*logged, *(f"val_{n}" for n in logged))}
    result = FitResult(Path("runs/two"), history, 2, 0, "val_loss", "min", 2, 0.5, settings, 1.0)
    rows = [line.split()[0] for line in format_summary(result).splitlines()[3:-1]]
    assert rows == ["loss", "digit_loss", "size_loss", "digit_accuracy"]


STRINGS = """\
graphspec: 1.1
name: strings
inputs:
  word: {shape: [1], dtype: string}
nodes:
  ids: {layer: StringLookup, from: word, vocabulary: [a, b, c]}
  emb: {layer: Embedding, from: ids, input_dim: 4, output_dim: 2}
  flat: {layer: Flatten, from: emb}
  probs: {layer: Dense, from: flat, units: 2, activation: softmax}
outputs:
  label: {from: probs, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
compile: {optimizer: adam}
training: {epochs: 2, batch_size: 4, validation_split: 0.25, seed: 1}
"""


def test_a_string_input_trains_and_evaluates_from_arrays(tmp_path: Path, keras: Any) -> None:
    import numpy as np

    data = {"word": np.array([["a"], ["b"], ["c"], ["d"]] * 5), "label": np.arange(20) % 2}
    spec = graphspec.loads(STRINGS, name="strings.yaml")
    # was "internal error: ValueError: Invalid dtype: str32" from Keras' array adapter
    result = graphspec.fit(spec, data, output=tmp_path / "run", verbose=0)
    assert result.epochs == 2 and len(result.history["val_loss"]) == 2  # the split validates
    values = graphspec.evaluate(tmp_path / "run", data)
    assert set(values) == {"loss", "accuracy"} and math.isfinite(values["loss"])
