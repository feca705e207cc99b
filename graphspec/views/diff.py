"""Structural difference of two checked specs (`graphspec diff A B`), without Keras.

Two specs are compared as analyse understood them, not as text: comments, key order,
formatting, `description` and arguments written at their default value make no difference.
Entries are matched by name. For nodes the diff reports what the spec says (the form, `from`
and every argument, as a flattened key path such as `sequence[2].units`) and what static
analysis inferred (output shape, parameter count, pruned or not), so a change of one layer
shows on every node downstream whose shape or weights it changes. Each head gets the
parameters it depends on, before and after.

    >>> change = diff_specs("specs/seeds/seed001_ensemble3.yaml",
    ...                     "specs/seeds/seed001_ensemble_pruned.yaml")
    >>> [node.name for node in change.nodes_changed]
    ['cnn3', 'prediction']

`format_diff` gives the text `graphspec diff` prints and `diff_json` its JSON document. The
text carries spec-controlled strings raw: escape them before they reach a terminal.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Final, Generic, TypeVar

from graphspec.analyse.plan import NodeStatic, Plan
from graphspec.diagnostics import SpecError, SpecPath, format_path
from graphspec.pipeline import Report, check
from graphspec.shape import Shape, format_shape
from graphspec.spec.forms import (
    ExprNode,
    LayerNode,
    Node,
    OpNode,
    SequenceNode,
    SharedLayer,
    UseNode,
)
from graphspec.spec.model import Block, Spec

__all__ = [
    "JSON_VERSION",
    "UNSET",
    "BlockChange",
    "Delta",
    "Entry",
    "EntryChange",
    "HeadTotals",
    "NodeChange",
    "NodeFacts",
    "SpecDiff",
    "Totals",
    "ValueChange",
    "diff_json",
    "diff_plans",
    "diff_specs",
    "format_diff",
]

JSON_VERSION: Final = 1
"""The version of `diff_json`'s document; raised when a field changes meaning or goes away."""
MAX_VALUE: Final = 80
"""Longest value shown in the text output, in characters (JSON always has it whole)."""

T = TypeVar("T")


class _Unset:
    """The value of a key a spec does not write: `units` added or removed."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()

Refs = tuple[str, ...] | tuple[tuple[str, str], ...]
"""What a node reads: references in order, or (for `expr`) (name, reference) pairs by name."""
OutputShape = tuple[tuple[str, Shape | None], ...]
"""A node's static output shape(s) without the batch dimension: one ("", shape) pair, or one
pair per output of a block with several."""


# ---- the result --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueChange:
    """One key path whose value differs; `old` or `new` is UNSET when the key is not written."""

    path: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Delta(Generic[T]):
    """A derived fact that differs between the two specs."""

    old: T
    new: T


@dataclass(frozen=True)
class Entry:
    """An input, shared entry, block, head or block node that only one spec has."""

    name: str
    label: str
    """A short description: `(None, 28, 28, 1) float32`, `LSTM`, `from dense, loss mse`."""
    fields: tuple[tuple[str, Any], ...]
    """Its definition as flattened (key path, value) pairs."""


@dataclass(frozen=True)
class EntryChange:
    """An input, shared entry or head both specs have, with the keys whose values differ."""

    name: str
    changes: tuple[ValueChange, ...]


@dataclass(frozen=True)
class NodeFacts:
    """A top-level node as one spec has it: what it is, what it reads, what analysis found."""

    name: str
    label: str
    form: str
    """`Dense`, `sequence`, `add`, `expr`, `use encoder` or `block cnn`."""
    refs: Refs
    arguments: tuple[tuple[str, Any], ...]
    pruned: bool
    shape: OutputShape | None
    """None when pruned."""
    params: int | None
    """None when some layer has no static rule; 0 when pruned (not built, no weights)."""


@dataclass(frozen=True)
class NodeChange:
    """A node both specs have; each field is None (or empty) when that aspect is the same."""

    name: str
    label: str
    """The node's description in the new spec."""
    form: Delta[str] | None = None
    refs: Delta[Refs] | None = None
    arguments: tuple[ValueChange, ...] = ()
    shape: Delta[OutputShape | None] | None = None
    params: Delta[int | None] | None = None
    pruned: Delta[bool] | None = None

    @property
    def edited(self) -> bool:
        """True when the spec text of the node changed, not only what flows into it."""
        return bool(self.form or self.refs or self.arguments)


