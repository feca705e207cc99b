"""Spec → the YAML text a person would write: the one printer of specs.

`graphspec import` writes its specs with it, and a formatter or `graphspec migrate` will: so
the layout is decided here once, and what is in it comes from the pydantic models in
`graphspec.spec.model` (their fields, aliases, order and defaults), not from a second copy of
the schema.

The layout is the one the examples under ``specs/`` use::

    # header comment
    graphspec: 1
    name: tiny
    inputs:
      x: {shape: [4]}
    nodes:
      hidden:
        from: x
        sequence:
          - {layer: Dense, units: 8, activation: relu}
          - {layer: Dropout, rate: 0.1}
      y: {layer: Dense, from: hidden, units: 2}
    outputs:
      y: y

One line per simple entry in flow style; a node's form key first, then ``from``, then the
rest; ``sequence`` nodes as a list of one-line items; a block's ``params``, ``inputs``,
``nodes`` and ``outputs`` one under the other. Values equal to the models' defaults are left
out and shorthands are used where the language has them (``from: x`` for ``from: [x]``, a head
``y: y`` for ``{from: y}``, ``optimizer: adam``), so reading the text back gives an equal
`Spec`. Every string stays on its line and is quoted whenever graphspec's YAML 1.2 reader would
read it as something else (PyYAML's dumper follows YAML 1.1, where ``1e3`` is a string).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import BaseModel

from graphspec.spec.base import NODE_FORMS
from graphspec.spec.forms import BlockNode, Node, SequenceNode
from graphspec.spec.model import Block, Head, Spec

_LINE = 100
"""A description longer than this is folded (``>-``) over lines of `_FOLD` characters."""
_FOLD = 78

WRITTEN_FIELDS = {
    Spec: (
        "graphspec",
        "name",
        "description",
        "unreachable",
        "inputs",
        "shared",
        "blocks",
        "nodes",
        "outputs",
        "compile",
        "training",
    ),
    Block: ("inline", "params", "inputs", "nodes", "outputs"),
}
"""The fields the writer lays out, in the order it writes them (a test checks that every
field of the models is here, so a field added to the language is not silently dropped)."""


def write_spec(spec: Spec, header: str = "") -> str:
    """The spec as YAML a person would write, headed by ``header`` as comment lines."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    lines.append(f"graphspec: {_flow(spec.graphspec)}")
    lines.append(f"name: {_flow(spec.name)}")
    if spec.description:
        lines += _description(spec.description)
    if spec.unreachable != Spec.model_fields["unreachable"].default:
        lines.append(f"unreachable: {_flow(spec.unreachable)}")
    lines += _section("inputs", {name: _dump(entry) for name, entry in spec.inputs.items()})
    lines += _section("shared", {name: _dump(entry) for name, entry in spec.shared.items()})
    if spec.blocks:
        lines.append("blocks:")
        for name, block in spec.blocks.items():
            lines.append(f"  {_key(name)}:")
            lines += _block(block, "    ")
    if spec.nodes:
        lines.append("nodes:")
        lines += _nodes(spec.nodes, "  ")
    lines += _section("outputs", {name: _head(head) for name, head in spec.outputs.items()})
    if spec.compile is not None:
        compile_ = _dump(spec.compile)
        optimizer = compile_.get("optimizer")
        if isinstance(optimizer, Mapping) and list(optimizer) == ["name"]:
            compile_["optimizer"] = optimizer["name"]  # `optimizer: adam`
        lines += _section("compile", compile_)
    if spec.training is not None:
        training = _dump(spec.training)
        lines += _section("training", training) if training else ["training: {}"]
    return "\n".join(lines) + "\n"


def _block(block: Block, indent: str) -> list[str]:
    lines = []
    if block.inline:
        lines.append(f"{indent}inline: true")
    if block.params:
        lines.append(f"{indent}params: {_flow(block.params)}")
    inputs = {name: _dump(entry) for name, entry in block.inputs.items()}
    lines.append(f"{indent}inputs: {_flow(inputs)}")
    if block.nodes:
        lines.append(f"{indent}nodes:")
        lines += _nodes(block.nodes, indent + "  ")
    lines.append(f"{indent}outputs: {_flow(block.outputs)}")
    return lines


