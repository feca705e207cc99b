"""Names: unique across inputs, shared entries, blocks, nodes and the layers nodes generate;
the names of the layers an inline block instance makes; and which head renames which node's
final layer.

An inline instance's layers join the graph that uses it, each named by the instance's
`names:` pattern: `{instance}_{node}` by default (node `block2` of a block with node `sepconv1`
makes `block2_sepconv1`, keras.applications' own flat names), `{instance}_{n}_{node}` with
`repeat` (`{n}` counts from 1; `{n+4}` from 5, `{n-1}` from 0, so a run of Keras' own
`block5_...` to `block12_...` layers is one repeated instance). Keras refuses `/` in layer
names, so the flat name is joined with `_`. An inline instance inside an inline instance
applies both patterns, inner first (`outer_inner_conv`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from graphspec.analyse.state import Analysis
from graphspec.diagnostics import Diagnostic, SpecPath, codes, format_path
from graphspec.diagnostics.reporter import Reporter
from graphspec.spec.base import IDENTIFIER
from graphspec.spec.forms import BlockNode, Node, UseNode
from graphspec.spec.model import Spec

Rename = Callable[[str], str]
"""A layer's name in its block → its name in the model an inline instance builds it into."""
DEFAULT_NAMES = "{instance}_{node}"
DEFAULT_REPEAT_NAMES = "{instance}_{n}_{node}"
_PATTERN_FIELDS = ("instance", "n", "node")
_NUMBER_FIELD = re.compile(r"n(?:([+-])([0-9]{1,6}))?")
"""`{n}`, or `{n+4}` / `{n-1}`: the repetition counted from another start."""


def keep(name: str) -> str:
    """The names of a scope that is its own model: as the nodes give them."""
    return name


def names_pattern(node: BlockNode) -> str:
    """The pattern an inline instance names its layers by."""
    if node.names is not None:
        return node.names
    return DEFAULT_REPEAT_NAMES if node.repeat > 1 else DEFAULT_NAMES


def _field(name: str) -> str | None:
    """The pattern field `name` is (`n` for `n+4`), or None when it is none."""
    return "n" if _NUMBER_FIELD.fullmatch(name) else name if name in _PATTERN_FIELDS else None


def _number(field: str, n: int) -> int:
    """The number `{n}`, `{n+k}` or `{n-k}` writes for repetition `n` (from 1)."""
    match = _NUMBER_FIELD.fullmatch(field)
    if match is None or match.group(1) is None:
        return n
    offset = int(match.group(2))
    return n + offset if match.group(1) == "+" else n - offset


def format_names(pattern: str, instance: str, n: int, node: str) -> str:
    """The layer name ``pattern`` gives (a pattern `pattern_problem` accepts)."""
    values = {"instance": instance, "node": node}
    parts: list[str] = []
    for literal, name, _, _ in string.Formatter().parse(pattern):
        parts.append(literal)
        if name is not None:
            parts.append(str(_number(name, n)) if _field(name) == "n" else values[name])
    return "".join(parts)


def pattern_problem(node: BlockNode) -> str | None:
    """Why an instance's `names:` pattern cannot name its layers, or None."""
    pattern = names_pattern(node)
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(pattern)
            if name is not None
        ]
    except ValueError as error:
        return f"'{pattern}' is not a pattern ({error}); write fields as {{node}}"
    for name, spec, conversion in fields:
        if _field(name) is None or spec or conversion:
            return (
                f"'{{{name}}}' is not a field of a names pattern "
                "(fields: {instance}, {n}, {n+k} or {n-k}, {node})"
            )
    used = {_field(name) for name, _, _ in fields}
    if "node" not in used:
        return f"'{pattern}' has no {{node}}, so the block's layers would share one name"
    if node.repeat > 1 and "n" not in used:
        return f"'{pattern}' has no {{n}}, so the {node.repeat} repetitions would share names"
    lowest = min((_number(name, 1) for name, _, _ in fields if _field(name) == "n"), default=0)
    if lowest < 0:
        return f"'{pattern}' numbers the first repetition {lowest}; a layer name has no '-'"
    if not re.match(IDENTIFIER, format_names(pattern, "a", 1, "b")):
        return f"'{pattern}' does not give a layer name (letters, digits and _ only)"
    return None


