"""The answers to an editor's requests, from a document's analyses (`graphspec.lsp.document`):
diagnostics with ranges, hover, definition, references, rename, quick fixes and document
symbols, as lsprotocol types (completion: `graphspec.lsp.completion`). Positions come from
the latest text that read, what they mean (shapes, parameters, pruning) from the latest sound
analysis, so a spec mid-edit keeps its hover."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from lsprotocol import types

from graphspec.analyse.plan import Plan
from graphspec.catalogue.reader import load_catalogue
from graphspec.diagnostics import Diagnostic, Location, Severity, SpecPath, format_path
from graphspec.lsp.document import Analysis, Document
from graphspec.lsp.index import (
    ARGUMENT,
    BINDING,
    BLOCK,
    HEAD,
    LAYER,
    OUTPUT,
    PARAM,
    SHARED,
    TENSOR,
    Site,
    Target,
)
from graphspec.lsp.index import (
    value_at as _value_at,
)
from graphspec.lsp.text import UTF16, Span, from_units, inner_span, to_units, token_span
from graphspec.read.source import SourceTree
from graphspec.settings import Options
from graphspec.shape import format_shape
from graphspec.spec.base import IDENTIFIER

_SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


# --- positions ---------------------------------------------------------------------------


def lsp_range(lines: Sequence[str], span: Span, encoding: str = UTF16) -> types.Range:
    """A character span as an LSP range (columns in the negotiated encoding's units)."""
    row, col, end_row, end_col = span

    def position(line: int, column: int) -> types.Position:
        text = lines[line] if 0 <= line < len(lines) else ""
        return types.Position(line, to_units(text, column, encoding))

    return types.Range(position(row, col), position(end_row, end_col))


def cursor(
    lines: Sequence[str], position: types.Position, encoding: str = UTF16
) -> tuple[int, int]:
    """An LSP position as a 0-based (line, character column)."""
    text = lines[position.line] if 0 <= position.line < len(lines) else ""
    return position.line, from_units(text, position.character, encoding)


def diagnostic_span(
    diagnostic: Diagnostic, lines: Sequence[str], source: SourceTree | None, file: str
) -> Span:
    """What to underline: the token at the diagnostic's position; for a block mapping or list
    (a node written over several lines), its key, not the first key inside it."""
    where = diagnostic.location
    path = diagnostic.path
    if where.file != file and source is not None:  # a file the spec names (a vocabulary)
        where = source.locate_key(path) if path else Location(file, 1, 1)
    if where.line <= 0:
        return token_span(lines, 1, 1)
    start = source.positions.get(path) if source is not None and path else None
    if source is not None and start == (where.line, where.column):
        value = _value_at(source.data, path)
        opened = source.line(where.line)[where.column - 1 : where.column]
        key = source.key_positions.get(path)
        if isinstance(value, dict | list) and opened not in ("{", "[") and key is not None:
            return token_span(lines, *key)
    elif start is not None and start[0] == where.line and start[1] < where.column:
        row, col, end_row, end = token_span(lines, *start)
        if end_row == row and where.column - 1 < end:  # inside the value: an expression's piece
            text = lines[row]
            limit = end - 1 if text[col] in "\"'" and end - 1 > col else end
            piece = inner_span(text, where.column - 1, limit)
            return row, piece[0], row, piece[1]
    return token_span(lines, where.line, where.column)


def lsp_diagnostics(
    analysis: Analysis, uri: str, file: str, encoding: str = UTF16
) -> list[types.Diagnostic]:
    """The analysis' diagnostics as `graphspec validate` reports them: code, message, hint
    (on its own line, as the text format writes it), the spec path in `data`."""
    if not analysis.report.diagnostics:
        return []
    lines = analysis.lines
    found = []
    for diagnostic in analysis.report.diagnostics:
        span = diagnostic_span(diagnostic, lines, analysis.source, file)
        message = diagnostic.message
        if diagnostic.hint:
            message += f"\nhint: {diagnostic.hint}"
        related = [
            types.DiagnosticRelatedInformation(
                types.Location(
                    uri, lsp_range(lines, token_span(lines, other.line, other.column), encoding)
                ),
                "see also",
            )
            for other in diagnostic.related
            if other.file == file and other.line > 0
        ]
        found.append(
            types.Diagnostic(
                range=lsp_range(lines, span, encoding),
                message=message,
                severity=_SEVERITIES[diagnostic.severity],
                code=str(diagnostic.code),
                source="graphspec",
                related_information=related or None,
                data={"path": format_path(diagnostic.path)},
            )
        )
    return found


# --- hover -------------------------------------------------------------------------------


def _site(document: Document, position: types.Position) -> tuple[Analysis, Site] | None:
    analysis = document.readable
    if analysis is None or analysis.index is None:
        return None
    line, column = cursor(analysis.lines, position, document.encoding)
    site = analysis.index.at(line, column)
    return (analysis, site) if site is not None else None


def _params(trainable: int | None, non_trainable: int | None) -> str:
    if trainable is None or non_trainable is None:
        return "unknown (a layer without a static rule)"
    text = f"{trainable + non_trainable:,}"
    return text + (f" ({non_trainable:,} non-trainable)" if non_trainable else "")


def _tensor_hover(plan: Plan, target: Target) -> list[str]:
    spec = plan.spec
    name = target.name
    if target.scope:
        block = spec.blocks.get(target.scope[1])
        if block is None:
            return []
        if name in block.inputs:
            written = block.inputs[name].shape
            given = "the caller's" if written is None else f"`{format_shape(written)}`"
            return [f"**block input** `{name}` of `{target.scope[1]}`", f"shape: {given}"]
        node = block.nodes.get(name)
        if node is None:
            return []
        return [
            f"**node** `{name}` in block `{target.scope[1]}`: {node.label(spec)}",
            *_instances(plan, target.scope[1], name),
            "shapes and parameters: per instance (hover the node that uses the block)",
        ]
    if name in spec.inputs:
        declared = spec.inputs[name]
        lines = [
            f"**input** `{name}`",
            f"shape: `{format_shape(tuple(declared.shape), batch=True)}`",
            f"dtype: `{declared.dtype}`",
        ]
        if name in plan.top.pruned_inputs:
            lines.append("pruned: no head depends on it")
        return lines
    node = spec.nodes.get(name)
    if node is None:
        return []
    lines = [f"**node** `{name}`: {node.label(spec)}"]
    info = plan.static.get(name)
    if info is None:
        lines.append("pruned: no head depends on it, so it is not built")
        return lines
    lines.append(f"output shape: `{format_shape(info.shape, batch=True)}`")
    for output, other in list(info.outputs.items())[1:]:
        lines.append(f"output `{name}.{output}`: `{format_shape(other, batch=True)}`")
    if info.dtype is not None:
        lines.append(f"dtype: `{info.dtype}`")
    lines.append(f"parameters: {_params(info.trainable, info.non_trainable)}")
    shared = getattr(node, "use", None)
    if isinstance(shared, str):
        uses = _uses(plan, shared)
        counted = next((use for use in uses if _count(plan, use)), uses[0] if uses else name)
        lines.append(
            f"weights: those of shared `{shared}`, counted once, at `{counted}`"
            if counted != name
            else f"weights: those of shared `{shared}`, counted here for its {len(uses)} uses"
        )
    return lines


def _count(plan: Plan, name: str) -> int:
    """A built node's parameters (unknown counts as none)."""
    info = plan.static[name]
    return (info.trainable or 0) + (info.non_trainable or 0)


def _uses(plan: Plan, shared: str) -> list[str]:
    """The built top-level nodes that call a shared entry, in the order they are built (one
    of them carries the weights' parameter count)."""
    return [
        name for name in plan.static if getattr(plan.spec.nodes.get(name), "use", None) == shared
    ]


def _shared_hover(plan: Plan, name: str) -> list[str]:
    entry = plan.spec.shared.get(name)
    if entry is None:
        return []
    what = getattr(entry, "layer", None) or f"block {getattr(entry, 'block', '?')}"
    lines = [f"**shared** `{name}`: {what} (one set of weights for every use)"]
    uses = _uses(plan, name)
    if uses:
        trainable, non_trainable = plan.parameters_of(uses)
        lines.append("used by: " + ", ".join(f"`{use}`" for use in uses))
        lines.append(f"parameters: {_params(trainable, non_trainable)}")
    if name in plan.pruned_shared:
        lines.append("pruned: no head depends on a use of it")
    return lines


MAX_INSTANCES = 8
"""Instances of a block listed in a hover; more are counted."""


def _instances(plan: Plan, block: str, node: str) -> list[str]:
    """Where a block's node is built: each instance (by the top-level nodes that call it,
    with the parameters it gets), or that it is built in none."""
    callers: dict[str, list[str]] = {}
    for caller, keys in plan.top_calls.items():
        for key in dict.fromkeys(keys):  # a repeat calls one instance several times
            callers.setdefault(key, []).append(f"`{caller}`")
    built = [
        (key, instance)
        for key, instance in plan.instances.items()
        if instance.block == block and node in instance.nodes
    ]
    if not built:
        return ["built in: no instance (pruned, or the block is not used)"]
    described = []
    for key, instance in built[:MAX_INSTANCES]:
        where = ", ".join(callers.get(key, ["an instance inside another block"]))
        values = ", ".join(f"{param}={value!r}" for param, value in instance.params.items())
        described.append(f"{where} ({values})" if values else where)
    more = f"; and {len(built) - MAX_INSTANCES} more" if len(built) > MAX_INSTANCES else ""
    return ["built in: " + "; ".join(described) + more]


def _head_hover(plan: Plan, name: str) -> list[str]:
    head = plan.spec.outputs.get(name)
    if head is None:
        return []
    lines = [f"**head** `{name}` ← `{head.from_}`"]
    shape = plan.head_shapes.get(name)
    lines.append(f"output shape: `{format_shape(shape, batch=True)}`")
    lines.append(f"loss: `{head.loss}`" if head.loss is not None else "loss: none")
    if head.loss_weight is not None:
        lines.append(f"loss weight: {head.loss_weight}")
    if head.metrics:
        lines.append("metrics: " + ", ".join(f"`{metric}`" for metric in head.metrics))
    trainable, non_trainable = plan.parameters_of(plan.head_upstream(name))
    lines.append(f"parameters it depends on: {_params(trainable, non_trainable)}")
    return lines


def _block_hover(plan: Plan, name: str) -> list[str]:
    block = plan.spec.blocks.get(name)
    if block is None:
        return []
    params = ", ".join(f"`{key}` = `{value!r}`" for key, value in block.params.items())
    instances = sum(instance.block == name for instance in plan.instances.values())
    lines = [
        f"**block** `{name}`: {len(block.nodes)} nodes",
        f"inputs: {', '.join(f'`{i}`' for i in block.inputs)}",
        f"outputs: {', '.join(f'`{o}` ← `{r}`' for o, r in block.outputs.items())}",
        f"params: {params or 'none'}",
        f"instances built: {instances}",
    ]
    if name in plan.pruned_blocks:
        lines.append("pruned: no head depends on an instance of it")
    return lines


def _catalogue_hover(target: Target, options: Options) -> list[str]:
    """A layer class (its description and required arguments) or one of its arguments (its
    description and default), from the catalogue; a custom layer by its import path."""
    catalogue = load_catalogue()
    if target.kind == LAYER:
        custom = options.custom_layers.get(target.name)
        if custom is not None:
            return [f"**custom layer** `{target.name}`: `{custom.path}`"]
        info = catalogue.layer(target.name)
        if info is None:
            return []
        lines = [f"**layer** `{target.name}` ({info.module})"]
        if info.description:
            lines.append(info.description)
        if info.required:
            lines.append("required: " + ", ".join(f"`{name}`" for name in info.required))
        return lines
    layer = target.scope[1]
    info = catalogue.layer(layer)
    if info is None or not info.accepts(target.name):
        return []
    lines = [f"**argument** `{target.name}` of `{layer}`"]
    description = catalogue.argument_description(layer, target.name)
    if description:
        lines.append(description)
    argument = info.args.get(target.name) or catalogue.base_arguments.get(target.name)
    if argument is not None and not argument.required:
        default = argument.default_repr or repr(argument.default)
        lines.append(f"default: `{default}`")
    return lines


def _binding_hover(plan: Plan, target: Target) -> list[str]:
    """A name of an `expr` node: what it is bound to, and that tensor's shape at the top level."""
    scope, node_name = target.scope[:-2], target.scope[-1]
    block = plan.spec.blocks.get(scope[1]) if scope else None
    nodes = block.nodes if block is not None else plan.spec.nodes
    node = nodes.get(node_name) if scope or block is None else None
    bound = getattr(node, "from_", None)
    if not isinstance(bound, dict) or target.name not in bound:
        return []
    ref = bound[target.name]
    lines = [f"**expression name** `{target.name}` of `{node_name}` ← `{ref}`"]
    if not scope:
        source, _, output = ref.partition(".")
        shape = tensor_shape(plan, source, output)
        if shape is not None:
            lines.append(f"shape: `{shape}`")
    return lines


def tensor_shape(plan: Plan, name: str, output: str) -> str | None:
    """The static shape of a top-level input, node or node output, formatted; None unknown."""
    if name in plan.spec.inputs:
        return format_shape(tuple(plan.spec.inputs[name].shape), batch=True)
    info = plan.static.get(name)
    if info is None:
        return None
    outputs = list(info.outputs.items())
    if output.isdigit() and int(output) < len(outputs):
        return format_shape(outputs[int(output)][1], batch=True)
    if output in info.outputs:
        return format_shape(info.outputs[output], batch=True)
    return format_shape(info.shape, batch=True)


def _hover_lines(plan: Plan, target: Target) -> list[str]:
    spec = plan.spec
    if target.kind == BINDING:
        return _binding_hover(plan, target)
    if target.kind == TENSOR:
        return _tensor_hover(plan, target)
    if target.kind == HEAD:
        return _head_hover(plan, target.name)
    if target.kind == BLOCK:
        return _block_hover(plan, target.name)
    if target.kind == SHARED:
        return _shared_hover(plan, target.name)
    block = spec.blocks.get(target.scope[1]) if target.scope else None
    if block is None:
        return []
    if target.kind == PARAM and target.name in block.params:
        default = block.params[target.name]
        return [
            f"**parameter** `{target.name}` of block `{target.scope[1]}`: default `{default!r}`"
        ]
    if target.kind == OUTPUT and target.name in block.outputs:
        ref = block.outputs[target.name]
        return [f"**output** `{target.name}` of block `{target.scope[1]}` ← `{ref}`"]
    return []


def hover(
    document: Document, position: types.Position, options: Options | None = None
) -> types.Hover | None:
    found = _site(document, position)
    if found is None:
        return None
    analysis, site = found
    sound = document.sound
    if site.target.kind in (LAYER, ARGUMENT):
        lines = _catalogue_hover(site.target, options or Options())
        if not lines:
            return None
        text = "\n\n".join(lines)
    elif sound is None or sound.plan is None:
        text = f"`{site.target.name}` (no analysis yet: the spec has errors)"
    else:
        lines = _hover_lines(sound.plan, site.target)
        if not lines:
            return None
        if sound is not document.latest:
            lines.append("*(from the last version without errors)*")
        text = "\n\n".join(lines)
    span = (site.line, site.start, site.line, site.end)
    return types.Hover(
        types.MarkupContent(types.MarkupKind.Markdown, text),
        lsp_range(analysis.lines, span, document.encoding),
    )


# --- definition and references -------------------------------------------------------------


def _location(document: Document, analysis: Analysis, site: Site) -> types.Location:
    span = (site.line, site.start, site.line, site.end)
    return types.Location(document.uri, lsp_range(analysis.lines, span, document.encoding))


def definition(document: Document, position: types.Position) -> list[types.Location]:
    found = _site(document, position)
    if found is None:
        return []
    analysis, site = found
    assert analysis.index is not None
    declared = analysis.index.declaration(site.target)
    return [_location(document, analysis, declared)] if declared is not None else []


def references(
    document: Document, position: types.Position, include_declaration: bool
) -> list[types.Location]:
    found = _site(document, position)
    if found is None:
        return []
    analysis, site = found
    assert analysis.index is not None
    return [
        _location(document, analysis, other)
        for other in analysis.index.references(site.target)
        if include_declaration or not other.declaration
    ]


_RENAMEABLE = frozenset({TENSOR, HEAD, SHARED, BLOCK, PARAM, OUTPUT, BINDING})
_IDENTIFIER = re.compile(IDENTIFIER)


class RenameRefused(ValueError):
    """A rename that would break the spec or edit stale positions; the message says why."""


def rename(
    document: Document, text: str, position: types.Position, new_name: str
) -> types.WorkspaceEdit | None:
    """Rename a declared name and every reference to it: an input or node (in `from:`,
    `call:`, heads, block outputs; `node.output` keeps its output), a head, a shared entry, a
    block, a block's parameter (its `with:` and `each:` keys and `${param}` placeholders too)
    or output, a name an `expr` node binds (in its `from:` and its expression).
    Only on the text as it is now: after a syntax error the positions would be stale."""
    analysis = document.readable
    if analysis is None or analysis is not document.latest or analysis.text != text:
        raise RenameRefused("the spec does not read as it is now: fix its syntax first")
    found = _site(document, position)
    if found is None or found[1].target.kind not in _RENAMEABLE:
        return None
    site = found[1]
    if not _IDENTIFIER.match(new_name):
        raise RenameRefused(f"'{new_name}' is not a name (letters, digits and _)")
    assert analysis.index is not None
    clash = Target(site.target.scope, site.target.kind, new_name)
    if analysis.index.declaration(clash) is not None:
        raise RenameRefused(f"'{new_name}' is already declared here")
    edits = [
        types.TextEdit(_location(document, analysis, other).range, new_name)
        for other in analysis.index.references(site.target)
    ]
    return types.WorkspaceEdit(changes={document.uri: edits})


_DID_YOU_MEAN = re.compile(r"did you mean '([^']+)'\?")


def quick_fixes(
    uri: str, text: str, diagnostics: Sequence[types.Diagnostic]
) -> list[types.CodeAction]:
    """A "did you mean" hint as an edit: the misspelt name (the diagnostic's range, inside
    its quotes if quoted) replaced by the suggestion."""
    lines = text.splitlines()
    actions = []
    for diagnostic in diagnostics:
        if diagnostic.source != "graphspec":
            continue
        match = _DID_YOU_MEAN.search(diagnostic.message)
        where = diagnostic.range
        if match is None or where.start.line != where.end.line or where.start.line >= len(lines):
            continue
        line = lines[where.start.line]
        written = line[where.start.character : where.end.character]  # ASCII names: units agree
        target = where
        if len(written) >= 2 and written[0] in "\"'" and written[-1] == written[0]:
            target = types.Range(
                types.Position(where.start.line, where.start.character + 1),
                types.Position(where.end.line, where.end.character - 1),
            )
        suggestion = match.group(1)
        actions.append(
            types.CodeAction(
                title=f"Replace with '{suggestion}'",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                is_preferred=True,
                edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(target, suggestion)]}),
            )
        )
    return actions


