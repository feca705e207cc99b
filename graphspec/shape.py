"""The one shape type and the one way to print a shape, shared by every stage.

Standard library only: the expression checker, the shape rules, the analysis and the views
all import it, and none of them may pull in Keras or numpy for it.

Inside graphspec a shape usually leaves out the batch dimension, as a spec writes its
``inputs`` (``shape: [32, 32, 3]``); what a person reads puts it back, as Keras prints shapes
(``(None, 32, 32, 3)``): pass ``batch=True`` to `format_shape` for a batch-less shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias, TypeGuard

__all__ = ["Shape", "format_shape", "is_int"]

Shape: TypeAlias = tuple[int | None, ...]
"""A tensor shape; ``None`` is a dimension of unknown size."""


def format_shape(shape: Sequence[int | None] | None, batch: bool = False) -> str:
    """A shape as Keras prints it: ``(16, 16, 128)``, ``(128,)`` or ``()``, with ``None`` for
    unknown sizes. With ``batch``, the (unknown) batch dimension comes first:
    ``(None, 16, 16, 128)``. A shape that is not known at all prints ``(unknown)``.

    >>> format_shape((16, 16, 128), batch=True)
    '(None, 16, 16, 128)'
    >>> format_shape((128,)), format_shape(()), format_shape(None)
    ('(128,)', '()', '(unknown)')
    """
    if shape is None:
        return "(unknown)"
    dims = (None, *shape) if batch else tuple(shape)
    inner = ", ".join("None" if d is None else str(d) for d in dims)
    return f"({inner},)" if len(dims) == 1 else f"({inner})"


def is_int(value: object) -> TypeGuard[int]:
    """An int that is not a bool: YAML's and JSON's ``true`` reads as a Python bool, and bool
    is a subclass of int, so ``isinstance(value, int)`` alone would take ``true`` for 1."""
    return isinstance(value, int) and not isinstance(value, bool)
