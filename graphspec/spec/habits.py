"""Python habits in YAML, found on the loaded values before the language is checked.

Layer arguments are free-form (each layer has its own), so a Python habit there passes the
schema and would surface later as a confusing type error: ``kernel_size: (3, 3)`` is the string
``'(3, 3)'`` in block style and, inside a flow mapping ``{...}``, two keys (``kernel_size: '(3'``
and ``'3)': null``); ``activation: None`` is the string ``'None'``. Each becomes one diagnostic
in the project's words, and the paths it covers are returned so that the later checks do not
report the same mistake again in other terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphspec.diagnostics import Diagnostic, Severity, SpecPath, codes
from graphspec.read.source import SourceTree

_NUMBER = r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|None|null"
_TUPLE = re.compile(rf"\(\s*((?:{_NUMBER})(?:\s*,\s*(?:{_NUMBER}))*)\s*,?\s*\)")
_OPENING = re.compile(rf"\(\s*(?:{_NUMBER})")
_CLOSING = re.compile(rf"(?:{_NUMBER})?\s*\)")
_NOT_ARGUMENTS = frozenset({"from", "label", "name", "description", "expr"})
"""Keys whose values are not layer arguments (references and text are checked elsewhere)."""


@dataclass(frozen=True)
class Habits:
    """The habits found, and every spec path they cover (later checks skip those paths)."""

    diagnostics: tuple[Diagnostic, ...] = ()
    covered: frozenset[SpecPath] = frozenset()

    def covers(self, path: SpecPath) -> bool:
        """True when ``path`` is a covered path or lies inside one."""
        return any(path[: len(done)] == done for done in self.covered)

    def joined(self, later: Iterable[Diagnostic]) -> list[Diagnostic]:
        """The habits' diagnostics, then those of ``later`` that no habit already covers."""
        kept = [d for d in later if d.path is None or not self.covers(d.path)]
        return [*self.diagnostics, *kept]


def _list_form(items: list[str]) -> str:
    return "[" + ", ".join("null" if item == "None" else item for item in items) + "]"


def _node_mappings(data: Mapping[str, Any]) -> Iterator[tuple[SpecPath, Mapping[Any, Any]]]:
    """Every mapping inside nodes, shared entries and block bodies, with its path."""
    roots: list[tuple[SpecPath, Any]] = [(("nodes",), data.get("nodes"))]
    roots.append((("shared",), data.get("shared")))
    blocks = data.get("blocks")
    if isinstance(blocks, Mapping):
        for name, block in blocks.items():
            if isinstance(block, Mapping):
                roots.append((("blocks", name, "nodes"), block.get("nodes")))
    stack = [root for root in roots if isinstance(root[1], Mapping)]
    while stack:
        path, mapping = stack.pop()
        yield path, mapping
        for key, value in mapping.items():
            if isinstance(value, Mapping):
                stack.append(((*path, key), value))
            elif isinstance(value, list):
                stack.extend(
                    ((*path, key, index), item)
                    for index, item in enumerate(value)
                    if isinstance(item, Mapping)
                )


def _split_tuple(mapping: Mapping[Any, Any], key: Any) -> list[Any] | None:
    """The keys a flow mapping made of ``key: (3, 3)``: ``key``, then ``3)`` (and any middle
    ``3`` keys) with null values; None when the keys after ``key`` do not close the tuple."""
    keys = list(mapping)
    taken = [key]
    for later in keys[keys.index(key) + 1 :]:
        if mapping[later] is not None:
            return None
        taken.append(later)
        text = str(later)
        if _CLOSING.fullmatch(text.strip()):
            return taken
        if not re.fullmatch(_NUMBER, text.strip()):
            return None
    return None


def _tuple_diagnostic(
    source: SourceTree, path: SpecPath, shown: str, items: list[str]
) -> Diagnostic:
    written = _list_form(items)
    return Diagnostic(
        codes.PYTHON_TUPLE,
        Severity.ERROR,
        f"'{path[-1]}': write {written}, not {shown}",
        source.locate(path),
        path,
        "YAML writes a list in square brackets; (...) is read as a string, or inside {...} "
        "as several keys",
    )


def find_habits(source: SourceTree) -> Habits:
    """Tuples and ``None`` among layer arguments, each one diagnostic."""
    data = source.data
    if not isinstance(data, Mapping):
        return Habits()
    found: list[Diagnostic] = []
    covered: set[SpecPath] = set()
    for path, mapping in _node_mappings(data):
        for key, value in mapping.items():
            if key in _NOT_ARGUMENTS or not isinstance(value, str):
                continue
            at: SpecPath = (*path, key)
            text = value.strip()
            whole = _TUPLE.fullmatch(text)
            if whole:
                items = [item.strip() for item in whole.group(1).split(",")]
                found.append(_tuple_diagnostic(source, at, text, items))
                covered.add(at)
            elif _OPENING.fullmatch(text):
                keys = _split_tuple(mapping, key)
                if keys is None:
                    continue
                items = [text[1:].strip()] + [str(k).strip() for k in keys[1:]]
                items[-1] = items[-1].rstrip(")").strip()
                shown = f"({', '.join(items)})" if items[-1] else f"({items[0]},)"
                items = [item for item in items if item]
                found.append(_tuple_diagnostic(source, at, shown, items))
                covered.update((*path, k) for k in keys)
            elif text == "None":
                found.append(
                    Diagnostic(
                        codes.PYTHON_NONE,
                        Severity.ERROR,
                        f"'{key}': write null, not None",
                        source.locate(at),
                        at,
                        "None is the string 'None' in YAML; null (or ~) is no value, and "
                        "leaving the argument out gives its default",
                    )
                )
                covered.add(at)
    return Habits(tuple(found), frozenset(covered))
