"""The run folder (`-o runs/NAME`): what a run leaves behind, and whether a run may start there.

```
runs/NAME/
  run.json       graphspec's record: the spec's model fingerprint, the settings, the status
  spec.yaml      the spec the run trained (`graphspec evaluate runs/NAME` reads it)
  history.csv    one row per completed epoch (the record a resumed run continues)
  history.json   the same, as {"epochs": N, "history": {name: [value per epoch]}}
  best.keras     the model at the best epoch by the monitored value
  model.keras    the model at the end
  plots/         HEAD.png per head (loss and each metric, training and validation)
  backup/        Keras' BackupAndRestore state: the last completed epoch, for --resume
  logs/          TensorBoard logs (--tensorboard)
```

Every file is written atomically (`graphspec.atomic`). A folder that exists is refused
(GS830) unless the run is resumed (`--resume`, the same model: GS832) or started again
(`--force`); a folder graphspec did not make is never touched (GS831). Only the chief of a
distributed run writes here.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from graphspec.atomic import write_text
from graphspec.diagnostics import Code, Diagnostic, Location, Severity, SpecError, codes
from graphspec.spec.model import Spec
from graphspec.train.history import History
from graphspec.train.settings import TrainingSettings

RUN_RECORD = "run.json"
BACKUP_STATE = "state.json"
"""The backup's record of its last completed epoch (`graphspec.train.callbacks`)."""


class RunError(SpecError):
    """A run that cannot start: data that does not fit the spec, a run folder in the way, a
    monitored value the run does not log. Carries every diagnostic, as `SpecError` does."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__(diagnostics)
        errors = sum(d.is_error for d in self.diagnostics)
        self.args = (str(self).replace(f"{errors} error(s) in spec", f"{errors} error(s)", 1),)


def model_fingerprint(spec: Spec) -> str:
    """A hash of what decides the model's weights: the spec without its `training` section
    and its description (a resumed run may train longer, or under a better description)."""
    content = spec.model_dump(mode="json", by_alias=True, exclude={"training", "description"})
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RunFolder:
    """A prepared run folder, and the epochs a resumed run has completed already."""

    path: Path
    initial_epoch: int = 0

    @property
    def record(self) -> Path:
        return self.path / RUN_RECORD

    @property
    def spec_copy(self) -> Path:
        return self.path / "spec.yaml"

    @property
    def history_csv(self) -> Path:
        return self.path / "history.csv"

    @property
    def history_json(self) -> Path:
        return self.path / "history.json"

    @property
    def best_model(self) -> Path:
        return self.path / "best.keras"

    @property
    def final_model(self) -> Path:
        return self.path / "model.keras"

    @property
    def plots(self) -> Path:
        return self.path / "plots"

    @property
    def backup(self) -> Path:
        return self.path / "backup"

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    def write_history(self, history: History) -> None:
        write_text(self.history_csv, history.csv_text())
        write_text(self.history_json, history.json_text())

    def finish(self, history: History, spec: Spec, *, plots: bool) -> None:
        """The end of a run: history.json rebuilt from the CSV, the plots, run.json marked
        finished."""
        self.write_history(history)
        if plots and history.epochs:
            from graphspec.train.plots import write_plots

            write_plots(history, spec, self.plots)
        self.mark("finished", history.epochs)

    def mark(self, status: str, epochs: int) -> None:
        """run.json's status (running, interrupted, finished) and completed epochs."""
        record = self.read_record()
        record.update(status=status, epochs=epochs)
        write_text(self.record, json.dumps(record, indent=2) + "\n")

    def read_record(self) -> dict[str, Any]:
        try:
            value = json.loads(self.record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def files(self) -> tuple[Path, ...]:
        """The run's files and folders that exist, in the order of the module's listing."""
        named = (
            self.record,
            self.spec_copy,
            self.history_csv,
            self.history_json,
            self.best_model,
            self.final_model,
            self.plots,
            self.logs,
        )
        return tuple(path for path in named if path.exists())


def _problem(code: Code, output: Path, message: str, hint: str) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, Location(str(output)), (), hint)


def completed_epochs(backup: Path) -> int:
    """The last completed epoch the backup holds (0 when there is none)."""
    try:
        state = json.loads((backup / BACKUP_STATE).read_text(encoding="utf-8"))
        return int(state["epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def run_folder_problem(output: Path, spec: Spec, *, resume: bool, force: bool) -> Diagnostic | None:
    """Why a run may not start in ``output``: GS830-GS832 (None when it may)."""
    if output.exists() and not output.is_dir():
        return _problem(
            codes.NOT_A_RUN_FOLDER,
            output,
            f"the run folder '{output}' is a file",
            "name a new or empty folder, such as runs/NAME",
        )
    if not output.is_dir() or not any(output.iterdir()):
        return None
    folder = RunFolder(output)
    if not folder.record.is_file():
        return _problem(
            codes.NOT_A_RUN_FOLDER,
            output,
            f"'{output}' is not empty and holds no run of graphspec fit (no {RUN_RECORD}); "
            "it is left alone, --force included",
            "name a new or empty folder, such as runs/NAME",
        )
    if not resume and not force:
        return _problem(
            codes.RUN_EXISTS,
            output,
            f"the run folder '{output}' exists already",
            "continue the run with --resume, start it again with --force, or name another folder",
        )
    if resume and folder.read_record().get("model") != model_fingerprint(spec):
        return _problem(
            codes.RUN_OF_ANOTHER_MODEL,
            output,
            f"the run in '{output}' trained another model: the spec has changed since "
            "(apart from 'training')",
            f"resume with the spec it was made from ({folder.spec_copy}), or start again "
            "with --force",
        )
    return None


def prepare_run_folder(
    output: Path,
    spec: Spec,
    settings: TrainingSettings,
    *,
    resume: bool,
    force: bool,
    chief: bool = True,
) -> RunFolder:
    """Check that a run may start in ``output`` and make it ready: a fresh folder with run.json
    and spec.yaml, or the existing run to resume (``force``: the old run removed first).
    Raises `graphspec.train.run.RunError` with GS830-GS832."""
    # only the chief decides: another worker may start after the chief has made the folder
    refusal = run_folder_problem(output, spec, resume=resume, force=force) if chief else None
    if refusal is not None:
        raise RunError([refusal])
    folder = RunFolder(output)
    resuming = resume and folder.record.is_file()
    if resuming:
        folder = RunFolder(output, completed_epochs(folder.backup))
    if not chief:
        return folder
    if force and not resume and folder.record.is_file():
        shutil.rmtree(output)
    output.mkdir(parents=True, exist_ok=True)
    record = folder.read_record() if resuming else {}
    record.update(
        model=model_fingerprint(spec),
        spec=spec.source.file if spec.source is not None else "<spec>",
        settings=_settings_record(settings),
        status="running",
    )
    write_text(folder.record, json.dumps(record, indent=2) + "\n")
    if not resuming:
        write_text(folder.spec_copy, _spec_text(spec))
    return folder


def _settings_record(settings: TrainingSettings) -> dict[str, Any]:
    values = asdict(settings)
    values["callbacks"] = [entry.model_dump(mode="json") for entry in settings.callbacks]
    return values


def _spec_text(spec: Spec) -> str:
    """The spec as the user wrote it (comments kept), else as graphspec writes it."""
    if spec.source is not None and spec.source.text:
        return spec.source.text
    from graphspec.spec.write import write_spec

    return write_spec(spec)
