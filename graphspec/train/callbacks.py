"""The callbacks of a run: graphspec's own two, Keras' BackupAndRestore, and the spec's.

- `EpochRecorder` (chief only): after each epoch, history.csv and history.json rewritten
  atomically, and best.keras saved when the monitored value is the best so far.
- `RunBackup`: Keras' `BackupAndRestore`, saving the weights, the optimizer and the epoch into
  the run folder's ``backup/`` atomically: the weights of epoch N go to their own file, then
  ``state.json`` names it in one rename, so a run killed at any moment finds a complete state
  (Keras' own writes its two files in place, one after the other).
- the spec's `training.callbacks` (`EarlyStopping`, `ReduceLROnPlateau`, `TerminateOnNaN`),
  watching the run's monitored value unless they name another;
- `keras.callbacks.TensorBoard` with ``--tensorboard``.

The recorder runs before the backup: a run killed between them has history.csv one epoch
ahead of the backup, and the epoch trained again replaces that row, where the other order
would leave a gap. Neither runs Python per batch: Keras dispatches the batches of a run
asynchronously, as it does for a hand-written ``model.fit``.
"""

from __future__ import annotations

import json
from typing import Any

from graphspec.atomic import replacing, write_text
from graphspec.runtime.backend import import_keras
from graphspec.runtime.saving import save_model_atomically
from graphspec.spec.model import Spec
from graphspec.train.folder import BACKUP_STATE, RunFolder
from graphspec.train.history import History, best_epoch
from graphspec.train.settings import TrainingSettings

keras = import_keras()

WATCHING = frozenset({"EarlyStopping", "ReduceLROnPlateau"})
"""Callbacks with `monitor` and `mode`: given the run's unless the spec writes them."""


class EpochRecorder(keras.callbacks.Callback):  # type: ignore[misc,name-defined]
    """history.csv and history.json after each epoch; best.keras when the epoch is the best."""

    def __init__(self, folder: RunFolder, history: History, settings: TrainingSettings) -> None:
        super().__init__()
        self.folder = folder
        self.history = history
        self.monitor = settings.monitor
        self.mode = settings.mode

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.history = self.history.with_epoch(epoch, logs or {})
        self.folder.write_history(self.history)
        best = best_epoch(self.history, self.monitor, self.mode)
        if best is not None and best[0] == epoch + 1:
            save_model_atomically(self.model, self.folder.best_model)


class RunBackup(keras.callbacks.BackupAndRestore):  # type: ignore[misc,name-defined]
    """Keras' BackupAndRestore, written atomically; only the chief writes, every worker
    restores, and only a resumed run (a worker of a run started again with --force must not
    read the old backup before the chief has removed it)."""

    on_train_batch_end = keras.callbacks.Callback.on_train_batch_end  # "epoch": no batch hook

    def __init__(self, folder: RunFolder, *, chief: bool, restore: bool) -> None:
        super().__init__(str(folder.backup), save_freq="epoch", delete_checkpoint=False)
        self.folder = folder
        self.chief = chief
        self.restore = restore

    def _save_model(self) -> None:
        if not self.chief:
            return
        backup = self.folder.backup
        backup.mkdir(exist_ok=True)
        name = f"epoch-{self._current_epoch}.weights.h5"
        with replacing(backup / name, suffix=".tmp.weights.h5") as temporary:
            self.model.save_weights(str(temporary), overwrite=True)
        state = {"epoch": self._current_epoch, "weights": name}
        write_text(backup / BACKUP_STATE, json.dumps(state) + "\n")
        for old in backup.glob("epoch-*.weights.h5"):
            if old.name != name:
                old.unlink(missing_ok=True)

    def _load_model(self) -> None:
        if not self.restore:
            return
        try:
            state = json.loads((self.folder.backup / BACKUP_STATE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        optimizer = self.model.optimizer
        if optimizer is not None and not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        self.model.load_weights(str(self.folder.backup / state["weights"]))
        self.model._initial_epoch = int(state["epoch"])


class UnwrappedPyDataset(keras.utils.PyDataset):  # type: ignore[misc,name-defined]
    """A `keras.utils.PyDataset` whose batches pass through ``unwrap`` (`graphspec.train.run.
    unwrapped_dataset`); its workers and epoch hook are the wrapped one's."""

    def __init__(self, inner: Any, unwrap: Any) -> None:
        super().__init__(
            workers=getattr(inner, "workers", 1),
            use_multiprocessing=getattr(inner, "use_multiprocessing", False),
            max_queue_size=getattr(inner, "max_queue_size", 10),
        )
        self.inner = inner
        self.unwrap = unwrap

    def __len__(self) -> int:
        return len(self.inner)

    def __getitem__(self, index: int) -> Any:
        return self.unwrap(*self.inner[index])

    def on_epoch_end(self) -> None:
        self.inner.on_epoch_end()


def spec_callbacks(spec: Spec, settings: TrainingSettings) -> list[Any]:
    """The spec's callbacks, made: EarlyStopping and ReduceLROnPlateau watch the run's
    monitored value in its direction unless they say otherwise."""
    made = []
    for entry in settings.callbacks:
        args = dict(entry.args)
        if entry.name in WATCHING and "monitor" not in args:
            args["monitor"] = settings.monitor
            args.setdefault("mode", settings.mode)
        made.append(getattr(keras.callbacks, entry.name)(**args))
    return made


def run_callbacks(
    spec: Spec,
    settings: TrainingSettings,
    folder: RunFolder,
    history: History,
    *,
    chief: bool,
    resume: bool,
    tensorboard: bool,
) -> list[Any]:
    """Every callback of a run, in the order they must run."""
    callbacks: list[Any] = []
    if chief:
        callbacks.append(EpochRecorder(folder, history, settings))
    callbacks.append(RunBackup(folder, chief=chief, restore=resume))
    callbacks += spec_callbacks(spec, settings)
    if tensorboard and chief:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(folder.logs)))
    return callbacks
