"""Completion: names that fit where the cursor is, in a spec as it is being typed.

The context (which key the cursor follows, which mapping it is in) is read from the current
text, its indentation and the line so far, so it works while the YAML does not read; the names
(nodes, inputs, blocks, parameters) come from the latest version that read, the layers and
their arguments from the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from lsprotocol import types

from graphspec.analyse.plan import Plan
from graphspec.catalogue.argument_types import STRUCTURAL_ARGUMENTS
from graphspec.catalogue.reader import load_catalogue
from graphspec.diagnostics import SpecPath
from graphspec.lsp.document import Document
from graphspec.lsp.features import cursor, lsp_range, tensor_shape
from graphspec.lsp.index import value_at as _value_at
from graphspec.read.source import split_lines
from graphspec.settings import Options

_KEY_LINE = re.compile(r"^(\s*)(?:-\s+)?([\"']?)([A-Za-z_][\w-]*)\2\s*:(?:\s|$)")
_VALUE_OF = re.compile(
    r"(?:^|[\s{,])([\"']?)(from|layer|use|block|activation|loss|metrics|optimizer)\1\s*:\s*"
    r"(?:[\[{][^\]}]*?)?(?:([\"']?)\w+\3\s*:\s*)?[\"']?[\w.]*$"
)
"""The key whose value the cursor is in (group 2), in YAML or JSON: `from: fl`, `from: [a, `,
`from: {a: `, `"from": "fl`."""
_CALL_VALUE = re.compile(r"""(?:^|[\s{,])["']?\w+["']?\s*:\s*(?:\[[^\]]*?)?["']?[\w.]*$""")
"""The cursor in the value of an argument of `call:` (`query: `, `inputs: [a, `)."""
_FROM_ITEM = re.compile(r"""^\s*(?:-\s*)?["']?[\w.]*$""")
"""An item of a list of references over lines: `- fl` in YAML, `"fl` in JSON."""
_KEY_START = re.compile(r"(?:^\s*|[{,]\s*)([A-Za-z_]\w*)?$")


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def ancestors(lines: Sequence[str], row: int, column: int) -> list[str]:
    """The keys of the block mappings that hold the position, outermost first, read from the
    text's indentation (so it works mid-edit); the key the position's line starts with is
    last when the position is after it."""
    chain: list[str] = []
    text = lines[row] if row < len(lines) else ""
    current = _KEY_LINE.match(text)
    if current and column >= current.end():
        chain.append(current.group(3))
    limit = _indent(text) if text.strip() else column
    for above in range(row - 1, -1, -1):
        line = lines[above]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = _indent(line)
        if indent >= limit:
            continue
        match = _KEY_LINE.match(line)
        if match and line.lstrip().startswith("-") and _key_column(line, match) == limit:
            limit = indent  # `- key:` starts the list item whose mapping holds the position
            continue
        if match:
            chain.append(match.group(3))
        limit = indent
        if indent == 0:
            break
    chain.reverse()
    return chain


def _key_column(line: str, match: re.Match[str]) -> int:
    """Where the key of a `_KEY_LINE` starts (after a list item's `- `), its quote included."""
    return match.start(3) - len(match.group(2))


def _scope_of(chain: Sequence[str]) -> SpecPath:
    return ("blocks", chain[1]) if len(chain) >= 2 and chain[0] == "blocks" else ()


def _open_flow(before: str) -> tuple[str | None, str]:
    """The key whose flow mapping (`key: {`) is open at the end of `before`, and the text of
    that mapping so far; (None, '') outside one."""
    depth = 0
    for index in range(len(before) - 1, -1, -1):
        char = before[index]
        if char in "}]":
            depth += 1
        elif char in "{[":
            if depth == 0:
                if char == "[":
                    return None, ""
                owner = re.search(r"([A-Za-z_][\w-]*)[\"']?\s*:\s*$", before[:index])
                return (owner.group(1) if owner else "-"), before[index + 1 :]
            depth -= 1
    return None, ""


def _in_call(before: str, chain: Sequence[str]) -> bool:
    """Whether the cursor is where a tensor goes in a node's `call:` arguments: the value of
    one (`call: {query: `, or `query: ` on a line under `call:`), or an item of a list of
    them (`- ` under `call:`'s `inputs:`)."""
    owner, flow = _open_flow(before)
    if owner == "call":
        return _CALL_VALUE.search("{" + flow) is not None
    if chain[-2:-1] == ["call"]:
        return _CALL_VALUE.search(before) is not None or _FROM_ITEM.match(before) is not None
    return False


def _names(data: Any, path: SpecPath) -> list[str]:
    value = _value_at(data, path)
    return list(value) if isinstance(value, dict) else []


def _item(
    label: str, kind: types.CompletionItemKind, detail: str | None = None
) -> types.CompletionItem:
    return types.CompletionItem(label=label, kind=kind, detail=detail)


def _tensor_items(
    data: Any, scope: SpecPath, exclude: str | None, plan: Plan | None = None
) -> list[types.CompletionItem]:
    """The inputs, nodes and block outputs of a scope (but `exclude`, the node being written),
    each with its static shape at the top level (from `plan`, the last sound analysis)."""

    def detail(kind: str, name: str, output: str = "") -> str:
        shape = tensor_shape(plan, name, output) if plan is not None and not scope else None
        return f"{kind} {shape}" if shape is not None else kind

    items = [
        _item(name, types.CompletionItemKind.Variable, detail("input", name))
        for name in _names(data, (*scope, "inputs"))
    ]
    nodes = _value_at(data, (*scope, "nodes"))
    for name, node in nodes.items() if isinstance(nodes, dict) else ():
        if name == exclude:
            continue
        items.append(_item(name, types.CompletionItemKind.Function, detail("node", name)))
        block = node.get("block") if isinstance(node, dict) else None
        if isinstance(block, str):
            for output in _names(data, ("blocks", block, "outputs")):
                label = f"{name}.{output}"
                kind = types.CompletionItemKind.Field
                items.append(_item(label, kind, detail("output", name, output)))
    return items


def _layer_items(options: Options) -> list[types.CompletionItem]:
    catalogue = load_catalogue()
    items = [
        types.CompletionItem(
            label=name,
            kind=types.CompletionItemKind.Class,
            detail=catalogue.layer_description(name),
        )
        for name in catalogue.safe_layer_names()
    ]
    for name in options.custom_layers.layers:
        items.append(_item(name, types.CompletionItemKind.Class, "custom layer"))
    return items


NODE_KEYS = ("from", "call")
"""The keys a layer node takes beside its layer's arguments."""
SEQUENCE_KEYS = ("name",)
"""The key a layer of a `sequence` takes beside its arguments (its layer's name)."""


def _argument_items(
    layer: str | None, present: Iterable[str], keywords: tuple[str, ...] = NODE_KEYS
) -> list[types.CompletionItem]:
    """A layer's arguments not yet written, but those a spec never writes (`name`,
    `input_shape`, ...: GS302), then `keywords` (a node's `from` and `call`, a sequence
    layer's `name`, nothing for a shared layer)."""
    catalogue = load_catalogue()
    info = catalogue.layer(layer) if layer else None
    taken = set(present)
    names = [] if info is None else [a for a in info.all_args() if a not in taken]
    items = [
        types.CompletionItem(
            label=name,
            kind=types.CompletionItemKind.Property,
            detail=catalogue.argument_description(layer or "", name),
            insert_text=f"{name}: ",
        )
        for name in names
        if name not in STRUCTURAL_ARGUMENTS
    ]
    for key in keywords:
        if key not in taken:
            items.append(
                types.CompletionItem(
                    label=key, kind=types.CompletionItemKind.Keyword, insert_text=f"{key}: "
                )
            )
    return items


def _param_items(data: Any, block: Any, present: Iterable[str]) -> list[types.CompletionItem]:
    if not isinstance(block, str):
        return []
    params = _value_at(data, ("blocks", block, "params"))
    taken = set(present)
    return [
        types.CompletionItem(
            label=name,
            kind=types.CompletionItemKind.Property,
            detail=f"default {value!r}",
            insert_text=f"{name}: ",
        )
        for name, value in (params.items() if isinstance(params, dict) else ())
        if name not in taken
    ]


def _flow_keys(text: str) -> dict[str, str]:
    """The `key: value` pairs written so far in a flow mapping's text (one level)."""
    return dict(re.findall(r"(?:^|[{,])\s*([A-Za-z_]\w*)\s*:\s*([^,{}\[\]]*)", text))


_CATALOGUE_VALUES = ("activation", "loss", "metrics", "optimizer")


def _catalogue_items(field: str, options: Options) -> list[types.CompletionItem]:
    """Activation, loss, metric and optimizer names from the catalogue; the allowed custom
    losses and metrics too."""
    catalogue = load_catalogue()
    names: Iterable[str] = {
        "activation": catalogue.activations,
        "loss": catalogue.losses,
        "metrics": catalogue.metrics,
        "optimizer": catalogue.optimizers,
    }[field]
    items = [_item(name, types.CompletionItemKind.Value, field) for name in sorted(names)]
    if field in ("loss", "metrics"):
        for name in options.custom_objects.objects:
            items.append(_item(name, types.CompletionItemKind.Function, "custom object"))
    return items


def _value_items(
    field: str,
    data: Any,
    scope: SpecPath,
    node: str | None,
    options: Options,
    plan: Plan | None = None,
) -> list[types.CompletionItem]:
    """What may follow `from:`, `layer:`, `use:` or `block:`."""
    if field == "from":
        return _tensor_items(data, scope, node, plan)
    if field == "layer":
        return _layer_items(options)
    if field in _CATALOGUE_VALUES:
        return _catalogue_items(field, options)
    if field == "use":
        shared = _names(data, ("shared",))
        return [_item(name, types.CompletionItemKind.Reference, "shared") for name in shared]
    blocks = _names(data, ("blocks",))
    return [_item(name, types.CompletionItemKind.Module, "block") for name in blocks]


def _block_of(data: Any, scope: SpecPath, node: str | None, chain: Sequence[str]) -> Any:
    """The block the node (or shared entry) being written instantiates, as last read."""
    if node is not None:
        return _value_at(data, (*scope, "nodes", node, "block"))
    if len(chain) >= 2 and chain[0] == "shared":
        return _value_at(data, ("shared", chain[1], "block"))
    return None


def _flow_key_items(
    owner: str,
    flow: str,
    current: str,
    column: int,
    data: Any,
    scope: SpecPath,
    node: str | None,
    chain: Sequence[str],
) -> list[types.CompletionItem]:
    """Keys inside a flow mapping (`{layer: Dense, un|}` or `with: {wi|}`)."""
    keys = _flow_keys(flow)
    opened = column - len(flow) - 1
    whole = _flow_keys(current[opened:]) or keys  # `layer:` may come after the cursor
    if owner == "with":
        written = re.search(r"block[\"']?\s*:\s*[\"']?(\w+)", current)
        block = written.group(1) if written else _block_of(data, scope, node, chain)
        return _param_items(data, block, keys)
    in_sequence = owner == "-" and chain[-1:] == ["sequence"]  # `- {layer: Dense, ...}`
    layer = whole.get("layer", "").strip() or None
    if chain[:1] == ["shared"]:
        return _argument_items(layer, keys, ())
    return _argument_items(layer, keys, SEQUENCE_KEYS if in_sequence else NODE_KEYS)


def _block_key_items(
    lines: Sequence[str],
    row: int,
    column: int,
    chain: Sequence[str],
    data: Any,
    scope: SpecPath,
    node: str | None,
) -> list[types.CompletionItem]:
    """Keys of a block mapping: a block's parameters under `with:`, a layer's arguments
    under a node."""
    if chain[-1:] == ["with"] and len(chain) >= 2:
        owner = chain[-2]
        entry = _value_at(data, (*scope, "nodes", owner)) or _value_at(data, ("shared", owner))
        block = _siblings(lines, _owner_row(lines, row)).get("block") or (
            entry.get("block") if isinstance(entry, dict) else None
        )
        return _param_items(data, block, _siblings(lines, row, column))
    if len(chain) == 2 and chain[0] == "shared":  # a shared layer: its arguments only
        written = _siblings(lines, row, column)
        entry = _value_at(data, tuple(chain))
        layer = written.get("layer") or (entry.get("layer") if isinstance(entry, dict) else None)
        return _argument_items(layer if isinstance(layer, str) else None, written, ())
    if node is not None and chain[-1] == "sequence":  # a layer of the chain, over lines
        written = _siblings(lines, row, column)
        layer = written.get("layer")
        return _argument_items(layer, written, SEQUENCE_KEYS)
    if node is not None and chain[-1] == node:
        written = _siblings(lines, row, column)
        entry = _value_at(data, (*scope, "nodes", node))
        layer = written.get("layer") or (entry.get("layer") if isinstance(entry, dict) else None)
        return _argument_items(layer if isinstance(layer, str) else None, written)
    return []


def _owner_row(lines: Sequence[str], row: int) -> int:
    """The line of the key that holds line `row` (the first line above it indented less)."""
    text = lines[row] if row < len(lines) else ""
    indent = _indent(text) if text.strip() else len(text)
    for above in range(row - 1, -1, -1):
        line = lines[above]
        if line.strip() and not line.lstrip().startswith("#") and _indent(line) < indent:
            return above
    return row


def _siblings(lines: Sequence[str], row: int, column: int | None = None) -> dict[str, str]:
    """The `key: value` lines of the block mapping that holds line `row` (as written now, so
    a node being typed counts), by key; on a blank line, the mapping whose keys start at
    `column` (the cursor's), else the nearest line's."""
    text = lines[row] if row < len(lines) else ""
    indent = _indent(text) if text.strip() else column
    found: dict[str, str] = {}
    for step in (-1, 1):
        other = row + step
        while 0 <= other < len(lines):
            line = lines[other]
            if line.strip() and not line.lstrip().startswith("#"):
                if indent is None:
                    indent = _indent(line)
                match = _KEY_LINE.match(line)
                item = match is not None and line.lstrip().startswith("-")
                if match is not None and item and _key_column(line, match) == indent:
                    if step < 0:  # `- key:` opens the list item that holds line `row`
                        found[match.group(3)] = line[match.end() :].split("#")[0].strip()
                    break
                if _indent(line) < indent:
                    break
                if match is not None and not item and _indent(line) == indent:
                    found[match.group(3)] = line[match.end() :].split("#")[0].strip()
            other += step
    return found


_TYPED = re.compile(r"[\w.]*$")


def _replacing(
    items: list[types.CompletionItem],
    lines: Sequence[str],
    row: int,
    column: int,
    encoding: str,
) -> list[types.CompletionItem]:
    """Each value item replaces what is typed of the name before the cursor, dots included:
    an editor's word stops at a dot, so `first.` and the item `first.y` would otherwise give
    `first.first.y`."""
    typed = _TYPED.search(lines[row][:column] if row < len(lines) else "")
    start = column - len(typed.group()) if typed is not None else column
    where = lsp_range(lines, (row, start, row, column), encoding)
    for item in items:
        item.text_edit = types.TextEdit(where, item.label)
    return items


def completion(
    document: Document, text: str, position: types.Position, options: Options
) -> list[types.CompletionItem]:
    """Names that fit where the cursor is: inputs and nodes after `from:` (and in a head),
    layer names after `layer:`, shared entries after `use:`, blocks after `block:`, a layer's
    arguments and a block's parameters (in `with:`) as keys. The context is read from the
    current text (its indentation and the line so far), the names from the latest version
    that read."""
    lines = split_lines(text) or [""]
    row, column = cursor(lines, position, document.encoding)
    current = lines[row] if row < len(lines) else ""
    before = current[:column]
    readable = document.readable
    data = readable.source.data if readable is not None and readable.source is not None else {}
    chain = ancestors(lines, row, column)
    scope = _scope_of(chain)
    inside = len(chain) > len(scope) + 1 and chain[len(scope)] == "nodes"
    node = chain[len(scope) + 1] if inside else None
    plan = document.sound.plan if document.sound is not None else None
    value = _VALUE_OF.search(before)
    if value is not None:
        items = _value_items(value.group(2), data, scope, node, options, plan)
        return _replacing(items, lines, row, column, document.encoding)
    if (
        _in_call(before, chain)
        or (chain[-1:] == ["from"] and _FROM_ITEM.match(before))
        or (chain[:1] == ["outputs"] and len(chain) == 2 and re.search(r":\s*[\w.]*$", before))
    ):
        items = _tensor_items(data, scope, node, plan)
        return _replacing(items, lines, row, column, document.encoding)
    if not _KEY_START.search(before):
        return []
    owner, flow = _open_flow(before)
    if owner is not None:
        return _flow_key_items(owner, flow, current, column, data, scope, node, chain)
    return _block_key_items(lines, row, column, chain, data, scope, node)
