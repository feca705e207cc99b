"""Names: unique across inputs, shared entries, blocks, nodes and the layers nodes generate;
and which head renames which node's final layer."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphspec.analyse.state import Analysis
from graphspec.diagnostics import Diagnostic, SpecPath, codes, format_path
from graphspec.diagnostics.reporter import Reporter
from graphspec.spec.forms import BlockNode, Node, UseNode
from graphspec.spec.model import Spec


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
    for section, entries in sections:
        for name, entry in entries.items():
            names: list[tuple[str, SpecPath]] = [(name, ())]
            if section == "nodes":
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
        if node is None or isinstance(node, UseNode):
            continue
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
    ``shared.encoder``); a block node's layers are its nested models. Inputs and heads'
    Identity layers are left out: they hold no weights."""
    head_of = {node: head for head, node in head_layers.items()}
    owners: dict[str, str] = {name: f"shared.{name}" for name in spec.shared}
    for name, node in spec.nodes.items():
        names = built_layer_names(name, node)
        if names and name in head_of:
            names[-1] = head_of[name]
        owners.update((layer_name, f"nodes.{name}") for layer_name in names)
    return owners


def _all_layer_names(spec: Spec) -> Iterator[tuple[str, SpecPath]]:
    for name in spec.inputs:
        yield name, ("inputs", name)
    for name in spec.shared:
        yield name, ("shared", name)
    for name, node in spec.nodes.items():
        for layer_name in built_layer_names(name, node):
            yield layer_name, ("nodes", name)
