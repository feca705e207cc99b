"""Block parameters: ``${name}`` placeholders in a block's node arguments, and substitution.

A whole-string placeholder (``units: "${units}"``) takes the parameter's value with its type;
one inside a longer string (``name: "conv_${stage}"``) is replaced by its text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from graphspec.diagnostics import SpecPath

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def substitute(value: Any, params: Mapping[str, Any]) -> Any:
    """Replace `${name}` placeholders: a whole-string placeholder keeps the param's type."""
    if not params:
        return value
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole:
            return params.get(whole.group(1), value)
        return PLACEHOLDER.sub(lambda m: str(params.get(m.group(1), m.group(0))), value)
    if isinstance(value, list):
        return [substitute(item, params) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, params) for key, item in value.items()}
    return value


def strings(value: Any, path: SpecPath = ()) -> Iterator[tuple[SpecPath, str]]:
    """Every string inside a value (where placeholders may appear), with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, (*path, key))
