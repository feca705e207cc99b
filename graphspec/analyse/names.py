"""Names: unique across inputs, shared entries, blocks, nodes and the layers nodes generate;
and which head renames which node's final layer."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphspec.analyse.state import Analysis
from graphspec.diagnostics import Diagnostic, SpecPath, codes, format_path
from graphspec.diagnostics.reporter import Reporter
from graphspec.spec.forms import Node, UseNode
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
    """Which heads rename their node's final layer (the others get an Identity layer)."""
    sources: dict[str, list[str]] = {}
    for head, entry in spec.outputs.items():
        sources.setdefault(entry.from_, []).append(head)
    taken = {name for name, _ in _all_layer_names(spec)}
    renamed: dict[str, str] = {}
    for head, entry in spec.outputs.items():
        node = spec.nodes.get(entry.from_)
        exclusive = len(sources[entry.from_]) == 1
        renames = exclusive and node is not None and not isinstance(node, UseNode)
        own = set(_final_layer_name(entry.from_, node)) if renames and node else set()
        if head in taken and head not in own and head != entry.from_:
            report.error(
                codes.HEAD_NAME_TAKEN,
                f"head '{head}' would name a layer '{head}', but a layer of that name "
                "already exists",
                ("outputs", head),
                key=True,
                hint="rename the head or the other node",
            )
        if renames:
            renamed[head] = entry.from_
    return renamed


def _all_layer_names(spec: Spec) -> Iterator[tuple[str, SpecPath]]:
    for name in spec.inputs:
        yield name, ("inputs", name)
    for name in spec.shared:
        yield name, ("shared", name)
    for name, node in spec.nodes.items():
        for layer_name, sub in node.layer_names(name):
            yield layer_name, ("nodes", name, *sub)


def _final_layer_name(name: str, node: Node) -> list[str]:
    names = node.layer_names(name)
    return [names[-1][0]] if names else []