@dataclass(frozen=True)
class BlockChange:
    """A block definition both specs have: its params, inputs and outputs, and its nodes."""

    name: str
    changes: tuple[ValueChange, ...]
    nodes_added: tuple[Entry, ...] = ()
    nodes_removed: tuple[Entry, ...] = ()
    nodes_changed: tuple[NodeChange, ...] = ()


@dataclass(frozen=True)
class HeadTotals:
    """One head's output shape and the parameters it depends on, in each spec that has it."""

    name: str
    in_old: bool
    in_new: bool
    old_params: int | None
    new_params: int | None
    old_shape: Shape | None
    new_shape: Shape | None

    @property
    def changed(self) -> bool:
        return (self.in_old, self.old_params, self.old_shape) != (
            self.in_new,
            self.new_params,
            self.new_shape,
        )


@dataclass(frozen=True)
class Totals:
    """Parameters of a whole model (None when some layer has no static rule)."""

    params: int | None
    trainable: int | None
    non_trainable: int | None


@dataclass(frozen=True)
class SpecDiff:
    """The structural difference of two specs, entries matched by name.

    Added and changed nodes come in the new spec's topological order, removed ones in the old
    spec's; inputs, shared entries, blocks and heads in declaration order.
    """

    old_file: str
    new_file: str
    old_name: str
    new_name: str
    settings: tuple[ValueChange, ...]
    """`name`, `unreachable` and `compile.*`."""
    inputs_added: tuple[Entry, ...]
    inputs_removed: tuple[Entry, ...]
    inputs_changed: tuple[EntryChange, ...]
    shared_added: tuple[Entry, ...]
    shared_removed: tuple[Entry, ...]
    shared_changed: tuple[EntryChange, ...]
    blocks_added: tuple[Entry, ...]
    blocks_removed: tuple[Entry, ...]
    blocks_changed: tuple[BlockChange, ...]
    nodes_added: tuple[NodeFacts, ...]
    nodes_removed: tuple[NodeFacts, ...]
    nodes_changed: tuple[NodeChange, ...]
    heads_added: tuple[Entry, ...]
    heads_removed: tuple[Entry, ...]
    heads_changed: tuple[EntryChange, ...]
    head_totals: tuple[HeadTotals, ...]
    """Every head of either spec: the new spec's in order, then those only the old one has."""
    old_totals: Totals
    new_totals: Totals
    new_order: tuple[str, ...] = ()
    """The new spec's nodes in topological order, pruned ones too (for listing changes)."""

    @property
    def identical(self) -> bool:
        """True when nothing differs (comments, formatting, key order and description aside)."""
        differences = (
            getattr(self, f.name)
            for f in fields(self)
            if f.name.endswith(("_added", "_removed", "_changed")) or f.name == "settings"
        )
        return (
            not any(differences)
            and not any(head.changed for head in self.head_totals)
            and self.old_totals == self.new_totals
        )


# ---- comparing values --------------------------------------------------------------------------


def _is_leaf(value: Any) -> bool:
    """Scalars and lists of scalars compare whole (`kernel_size [3, 3] -> [5, 5]`)."""
    if isinstance(value, dict):
        return not value
    if isinstance(value, list):
        return not any(isinstance(item, dict | list) and not _is_leaf(item) for item in value)
    return True


def _flatten(value: Any, path: SpecPath = ()) -> Iterator[tuple[SpecPath, Any]]:
    """(path, leaf) pairs of nested mappings and lists of mappings, in written order."""
    if _is_leaf(value):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(item, (*path, key))
    else:
        for index, item in enumerate(value):
            yield from _flatten(item, (*path, index))


def _fields(value: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """A mapping's leaves as (key path, value) pairs: `sequence[2].units`, `with.classes`."""
    return tuple(
        (format_path(path), leaf)
        for key, item in value.items()
        for path, leaf in _flatten(item, (key,))
    )


def _same(old: Any, new: Any) -> bool:
    """Equal as spec values: `true` is not `1` (Python says it is), `1` is `1.0`."""
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new, strict=True))
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    if isinstance(old, list | dict) or isinstance(new, list | dict):
        return False
    return bool(old == new)


