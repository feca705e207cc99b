"""graphspec.atomic: a write replaces the file (or directory) whole, fsynced, with the mode a
user's own file gets; a failure or Ctrl-C leaves the old one and no temporary."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphspec import atomic
from graphspec.atomic import replacing, replacing_directory, write_text


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


@pytest.fixture
def umask_002() -> Iterator[int]:
    previous = os.umask(0o002)
    try:
        yield 0o002
    finally:
        os.umask(previous)


def test_ctrl_c_in_a_writer_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), replacing(target, ".tmp.keras") as temporary:
        temporary.write_bytes(b"PK half a zip")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.keras"]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names an fd through /proc")
def test_what_a_writer_left_is_fsynced_before_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "m.onnx"
    synced: list[tuple[str, bool]] = []
    real_fsync = os.fsync

    def recording(fd: int) -> None:
        synced.append((os.readlink(f"/proc/self/fd/{fd}"), target.exists()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording)
    with replacing(target, ".tmp.onnx") as temporary:
        temporary.write_bytes(b"a converter's bytes, never fsynced by it")
    assert (str(temporary), False) in synced  # the temporary, before the rename
    assert synced[-1] == (str(tmp_path), True)  # then the folder, for the rename itself
    assert target.read_bytes().startswith(b"a converter's")


def test_the_umask_is_read_without_changing_it(
    umask_002: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert atomic._umask() == 0o002 and os.umask(0o002) == 0o002

    def no_proc(*args: object, **kwargs: object) -> None:
        raise OSError("no /proc here")

    monkeypatch.setattr(atomic, "open", no_proc, raising=False)
    assert atomic._umask() == 0o002 and os.umask(0o002) == 0o002  # set and restored


def test_a_new_directory_and_its_tree_get_the_umask_defaults(
    tmp_path: Path, umask_002: int
) -> None:
    target = tmp_path / "saved"
    outside = tmp_path / "outside.txt"
    outside.write_text("not the writer's")
    outside.chmod(0o600)
    with replacing_directory(target) as temporary:
        (temporary / "link").symlink_to(outside)
        os.mkdir(temporary / "variables", 0o755)  # as TensorFlow makes its folders
        (temporary / "variables" / "data").write_bytes(b"weights")
        (temporary / "saved_model.pb").write_bytes(b"graph")
        os.chmod(temporary / "saved_model.pb", 0o600)  # as a writer's own mkstemp leaves it
    assert _mode(target) == 0o775
    assert _mode(target / "variables") == 0o775
    assert _mode(target / "variables" / "data") == 0o664
    assert _mode(target / "saved_model.pb") == 0o664
    assert _mode(outside) == 0o600  # a link's target is left alone
    assert sorted(os.listdir(tmp_path)) == ["outside.txt", "saved"]


def test_a_replaced_directory_keeps_its_mode_and_the_old_tree_goes(tmp_path: Path) -> None:
    target = tmp_path / "saved"
    target.mkdir()
    (target / "old.pb").write_bytes(b"old")
    target.chmod(0o750)
    with replacing_directory(target) as temporary:
        (temporary / "new.pb").write_bytes(b"new")
    assert os.listdir(target) == ["new.pb"] and _mode(target) == 0o750
    assert os.listdir(tmp_path) == ["saved"]


def test_ctrl_c_in_a_directory_writer_leaves_the_old_directory(tmp_path: Path) -> None:
    target = tmp_path / "saved"
    target.mkdir()
    (target / "old.pb").write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), replacing_directory(target) as temporary:
        (temporary / "half.pb").write_bytes(b"half")
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == ["saved"] and os.listdir(target) == ["old.pb"]
