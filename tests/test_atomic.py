"""graphspec.atomic: a write replaces the file whole, with the mode a user's own file gets."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from graphspec.atomic import replacing, write_text


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_umask_default(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        write_text(tmp_path / "new.txt", "hello")
    finally:
        os.umask(umask)
    assert (tmp_path / "new.txt").read_text() == "hello"
    assert _mode(tmp_path / "new.txt") == 0o644  # not the temporary file's 0o600


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "kept.txt"
    target.write_text("old")
    target.chmod(0o640)
    write_text(target, "new")
    assert target.read_text() == "new" and _mode(target) == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), replacing(target, ".tmp.keras") as temporary:
        temporary.write_bytes(b"half")
        raise RuntimeError("the save failed")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]
