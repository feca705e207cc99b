"""Resume without losing work: a real `graphspec fit` process killed with SIGKILL mid-run,
then run again with --resume, ends with every epoch once, in order, and the rows it had
completed before the kill unchanged."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import graphspec
from graphspec.train.folder import prepare_run_folder
from graphspec.train.history import History
from graphspec.train.settings import training_settings
from tests.conftest import ROOT
from tests.train.tiny import TINY, write_tiny

EPOCHS = 3
ROWS = 800  # 100 steps, about 0.3 s an epoch here: the kill lands mid-epoch


def _fit(spec: Path, train: Path, output: Path, *flags: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "graphspec", "fit", str(spec), "--data", str(train)]
    command += ["-o", str(output), "--epochs", str(EPOCHS), "--log-mode", "epoch", "--no-plots"]
    command += flags
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _completed(output: Path) -> int:
    """Epochs completed: in history.csv and in the backup both."""
    try:
        rows = len((output / "history.csv").read_text().splitlines()) - 1
        return min(rows, json.loads((output / "backup" / "state.json").read_text())["epoch"])
    except (FileNotFoundError, ValueError):
        return 0


def test_a_killed_run_resumes_from_its_last_completed_epoch(tmp_path: Path, keras: Any) -> None:
    spec, train, _ = write_tiny(tmp_path, TINY, rows=ROWS)
    output = tmp_path / "run"
    first = _fit(spec, train, output)
    deadline = time.monotonic() + 120
    while _completed(output) < 1 and first.poll() is None:
        assert time.monotonic() < deadline, "no epoch completed in 2 minutes"
        time.sleep(0.01)
    time.sleep(0.1)  # into the next epoch
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert first.returncode == -signal.SIGKILL, "the run ended before it was killed"
    before = History.read(output / "history.csv")
    assert 1 <= before.epochs < EPOCHS
    assert not (output / "model.keras").exists()  # it never finished

    again = _fit(spec, train, output, "--resume")
    printed, _ = again.communicate(timeout=300)
    assert again.returncode == 0, printed
    after = History.read(output / "history.csv")
    assert after.epochs == EPOCHS
    lines = (output / "history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [str(n) for n in range(1, EPOCHS + 1)]
    completed = json.loads((output / "backup" / "state.json").read_text())["epoch"]
    assert completed == EPOCHS
    kept = min(before.epochs, after.epochs)
    assert after.rows[: kept - 1] == before.rows[: kept - 1]  # the completed epochs kept
    assert "resumed after epoch" in printed
    assert printed.count("Epoch ") == EPOCHS - int(printed.split("resumed after epoch ")[1][0])
    assert json.loads((output / "history.json").read_text())["epochs"] == EPOCHS
    assert (output / "model.keras").is_file() and (output / "best.keras").is_file()


def test_an_epoch_recorded_but_not_backed_up_is_trained_again_once(tmp_path: Path) -> None:
    """Killed between history.csv and the backup of epoch 2: the history is one epoch ahead;
    the resumed run trains epoch 2 again and replaces its row (no repeat, no gap)."""
    spec, train, _ = write_tiny(tmp_path)
    output = tmp_path / "run"
    graphspec.fit(spec, train, output=output, verbose=0)
    state = output / "backup" / "state.json"
    recorded = json.loads(state.read_text())
    state.write_text(json.dumps({**recorded, "epoch": 1}))
    result = graphspec.fit(spec, train, output=output, resume=True, verbose=0)
    assert result.initial_epoch == 1 and result.epochs == 2
    assert [len(values) for values in result.history.values()] == [2, 2]
    assert json.loads(state.read_text())["epoch"] == 2


def test_a_run_killed_before_its_first_epoch_starts_over(tmp_path: Path) -> None:
    spec, train, _ = write_tiny(tmp_path)
    output = tmp_path / "run"
    loaded = graphspec.load(spec)
    prepare_run_folder(output, loaded, training_settings(loaded), resume=False, force=False)
    result = graphspec.fit(spec, train, output=output, resume=True, verbose=0)
    assert result.initial_epoch == 0 and result.epochs == 2