def _nodes(nodes: Mapping[str, Node], indent: str) -> list[str]:
    """One line per node, form key first; a `sequence` as its `from` and one line per layer."""
    lines = []
    for name, node in nodes.items():
        entry = _dump(node)
        refs = _from(entry.pop("from"))
        if isinstance(node, SequenceNode):
            items = entry.pop("sequence")
            lines.append(f"{indent}{_key(name)}:")
            lines.append(f"{indent}  from: {_flow(refs)}")
            lines += [f"{indent}  {key}: {_flow(value)}" for key, value in entry.items()]
            lines.append(f"{indent}  sequence:")
            lines += [f"{indent}    - {_flow(item)}" for item in items]
        else:
            lists = list(node.each.values()) if isinstance(node, BlockNode) else []
            if lists and entry.get("repeat") == len(lists[0]):
                del entry["repeat"]  # `repeat` defaults to the length of the `each` lists
            form = next(key for key in NODE_FORMS if key in entry)
            ordered = {form: entry.pop(form), "from": refs, **entry}
            lines.append(f"{indent}{_key(name)}: {_flow(ordered)}")
    return lines


def _head(head: Head) -> Any:
    """`y: y` when the head only names its tensor, else `{from: y, loss: mse, ...}`."""
    entry = _dump(head)
    return entry["from"] if list(entry) == ["from"] else entry


def _from(refs: Any) -> Any:
    """`from: x` for one reference (the shorthand people write), else the list or mapping."""
    return refs[0] if isinstance(refs, list) and len(refs) == 1 else refs


def _section(key: str, entries: Mapping[str, Any]) -> list[str]:
    if not entries:
        return []
    return [f"{key}:", *(f"  {_key(name)}: {_flow(value)}" for name, value in entries.items())]


def _dump(model: BaseModel) -> dict[str, Any]:
    """A model as the language spells it (``from``, ``with``), defaults left out; layer
    arguments (the models' extra keys) follow the declared fields, in the order written."""
    return model.model_dump(by_alias=True, exclude_defaults=True)


def _description(text: str) -> list[str]:
    """One line, or a folded block (``>-``) when it is long and folding keeps it exact."""
    line = f"description: {_flow(text)}"
    if len(line) <= _LINE or not _foldable(text):
        return [line]
    parts = textwrap.wrap(text, _FOLD, break_long_words=False, break_on_hyphens=False)
    if " ".join(parts) != text:
        return [line]
    return ["description: >-", *(f"  {part}" for part in parts)]


def _foldable(text: str) -> bool:
    """Folding joins lines with one space: exact for printable text whose words are
    separated by single spaces (a line starting with a space would not be folded)."""
    return text == text.strip() and "  " not in text and text.isprintable()


# --------------------------------------------------------------------------- scalars


_SafeDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""libyaml's emitter when PyYAML has it: the same text, twice as fast as PyYAML's own (the
importer writes one flow line per layer of a model)."""


class _Dumper(_SafeDumper):  # type: ignore[misc]
    """PyYAML's safe dumper, for graphspec's YAML 1.2 reader: strings it would read as a
    number are quoted, and strings with line breaks are written on one line, escaped."""


_BREAKS = re.compile("[\n\r\x85\u2028\u2029]")


def _represent_str(dumper: Any, value: str) -> yaml.ScalarNode:
    style = '"' if _BREAKS.search(value) else None
    node: yaml.ScalarNode = dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)
    return node


_Dumper.add_representer(str, _represent_str)
# YAML 1.2 core-schema numbers that YAML 1.1 leaves as strings (1e3, 0o17, 0129): a dumper
# that resolves them as numbers quotes such strings. Numbers themselves are resolved by the
# 1.1 rules first, so they are written as before.
_Dumper.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
_Dumper.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WORDS = {"null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"}
"""Identifiers that YAML 1.2 reads as null or a boolean."""


def _key(name: str) -> str:
    """A mapping key as written: bare when it is a name YAML 1.2 reads back as that string
    (keys are names, so `on: ...` stays bare where a 1.1 dumper would quote it)."""
    return name if _IDENTIFIER.match(name) and name not in _WORDS else _flow(name)


def _flow(value: Any) -> str:
    """A value in YAML flow style, on one line."""
    text = yaml.dump(
        value,
        Dumper=_Dumper,
        default_flow_style=True,
        sort_keys=False,
        width=1 << 30,
        allow_unicode=True,
    )
    return text.strip().removesuffix("...").strip()
