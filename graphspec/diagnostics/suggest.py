"""The one "did you mean": the closest known name to a misspelt one."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def suggest(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The closest candidate to a misspelt ``name``, ignoring case; None when none is close."""
    by_lower: dict[str, str] = {}
    for candidate in sorted(set(candidates)):
        by_lower.setdefault(candidate.lower(), candidate)
    if name in by_lower.values():
        return name
    lowered = name.lower()
    if lowered in by_lower:
        return by_lower[lowered]
    matches = difflib.get_close_matches(lowered, list(by_lower), n=1, cutoff=cutoff)
    return by_lower[matches[0]] if matches else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """``did you mean 'x'?`` for a misspelt name, or None when nothing else is close."""
    close = suggest(name, candidates)
    return f"did you mean '{close}'?" if close and close != name else None