def inline_rename(name: str, node: BlockNode, copy: int, outer: Rename = keep) -> Rename:
    """How repetition `copy` (from 0) of inline instance `name` names a layer of its block."""
    pattern = names_pattern(node)
    return lambda inner: outer(format_names(pattern, name, copy + 1, inner))


def scope_layers(
    spec: Spec,
    nodes: Mapping[str, Node],
    base: SpecPath,
    rename: Rename = keep,
    at: SpecPath | None = None,
) -> Iterator[tuple[str, SpecPath, bool]]:
    """Every layer these nodes make in the model they are built into, inline instances
    expanded: (Keras name, the node that makes it in this scope, whether inline)."""
    for name, node in nodes.items():
        path = at or (*base, "nodes", name)
        block = spec.blocks.get(node.block) if isinstance(node, BlockNode) else None
        if isinstance(node, BlockNode) and spec.is_inline(node):
            if block is None or pattern_problem(node) is not None:
                continue
            for copy in range(node.repeat):
                inner = inline_rename(name, node, copy, rename)
                yield from scope_layers(spec, block.nodes, ("blocks", node.block), inner, path)
        else:
            for layer_name in built_layer_names(name, node):
                yield rename(layer_name), path, at is not None


def node_layer_names(spec: Spec, name: str, node: Node) -> list[str]:
    """The layers a node makes in its scope's model, an inline instance's expanded."""
    return [layer for layer, _, _ in scope_layers(spec, {name: node}, ())]


def check_inline_names(spec: Spec, report: Reporter) -> None:
    """Every inline instance's `names:` pattern works, and the layers it makes are named
    unlike every other layer of the model it joins (the top level's, or a block's)."""
    for base, name, node in spec.walk():
        if not isinstance(node, BlockNode):
            continue
        problem = pattern_problem(node)
        if node.names is not None and not spec.is_inline(node):
            problem = "'names' names the layers of an inline instance; this one is a nested model"
        if problem is not None:
            report.error(
                codes.INLINE_NAME_TAKEN,
                problem,
                (*base, "nodes", name, "names") if node.names else (*base, "nodes", name),
                hint='e.g. names: "{instance}{n}_{node}"; or set inline: true',
            )
    scopes: list[tuple[SpecPath, Mapping[str, Node], list[str]]] = [
        ((), spec.nodes, [*spec.inputs, *spec.shared])
    ]
    scopes += [
        (("blocks", name), block.nodes, [*block.inputs, *spec.shared])
        for name, block in spec.blocks.items()
    ]
    for base, nodes, taken in scopes:
        seen: dict[str, tuple[SpecPath, bool]] = {
            name: ((*base, "inputs", name) if name not in spec.shared else ("shared", name), False)
            for name in taken
        }
        for layer_name, path, inline in scope_layers(spec, nodes, base):
            first = seen.setdefault(layer_name, (path, inline))
            if first[0] == path or not (inline or first[1]):
                continue
            maker = path if inline else first[0]
            report.error(
                codes.INLINE_NAME_TAKEN,
                f"layer name '{layer_name}' is made by inline instance '{format_path(maker)}' "
                f"and also by '{format_path(first[0] if inline else path)}'",
                path,
                key=True,
                related=(report.at.at_key(first[0]),),
                hint="rename the instance or the other node, or give the instance a 'names:' "
                "pattern",
            )


def check_names(analysis: Analysis) -> list[Diagnostic]:
    """Names are unique across inputs, shared entries, blocks, nodes and generated layers."""
    spec = analysis.spec
    report = Reporter(spec.source)
    seen: dict[str, SpecPath] = {}
    sections: list[tuple[str, Mapping[str, Any]]] = [
        ("inputs", spec.inputs),
        ("shared", spec.shared),
        ("blocks", spec.blocks),
        ("nodes", spec.nodes),
    ]
    check_inline_names(spec, report)
    for section, entries in sections:
        for name, entry in entries.items():
            names: list[tuple[str, SpecPath]] = [(name, ())]
            if section == "nodes" and not spec.is_inline(entry):  # inline: check_inline_names
                names += [n for n in entry.layer_names(name) if n[0] != name]
            for layer_name, sub in names:
                path = (section, name, *sub)
                if layer_name in seen:
                    first = seen[layer_name]
                    report.error(
                        codes.DUPLICATE_NAME,
                        f"duplicate name '{layer_name}': also defined at '{format_path(first)}'",
                        path,
                        key=not sub,
                        related=(report.at.at_key(first),),
                        hint="names must be unique across inputs, shared, blocks and nodes",
                    )
                else:
                    seen[layer_name] = path
    return report.diagnostics


