"""Hypothesis strategies that draw small, valid graphspec specs, and single mutations of them.

`valid_specs()` draws a `GenSpec`: 1–2 inputs (vectors ``(d,)`` or small images ``(h, w, c)``),
then up to a handful of nodes, each reading only earlier nodes or inputs (so the graph is
acyclic by construction): Dense, Activation, Dropout, BatchNormalization, Conv2D,
MaxPooling2D, Flatten, ``sequence`` chains, merges of equal shapes (add, subtract, multiply,
average, maximum, minimum), ``concatenate`` of shapes equal but for the last axis, ``expr``
nodes over equal shapes, ``shared`` layers (and a shared block instance) used 2–3 times, and a
``block`` with ``params``/``${units}`` instantiated 1–2 times (sometimes with ``repeat``).
Every tensor is tracked with its static shape and the parameters it adds, so the generator is
an oracle independent of graphspec. Whatever no node reads is flattened (images) and joined by
a ``concatenate`` into the head, or becomes a second head, so nothing is pruned unless the
spec deliberately carries one extra unconnected node (`GenSpec.unconnected`).

`GenSpec.render()` writes YAML with one entry per line (flow mappings), and returns the line of
every input, shared entry, block node, node and head, so a test knows where a diagnostic
about a mutated entry must point. `mutated_specs()` applies one mutation (a missing required
key, a wrongly typed value, a dangling reference, a back edge that closes a cycle, or a
duplicate name) and says which lines an error must be on.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

Shape = tuple[int, ...]

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n"}

BLOCK = "blk"
"""The block that block nodes instantiate (Dense(${units}), maybe an Activation); its input
``x`` takes its shape from the caller. Each shared block entry ``sK`` gets its own block
``sK_blk`` whose input declares its shape (the regression test in `test_properties.py` covers
a shared block whose shape comes from its first use)."""

# --------------------------------------------------------------------------- rendering


def render_value(value: Any) -> str:
    """A value as YAML flow text (identifiers plain, other strings JSON-quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        if _PLAIN.match(value) and value.lower() not in _YAML_WORDS:
            return value
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(render_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {render_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot render {value!r}")


# --------------------------------------------------------------------------- the model


@dataclass
class BlockDef:
    """A block: Dense(${units}) on input ``x`` (shape declared or from the caller)."""

    default_units: int
    nodes: dict[str, dict[str, Any]]
    shape: Shape | None = None


@dataclass
class Node:
    """One top-level node: its body (as written), output shape, what it reads, its params."""

    name: str
    body: dict[str, Any]
    shape: Shape
    reads: list[str]
    trainable: int = 0
    non_trainable: int = 0


@dataclass
class GenSpec:
    """A drawn spec and everything the generator knows about it."""

    inputs: dict[str, Shape] = field(default_factory=dict)
    shared: dict[str, dict[str, Any]] = field(default_factory=dict)
    shared_params: dict[str, tuple[int, int]] = field(default_factory=dict)
    blocks: dict[str, BlockDef] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    heads: dict[str, str] = field(default_factory=dict)
    unconnected: str | None = None
    """The name of a node that deliberately feeds no head (one GS401 warning), if any."""

    # ---- what the generator expects of graphspec and Keras

    def shape_of(self, ref: str) -> Shape:
        if ref in self.inputs:
            return self.inputs[ref]
        return next(n.shape for n in self.nodes if n.name == ref)

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    @property
    def head_shapes(self) -> dict[str, Shape]:
        return {head: self.shape_of(ref) for head, ref in self.heads.items()}

    def _live(self) -> set[str]:
        live: set[str] = set()
        todo = list(self.heads.values())
        while todo:
            ref = todo.pop()
            if ref in live:
                continue
            live.add(ref)
            if ref not in self.inputs:
                todo.extend(self.node(ref).reads)
        return live

    @property
    def params(self) -> tuple[int, int]:
        """(trainable, non-trainable) of the model: live nodes, each shared entry once."""
        live = self._live()
        trainable = non_trainable = 0
        used_shared: set[str] = set()
        for node in self.nodes:
            if node.name not in live:
                continue
            trainable += node.trainable
            non_trainable += node.non_trainable
            if "use" in node.body:
                used_shared.add(node.body["use"])
        for name in used_shared:
            t, nt = self.shared_params[name]
            trainable += t
            non_trainable += nt
        return trainable, non_trainable

    def descendants(self, name: str) -> set[str]:
        """Nodes that read `name`, directly or not."""
        found: set[str] = set()
        changed = True
        while changed:
            changed = False
            for node in self.nodes:
                if node.name not in found and any(r == name or r in found for r in node.reads):
                    found.add(node.name)
                    changed = True
        return found

    # ---- text

    def render(self) -> tuple[str, dict[str, int]]:
        """The YAML text and the 1-based line of every entry, keyed ``section.name``."""
        lines = ["graphspec: 1", "name: prop"]
        where: dict[str, int] = {}

        def add(key: str, text: str) -> None:
            lines.append(text)
            where[key] = len(lines)

        lines.append("inputs:")
        for name, shape in self.inputs.items():
            add(f"inputs.{name}", f"  {name}: {render_value({'shape': list(shape)})}")
        if self.shared:
            lines.append("shared:")
            for name, body in self.shared.items():
                add(f"shared.{name}", f"  {name}: {render_value(body)}")
        if self.blocks:
            lines.append("blocks:")
        for block, define in self.blocks.items():
            add(f"blocks.{block}", f"  {block}:")
            given = {} if define.shape is None else {"shape": list(define.shape)}
            lines += [
                f"    params: {{units: {define.default_units}}}",
                f"    inputs: {{x: {render_value(given)}}}",
                "    nodes:",
            ]
            for name, body in define.nodes.items():
                add(f"blocks.{block}.nodes.{name}", f"      {name}: {render_value(body)}")
            lines.append(f"    outputs: {{y: {list(define.nodes)[-1]}}}")
        lines.append("nodes:")
        for node in self.nodes:
            add(f"nodes.{node.name}", f"  {node.name}: {render_value(node.body)}")
        lines.append("outputs:")
        for head, ref in self.heads.items():
            add(f"outputs.{head}", f"  {head}: {ref}")
        return "\n".join(lines) + "\n", where

    @property
    def text(self) -> str:
        return self.render()[0]


# --------------------------------------------------------------------------- shape rules


def dense_params(shape: Shape, units: int, bias: bool = True) -> int:
    return shape[-1] * units + (units if bias else 0)


def conv_out(size: int, kernel: int, stride: int, padding: str) -> int:
    if padding == "same":
        return math.ceil(size / stride)
    return (size - kernel) // stride + 1


_ACTIVATIONS = ["relu", "tanh", "sigmoid", "linear", "elu"]
_MERGES = ["add", "subtract", "multiply", "average", "maximum", "minimum"]
_EXPRS = ["(a + b) / 2", "a * b - a", "a - b * 2", "(a + b) ** 2"]


@dataclass
class _Step:
    """One layer as drawn for a node or a sequence item: its args, shape and params."""

    args: dict[str, Any]
    shape: Shape
    trainable: int = 0
    non_trainable: int = 0


@st.composite
def _layer_step(draw: st.DrawFn, shape: Shape, keep: str = "") -> _Step:
    """A single-input layer that accepts `shape`.

    `keep` "shape": the output has the input's shape; "rank": all but the last axis kept.
    """
    kinds = ["Dense", "Activation", "Dropout", "BatchNormalization"]
    if len(shape) == 3:
        kinds = ["Conv2D", "Conv2D", "MaxPooling2D", "Flatten", *kinds]
        if shape[0] < 2 or shape[1] < 2 or keep:
            kinds.remove("MaxPooling2D")
        if keep:
            kinds.remove("Flatten")
    kind = draw(st.sampled_from(kinds))
    if kind == "Dense":
        units = shape[-1] if keep == "shape" else draw(st.integers(1, 8))
        args: dict[str, Any] = {"layer": "Dense", "units": units}
        if draw(st.booleans()):
            args["activation"] = draw(st.sampled_from(_ACTIVATIONS))
        bias = True
        if not draw(st.integers(0, 4)):
            bias = False
            args["use_bias"] = False
        return _Step(args, (*shape[:-1], units), dense_params(shape, units, bias))
    if kind == "Activation":
        activation = draw(st.sampled_from([*_ACTIVATIONS, "softmax"]))
        return _Step({"layer": "Activation", "activation": activation}, shape)
    if kind == "Dropout":
        rate = draw(st.sampled_from([0.1, 0.25, 0.5]))
        return _Step({"layer": "Dropout", "rate": rate}, shape)
    if kind == "BatchNormalization":
        channels = shape[-1]
        return _Step({"layer": "BatchNormalization"}, shape, 2 * channels, 2 * channels)
    if kind == "Flatten":
        return _Step({"layer": "Flatten"}, (math.prod(shape),))
    h, w, c = shape
    if kind == "MaxPooling2D":
        padding = draw(st.sampled_from(["valid", "same"]))
        args = {"layer": "MaxPooling2D"}
        if padding == "same":
            args["padding"] = "same"
        return _Step(args, (conv_out(h, 2, 2, padding), conv_out(w, 2, 2, padding), c))
    filters = c if keep == "shape" else draw(st.integers(1, 4))
    padding = "same" if keep else draw(st.sampled_from(["valid", "same"]))
    biggest = min(3, h, w) if padding == "valid" else 3
    kernel = draw(st.integers(1, biggest))
    stride = 1 if keep else draw(st.integers(1, 2))
    args = {"layer": "Conv2D", "filters": filters}
    args["kernel_size"] = draw(st.sampled_from([kernel, [kernel, kernel]]))
    if stride != 1:
        args["strides"] = stride
    if padding == "same" or draw(st.booleans()):
        args["padding"] = padding
    if draw(st.booleans()):
        args["activation"] = "relu"
    out = (conv_out(h, kernel, stride, padding), conv_out(w, kernel, stride, padding), filters)
    return _Step(args, out, kernel * kernel * c * filters + filters)


class _Builder:
    def __init__(self) -> None:
        self.spec = GenSpec()
        self.counter = 0
        self.item_counter = 0

    def fresh(self) -> str:
        name = f"n{self.counter}"
        self.counter += 1
        return name

    def pool(self) -> dict[str, Shape]:
        found = dict(self.spec.inputs)
        for node in self.spec.nodes:
            if node.name != self.spec.unconnected:
                found[node.name] = node.shape
        return found

    def add(
        self, body: dict[str, Any], shape: Shape, reads: list[str], t: int = 0, nt: int = 0
    ) -> str:
        name = self.fresh()
        self.spec.nodes.append(Node(name, body, shape, reads, t, nt))
        return name

    def dangling(self) -> list[str]:
        read = {r for node in self.spec.nodes for r in node.reads}
        return [name for name in self.pool() if name not in read]


def _groups(pool: dict[str, Shape], key: Any) -> dict[Any, list[str]]:
    groups: dict[Any, list[str]] = {}
    for name, shape in pool.items():
        groups.setdefault(key(shape), []).append(name)
    return groups


def _draw_block(draw: st.DrawFn, b: _Builder, name: str, shape: Shape | None = None) -> BlockDef:
    if name not in b.spec.blocks:
        nodes: dict[str, dict[str, Any]] = {
            "d": {"layer": "Dense", "from": "x", "units": "${units}"}
        }
        if draw(st.booleans()):
            nodes["e"] = {"layer": "Activation", "from": "d", "activation": "relu"}
        b.spec.blocks[name] = BlockDef(draw(st.integers(1, 6)), nodes, shape)
    return b.spec.blocks[name]


def _block_params(shape: Shape, units: int, repeat: int) -> tuple[Shape, int]:
    params = dense_params(shape, units) + (repeat - 1) * (units * units + units)
    return (*shape[:-1], units), params


@st.composite
def _step(draw: st.DrawFn, b: _Builder) -> None:
    """Add one drawn construct (one or a few nodes) reading the current pool."""
    pool = b.pool()
    names = list(pool)
    same = {k: v for k, v in _groups(pool, lambda s: s).items() if len(v) >= 2}
    concat = {k: v for k, v in _groups(pool, lambda s: (len(s), s[:-1])).items() if len(v) >= 2}
    kinds = ["layer", "layer", "sequence", "shared", "block", "merge", "merge", "expr", "concat"]
    kind = draw(st.sampled_from(kinds))

    def layer(src: str, keep: str = "") -> str:
        step = draw(_layer_step(pool[src], keep))
        body = {"layer": step.args["layer"], "from": src}
        body.update((k, v) for k, v in step.args.items() if k != "layer")
        name = b.add(body, step.shape, [src], step.trainable, step.non_trainable)
        pool[name] = step.shape
        return name

    if kind in ("merge", "expr", "concat"):
        # Merge what already fits, or make a partner that fits (a residual-style fork).
        groups = concat if kind == "concat" else same
        if not groups or draw(st.booleans()):
            src = draw(st.sampled_from(names))
            partner = layer(src, "rank" if kind == "concat" else "shape")
            groups = {"fork": [src, partner]}
    if kind == "layer":
        layer(draw(st.sampled_from(names)))
    elif kind == "sequence":
        src = draw(st.sampled_from(names))
        shape = pool[src]
        items = []
        t = nt = 0
        for _ in range(draw(st.integers(1, 3))):
            step = draw(_layer_step(shape))
            item = dict(step.args)
            if draw(st.integers(0, 3)) == 0:
                item["name"] = f"q{b.item_counter}"
                b.item_counter += 1
            items.append(item)
            shape, t, nt = step.shape, t + step.trainable, nt + step.non_trainable
        b.add({"sequence": items, "from": src}, shape, [src], t, nt)
    elif kind == "merge":
        group = groups[draw(st.sampled_from(sorted(groups)))]
        op = draw(st.sampled_from(_MERGES))
        most = 2 if op == "subtract" else min(3, len(group))
        count = draw(st.integers(2, most))
        refs = draw(st.permutations(group))[:count]
        b.add({"op": op, "from": refs}, pool[refs[0]], refs)
    elif kind == "concat":
        group = groups[draw(st.sampled_from(sorted(groups)))]
        count = draw(st.integers(2, min(3, len(group))))
        refs = draw(st.permutations(group))[:count]
        body: dict[str, Any] = {"op": "concatenate", "from": refs}
        if draw(st.booleans()):
            body["axis"] = -1
        first = pool[refs[0]]
        shape = (*first[:-1], sum(pool[r][-1] for r in refs))
        b.add(body, shape, refs)
    elif kind == "expr":
        group = groups[draw(st.sampled_from(sorted(groups)))]
        a, c = draw(st.permutations(group))[:2]
        expr = draw(st.sampled_from(_EXPRS))
        b.add({"expr": expr, "from": {"a": a, "b": c}}, pool[a], [a, c])
    elif kind == "shared":
        shape = pool[draw(st.sampled_from(names))]
        group = [n for n in names if pool[n] == shape]
        uses = draw(st.lists(st.sampled_from(group), min_size=2, max_size=3))
        name = f"s{len(b.spec.shared)}"
        if len(shape) == 3 and draw(st.booleans()):
            filters = draw(st.integers(1, 3))
            entry: dict[str, Any] = {
                "layer": "Conv2D",
                "filters": filters,
                "kernel_size": 3,
                "padding": "same",
            }
            out: Shape = (*shape[:-1], filters)
            params = 9 * shape[-1] * filters + filters
        elif draw(st.integers(0, 3)) == 0:
            _draw_block(draw, b, f"{name}_blk", shape)
            units = draw(st.integers(1, 6))
            entry = {"block": f"{name}_blk", "with": {"units": units}}
            out, params = _block_params(shape, units, 1)
        else:
            units = draw(st.integers(1, 6))
            entry = {"layer": "Dense", "units": units}
            out, params = (*shape[:-1], units), dense_params(shape, units)
        b.spec.shared[name] = entry
        b.spec.shared_params[name] = (params, 0)
        for src in uses:
            b.add({"use": name, "from": src}, out, [src])
    else:  # block instances
        define = _draw_block(draw, b, BLOCK)
        for _ in range(draw(st.integers(1, 2))):
            src = draw(st.sampled_from(names))
            body = {"block": BLOCK, "from": src}
            units = define.default_units
            if draw(st.booleans()):
                units = draw(st.integers(1, 6))
                body["with"] = {"units": units}
            repeat = draw(st.sampled_from([1, 1, 1, 2]))
            if repeat != 1:
                body["repeat"] = repeat
            shape, params = _block_params(pool[src], units, repeat)
            b.add(body, shape, [src], params)


@st.composite
def valid_specs(draw: st.DrawFn, unconnected: bool | None = None, max_nodes: int = 6) -> GenSpec:
    """A small valid spec of `max_nodes` drawn constructs at most (a few more close it).

    `unconnected`: add one node that no head reads (None: draw whether to).
    """
    b = _Builder()
    for i in range(draw(st.integers(1, 2))):
        if draw(st.booleans()):
            shape: Shape = (draw(st.integers(1, 6)),)
        else:
            size = st.integers(3, 7)
            shape = (draw(size), draw(size), draw(st.integers(1, 3)))
        b.spec.inputs[f"x{i}"] = shape
    target = draw(st.integers(1, max_nodes))
    while len(b.spec.nodes) < target:
        draw(_step(b))
    # Close the graph: flatten dangling images, then join everything into one or two heads.
    for name in b.dangling():
        shape = b.pool()[name]
        if len(shape) == 3:
            b.add({"layer": "Flatten", "from": name}, (math.prod(shape),), [name])
    dangling = b.dangling()
    if len(dangling) >= 2 and draw(st.booleans()):
        b.spec.heads["out1"] = dangling.pop()
    if len(dangling) >= 2:
        pool = b.pool()
        width = sum(pool[r][-1] for r in dangling)
        last = b.add({"op": "concatenate", "from": dangling}, (width,), list(dangling))
        dangling = [last]
    b.spec.heads = {"out0": dangling[0], **b.spec.heads}
    if unconnected is None:
        unconnected = draw(st.integers(0, 4)) == 0
    if unconnected:
        src = draw(st.sampled_from(list(b.pool())))
        name = b.add({"layer": "Dense", "from": src, "units": 2}, (2,), [src], 0)
        b.spec.unconnected = name
        # Put it somewhere in the middle of the file: order in the file does not matter.
        node = b.spec.nodes.pop()
        b.spec.nodes.insert(draw(st.integers(0, len(b.spec.nodes))), node)
    return b.spec


# --------------------------------------------------------------------------- mutations


@dataclass
class Mutation:
    """A spec with one mistake, and the lines one of its errors must be on."""

    kind: str
    text: str
    lines: frozenset[int]
    note: str

    def __repr__(self) -> str:  # hypothesis prints this for a failing example
        return f"Mutation({self.kind}: {self.note}, lines {sorted(self.lines)})\n{self.text}"


_REQUIRED = {"Dense": ["units"], "Conv2D": ["filters", "kernel_size"], "Dropout": ["rate"]}
_TYPED = {"Dense": "units", "Conv2D": "filters", "Dropout": "rate"}
_WRONG = ["eight", [1], True, {"n": 1}]
"""Wrongly typed values. ``null`` is left out: graphspec accepts it (see test_properties.py)."""
_WRONG_INT = [*_WRONG, 1.5]


def _entries(spec: GenSpec) -> list[tuple[str, dict[str, Any]]]:
    """Every mutable entry as (render key, body): nodes, block nodes, shared entries."""
    found = [(f"nodes.{n.name}", n.body) for n in spec.nodes]
    for block, define in spec.blocks.items():
        found += [(f"blocks.{block}.nodes.{k}", v) for k, v in define.nodes.items()]
    found += [(f"shared.{k}", v) for k, v in spec.shared.items()]
    return found


def _layer_bodies(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The layer mappings written on one line: the node itself or its sequence items."""
    if "layer" in body:
        return [body]
    return [item for item in body.get("sequence", [])]


def _refs(body: dict[str, Any]) -> list[tuple[Any, Any]]:
    """(container, key) pairs that hold one reference in a body's `from`."""
    source = body.get("from")
    if isinstance(source, str):
        return [(body, "from")]
    if isinstance(source, list):
        return [(source, i) for i in range(len(source))]
    if isinstance(source, dict):
        return [(source, k) for k in source]
    return []


@st.composite
def mutated_specs(draw: st.DrawFn) -> Mutation:
    """A valid spec with exactly one mistake in one entry (one line)."""
    spec = copy.deepcopy(draw(valid_specs(unconnected=False)))
    kinds = ["missing", "wrong_type", "dangling", "duplicate"]
    backs = [n for n in spec.nodes if spec.descendants(n.name)]
    if backs:
        kinds.append("back_edge")
    kind = draw(st.sampled_from(kinds))
    _, where = spec.render()

    if kind == "missing":
        choices: list[tuple[str, dict[str, Any], str]] = []
        for key, body in _entries(spec):
            if "from" in body:
                choices.append((key, body, "from"))
            for layer in _layer_bodies(body):
                choices += [(key, layer, arg) for arg in _REQUIRED.get(layer["layer"], [])]
        key, body, arg = draw(st.sampled_from(choices))
        del body[arg]
        note = f"{key} without {arg}"
    elif kind == "wrong_type":
        typed: list[tuple[str, dict[str, Any], str, list[Any]]] = []
        for key, body in _entries(spec):
            for layer in _layer_bodies(body):
                arg = _TYPED.get(layer["layer"])
                if arg and arg in layer and not str(layer[arg]).startswith("$"):
                    typed.append((key, layer, arg, _WRONG_INT if arg != "rate" else _WRONG))
            if "block" in body and "from" in body:
                typed.append((key, body, "repeat", ["two", 0, -1, 1.5, [2]]))
            if isinstance(body.get("with"), dict) and "units" in body["with"]:
                typed.append((key, body["with"], "units", _WRONG_INT))
        if not typed:  # no typed argument anywhere (say, Flatten and merges): an empty `from`
            typed.append((f"nodes.{spec.nodes[0].name}", spec.nodes[0].body, "from", [[]]))
        key, body, arg, values = draw(st.sampled_from(typed))
        body[arg] = draw(st.sampled_from(values))
        note = f"{key}: {arg} = {body[arg]!r}"
    elif kind == "dangling":
        targets: list[tuple[str, Any, Any]] = []
        for key, body in _entries(spec):
            targets += [(key, c, k) for c, k in _refs(body)]
            for form in ("use", "block"):
                if form in body and key.startswith("nodes."):
                    targets.append((key, body, form))
        targets += [(f"outputs.{h}", spec.heads, h) for h in spec.heads]
        key, container, slot = draw(st.sampled_from(targets))
        container[slot] = "nope_zz"
        note = f"{key} reads nope_zz"
    elif kind == "back_edge":
        node = draw(st.sampled_from(backs))
        later = draw(st.sampled_from(sorted(spec.descendants(node.name))))
        container, slot = draw(st.sampled_from(_refs(node.body)))
        container[slot] = later
        cycle = {node.name} | {
            d for d in spec.descendants(node.name) if later == d or later in spec.descendants(d)
        }
        return Mutation(
            kind,
            spec.render()[0],
            frozenset(where[f"nodes.{n}"] for n in cycle),
            f"{node.name} reads {later}",
        )
    else:  # duplicate name
        node = draw(st.sampled_from(spec.nodes))
        taken = [f"inputs.{i}" for i in spec.inputs] + [f"shared.{s}" for s in spec.shared]
        taken += [f"blocks.{block}" for block in spec.blocks]
        taken += [f"nodes.{n.name}" for n in spec.nodes if n is not node]  # a duplicate key
        other = draw(st.sampled_from(taken))
        lines = frozenset({where[f"nodes.{node.name}"], where[other]})
        note = f"node {node.name} renamed to {other}"
        node.name = other.split(".")[1]
        return Mutation(kind, spec.render()[0], lines, note)
    return Mutation(kind, spec.render()[0], frozenset({where[key]}), note)
