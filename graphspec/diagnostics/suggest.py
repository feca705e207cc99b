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


def unknown_layer_hint(name: str, candidates: Iterable[str]) -> str:
    """The hint for an unknown layer class: a close Keras name when there is one, and how to
    allow a class of the user's own (a name like `ResidualUnit` is more likely theirs than a
    misspelt `UpSampling3D`)."""
    candidates = list(candidates)
    close = suggest(name, candidates, cutoff=0.8)
    if close and close != name:
        return f"did you mean '{close}'?"
    allow = (
        f"if '{name}' is a layer class of your own, allow it outside the spec: "
        f"--custom-layer mypkg.layers.{name}, or custom-layers in [tool.graphspec] of "
        "pyproject.toml (README, Custom layers)"
    )
    weak = suggest(name, candidates)
    return f"did you mean '{weak}'? {allow}" if weak and weak != name else allow
