"""Saving never leaves a half-written file; loading is safe mode with graphspec's layer known."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import graphspec
from graphspec.runtime.saving import load_model, save_model_atomically


class FakeModel:
    """Writes `content` where it is told to save, then fails if told to."""

    def __init__(self, content: bytes, fail: bool = False) -> None:
        self.content, self.fail = content, fail
        self.saved_to: list[Path] = []

    def save(self, path: str) -> None:
        self.saved_to.append(Path(path))
        Path(path).write_bytes(self.content[:3])
        if self.fail:
            raise OSError("disk full")
        Path(path).write_bytes(self.content)


def test_failed_save_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    with pytest.raises(OSError, match="disk full"):
        save_model_atomically(FakeModel(b"weights", fail=True), target)
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    target.write_bytes(b"old model")
    with pytest.raises(OSError):
        save_model_atomically(FakeModel(b"new model", fail=True), target)
    assert list(tmp_path.iterdir()) == [target]
    assert target.read_bytes() == b"old model"


def test_save_replaces_the_file_in_one_rename(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    target.write_bytes(b"old model")
    model = FakeModel(b"new model")
    with target.open("rb") as reader:  # a reader of the old file keeps reading the old file
        save_model_atomically(model, str(target))
        assert reader.read() == b"old model"
    assert target.read_bytes() == b"new model"
    assert list(tmp_path.iterdir()) == [target]
    (temporary,) = model.saved_to
    assert temporary.parent == tmp_path  # same file system, so os.replace is atomic
    assert temporary.name.endswith(".keras")  # Keras picks the format from the suffix


def test_saved_model_loads_with_its_expression_layer(keras: Any, tmp_path: Path) -> None:
    text = """\
graphspec: 1
name: halves
inputs:
  x: {shape: [2]}
nodes:
  dense: {layer: Dense, from: x, units: 2}
  half: {expr: "a / 2", from: {a: dense}}
outputs:
  out: half
"""
    model = graphspec.build(graphspec.loads(text))
    target = tmp_path / "halves.keras"
    save_model_atomically(model, target)
    loaded = load_model(target)
    assert type(loaded.get_layer("out")).__name__ == "ExpressionLayer"
    batch = np.ones((1, 2), dtype="float32")
    np.testing.assert_allclose(np.asarray(loaded(batch)), np.asarray(model(batch)), rtol=1e-6)