def head_layers(spec: Spec, report: Reporter) -> dict[str, str]:
    """Which head renames which node's final layer; every other head gets an Identity layer.

    A head renames its node's final layer when the node makes that layer itself (every form
    but `use`, whose layer is the shared entry's) and no other head on the node has the
    better claim: of several heads on one node, the one already named like the final layer
    renames it (a no-op), else the first declared. A head on an input named like it is the
    Input itself. A head whose name another layer keeps is GS210: renaming a final layer
    frees its old name, an Identity takes a new one.
    """
    heads_of: dict[str, list[str]] = {}
    for head, entry in spec.outputs.items():
        heads_of.setdefault(entry.from_, []).append(head)
    renamed: dict[str, str] = {}
    freed: set[str] = set()
    for source, heads in heads_of.items():
        node = spec.nodes.get(source)
        if source in spec.inputs and source in heads:  # the Input is already named so
            renamed[source] = source
            freed.add(source)
        if node is None or isinstance(node, UseNode) or spec.is_inline(node):
            continue  # the layer is not the node's own (a shared entry's, a block's output's)
        final = final_layer_name(source, node)
        renamed[final if final in heads else heads[0]] = source
        freed.add(final)
    kept = {name for name, _ in _all_layer_names(spec)} - freed
    for head in spec.outputs:
        if head in kept:
            report.error(
                codes.HEAD_NAME_TAKEN,
                f"head '{head}' would name a layer '{head}', but a layer of that name "
                "already exists",
                ("outputs", head),
                key=True,
                hint="rename the head or the other node",
            )
    return renamed


def built_layer_names(name: str, node: Node) -> list[str]:
    """The Keras layers a node is built with, by name, in order, before a head renames the
    final one: `layer_names`, except that a repeated block's last instance is named after the
    node itself (so `model.get_layer(node)` finds the node's output)."""
    names = [layer_name for layer_name, _ in node.layer_names(name)]
    if isinstance(node, BlockNode):
        names[-1] = name
    return names


def final_layer_name(name: str, node: Node, head: str | None = None) -> str:
    """The Keras name of the layer that gives the node's output: the head's when a head
    renames it (`Plan.head_layers`); else a sequence's last item's, the node's own for the
    other forms. A `use` node's layer is the shared entry's, named after the entry."""
    if head is not None:
        return head
    names = built_layer_names(name, node)
    return names[-1] if names else name


def layer_nodes(spec: Spec, head_layers: Mapping[str, str]) -> dict[str, str]:
    """Every top-level Keras layer a node or shared entry makes, by the name the built model
    gives it (a head's rename included) → that entry, as a path (``nodes.conv1``,
    ``shared.encoder``); a block node's layers are its nested models, or the layers an inline
    instance makes. Inputs and heads'
    Identity layers are left out: they hold no weights."""
    head_of = {node: head for head, node in head_layers.items()}
    owners: dict[str, str] = {name: f"shared.{name}" for name in spec.shared}
    for name, node in spec.nodes.items():
        names = node_layer_names(spec, name, node)
        if names and name in head_of:
            names[-1] = head_of[name]
        owners.update((layer_name, f"nodes.{name}") for layer_name in names)
    return owners


def _all_layer_names(spec: Spec) -> Iterator[tuple[str, SpecPath]]:
    for name in spec.inputs:
        yield name, ("inputs", name)
    for name in spec.shared:
        yield name, ("shared", name)
    for layer_name, path, _ in scope_layers(spec, spec.nodes, ()):
        yield layer_name, path
