"""Repeated sub-structures of an imported graph as one repeated inline block.

Keras code builds a stack of identical units in a loop and names each unit's layers after the
loop's counter: Xception's middle flow is eight residual units whose layers are
``block5_sepconv1_act`` ... ``block12_sepconv3_bn``. A person writes that as one block and one
instance with ``repeat`` (``each:`` where a number changes per unit) and a ``names:`` pattern
that gives the same layer names (``block{n+4}_{node}``), so that is what the import writes,
when it keeps the built model's layers, names, arguments and connections as they were:

- a *unit* is a contiguous run of the scope's calls whose layers are named ``P<k>S<node>``
  for one prefix ``P``, one number ``k`` and a separator ``S`` (``_`` or nothing), ``<node>``
  an identifier; a layer Keras named automatically (``add_3``: Xception's ``layers.add`` has no
  name) and that holds no weights joins the unit it reads from, and is named by the pattern
  (``block5_add``), which the import reports as a note and records in `Imported.layer_names`;
- a unit reads one tensor from outside and only its last layer is read from outside; the next
  unit reads exactly that (a residual connection inside a unit is fine);
- consecutive units numbered ``k``, ``k+1``, ... are folded when they are the same layers with
  the same wiring and the same arguments, except top-level numeric arguments of a layer, which
  become block parameters given per repetition with ``each:``;
- nothing inside the run is a model output, a nested model or a shared layer.

The module works on spec nodes only (no Keras), before chains are folded into sequences.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphspec.analyse.names import format_names
from graphspec.spec.base import IDENTIFIER
from graphspec.spec.forms import BlockNode, LayerNode, Node, OpNode

__all__ = ["Entry", "Fold", "find_folds"]

WEIGHTLESS_LAYERS = frozenset(
    {
        "Activation",
        "Add",
        "Average",
        "Concatenate",
        "Cropping1D",
        "Cropping2D",
        "Dropout",
        "Flatten",
        "Identity",
        "LeakyReLU",
        "Maximum",
        "Minimum",
        "Multiply",
        "Permute",
        "ReLU",
        "Reshape",
        "Softmax",
        "SpatialDropout1D",
        "SpatialDropout2D",
        "Subtract",
        "ZeroPadding1D",
        "ZeroPadding2D",
    }
)
"""Layer classes without weights: a layer of these Keras named automatically may be renamed
by the pattern (a weight file that loads by name has nothing for it)."""
MIN_REPEAT = 2
_SOURCE = "\0x"
"""How a canonical unit refers to the tensor it reads from outside (no node's name)."""


@dataclass(frozen=True)
class Entry:
    """One node of a scope, in the order of the Keras config."""

    name: str
    """Its spec name."""
    keras: str
    """The Keras layer's name."""
    kind: str
    """The Keras class name (``Add``, ``Dense``)."""
    node: Node


@dataclass(frozen=True)
class Fold:
    """A run ``entries[start:stop]`` written as one repeated inline block instance."""

    start: int
    stop: int
    instance: str
    node: BlockNode
    block_name: str
    params: dict[str, Any]
    input_name: str
    nodes: list[tuple[str, Node]]
    """The block's nodes, unfolded (the caller folds chains into sequences)."""
    output: str
    """The block node giving the unit's output."""
    renamed: dict[str, str] = field(default_factory=dict)
    """Keras name → the name the pattern gives it, for automatically named layers."""


@dataclass(frozen=True)
class _Unit:
    positions: tuple[int, ...]
    parts: tuple[str, ...]
    """Each member's ``{node}`` part, in order."""
    source: str
    """The reference the unit reads from outside."""

    @property
    def last(self) -> int:
        return self.positions[-1]


_AUTO_NAME = re.compile(r"(?P<base>[a-z][a-z0-9_]*?)(?:_[0-9]+)?")


def snake_case(kind: str) -> str:
    """Keras' automatic name for a class, a layer's or a loss's or metric's
    (`keras.src.utils.naming.to_snake_case`)."""
    name = re.sub(r"\W+", "", kind)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _auto_part(entry: Entry) -> str | None:
    """The ``{node}`` part of a weightless layer Keras named itself (``add_3`` → ``add``)."""
    if isinstance(entry.node, LayerNode) and entry.node.layer not in WEIGHTLESS_LAYERS:
        return None
    if not isinstance(entry.node, LayerNode | OpNode):
        return None
    base = snake_case(entry.kind)
    match = _AUTO_NAME.fullmatch(entry.keras)
    return base if match is not None and match.group("base") == base else None


def _named_part(entry: Entry, prefix: str, separator: str, number: int) -> str | None:
    """The ``{node}`` part of ``entry``'s name as ``<prefix><number><separator><node>``."""
    head = f"{prefix}{number}{separator}"
    if not isinstance(entry.node, LayerNode | OpNode):
        return None  # a unit is layers and merges (no expression, nested model or shared use)
    if entry.name != entry.keras or not entry.name.startswith(head):
        return None
    part = entry.name[len(head) :]
    rest = entry.name[len(prefix) + len(str(number)) :]
    if rest[:1].isdigit() or not re.match(IDENTIFIER, part):
        return None
    return part


def _keys(entry: Entry) -> list[tuple[str, str, int]]:
    """Every (prefix, separator, number) ``entry``'s name can be read as."""
    keys = []
    for match in re.finditer(r"[0-9]+", entry.name):
        digits = match.group()
        if str(int(digits)) != digits or match.start() == 0:
            continue
        rest = entry.name[match.end() :]
        separator = "_" if rest.startswith("_") else ""
        key = (entry.name[: match.start()], separator, int(digits))
        if _named_part(entry, *key) is not None:
            keys.append(key)
    return keys


def _producer(ref: str) -> str:
    return ref.partition(".")[0]


class _Graph:
    """The scope's nodes and who reads each."""

    def __init__(self, entries: Sequence[Entry], outputs: set[str]) -> None:
        self.entries = entries
        self.outputs = outputs
        self.readers: dict[str, set[int]] = {}
        for index, entry in enumerate(entries):
            for ref, _ in entry.node.refs():
                self.readers.setdefault(_producer(ref), set()).add(index)

    def unit(self, start: int, key: tuple[str, str, int], size: int | None) -> _Unit | None:
        """The unit of number ``key[2]`` starting at ``start``, of ``size`` members when
        given (a trailing layer Keras named itself may then be left to what follows); None
        when more layers so numbered follow, or it reads more than one outside tensor, or is
        read other than at its last member."""
        positions: list[int] = []
        parts: list[str] = []
        index = start
        while index < len(self.entries) and (size is None or len(positions) < size):
            entry = self.entries[index]
            part = _named_part(entry, *key)
            if part is None and positions:
                inside = {self.entries[p].name for p in positions}
                auto = _auto_part(entry)
                reads = {_producer(ref) for ref, _ in entry.node.refs()}
                part = auto if auto is not None and reads & inside else None
            if part is None or part in parts:
                break
            positions.append(index)
            parts.append(part)
            index += 1
        if not positions or (size is not None and len(positions) != size):
            return None
        if index < len(self.entries) and _named_part(self.entries[index], *key) is not None:
            return None  # the unit goes on: a longer stage of the same names is no repetition
        members = {self.entries[p].name for p in positions}
        sources = {
            ref
            for p in positions
            for ref, _ in self.entries[p].node.refs()
            if _producer(ref) not in members
        }
        if len(sources) != 1:
            return None
        for p in positions[:-1]:
            if not self.readers.get(self.entries[p].name, set()) <= set(positions):
                return None
        if members & self.outputs:
            return None
        if any("." in ref for p in positions for ref, _ in self.entries[p].node.refs()):
            return None
        return _Unit(tuple(positions), tuple(parts), next(iter(sources)))

    def canonical(self, unit: _Unit) -> list[dict[str, Any]]:
        """The unit's nodes with references by part (``x`` for the outside tensor)."""
        part_of = {
            self.entries[p].name: part for p, part in zip(unit.positions, unit.parts, strict=True)
        }
        part_of[unit.source] = _SOURCE
        dumped = []
        for p in unit.positions:
            data = self.entries[p].node.model_dump(by_alias=True, exclude_defaults=True)
            data["from"] = [part_of[ref] for ref in data["from"]]
            dumped.append(data)
        return dumped


def _differences(first: Mapping[str, Any], other: Mapping[str, Any]) -> set[str] | None:
    """The top-level arguments where two dumped nodes differ by numbers only; None when they
    differ otherwise."""
    if first.keys() != other.keys():
        return None
    varying = set()
    for key, value in first.items():
        if value == other[key] and type(value) is type(other[key]):
            continue
        if key in ("layer", "from") or not (_is_number(value) and _is_number(other[key])):
            return None
        varying.add(key)
    return varying


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass
class _Run:
    key: tuple[str, str, int]
    units: list[_Unit]
    varying: set[tuple[int, str]]
    """(member index, argument) pairs that change across the units."""


def _run(graph: _Graph, start: int, key: tuple[str, str, int]) -> _Run | None:
    """The longest run of matching units from ``start``, numbered from ``key[2]``."""
    first = graph.unit(start, key, None)
    if first is None:
        return None
    shape = graph.canonical(first)
    units = [first]
    varying: set[tuple[int, str]] = set()
    while True:
        previous = units[-1]
        number = key[2] + len(units)
        following = graph.unit(previous.last + 1, (key[0], key[1], number), len(first.positions))
        if (
            following is None
            or following.parts != first.parts
            or following.source != graph.entries[previous.last].name
            or not graph.readers.get(following.source, set()) <= set(following.positions)
        ):
            break
        found = _unit_differences(shape, graph.canonical(following))
        if found is None:
            break
        units.append(following)
        varying |= found
    if len(units) < MIN_REPEAT:
        return None
    return _Run(key, units, varying)


def _unit_differences(
    first: Sequence[Mapping[str, Any]], other: Sequence[Mapping[str, Any]]
) -> set[tuple[int, str]] | None:
    found: set[tuple[int, str]] = set()
    for index, (mine, theirs) in enumerate(zip(first, other, strict=True)):
        differing = _differences(mine, theirs)
        if differing is None or (differing and "layer" not in mine):
            return None  # only a layer's arguments may vary (an op's are no parameters)
        found |= {(index, key) for key in differing}
    return found


def _pattern(prefix: str, separator: str, number: int) -> str:
    offset = number - 1
    field = "{n}" if offset == 0 else f"{{n+{offset}}}" if offset > 0 else f"{{n{offset}}}"
    return f"{prefix}{field}{separator}{{node}}"


def find_folds(
    entries: Sequence[Entry],
    outputs: set[str],
    taken: set[str],
    fresh: Callable[[str], str],
) -> list[Fold]:
    """The runs of ``entries`` (one scope's nodes, in config order) to write as repeated
    inline blocks, in order; ``outputs``: the nodes the model's outputs read; ``taken``: the
    names in use; ``fresh``: a new unique name close to the one asked for."""
    graph = _Graph(entries, outputs)
    folds: list[Fold] = []
    index = 0
    while index < len(entries):
        runs = [run for key in _keys(entries[index]) if (run := _run(graph, index, key))]
        best = max(runs, key=lambda run: len(run.units) * len(run.units[0].positions), default=None)
        fold = _fold(graph, best, taken, fresh) if best is not None else None
        if fold is None:
            index += 1
            continue
        folds.append(fold)
        index = fold.stop
    return folds


def _fold(graph: _Graph, run: _Run, taken: set[str], fresh: Callable[[str], str]) -> Fold | None:
    """The block and instance for ``run``; None when a renamed layer's name is taken."""
    prefix, separator, number = run.key
    pattern = _pattern(prefix, separator, number)
    first = run.units[0]
    renamed: dict[str, str] = {}
    for copy, unit in enumerate(run.units):
        for p, part in zip(unit.positions, unit.parts, strict=True):
            entry = graph.entries[p]
            name = format_names(pattern, "", copy + 1, part)
            if name != entry.name:
                if name in taken:
                    return None
                renamed[entry.keras] = name
    input_name = next(n for n in ("x", "x_in", "inputs", "unit_input") if n not in first.parts)
    nodes, params, each = _block_nodes(graph, run, input_name)
    taken.update(renamed.values())
    stem = prefix.rstrip("_") or "unit"
    block_name = fresh(f"{stem}_unit")
    last_number = number + len(run.units) - 1
    instance = fresh(f"{prefix}{number}_to_{last_number}")
    instance_node = BlockNode.model_validate(
        {
            "block": block_name,
            "from": [first.source],
            **({"each": each} if each else {"repeat": len(run.units)}),
            "names": pattern,
        }
    )
    return Fold(
        start=first.positions[0],
        stop=run.units[-1].last + 1,
        instance=instance,
        node=instance_node,
        block_name=block_name,
        params=params,
        input_name=input_name,
        nodes=nodes,
        output=first.parts[-1],
        renamed=renamed,
    )


def _block_nodes(
    graph: _Graph, run: _Run, input_name: str
) -> tuple[list[tuple[str, Node]], dict[str, Any], dict[str, list[Any]]]:
    """The first unit's nodes as the block's, each varying argument a `${param}`; the
    params' defaults (the first unit's values) and their values per repetition."""
    first = run.units[0]
    values = {
        (index, argument): [
            graph.entries[unit.positions[index]].node.model_dump(by_alias=True)[argument]
            for unit in run.units
        ]
        for index, argument in sorted(run.varying)
    }
    lists: dict[str, set[tuple[tuple[str, Any], ...]]] = {}
    for (_, argument), numbers in values.items():
        lists.setdefault(argument, set()).add(tuple((type(v).__name__, v) for v in numbers))
    each: dict[str, list[Any]] = {}
    param_of: dict[tuple[int, str], str] = {}
    for (index, argument), numbers in values.items():
        # one parameter for an argument that varies alike wherever it varies (VGG's filters)
        param = argument if len(lists[argument]) == 1 else f"{first.parts[index]}_{argument}"
        param_of[index, argument] = param
        each[param] = numbers
    nodes: list[tuple[str, Node]] = []
    for index, (part, data) in enumerate(zip(first.parts, graph.canonical(first), strict=True)):
        data["from"] = [input_name if ref == _SOURCE else ref for ref in data["from"]]
        for (member, argument), param in param_of.items():
            if member == index:
                data[argument] = f"${{{param}}}"
        node = graph.entries[first.positions[index]].node
        nodes.append((part, type(node).model_validate(data)))
    return nodes, {param: values[0] for param, values in each.items()}, each
