"""Everything the CLI takes from the Keras side (emit and runtime), in one place.

Only `build` imports this module, and only when it runs, so the other commands never load it.
"""

from __future__ import annotations

from graphspec.emit.recursion import deep_recursion
from graphspec.runtime.backend import BuildUnavailable
from graphspec.runtime.saving import save_model_atomically

__all__ = ["BuildUnavailable", "deep_recursion", "save_model_atomically"]