def _compare(
    old: Iterable[tuple[str, Any]], new: Iterable[tuple[str, Any]]
) -> tuple[ValueChange, ...]:
    """The paths whose values differ, in the new spec's order; a path only the old spec has
    comes right after the path it followed there (`sequence[1].units` after `sequence[1].layer`).
    """
    before, after = dict(old), dict(new)
    gone: dict[str | None, list[str]] = {}
    anchor: str | None = None
    for path in before:
        if path in after:
            anchor = path
        else:
            gone.setdefault(anchor, []).append(path)
    changes = [ValueChange(path, before[path], UNSET) for path in gone.get(None, [])]
    for path, value in after.items():
        if path not in before or not _same(before[path], value):
            changes.append(ValueChange(path, before.get(path, UNSET), value))
        changes += [ValueChange(p, before[p], UNSET) for p in gone.get(path, [])]
    return tuple(changes)


def _dump(model: Any) -> dict[str, Any]:
    """A pydantic entry as written, keys at their default left out (`repeat: 1` is no change)."""
    dumped: dict[str, Any] = model.model_dump(by_alias=True, exclude_defaults=True)
    return dumped


def _normal_expr(text: str) -> str:
    """`(a+b)/2` and `(a + b) / 2` are the same expression: compare the parsed form."""
    try:
        return ast.unparse(ast.parse(text, mode="eval"))
    except (SyntaxError, ValueError, RecursionError):
        return text


# ---- one spec's facts --------------------------------------------------------------------------


def _form(node: Node) -> str:
    if isinstance(node, LayerNode):
        return node.layer
    if isinstance(node, SequenceNode):
        return "sequence"
    if isinstance(node, OpNode):
        return node.op
    if isinstance(node, ExprNode):
        return "expr"
    if isinstance(node, UseNode):
        return f"use {node.use}"
    return f"block {node.block}"


_FORM_KEYS: Final = ("layer", "use", "block", "op", "from")


def _arguments(node: Node) -> tuple[tuple[str, Any], ...]:
    """Everything a node writes besides its form and `from`, flattened."""
    if isinstance(node, ExprNode):
        return (("expr", _normal_expr(node.expr)),)
    written = {k: v for k, v in _dump(node).items() if k not in _FORM_KEYS}
    return _fields(written)


def _refs(node: Node) -> Refs:
    if isinstance(node, ExprNode):
        return tuple(sorted(node.from_.items()))
    return tuple(node.from_)


def _definition(spec: Spec, name: str, node: Node) -> NodeFacts:
    """What a node's spec text says, nothing inferred (as for the nodes of a block body)."""
    return NodeFacts(
        name, node.label(spec), _form(node), _refs(node), _arguments(node), False, None, None
    )


def _output_shape(static: NodeStatic) -> OutputShape:
    if len(static.outputs) > 1:
        return tuple(static.outputs.items())
    return (("", static.shape),)