# --- document symbols -------------------------------------------------------------------------

_SYMBOL_KINDS = {
    ("inputs", TENSOR): types.SymbolKind.Variable,
    ("nodes", TENSOR): types.SymbolKind.Function,
    ("outputs", HEAD): types.SymbolKind.Event,
    ("outputs", OUTPUT): types.SymbolKind.Event,
    ("shared", SHARED): types.SymbolKind.Object,
    ("blocks", BLOCK): types.SymbolKind.Class,
    ("params", PARAM): types.SymbolKind.Property,
}


def _symbol_spans(sites: list[Site], end_line: int, lines: Sequence[str]) -> list[Span]:
    """Each declaration from its key to the line before the next one (or `end_line`)."""
    spans = []
    for index, site in enumerate(sites):
        last = sites[index + 1].line - 1 if index + 1 < len(sites) else end_line
        last = max(last, site.line)
        while last > site.line and not lines[last].strip():
            last -= 1
        spans.append((site.line, site.start, last, len(lines[last]) if last < len(lines) else 0))
    return spans


def document_symbols(document: Document) -> list[types.DocumentSymbol]:
    """Inputs, nodes, heads, shared entries and blocks (with their params, inputs, nodes and
    outputs as children), in file order."""
    analysis = document.readable
    if analysis is None or analysis.index is None:
        return []
    lines = analysis.lines
    groups: dict[Sequence[Any], list[Site]] = {}
    for site in analysis.index.declarations():
        groups.setdefault(site.path[:-1], []).append(site)
    end = len(lines) - 1

    def symbols(parent: SpecPath, last: int) -> list[types.DocumentSymbol]:
        sites = groups.get(parent, [])
        made = []
        for site, span in zip(sites, _symbol_spans(sites, last, lines), strict=True):
            kind = _SYMBOL_KINDS.get((str(site.path[-2]), site.target.kind))
            if kind is None:
                continue
            selection = (site.line, site.start, site.line, site.end)
            children: list[types.DocumentSymbol] = []
            if site.target.kind == BLOCK:
                for section in ("params", "inputs", "nodes", "outputs"):
                    children += symbols((*site.path, section), span[2])
            made.append(
                types.DocumentSymbol(
                    name=site.target.name,
                    kind=kind,
                    range=lsp_range(lines, span, document.encoding),
                    selection_range=lsp_range(lines, selection, document.encoding),
                    detail=str(site.path[-2]),
                    children=children or None,
                )
            )
        return made

    found = []
    for section in ("inputs", "shared", "blocks", "nodes", "outputs"):
        found += symbols((section,), end)
    found.sort(key=lambda symbol: (symbol.range.start.line, symbol.range.start.character))
    return found
