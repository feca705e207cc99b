"""Load stage: YAML or JSON text to plain values plus the file position of every spec path.

Only PyYAML's safe composer is used (the C one when present); graphspec resolves scalars
itself by the YAML 1.2 core schema, so `no` stays a string and `1e-3` is a number, and it
rejects what is not plain data: custom tags, aliases, merge keys, duplicate and non-string keys.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graphspec.diagnostics import Diagnostic, Location, Severity, SpecPath, format_path

try:
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

_CORE = "tag:yaml.org,2002:"
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUES = {"true", "True", "TRUE"}
_FALSES = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NONFINITE = re.compile(r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
_MAX_DIGITS = 40


@dataclass(frozen=True)
class SourceTree:
    """A loaded spec file: its plain values and where each one stands in the file."""

    file: str
    text: str
    data: Any
    positions: Mapping[SpecPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: Mapping[SpecPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: SpecPath) -> Location:
        """Position of the value at ``path``, or of its closest enclosing value."""
        return self._find(path, self.positions)

    def locate_key(self, path: SpecPath) -> Location:
        """Position of the mapping key that holds ``path`` (falls back to the value)."""
        if path in self.key_positions:
            line, column = self.key_positions[path]
            return Location(self.file, line, column)
        return self.locate(path)

    def _find(self, path: SpecPath, table: Mapping[SpecPath, tuple[int, int]]) -> Location:
        for end in range(len(path), -1, -1):
            found = table.get(path[:end])
            if found is not None:
                return Location(self.file, found[0], found[1])
        return Location(self.file, 1, 1)


class _LoadError(Exception):
    def __init__(self, code: str, message: str, line: int, column: int, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.line, self.column, self.hint = (
            code,
            message,
            line,
            column,
            hint,
        )


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _resolve_plain(text: str, node: yaml.Node) -> Any:
    """Resolve a plain scalar by the YAML 1.2 core schema."""
    if text in _NULLS:
        return None
    if text in _TRUES:
        return True
    if text in _FALSES:
        return False
    if _NONFINITE.fullmatch(text):
        raise _LoadError("GS016", f"'{text}' is not a finite number", *_mark(node))
    if _INT.fullmatch(text) or _OCT.fullmatch(text) or _HEX.fullmatch(text):
        if len(text) > _MAX_DIGITS:
            raise _LoadError("GS016", f"integer with {len(text)} digits is too large", *_mark(node))
        return int(text, 0) if text[:2] in ("0o", "0x") else int(text)
    if _FLOAT.fullmatch(text):
        if len(text) > _MAX_DIGITS:
            raise _LoadError("GS016", f"number with {len(text)} digits is too long", *_mark(node))
        return float(text)
    return text


class _Converter:
    """Walks a composed YAML node tree into plain values, recording positions."""

    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.positions: dict[SpecPath, tuple[int, int]] = {}
        self.key_positions: dict[SpecPath, tuple[int, int]] = {}
        self.seen: set[int] = set()

    def convert(self, node: yaml.Node, path: SpecPath) -> Any:
        if id(node) in self.seen:
            raise _LoadError(
                "GS013",
                "YAML anchors and aliases (&name, *name) are not allowed in a spec",
                *_mark(node),
                hint="write the value out, or use a 'shared' entry or a 'block' for reuse",
            )
        self.seen.add(id(node))
        self.positions[path] = _mark(node)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            self._check_tag(node, "seq")
            return [self.convert(item, (*path, index)) for index, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            self._check_tag(node, "map")
            return self._mapping(node, path)
        raise _LoadError("GS012", "unsupported YAML node", *_mark(node))  # pragma: no cover

    def _check_tag(self, node: yaml.Node, kind: str) -> None:
        if node.tag != _CORE + kind:
            raise _LoadError("GS012", f"YAML tag '{node.tag}' is not allowed", *_mark(node))

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        plain = not node.style  # the C composer gives '' and the Python one None
        implicit = self.loader.resolve(yaml.ScalarNode, node.value, (True, False))  # type: ignore[no-untyped-call]
        explicit = node.tag != (implicit if plain else _CORE + "str")
        if explicit:
            if node.tag == _CORE + "str":
                return node.value
            raise _LoadError(
                "GS012",
                f"YAML tag '{node.tag}' is not allowed; a spec holds plain data only",
                *_mark(node),
            )
        if plain:
            return _resolve_plain(node.value, node)
        return node.value

    def _mapping(self, node: yaml.MappingNode, path: SpecPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _CORE + "merge":
                raise _LoadError("GS013", "YAML merge keys (<<) are not allowed", *_mark(key_node))
            if not isinstance(key_node, yaml.ScalarNode):
                raise _LoadError("GS014", "mapping keys must be plain strings", *_mark(key_node))
            key = self._scalar(key_node)
            if not isinstance(key, str):
                raise _LoadError(
                    "GS014",
                    f"mapping key {key_node.value!r} is read as {type(key).__name__}, not a string",
                    *_mark(key_node),
                    hint=f"quote it: '\"{key_node.value}\"'",
                )
            child = (*path, key)
            if key in result:
                first = self.key_positions[child]
                raise _LoadError(
                    "GS011",
                    f"duplicate key '{key}' in '{format_path(path)}' (first at line {first[0]})",
                    *_mark(key_node),
                    hint="each key may appear once; YAML would silently keep only the last one",
                )
            self.key_positions[child] = _mark(key_node)
            result[key] = self.convert(value_node, child)
        return result


def _looks_like_json(file: str, text: str) -> bool:
    suffix = Path(file).suffix.lower()
    if suffix == ".json":
        return True
    if suffix in (".yaml", ".yml"):
        return False
    return text.lstrip().startswith("{")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"'{name}' is not a finite number")


def _check_json(file: str, text: str) -> list[Diagnostic]:
    """Strict JSON syntax and no NaN/Infinity; duplicate keys are found with positions later."""
    try:
        json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        return [_diag(file, "GS010", f"invalid JSON: {error.msg}", error.lineno, error.colno)]
    except ValueError as error:
        return [_diag(file, "GS016", f"invalid JSON: {error}", 1, 1)]
    return []


def _diag(
    file: str, code: str, message: str, line: int, column: int, hint: str | None = None
) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, Location(file, line, column), (), hint)


def load_text(text: str, file: str = "<memory>") -> tuple[SourceTree | None, list[Diagnostic]]:
    """Parse spec text; returns the tree, or None and the diagnostics that stopped it."""
    if _looks_like_json(file, text):
        problems = _check_json(file, text)
        if problems:
            return None, problems
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, [_diag(file, "GS015", "the file is empty; expected a spec mapping", 1, 1)]
        converter = _Converter(loader)
        data = converter.convert(root, ())
    except _LoadError as error:
        return None, [_diag(file, error.code, error.message, error.line, error.column, error.hint)]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = str(error.problem or error.context or "invalid YAML")
        if "expected a single document" in str(error):
            message = "a spec file holds one YAML document, but this one has several"
        return None, [_diag(file, "GS010", f"invalid YAML: {message}", line, column)]
    except yaml.YAMLError as error:
        return None, [_diag(file, "GS010", f"invalid YAML: {error}", 1, 1)]
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        return None, [_diag(file, "GS015", f"the top level is {kind}; expected a mapping", 1, 1)]
    tree = SourceTree(file, text, data, converter.positions, converter.key_positions)
    return tree, []


def load_file(path: str | Path) -> tuple[SourceTree | None, list[Diagnostic]]:
    """Read and parse a spec file. I/O errors raise OSError (the CLI maps them to exit 2)."""
    raw = Path(path).read_bytes()
    file = str(path)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return None, [_diag(file, "GS018", "the file is not valid UTF-8", line, 1)]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, [_diag(file, "GS018", "the file contains a NUL byte", line, 1)]
    return load_text(text, file)


def is_finite_number(value: Any) -> bool:
    """True for ints and finite floats (bools excluded)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
