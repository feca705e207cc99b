"""Writing a file so that readers see the old file or the new one, never half of either.

Whatever graphspec writes (a spec from `import`, a drawing, the schema, a built `.keras`
model) is written to a temporary file beside the target and renamed over it. The new file gets
the mode the replaced file had, or the umask's default for a new file, as if the user had
written it (a bare temporary file would be readable by its owner only). Standard library only:
the CLI's writers and the Keras side's model saving share it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replacing(path: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``path`` to write; renamed over ``path`` when the block ends
    normally, removed when it raises (the exception goes on)."""
    import tempfile  # only what writes pays for it

    parent = path.parent if str(path.parent) else Path(".")
    mode = _mode_for(path)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text to ``path`` atomically (flushed to disk before the rename)."""
    with replacing(path) as temporary, open(temporary, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)  # read it (there is no getter); graphspec writes from one thread
        os.umask(umask)
        return 0o666 & ~umask