class _Side:
    """What one plan says about each name, computed once."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.spec = plan.spec
        graph = plan.top.graph
        self.order = plan.top.order  # every node, pruned ones too
        self.nodes = {name: self._facts(name, self.spec.nodes[name]) for name in self.order}
        # A use of a shared entry carries its weights only at the first use; per head they
        # count once, however many uses the head reads.
        self.weights: dict[str, int | None] = {}
        self.uses: dict[str, str] = {}
        first_use: dict[str, str] = {}
        for name in plan.top.live_order:
            node = self.spec.nodes[name]
            if isinstance(node, UseNode):
                self.uses[name] = node.use
                first_use.setdefault(node.use, name)
            else:
                self.weights[name] = self._params(name)
        self.shared_params = {entry: self._params(name) for entry, name in first_use.items()}
        self.reads = {name: list(graph.predecessors(name)) for name in graph}
        self.upstream: dict[str, int | None] = {}

    def _params(self, name: str) -> int | None:
        static = self.plan.static.get(name)
        return 0 if static is None else static.params

    def _facts(self, name: str, node: Node) -> NodeFacts:
        static = self.plan.static.get(name)
        return replace(
            _definition(self.spec, name, node),
            pruned=static is None,
            shape=None if static is None else _output_shape(static),
            params=self._params(name),
        )

    def head_params(self, head: str) -> int | None:
        """The parameters a head depends on; a shared entry's weights count once."""
        target = self.spec.outputs[head].from_.partition(".")[0]
        if target not in self.upstream:
            self.upstream[target] = self._params_upstream(target)
        return self.upstream[target]

    def _params_upstream(self, target: str) -> int | None:
        seen = {target}
        stack = [target]
        while stack:  # a plain walk: many heads on a deep graph make this the hot loop
            for source in self.reads[stack.pop()]:
                if source not in seen:
                    seen.add(source)
                    stack.append(source)
        total: int | None = 0
        entries = set()
        for name in seen:
            if name in self.uses:
                entries.add(self.uses[name])
            else:
                total = _add(total, self.weights.get(name, 0))  # an input has none
        for entry in entries:
            total = _add(total, self.shared_params.get(entry, 0))
        return total

    def totals(self) -> Totals:
        trainable, frozen = self.plan.trainable, self.plan.non_trainable
        total = None if trainable is None or frozen is None else trainable + frozen
        return Totals(total, trainable, frozen)

    def input_fields(self, name: str) -> tuple[tuple[str, Any], ...]:
        pruned = name in self.plan.top.pruned_inputs
        return (*_fields(_dump_all(self.spec.inputs[name])), ("pruned", pruned))

    def shared_fields(self, name: str) -> tuple[tuple[str, Any], ...]:
        pruned = name in self.plan.pruned_shared
        return (*_fields(_dump(self.spec.shared[name])), ("pruned", pruned))

    def head_fields(self, name: str) -> tuple[tuple[str, Any], ...]:
        return _fields(_dump(self.spec.outputs[name]))


def _add(total: int | None, more: int | None) -> int | None:
    return None if total is None or more is None else total + more


def _dump_all(model: Any) -> dict[str, Any]:
    """Every field, defaults included (an input's dtype is part of what it is)."""
    dumped: dict[str, Any] = model.model_dump(by_alias=True)
    return dumped


def _settings(spec: Spec) -> tuple[tuple[str, Any], ...]:
    written: dict[str, Any] = {"name": spec.name, "unreachable": spec.unreachable}
    if spec.compile is not None:
        written["compile"] = _dump(spec.compile)
    return _fields(written)


# ---- labels of entries only one side has ---------------------------------------------------------


def _input_label(spec: Spec, name: str) -> str:
    entry = spec.inputs[name]
    return f"{format_shape(tuple(entry.shape), batch=True)} {entry.dtype}"


def _shared_label(spec: Spec, name: str) -> str:
    entry = spec.shared[name]
    return entry.layer if isinstance(entry, SharedLayer) else f"block {entry.block}"


def _head_label(spec: Spec, name: str) -> str:
    head = spec.outputs[name]
    return ", ".join(
        part
        for part in (
            f"from {head.from_}",
            f"loss {head.loss}" if head.loss else "",
            f"loss_weight {head.loss_weight:g}" if head.loss_weight is not None else "",
        )
        if part
    )


Fields = tuple[tuple[str, Any], ...]


def _entries(
    names: Iterable[str],
    label: Callable[[Spec, str], str],
    spec: Spec,
    fields_of: Callable[[str], Fields],
) -> tuple[Entry, ...]:
    return tuple(Entry(name, label(spec, name), fields_of(name)) for name in names)


def _split(
    old: Mapping[str, Any], new: Mapping[str, Any]
) -> tuple[list[str], list[str], list[str]]:
    """Names only in new, only in old, and in both: each in its spec's order."""
    added = [name for name in new if name not in old]
    removed = [name for name in old if name not in new]
    common = [name for name in new if name in old]
    return added, removed, common


def _entry_changes(
    names: Iterable[str], old: Callable[[str], Fields], new: Callable[[str], Fields]
) -> tuple[EntryChange, ...]:
    found = (EntryChange(name, _compare(old(name), new(name))) for name in names)
    return tuple(change for change in found if change.changes)


# ---- nodes -------------------------------------------------------------------------------------


