"""Block parameters: ``${name}`` placeholders in a block's node arguments, and substitution.

A whole-string placeholder (``units: "${units}"``) takes the parameter's value with its type;
one inside a longer string (``name: "conv_${stage}"``) is replaced by its text. A whole-string
``${...}`` holding arithmetic (``filters: ${filters * 2}``), and a string of numbers and
operators (``scale: 1/255``), is computed (`graphspec.spec.arithmetic`). A parameter's default
may be computed from the parameters declared before it (`instance_params`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from graphspec.diagnostics import SpecPath
from graphspec.spec.arithmetic import holds_arithmetic, resolve

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def substitute(value: Any, params: Mapping[str, Any]) -> Any:
    """Replace `${name}` placeholders (a whole-string placeholder keeps the param's type) and
    compute arithmetic."""
    if isinstance(value, str):
        if holds_arithmetic(value):
            return resolve(value, params)
        if not params or "${" not in value:
            return value
        whole = PLACEHOLDER.fullmatch(value)
        if whole:
            return params.get(whole.group(1), value)
        return PLACEHOLDER.sub(lambda m: str(params.get(m.group(1), m.group(0))), value)
    if isinstance(value, list):
        return [substitute(item, params) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, params) for key, item in value.items()}
    return value


def needs_substitution(value: Any, params: Mapping[str, Any]) -> bool:
    """Whether `substitute` could change the value: parameters to give, or arithmetic."""
    return bool(params) or holds_arithmetic(value)


def instance_params(defaults: Mapping[str, Any], arguments: Mapping[str, Any]) -> dict[str, Any]:
    """One instance's parameters: the defaults, overridden by its `with:`; a default written
    with `${...}` is computed from the parameters declared before it, as this instance has them
    (`params: {filters: 32, wide: "${filters * 2}"}` with `with: {filters: 64}` gives 128)."""
    params: dict[str, Any] = {}
    for name, default in defaults.items():
        if name in arguments:
            params[name] = arguments[name]
        elif isinstance(default, str) and "${" in default:
            params[name] = substitute(default, params)
        else:
            params[name] = default
    params.update((name, value) for name, value in arguments.items() if name not in params)
    return params


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
