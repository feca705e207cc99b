"""The names a spec declares and where it refers to them, read from its plain values and
positions (`graphspec.read.source.SourceTree`), so it works on a spec that reads but does not
parse: inputs and nodes per scope, heads, shared entries, blocks and their parameters and
outputs; `from:` and `call:` references (`node`, `node.output`, `node.N`), `use:`, `block:`,
the keys of `with:` and `each:`, `${param}` placeholders, and the names an `expr` node binds
and uses."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphspec.diagnostics import SpecPath
from graphspec.lsp.text import token_span
from graphspec.read.source import SourceTree, gc_paused

Scope = tuple[str, ...]
"""() for the top level, ("blocks", NAME) for a block body."""

TENSOR, HEAD, SHARED, BLOCK, PARAM, OUTPUT = "tensor", "head", "shared", "block", "param", "output"
"""Kinds of names: an input or node of a scope (one namespace), a head, a shared entry, a
block, a block's parameter, a block's output."""
BINDING = "binding"
"""A name an `expr` node binds in its `from:` mapping (its target's scope is the node's path),
used in its expression."""
LAYER, ARGUMENT = "layer", "argument"
"""A Keras layer class named by `layer:` (never declared in the spec), and one of its
arguments written as a key (its target's scope is ("layer", CLASS))."""
_NOT_ARGUMENTS = frozenset({"layer", "from", "call", "name"})

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_IDENTIFIER = re.compile(r"(?<![\w.])[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Target:
    """A declared name: its scope, kind and name."""

    scope: Scope
    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class Site:
    """A declaration of a target or a reference to it, on one line (0-based, end exclusive)."""

    target: Target
    declaration: bool
    line: int
    start: int
    end: int
    path: SpecPath


class SpecIndex:
    """Every site of one spec text, by line."""

    def __init__(self, source: SourceTree) -> None:
        self.source = source
        self.sites: list[Site] = []
        self._by_line: dict[int, list[Site]] | None = None
        with gc_paused():  # thousands of small objects, no cycles (as the pipeline's own)
            _Walker(source, self.sites).walk()

    @property
    def lines(self) -> Sequence[str]:
        return self.source.lines

    def at(self, line: int, column: int) -> Site | None:
        """The site under a 0-based position (its end counts: the cursor after a word)."""
        if self._by_line is None:
            self._by_line = defaultdict(list)
            for site in self.sites:
                self._by_line[site.line].append(site)
        for site in self._by_line.get(line, ()):
            if site.start <= column <= site.end:
                return site
        return None

    def declaration(self, target: Target) -> Site | None:
        for site in self.sites:
            if site.declaration and site.target == target:
                return site
        return None

    def references(self, target: Target) -> list[Site]:
        return [site for site in self.sites if site.target == target]

    def declarations(self) -> Iterator[Site]:
        return (site for site in self.sites if site.declaration)


def value_at(data: Any, path: SpecPath) -> Any:
    """The plain value at `path`, or None where the path leads nowhere."""
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            if part not in data:
                return None
        elif not (isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)):
            return None
        data = data[part]
    return data


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


class _Walker:
    """Collects the sites of one spec's values."""

    def __init__(self, source: SourceTree, sites: list[Site]) -> None:
        self.source = source
        self.data = _mapping(source.data)
        self.sites = sites

    def walk(self) -> None:
        blocks = _mapping(self.data.get("blocks"))
        shared = _mapping(self.data.get("shared"))
        for name, block in blocks.items():
            self.key(Target((), BLOCK, name), ("blocks", name))
            scope: Scope = ("blocks", name)
            for param in _mapping(_mapping(block).get("params")):
                self.key(Target(scope, PARAM, param), ("blocks", name, "params", param))
            self.scope(scope, _mapping(block), blocks, shared)
            for output, ref in _mapping(_mapping(block).get("outputs")).items():
                self.key(Target(scope, OUTPUT, output), ("blocks", name, "outputs", output))
                self.ref(scope, ref, ("blocks", name, "outputs", output), blocks, shared)
        for name, entry in shared.items():
            self.key(Target((), SHARED, name), ("shared", name))
            self.layer(_mapping(entry), ("shared", name))
            used = _mapping(entry).get("block")
            if isinstance(used, str):
                self.word(Target((), BLOCK, used), ("shared", name, "block"), used)
            self.with_keys(_mapping(entry), ("shared", name), used)
        self.scope((), self.data, blocks, shared)
        for name, head in _mapping(self.data.get("outputs")).items():
            self.key(Target((), HEAD, name), ("outputs", name))
            if isinstance(head, str):
                self.ref((), head, ("outputs", name), blocks, shared)
            elif isinstance(head, dict):
                self.ref((), head.get("from"), ("outputs", name, "from"), blocks, shared)
        self.monitors(list(_mapping(self.data.get("outputs"))))

    def monitors(self, heads: Sequence[str]) -> None:
        """A head named in a monitored value (`val_HEAD_loss`, `HEAD_accuracy`): `training:`'s
        `monitor` and each callback's."""
        training = _mapping(self.data.get("training"))
        paths: list[SpecPath] = [("training", "monitor")]
        callbacks = training.get("callbacks")
        for index, callback in enumerate(callbacks if isinstance(callbacks, list) else ()):
            if isinstance(callback, dict) and "monitor" in callback:
                paths.append(("training", "callbacks", index, "monitor"))
        for path in paths:
            value = value_at(self.data, path)
            start = self.value_start(path)
            if not isinstance(value, str) or start is None:
                continue
            prefix = len("val_") if value.startswith("val_") else 0
            for head in sorted(heads, key=len, reverse=True):
                if value.startswith(f"{head}_", prefix):
                    line, column = start[0], start[1] + prefix
                    site = Site(
                        Target((), HEAD, head), False, line, column, column + len(head), path
                    )
                    self.sites.append(site)
                    break

    def scope(
        self,
        scope: Scope,
        body: Mapping[str, Any],
        blocks: Mapping[str, Any],
        shared: Mapping[str, Any],
    ) -> None:
        for name in _mapping(body.get("inputs")):
            self.key(Target(scope, TENSOR, name), (*scope, "inputs", name))
        for name, node in _mapping(body.get("nodes")).items():
            path: SpecPath = (*scope, "nodes", name)
            self.key(Target(scope, TENSOR, name), path)
            if not isinstance(node, dict):
                continue
            self.refs(scope, node.get("from"), (*path, "from"), blocks, shared)
            self.bindings(node, path)
            self.layer(node, path)
            sequence = node.get("sequence")
            for index, item in enumerate(sequence if isinstance(sequence, list) else ()):
                self.layer(_mapping(item), (*path, "sequence", index))
            for argument, value in _mapping(node.get("call")).items():
                self.refs(scope, value, (*path, "call", argument), blocks, shared)
            used = node.get("use")
            if isinstance(used, str):
                self.word(Target((), SHARED, used), (*path, "use"), used)
            block = node.get("block")
            if isinstance(block, str):
                self.word(Target((), BLOCK, block), (*path, "block"), block)
            self.with_keys(node, path, block)
            if scope:
                params = _mapping(_mapping(blocks.get(scope[1])).get("params"))
                self.placeholders(scope, node, path, params)

    def refs(
        self,
        scope: Scope,
        value: Any,
        path: SpecPath,
        blocks: Mapping[str, Any],
        shared: Mapping[str, Any],
    ) -> None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                self.ref(scope, item, (*path, index), blocks, shared)
        elif isinstance(value, dict):  # expr: {a: node, b: node}
            for key, item in value.items():
                self.ref(scope, item, (*path, key), blocks, shared)
        else:
            self.ref(scope, value, path, blocks, shared)

    def ref(
        self,
        scope: Scope,
        value: Any,
        path: SpecPath,
        blocks: Mapping[str, Any],
        shared: Mapping[str, Any],
    ) -> None:
        """`node`, `node.output` or `node.N`: the node, and a block's output by name."""
        if not isinstance(value, str) or not value:
            return
        name, dot, suffix = value.partition(".")
        start = self.value_start(path)
        if start is None:
            return
        line, column = start
        self.sites.append(
            Site(Target(scope, TENSOR, name), False, line, column, column + len(name), path)
        )
        if not dot or suffix.isdigit():
            return
        block = self.block_of(scope, name, blocks, shared)
        if block is not None:
            begin = column + len(name) + 1
            target = Target(("blocks", block), OUTPUT, suffix)
            self.sites.append(Site(target, False, line, begin, begin + len(suffix), path))

    def layer(self, entry: Mapping[str, Any], path: SpecPath) -> None:
        """`layer: Conv2D` and the arguments written beside it."""
        layer = entry.get("layer")
        if not isinstance(layer, str):
            return
        self.word(Target((), LAYER, layer), (*path, "layer"), layer)
        for argument in entry:
            if argument not in _NOT_ARGUMENTS:
                target = Target(("layer", layer), ARGUMENT, argument)
                self.key(target, (*path, argument), False)

    def block_of(
        self, scope: Scope, name: str, blocks: Mapping[str, Any], shared: Mapping[str, Any]
    ) -> str | None:
        """The block a node of `scope` instantiates, directly or through a shared entry."""
        body = self.data if not scope else _mapping(blocks.get(scope[1]))
        node = _mapping(_mapping(body.get("nodes")).get(name))
        block = node.get("block")
        if isinstance(node.get("use"), str):
            block = _mapping(shared.get(node["use"])).get("block")
        return block if isinstance(block, str) else None

    def bindings(self, node: Mapping[str, Any], path: SpecPath) -> None:
        """An `expr` node's names: each key of its `from:` mapping, and each use of it in the
        expression (a string on one line)."""
        names = _mapping(node.get("from"))
        if not isinstance(node.get("expr"), str) or not names:
            return
        scope: Scope = tuple(str(part) for part in path)
        for name in names:
            self.key(Target(scope, BINDING, name), (*path, "from", name))
        found = self.source.positions.get((*path, "expr"))
        if found is None:
            return
        row, col, end_row, end_col = token_span(self.source.lines, *found)
        if end_row != row:
            return
        text = self.source.lines[row]
        quoted = text[col : col + 1] in ("'", '"')
        begin, end = (col + 1, end_col - 1) if quoted else (col, end_col)
        for word in _IDENTIFIER.finditer(text, begin, end):
            before = text[: word.start()].rstrip()
            after = text[word.end() : end].lstrip()
            if word.group() in names and not before.endswith(".") and not after.startswith("="):
                target = Target(scope, BINDING, word.group())
                self.sites.append(Site(target, False, row, word.start(), word.end(), path))

    def with_keys(self, entry: Mapping[str, Any], path: SpecPath, block: Any) -> None:
        if not isinstance(block, str):
            return
        for section in ("with", "each"):  # `each:` gives a parameter a value per repeat
            for param in _mapping(entry.get(section)):
                target = Target(("blocks", block), PARAM, param)
                self.key(target, (*path, section, param), False)

    def placeholders(
        self, scope: Scope, value: Any, path: SpecPath, params: Mapping[str, Any]
    ) -> None:
        """Each `${param}` (or a parameter inside `${expression}`) in the strings of a node."""
        if isinstance(value, dict):
            for key, item in value.items():
                self.placeholders(scope, item, (*path, key), params)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.placeholders(scope, item, (*path, index), params)
        elif isinstance(value, str) and "${" in value:
            found = self.source.positions.get(path)
            if found is None:
                return
            row, col, end_row, end_col = token_span(self.source.lines, *found)
            if end_row != row:
                return
            raw = self.source.lines[row][col:end_col]
            for match in _PLACEHOLDER.finditer(raw):
                for word in _IDENTIFIER.finditer(match.group(1)):
                    if word.group() in params:
                        begin = col + match.start(1) + word.start()
                        target = Target(scope, PARAM, word.group())
                        self.sites.append(
                            Site(target, False, row, begin, begin + len(word.group()), path)
                        )

    def value_start(self, path: SpecPath) -> tuple[int, int] | None:
        """0-based (line, column) where a string value's text begins (inside its quotes)."""
        found = self.source.positions.get(path)
        if found is None:
            return None
        row, col = found[0] - 1, found[1] - 1
        text = self.source.line(found[0])
        if text[col : col + 1] in ("'", '"'):
            col += 1
        return row, col

    def word(self, target: Target, path: SpecPath, value: str) -> None:
        start = self.value_start(path)
        if start is not None:
            line, column = start
            self.sites.append(Site(target, False, line, column, column + len(value), path))

    def key(self, target: Target, path: SpecPath, declaration: bool = True) -> None:
        found = self.source.key_positions.get(path)
        if found is None:
            return
        row, col = found[0] - 1, found[1] - 1
        text = self.source.line(found[0])
        name = str(path[-1])
        if text[col : col + 1] in ("'", '"'):
            col += 1
        self.sites.append(Site(target, declaration, row, col, col + len(name), path))