def _node_change(old: NodeFacts, new: NodeFacts) -> NodeChange | None:
    def delta(a: T, b: T) -> Delta[T] | None:
        return None if a == b else Delta(a, b)

    change = NodeChange(
        name=new.name,
        label=new.label,
        form=delta(old.form, new.form),
        refs=delta(old.refs, new.refs),
        arguments=_compare(old.arguments, new.arguments),
        shape=delta(old.shape, new.shape),
        params=delta(old.params, new.params),
        pruned=delta(old.pruned, new.pruned),
    )
    unchanged = NodeChange(new.name, new.label)
    return None if change == unchanged else change


def _block_node_entry(spec: Spec, name: str, node: Node) -> Entry:
    return Entry(name, node.label(spec), (("from", list(_refs(node))), *_arguments(node)))


def _block_change(old_plan: Plan, new_plan: Plan, name: str) -> BlockChange | None:
    old, new = old_plan.spec, new_plan.spec
    before, after = old.blocks[name], new.blocks[name]

    def outline(plan: Plan, block: Block) -> tuple[tuple[str, Any], ...]:
        written = {
            "params": block.params,
            "inputs": {key: _dump(value) for key, value in block.inputs.items()},
            "outputs": block.outputs,
        }
        return (*_fields(written), ("pruned", name in plan.pruned_blocks))

    added, removed, common = _split(before.nodes, after.nodes)
    changes = (
        _node_change(
            _definition(old, node_name, before.nodes[node_name]),
            _definition(new, node_name, after.nodes[node_name]),
        )
        for node_name in common
    )
    result = BlockChange(
        name,
        _compare(outline(old_plan, before), outline(new_plan, after)),
        tuple(_block_node_entry(new, n, after.nodes[n]) for n in added),
        tuple(_block_node_entry(old, n, before.nodes[n]) for n in removed),
        tuple(change for change in changes if change is not None),
    )
    return result if result != BlockChange(name, ()) else None


def _block_entry(plan: Plan, name: str) -> Entry:
    block = plan.spec.blocks[name]
    label = f"{len(block.nodes)} node(s)" + (", pruned" if name in plan.pruned_blocks else "")
    return Entry(name, label, _fields({"params": block.params, "outputs": block.outputs}))


# ---- the diff ----------------------------------------------------------------------------------


def diff_plans(old: Plan, new: Plan) -> SpecDiff:
    """The structural difference of two analysed specs (their Plans, shapes inferred)."""
    a, b = _Side(old), _Side(new)
    spec_a, spec_b = old.spec, new.spec

    in_added, in_removed, in_common = _split(spec_a.inputs, spec_b.inputs)
    sh_added, sh_removed, sh_common = _split(spec_a.shared, spec_b.shared)
    bl_added, bl_removed, bl_common = _split(spec_a.blocks, spec_b.blocks)
    hd_added, hd_removed, hd_common = _split(spec_a.outputs, spec_b.outputs)

    blocks_changed = (_block_change(old, new, name) for name in bl_common)
    nodes_changed = (_node_change(a.nodes[n], b.nodes[n]) for n in b.order if n in a.nodes)

    heads = [
        HeadTotals(
            name,
            name in spec_a.outputs,
            name in spec_b.outputs,
            a.head_params(name) if name in spec_a.outputs else None,
            b.head_params(name) if name in spec_b.outputs else None,
            old.head_shapes.get(name),
            new.head_shapes.get(name),
        )
        for name in (*spec_b.outputs, *hd_removed)
    ]

    return SpecDiff(
        old_file=_file_of(spec_a),
        new_file=_file_of(spec_b),
        old_name=spec_a.name,
        new_name=spec_b.name,
        settings=_compare(_settings(spec_a), _settings(spec_b)),
        inputs_added=_entries(in_added, _input_label, spec_b, b.input_fields),
        inputs_removed=_entries(in_removed, _input_label, spec_a, a.input_fields),
        inputs_changed=_entry_changes(in_common, a.input_fields, b.input_fields),
        shared_added=_entries(sh_added, _shared_label, spec_b, b.shared_fields),
        shared_removed=_entries(sh_removed, _shared_label, spec_a, a.shared_fields),
        shared_changed=_entry_changes(sh_common, a.shared_fields, b.shared_fields),
        blocks_added=tuple(_block_entry(new, n) for n in bl_added),
        blocks_removed=tuple(_block_entry(old, n) for n in bl_removed),
        blocks_changed=tuple(change for change in blocks_changed if change is not None),
        nodes_added=tuple(b.nodes[name] for name in b.order if name not in a.nodes),
        nodes_removed=tuple(a.nodes[name] for name in a.order if name not in b.nodes),
        nodes_changed=tuple(change for change in nodes_changed if change is not None),
        heads_added=_entries(hd_added, _head_label, spec_b, b.head_fields),
        heads_removed=_entries(hd_removed, _head_label, spec_a, a.head_fields),
        heads_changed=_entry_changes(hd_common, a.head_fields, b.head_fields),
        head_totals=tuple(heads),
        old_totals=a.totals(),
        new_totals=b.totals(),
        new_order=b.order,
    )


