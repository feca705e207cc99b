"""A run's history: one row of logged values per completed epoch, kept in ``history.csv``.

The CSV is the record (one row per epoch, rewritten atomically after each epoch); a resumed
run reads it back and replaces any row from the epoch it trains again, so the history has no
gap and no repeat whatever moment the run was killed at. ``history.json`` is rebuilt from it.
Standard library only.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

EPOCH = "epoch"
"""The CSV's first column: the epoch's number, from 1."""


def _number(value: Any) -> float:
    """A logged value as a float (NaN when Keras logged something else)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


@dataclass(frozen=True)
class History:
    """The logged values of each completed epoch, in order (row i is epoch i + 1)."""

    rows: tuple[Mapping[str, float], ...] = ()

    @property
    def epochs(self) -> int:
        return len(self.rows)

    @property
    def names(self) -> tuple[str, ...]:
        """Every logged name, in the order first logged (Keras': loss first, then metrics)."""
        seen: dict[str, None] = {}
        for row in self.rows:
            seen.update(dict.fromkeys(row))
        return tuple(seen)

    def with_epoch(self, epoch: int, logs: Mapping[str, Any]) -> History:
        """The history with epoch ``epoch`` (0-based, as Keras counts) logged: the rows before
        it kept, any from it on (an epoch trained again after a resume) dropped."""
        row = {name: _number(value) for name, value in logs.items()}
        return History((*self.rows[:epoch], row))

    def columns(self) -> dict[str, tuple[float, ...]]:
        """Each logged name → its value per epoch (NaN where an epoch did not log it)."""
        return {name: tuple(row.get(name, math.nan) for row in self.rows) for name in self.names}

    def csv_text(self) -> str:
        names = self.names
        stream = io.StringIO()
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow([EPOCH, *names])
        for number, row in enumerate(self.rows, start=1):
            writer.writerow([number, *(repr(row.get(name, math.nan)) for name in names)])
        return stream.getvalue()

    def json_text(self) -> str:
        """``{"epochs": N, "history": {name: [value per epoch]}}``; NaN and infinities as
        null (JSON has no such numbers)."""
        columns = {
            name: [value if math.isfinite(value) else None for value in values]
            for name, values in self.columns().items()
        }
        return json.dumps({"epochs": self.epochs, "history": columns}, indent=2) + "\n"

    @classmethod
    def from_csv(cls, text: str) -> History:
        """Rows back from `csv_text` (a row cut short by a crash cannot occur: the file is
        replaced whole)."""
        reader = csv.DictReader(io.StringIO(text))
        rows = []
        for record in reader:
            record.pop(EPOCH, None)
            rows.append({name: _number(value) for name, value in record.items() if value})
        return cls(tuple(rows))

    @classmethod
    def read(cls, path: Path) -> History:
        """The history in ``path``; empty when there is none yet."""
        try:
            return cls.from_csv(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()


def best_epoch(
    history: History, monitor: str, mode: Literal["min", "max"]
) -> tuple[int, float] | None:
    """(1-based epoch, value) where ``monitor`` was best, the first on a tie; None when it
    never logged a finite value."""
    best: tuple[int, float] | None = None
    for number, row in enumerate(history.rows, start=1):
        value = row.get(monitor, math.nan)
        if not math.isfinite(value):
            continue
        if best is None or (value < best[1] if mode == "min" else value > best[1]):
            best = (number, value)
    return best
