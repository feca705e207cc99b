"""Writing a file so that readers see the old file or the new one, never half of either.

Whatever graphspec writes (a spec from `import`, a drawing, the schema, a built `.keras`
model, an export, the catalogue) is written to a temporary file beside the target, flushed to
disk and renamed over it; a failure or Ctrl-C removes the temporary file. The new file gets the
mode the replaced file had, or the mode ``open(path, "w")`` gives a new file under the umask
(``0o666 & ~umask``), as if the user had written it: a bare temporary file would be readable by
its owner only. A directory (a SavedModel) is written the same way with `replacing_directory`
(``0o777 & ~umask`` for a new one). Standard library only: the CLI's writers, the Keras side's
model saving and the exporter share it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

FILE_DEFAULT = 0o666
"""What ``open(path, "w")`` asks for; the umask takes its bits away."""
DIRECTORY_DEFAULT = 0o777
"""What ``mkdir`` asks for; the umask takes its bits away."""


@contextlib.contextmanager
def replacing(path: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``path`` for a writer to write (Keras, a converter, `open`);
    fsynced, given ``path``'s mode and renamed over ``path`` when the block ends normally,
    removed when it raises, KeyboardInterrupt included (the exception goes on)."""
    import tempfile  # only what writes pays for it

    parent = _parent(path)
    mode = _mode_for(path, FILE_DEFAULT)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=parent)
    temporary = Path(name)
    try:
        os.close(handle)
        yield temporary
        os.chmod(temporary, mode)
        _fsync_file(temporary)  # the writer may not have: a .keras zip, an ONNX or LiteRT file
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    _fsync_directory(parent)  # the rename itself


@contextlib.contextmanager
def replacing_directory(path: Path) -> Iterator[Path]:
    """`replacing` for a directory: a temporary directory beside ``path`` to fill; its tree is
    given the umask's modes (a writer's own ``mkdir`` may fix them, as TensorFlow's 0o755 does)
    and fsynced, then it takes ``path``'s place with ``path``'s mode (an existing directory is
    moved aside, the new one renamed in, the old removed); removed when the block raises."""
    import tempfile

    parent = _parent(path)
    mode = _mode_for(path, DIRECTORY_DEFAULT)
    temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent))
    try:
        yield temporary
        _settle_tree(temporary)
        os.chmod(temporary, mode)
        _fsync_directory(temporary)
        _swap_in(temporary, path)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    _fsync_directory(parent)


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text to ``path`` atomically (flushed to disk before the rename)."""
    with replacing(path) as temporary, open(temporary, "w", encoding="utf-8") as stream:
        stream.write(text)


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it (/proc), so that no
    other thread ever creates a file under a cleared umask; elsewhere set and restored."""
    with (
        contextlib.suppress(OSError, ValueError),
        open("/proc/self/status", encoding="ascii", errors="replace") as status,
    ):
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    current = os.umask(0o077)
    os.umask(current)
    return current


def _mode_for(path: Path, default: int) -> int:
    """``path``'s mode when it exists, else ``default`` less the umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return default & ~_umask()


def _parent(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def _settle_tree(root: Path) -> None:
    """Give what a writer made under ``root`` the modes the umask gives (a directory or an
    executable file 0o777, any other file 0o666, less the umask) and fsync each file."""
    mask = _umask()
    for folder, directories, files in os.walk(root):
        for name in directories:
            directory = Path(folder, name)
            if not directory.is_symlink():  # a link's target is not the writer's to change
                os.chmod(directory, DIRECTORY_DEFAULT & ~mask)
                _fsync_directory(directory)
        for name in files:
            file = Path(folder, name)
            if not file.is_symlink():
                executable = file.stat().st_mode & 0o111
                os.chmod(file, (DIRECTORY_DEFAULT if executable else FILE_DEFAULT) & ~mask)
                _fsync_file(file)


def _swap_in(new: Path, path: Path) -> None:
    """Put the directory ``new`` at ``path``, replacing what is there (two renames)."""
    import tempfile

    if not path.exists() and not path.is_symlink():
        os.rename(new, path)
        return
    if not path.is_dir() or path.is_symlink():
        path.unlink()  # a directory cannot replace a file in one rename
        os.rename(new, path)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=new.parent))
    os.rmdir(aside)
    os.rename(path, aside)
    try:
        os.rename(new, path)
    except BaseException:
        os.rename(aside, path)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _fsync_file(path: Path) -> None:
    """Flush a file's data and mode to disk (a failure, such as a full disk, is raised)."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _fsync_directory(path: Path) -> None:
    """Flush a directory's entries (a rename) to disk where the system lets us: not every one
    opens a directory or fsyncs it."""
    with contextlib.suppress(OSError):
        _fsync_file(path)