def _file_of(spec: Spec) -> str:
    return spec.source.file if spec.source else "<spec>"


def _sound(spec: Spec | Report | str | Path, strict: bool) -> Plan:
    report = spec if isinstance(spec, Report) else check(spec, strict=strict)
    if report.plan is None:
        raise SpecError(report.diagnostics)
    return report.plan


def diff_specs(
    old: Spec | Report | str | Path, new: Spec | Report | str | Path, strict: bool = False
) -> SpecDiff:
    """Check two specs (files, Specs or Reports) and compare them; SpecError if one has errors."""
    return diff_plans(_sound(old, strict), _sound(new, strict))


# ---- text --------------------------------------------------------------------------------------

_BARE = re.compile(r"[A-Za-z_$][\w.${}-]*")


def _show(value: Any) -> str:
    """A value as a spec would write it, in flow style, at most MAX_VALUE characters."""
    text = _flow(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _flow(value: Any) -> str:
    if value is UNSET:
        return "(unset)"
    if isinstance(value, str):
        plain = _BARE.fullmatch(value) and value not in ("null", "true", "false")
        return value if plain else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def _refs_text(refs: Refs) -> str:
    if refs and isinstance(refs[0], tuple):
        return "{" + ", ".join(f"{key}: {ref}" for key, ref in refs) + "}"
    return str(refs[0]) if len(refs) == 1 else "[" + ", ".join(str(r) for r in refs) + "]"


def _shape_text(shape: OutputShape | None) -> str:
    if shape is None:
        return "-"
    if len(shape) == 1 and not shape[0][0]:
        return format_shape(shape[0][1], batch=True)
    return ", ".join(f"{name} {format_shape(value, batch=True)}" for name, value in shape)


def _count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _signed(old: int | None, new: int | None) -> str:
    if old is None or new is None:
        return "?"
    return f"{new - old:+,}" if new != old else "0"


def _value_change(change: ValueChange) -> str:
    return f"{change.path} {_show(change.old)} -> {_show(change.new)}"


def _label(text: str) -> str:
    """A node's label, a long sequence's chain cut short."""
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _node_line(mark: str, facts: NodeFacts) -> str:
    what = f"{mark} node {facts.name}: {_label(facts.label)}"
    if facts.pruned:
        return f"{what}, pruned"
    return f"{what} {_shape_text(facts.shape)}, {_count(facts.params)} params"


def _node_change_text(change: NodeChange) -> str:
    parts = []
    if change.form:
        parts.append(f"{change.form.old} -> {change.form.new}")
    if change.refs:
        parts.append(f"from {_refs_text(change.refs.old)} -> {_refs_text(change.refs.new)}")
    parts += [_value_change(argument) for argument in change.arguments]
    if change.pruned:
        parts.append(
            "now pruned (no head depends on it)" if change.pruned.new else "no longer pruned"
        )
    elif change.shape:
        parts.append(f"shape {_shape_text(change.shape.old)} -> {_shape_text(change.shape.new)}")
    if change.params:
        parts.append(f"params {_count(change.params.old)} -> {_count(change.params.new)}")
    return f"~ node {change.name}: " + "; ".join(parts)


def _entry_lines(
    kind: str, added: Iterable[Entry], removed: Iterable[Entry], changed: Iterable[EntryChange]
) -> list[str]:
    lines = [f"- {kind} {entry.name}: {entry.label}" for entry in removed]
    lines += [f"+ {kind} {entry.name}: {entry.label}" for entry in added]
    lines += [
        f"~ {kind} {change.name}: " + "; ".join(_value_change(c) for c in change.changes)
        for change in changed
    ]
    return lines


def _block_lines(change: BlockChange) -> list[str]:
    head = f"~ block {change.name}"
    lines = [
        head + (": " + "; ".join(map(_value_change, change.changes)) if change.changes else "")
    ]
    lines += [f"    - node {entry.name}: {entry.label}" for entry in change.nodes_removed]
    lines += [f"    + node {entry.name}: {entry.label}" for entry in change.nodes_added]
    lines += ["    " + _node_change_text(node) for node in change.nodes_changed]
    return lines


def _head_table(diff: SpecDiff) -> list[str]:
    header = ("head", "params before", "params after", "delta", "output shape")
    rows = [header]
    for head in diff.head_totals:
        old_shape = format_shape(head.old_shape, batch=True) if head.in_old else "-"
        new_shape = format_shape(head.new_shape, batch=True) if head.in_new else "-"
        rows.append(
            (
                head.name,
                _count(head.old_params) if head.in_old else "-",
                _count(head.new_params) if head.in_new else "-",
                _signed(head.old_params, head.new_params) if head.in_old and head.in_new else "-",
                old_shape if old_shape == new_shape else f"{old_shape} -> {new_shape}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        cells = [
            row[0].ljust(widths[0]),
            *(cell.rjust(w) for cell, w in zip(row[1:4], widths[1:], strict=True)),
        ]
        lines.append("  ".join([*cells, row[4]]).rstrip())
    return lines


def format_diff(diff: SpecDiff) -> list[str]:
    """The lines `graphspec diff` prints: `-` removed, `+` added, `~` changed, then the heads.

    Spec-controlled text is raw here: escape each line before printing it to a terminal.
    """
    lines = [f"--- {diff.old_file} ({diff.old_name})", f"+++ {diff.new_file} ({diff.new_name})"]
    if diff.identical:
        return [*lines, "no structural differences"]
    lines += [f"~ {c.path}: {_show(c.old)} -> {_show(c.new)}" for c in diff.settings]
    lines += _entry_lines("input", diff.inputs_added, diff.inputs_removed, diff.inputs_changed)
    lines += _entry_lines("shared", diff.shared_added, diff.shared_removed, diff.shared_changed)
    lines += [f"- block {entry.name}: {entry.label}" for entry in diff.blocks_removed]
    lines += [f"+ block {entry.name}: {entry.label}" for entry in diff.blocks_added]
    for block in diff.blocks_changed:
        lines += _block_lines(block)
    lines += [_node_line("-", facts) for facts in diff.nodes_removed]
    changed = {change.name: change for change in diff.nodes_changed}
    added = {facts.name: facts for facts in diff.nodes_added}
    for name in _merged_order(diff):
        lines.append(
            _node_change_text(changed[name]) if name in changed else _node_line("+", added[name])
        )
    lines += _entry_lines("head", diff.heads_added, diff.heads_removed, diff.heads_changed)
    lines += ["", *_head_table(diff)]
    old, new = diff.old_totals.params, diff.new_totals.params
    if old == new:
        lines.append(f"total params: {_count(new)} (unchanged)")
    else:
        lines.append(f"total params: {_count(old)} -> {_count(new)} ({_signed(old, new)})")
    return lines


def _merged_order(diff: SpecDiff) -> list[str]:
    """Added and changed nodes together, in the new spec's topological order."""
    shown = {c.name for c in diff.nodes_changed} | {f.name for f in diff.nodes_added}
    return [name for name in diff.new_order if name in shown]


# ---- JSON --------------------------------------------------------------------------------------


def _json_shape(shape: OutputShape | Shape | None) -> Any:
    """Keras' convention: batch first (null); several block outputs as a mapping by name."""
    if shape is None:
        return None
    if shape and isinstance(shape[0], tuple):
        pairs: OutputShape = shape
        if len(pairs) == 1 and not pairs[0][0]:
            return _json_shape(pairs[0][1])
        return {name: _json_shape(value) for name, value in pairs}
    return [None, *shape]


def _json_refs(refs: Refs) -> Any:
    if refs and isinstance(refs[0], tuple):
        return {key: ref for key, ref in refs}
    return list(refs)


def _json_change(change: ValueChange) -> dict[str, Any]:
    found: dict[str, Any] = {"path": change.path}
    if change.old is not UNSET:
        found["old"] = change.old
    if change.new is not UNSET:
        found["new"] = change.new
    return found


def _json_delta(delta: Delta[Any] | None, convert: Any = None) -> dict[str, Any] | None:
    if delta is None:
        return None
    if convert is None:
        return {"old": delta.old, "new": delta.new}
    return {"old": convert(delta.old), "new": convert(delta.new)}


def _json_entry(entry: Entry) -> dict[str, Any]:
    return {"name": entry.name, "label": entry.label, "definition": dict(entry.fields)}


def _json_entry_change(change: EntryChange) -> dict[str, Any]:
    return {"name": change.name, "changes": [_json_change(c) for c in change.changes]}


def _json_node(facts: NodeFacts) -> dict[str, Any]:
    return {
        "name": facts.name,
        "label": facts.label,
        "form": facts.form,
        "from": _json_refs(facts.refs),
        "arguments": dict(facts.arguments),
        "pruned": facts.pruned,
        "shape": _json_shape(facts.shape),
        "params": facts.params,
    }


def _json_node_change(change: NodeChange) -> dict[str, Any]:
    return {
        "name": change.name,
        "label": change.label,
        "edited": change.edited,
        "form": _json_delta(change.form),
        "from": _json_delta(change.refs, _json_refs),
        "arguments": [_json_change(c) for c in change.arguments],
        "shape": _json_delta(change.shape, _json_shape),
        "params": _json_delta(change.params),
        "pruned": _json_delta(change.pruned),
    }


def _json_section(
    added: Iterable[Entry], removed: Iterable[Entry], changed: Iterable[EntryChange]
) -> dict[str, Any]:
    return {
        "added": [_json_entry(e) for e in added],
        "removed": [_json_entry(e) for e in removed],
        "changed": [_json_entry_change(c) for c in changed],
    }


def _json_head(head: HeadTotals) -> dict[str, Any]:
    def side(present: bool, params: int | None, shape: Shape | None) -> Any:
        return {"params": params, "shape": _json_shape(shape)} if present else None

    both = head.in_old and head.in_new and None not in (head.old_params, head.new_params)
    return {
        "name": head.name,
        "old": side(head.in_old, head.old_params, head.old_shape),
        "new": side(head.in_new, head.new_params, head.new_shape),
        "delta": (head.new_params or 0) - (head.old_params or 0) if both else None,
    }


def diff_json(diff: SpecDiff) -> dict[str, Any]:
    """The document `graphspec diff --format json` prints (described in README.md)."""

    def model(file: str, name: str, totals: Totals) -> dict[str, Any]:
        return {
            "file": file,
            "name": name,
            "params": totals.params,
            "trainable": totals.trainable,
            "non_trainable": totals.non_trainable,
        }

    return {
        "version": JSON_VERSION,
        "status": "identical" if diff.identical else "different",
        "old": model(diff.old_file, diff.old_name, diff.old_totals),
        "new": model(diff.new_file, diff.new_name, diff.new_totals),
        "settings": [_json_change(c) for c in diff.settings],
        "inputs": _json_section(diff.inputs_added, diff.inputs_removed, diff.inputs_changed),
        "shared": _json_section(diff.shared_added, diff.shared_removed, diff.shared_changed),
        "blocks": {
            "added": [_json_entry(e) for e in diff.blocks_added],
            "removed": [_json_entry(e) for e in diff.blocks_removed],
            "changed": [
                {
                    "name": block.name,
                    "changes": [_json_change(c) for c in block.changes],
                    "nodes": {
                        "added": [_json_entry(e) for e in block.nodes_added],
                        "removed": [_json_entry(e) for e in block.nodes_removed],
                        "changed": [_json_node_change(n) for n in block.nodes_changed],
                    },
                }
                for block in diff.blocks_changed
            ],
        },
        "nodes": {
            "added": [_json_node(f) for f in diff.nodes_added],
            "removed": [_json_node(f) for f in diff.nodes_removed],
            "changed": [_json_node_change(c) for c in diff.nodes_changed],
        },
        "heads": {
            **_json_section(diff.heads_added, diff.heads_removed, diff.heads_changed),
            "totals": [_json_head(h) for h in diff.head_totals],
        },
    }
