"""Everything the CLI takes from the Keras side (emit, and the runtime to come), in one place.

Only `build` imports this module, and only when it runs, so the other commands never load it.
When these names move (`graphspec.runtime`), the imports here are the only lines to change.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from graphspec.emit.model import BuildUnavailable
from graphspec.emit.recursion import deep_recursion

__all__ = ["BuildUnavailable", "deep_recursion", "save_atomically"]


def save_atomically(model: Any, path: Path) -> None:
    """Save next to the target and rename, so a failure never leaves a half-written file."""
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=".tmp.keras", dir=path.parent or "."
    )
    os.close(handle)
    try:
        model.save(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
