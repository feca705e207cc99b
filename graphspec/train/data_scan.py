"""Scanning arrays in chunks of samples: NaN and infinite values, and the range of labels and
token ids. A chunk is a view of the (memory-mapped) array, never a copy of the whole, and the
pages a chunk mapped are handed back once it is scanned, so checking data larger than memory
costs a chunk's worth of memory, not the data's.
"""

from __future__ import annotations

import contextlib
import mmap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

CHUNK_BYTES = 32 * 1024 * 1024
"""Bytes scanned at a time: large enough that numpy's per-call cost vanishes, small enough to
stay in memory beside training."""


@dataclass(frozen=True)
class NotFinite:
    """How many NaN or infinite values an array holds, and the index of the first."""

    count: int
    first: tuple[int, ...]


@dataclass(frozen=True)
class Outside:
    """Values outside a range: how many, the first one and its index."""

    count: int
    first: tuple[int, ...]
    value: float


def chunks(values: Any, chunk_bytes: int = CHUNK_BYTES) -> Iterator[tuple[int, Any]]:
    """(first sample, chunk) over the samples of ``values``; mapped pages are released after
    each chunk is used."""
    total = values.shape[0]
    row = max(1, values.dtype.itemsize * int(np.prod(values.shape[1:], dtype=np.int64)))
    step = max(1, chunk_bytes // row)
    for start in range(0, total, step):
        stop = min(total, start + step)
        yield start, np.asarray(values[start:stop])  # a plain view: no memmap overhead
        _release(values, start * row, stop * row)


def _release(values: Any, low: int, high: int) -> None:
    """Drop the pages of bytes [low, high) of a read-only memory-mapped C-ordered array from
    this process (the page cache keeps them): the scan's memory stays one chunk. A no-op for
    arrays in memory."""
    mapping = getattr(values, "_mmap", None)  # numpy.memmap keeps its mmap.mmap here
    if not isinstance(mapping, mmap.mmap) or not values.flags.c_contiguous:
        return
    base = int(getattr(values, "offset", 0)) % mmap.ALLOCATIONGRANULARITY
    start = base + low
    start -= start % mmap.PAGESIZE
    with contextlib.suppress(OSError, ValueError, AttributeError):  # not Linux; closed
        mapping.madvise(mmap.MADV_DONTNEED, start, base + high - start)


def _index(chunk: Any, flat: int, start: int) -> tuple[int, ...]:
    found = np.unravel_index(flat, chunk.shape)
    return (start + int(found[0]), *(int(i) for i in found[1:]))


def not_finite(values: Any) -> NotFinite | None:
    """NaN and infinite values of a float array, or None when it has none."""
    count = 0
    first: tuple[int, ...] | None = None
    for start, chunk in chunks(values):
        if chunk.size == 0 or np.isfinite(np.add.reduce(chunk, axis=None)):
            continue  # a finite sum: no NaN, no inf (an overflowing sum takes the slow path)
        bad = ~np.isfinite(chunk)
        found = int(np.count_nonzero(bad))
        if found and first is None:
            first = _index(chunk, int(np.argmax(bad)), start)
        count += found
    return NotFinite(count, first) if first is not None else None


def outside(values: Any, low: float, high: float, spare: float | None = None) -> Outside | None:
    """Values below ``low`` or above ``high`` (both allowed), ``spare`` allowed too (a sparse
    loss's ``ignore_class``); None when every value is in range. NaN is `not_finite`'s."""
    count = 0
    first: tuple[int, ...] | None = None
    value = 0.0
    for start, chunk in chunks(values):
        if chunk.size == 0:
            continue
        if low <= np.min(chunk) and np.max(chunk) <= high:
            continue  # the common case: two reductions, no temporary array
        bad = (chunk < low) | (chunk > high)
        if spare is not None:
            bad &= chunk != spare
        found = int(np.count_nonzero(bad))
        if found and first is None:
            flat = int(np.argmax(bad))
            first, value = _index(chunk, flat, start), float(chunk.flat[flat])
        count += found
    return Outside(count, first, value) if first is not None else None


def first_fraction(values: Any) -> tuple[tuple[int, ...], float] | None:
    """The first finite value of a float array that is not a whole number, and its index."""
    for start, chunk in chunks(values):
        odd = np.isfinite(chunk) & (chunk != np.floor(chunk))
        if odd.any():
            flat = int(np.argmax(odd))
            return _index(chunk, flat, start), float(chunk.flat[flat])
    return None
