"""Import stage: a Keras model's config to a spec a person would write.

The importer reads the model's *config* (the JSON inside a ``.keras`` file, a Keras JSON
config, or what ``model.to_json()`` gives), so importing a file needs no TensorFlow. It builds
a `Spec`: chains of single-use layers as ``sequence`` nodes, a layer called more than once as a
``shared`` entry with ``use`` nodes, nested models as ``blocks``, operations on tensors
(``x + y``, ``x * 0.5``) as ``op`` or ``expr`` nodes, and heads named after the model's
outputs. Arguments equal to Keras' defaults are left out. `graphspec.spec.write` prints it.
The output is deterministic.

Nothing in a config is ever imported or run: a class outside Keras' layers becomes a spec
layer only when the user allowed it (see `graphspec.catalogue.custom`), and a ``Lambda`` is an
error that explains how to write it as an ``expr`` node.

`graphspec.importer.keras_config` reads the file and walks its graph of layer calls;
`graphspec.importer.arguments` turns one layer's config into spec arguments; this module turns
calls into spec nodes.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard, get_args

from pydantic import ValidationError

from graphspec.catalogue.custom import CustomLayers
from graphspec.catalogue.reader import Catalogue, load_catalogue
from graphspec.diagnostics import (
    Diagnostic,
    Location,
    Severity,
    SpecError,
    SpecPath,
    codes,
    format_path,
)
from graphspec.importer.arguments import ArgumentReader
from graphspec.importer.keras_config import (
    MODEL_CLASSES,
    ImportProblem,
    KerasGraph,
    KerasInput,
    LayerCall,
    TensorRef,
    model_config,
    problem,
    read_graph,
    read_model,
    read_model_config,
    short,
)
from graphspec.spec.base import NODE_FORMS, DType, MergeOp
from graphspec.spec.forms import (
    BlockNode,
    ExprNode,
    LayerNode,
    Node,
    OpNode,
    SequenceItem,
    SequenceNode,
    Shared,
    SharedBlock,
    SharedLayer,
    UseNode,
)
from graphspec.spec.model import Block, BlockInput, Head, InputSpec, Spec
from graphspec.spec.write import write_spec

__all__ = [
    "Imported",
    "from_keras",
    "import_config",
    "import_path",
    "model_config",
    "read_model_config",
]

_OPS = {"Add": "+", "Subtract": "-", "Multiply": "*", "Divide": "/", "TrueDivide": "/"}
_OP_MERGES: dict[str, MergeOp] = {"Add": "add", "Subtract": "subtract", "Multiply": "multiply"}
_DTYPES: dict[str, DType] = {name: name for name in get_args(DType)}
_SPEC_KEYS = frozenset({"from", "from_", *NODE_FORMS})
"""Keys of a layer node that are not layer arguments: an argument so named has no spec form."""
_MAX_RANK = 8


@dataclass(frozen=True)
class Imported:
    """An imported model: its spec, the spec's text, and how Keras layer names map to spec
    names."""

    spec: Spec
    text: str
    """The spec as `graphspec.spec.write.write_spec` prints it, under the header comment."""
    layer_names: Mapping[str, str]
    """Keras layer name → the name of that layer in the built model (they differ only when
    the Keras name is not an identifier)."""
    notes: tuple[str, ...] = ()
    """What the import changed on purpose (an equivalent form), one line each."""


# --------------------------------------------------------------------------- names


class _Names:
    """Spec names for what a Keras config names.

    Keras names may be any string and nested models reuse them, while a spec's names are
    unique identifiers; the round trip compares layers by name, so it also keeps which spec
    name each Keras layer got.
    """

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.of_layer: dict[str, str] = {}
        """Keras layer name → its spec node, shared entry or input."""

    def fresh(self, wanted: str) -> str:
        """A unique identifier close to ``wanted``."""
        base = re.sub(r"[^A-Za-z0-9_]", "_", wanted)[:120] or "node"
        if not base[0].isalpha() and base[0] != "_":
            base = f"_{base}"
        name, count = base, 1
        while name in self.taken:
            count += 1
            name = f"{base}_{count}"
        self.taken.add(name)
        return name

    def bind(self, layer: str) -> str:
        """A fresh name for the Keras layer ``layer``, remembered as its spec name."""
        name = self.fresh(layer)
        self.of_layer[layer] = name
        return name


# --------------------------------------------------------------------------- forms


@dataclass(frozen=True)
class _Merge:
    """`x + y` on two tensors of one shape: an `op` node."""

    op: MergeOp


@dataclass(frozen=True)
class _Expression:
    """`x * 0.5`, or a custom layer that computes an expression: an `expr` node."""

    expr: str
    names: tuple[str, ...]
    """The expression's variables, in the order of the call's tensors."""


_Form = SharedLayer | SharedBlock | _Merge | _Expression
"""What a layer call makes before its inputs are named. A `shared` entry is exactly a layer,
or a block instance, without `from`, so the spec's own types serve for those two."""


def _node(form: _Form, refs: list[str]) -> Node:
    """The node that calls ``form`` on the tensors named ``refs``."""
    if isinstance(form, SharedLayer):
        return LayerNode(layer=form.layer, from_=refs, **form.args)
    if isinstance(form, SharedBlock):
        # `with_={}` is its default; pydantic's mypy plugin misses defaults set in Annotated
        return BlockNode(block=form.block, from_=refs, with_={})
    if isinstance(form, _Merge):
        return OpNode(op=form.op, from_=refs)
    return ExprNode(expr=form.expr, from_=dict(zip(form.names, refs, strict=True)))


def _operation(file: str, call: LayerCall, kind: str, path: SpecPath) -> _Merge | _Expression:
    """`x + y` on tensors: an `op` merge when the shapes agree, otherwise an expression."""
    symbol = _OPS.get(kind)
    if symbol is None or len(call.arguments) != 2:
        raise problem(
            file,
            codes.INEXPRESSIBLE_MODEL,
            f"the operation '{call.layer['name']}' ({kind}) has no spec form",
            path,
            "graphspec imports +, -, * and / between tensors and numbers",
        )
    tensors = [item for item in call.arguments if isinstance(item, tuple)]
    shapes = call.shapes
    if kind in _OP_MERGES and len(tensors) == 2 and shapes[0] == shapes[1] and shapes[0]:
        return _Merge(_OP_MERGES[kind])
    names = iter("ab")
    parts = [next(names) if isinstance(item, tuple) else _number(item) for item in call.arguments]
    used = tuple(part for part in parts if part in ("a", "b"))
    return _Expression(f"{parts[0]} {symbol} {parts[1]}", used)


def _custom_scale(config: Mapping[str, Any]) -> tuple[str, str]:
    scale = config.get("scale")
    if not isinstance(scale, int | float) or isinstance(scale, bool):
        raise ValueError("CustomScaleLayer without a numeric scale")
    return (
        f"a + b * {_number(scale)}",
        "CustomScaleLayer (inputs[0] + inputs[1] * scale) written as an expression",
    )


_EQUIVALENTS: dict[str, Callable[[Mapping[str, Any]], tuple[str, str]]] = {
    "keras.src.applications.inception_resnet_v2.CustomScaleLayer": _custom_scale,
}
"""Custom layers of keras.applications that are exactly a safe expression: (expression,
note)."""


def _number(value: float | int) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("a non-finite constant")
    return repr(value)


# --------------------------------------------------------------------------- chains


def _chainable(node: Node) -> TypeGuard[LayerNode]:
    """A layer reading one tensor: it can be an item of a `sequence`."""
    return isinstance(node, LayerNode) and len(node.from_) == 1


def _fold_chains(nodes: Sequence[tuple[str, Node]], outputs: set[str | None]) -> dict[str, Node]:
    """Fold chains of single-use layers into `sequence` nodes, as people write them.

    A layer joins the chain of the layer it reads when that one is read by nothing else and
    is no output. The `sequence` is named after its last layer, so every reference to the
    chain stays the same, and each item keeps its layer's name. ``outputs`` are the names of
    the nodes the model's outputs read.
    """
    by_name = dict(nodes)
    consumers = Counter(ref for _, node in nodes for ref, _ in node.refs())
    chains: dict[str, list[tuple[str, LayerNode]]] = {}
    absorbed: set[str] = set()
    for name, node in nodes:
        if not _chainable(node):
            continue
        source = node.from_[0]
        previous = by_name.get(source)
        if (
            previous is not None
            and source not in outputs
            and consumers[source] == 1
            and _chainable(previous)
            and source in chains
        ):
            chains[name] = [*chains.pop(source), (name, node)]
            absorbed.add(source)
        else:
            chains[name] = [(name, node)]
    folded: dict[str, Node] = {}
    for name, node in nodes:
        if name in absorbed:
            continue
        chain = chains.get(name)
        if chain is None or len(chain) == 1:
            folded[name] = node
            continue
        items = [SequenceItem(layer=item.layer, name=member, **item.args) for member, item in chain]
        folded[name] = SequenceNode(sequence=items, from_=chain[0][1].from_)
    return folded


# --------------------------------------------------------------------------- the spec


@dataclass
class _Scope:
    """One model being built, the top level or a block's: where its config sits (for
    diagnostics) and the spec name of each Keras tensor its nodes may read."""

    path: SpecPath
    refs: dict[TensorRef, str] = field(default_factory=dict)


class _SpecBuilder:
    """Builds the `Spec` of one model config, call by call.

    Shared entries and blocks are collected here while the model (and the models nested in
    it) are walked, because any scope may add one and the spec holds them at the top level.
    """

    def __init__(self, file: str, custom: CustomLayers, catalogue: Catalogue) -> None:
        self.file = file
        self.custom = custom
        self.catalogue = catalogue
        self.names = _Names()
        self.arguments = ArgumentReader(file, catalogue)
        self.shared: dict[str, Shared] = {}
        self.blocks: dict[str, Block] = {}
        self.notes: list[str] = []

    def spec(self, data: Mapping[str, Any]) -> Spec:
        """The spec of a whole model document."""
        kind, config = read_model(data, self.file)
        name = self.names.fresh(str(config.get("name") or "model"))
        scope = _Scope(())
        graph = read_graph(self.file, kind, config, scope.path)
        named = [(self._input(scope, item), item) for item in graph.inputs]
        nodes = self._nodes(scope, graph)
        heads: dict[str, Head] = {}
        for key, ref in self._outputs(scope, graph):
            head, count = key, 1
            while head in heads:
                count += 1
                head = f"{key}_{count}"
            heads[head] = Head(from_=ref)
        if not heads:
            raise problem(self.file, codes.UNREADABLE_MODEL, "the model config has no outputs")
        # last: a graph that cannot be imported is the problem to report first
        inputs = {input_name: self._input_spec(item) for input_name, item in named}
        return Spec(
            graphspec=1,
            name=name,
            inputs=inputs,
            shared=self.shared,
            blocks=self.blocks,
            nodes=nodes,
            outputs=heads,
        )

    def _input(self, scope: _Scope, item: KerasInput) -> str:
        """Name a model input; calls refer to it as its layer's first output."""
        name = self.names.bind(item.name)
        scope.refs[(item.name, 0, 0)] = name
        return name

    def _input_spec(self, item: KerasInput) -> InputSpec:
        """A top-level input's shape and dtype, when the language can say them (a block's
        inputs take theirs from the caller)."""
        path = ("layers", item.name)
        if len(item.shape) > _MAX_RANK:
            raise problem(
                self.file,
                codes.INEXPRESSIBLE_MODEL,
                f"input '{item.name}' has {len(item.shape)} dimensions; a spec input has at "
                f"most {_MAX_RANK}",
                path,
            )
        if not all(d is None or (type(d) is int and d >= 1) for d in item.shape):
            raise problem(
                self.file,
                codes.UNREADABLE_MODEL,
                f"input '{item.name}' has the shape {short(item.shape)}",
                path,
            )
        dtype = item.dtype
        if not dtype or dtype == "float32":
            return InputSpec(shape=item.shape)
        if not isinstance(dtype, str) or dtype not in _DTYPES:
            raise problem(
                self.file,
                codes.INEXPRESSIBLE_MODEL,
                f"input '{item.name}' has the dtype {short(dtype)}, which a spec input cannot have",
                path,
                f"a spec input is one of: {', '.join(_DTYPES)}",
            )
        return InputSpec(shape=item.shape, dtype=_DTYPES[dtype])

    def _nodes(self, scope: _Scope, graph: KerasGraph) -> dict[str, Node]:
        """One node per call: a `use` of a shared entry for a layer called more than once,
        else the call's own node; then chains folded into sequences."""
        uses = Counter(call.layer["name"] for call in graph.calls)
        calls: list[tuple[str, Node]] = []
        for call in graph.calls:
            original = call.layer["name"]
            node: Node
            if uses[original] > 1:
                entry = self.names.of_layer.get(original)
                if entry is None:
                    entry = self.names.bind(original)
                    self.shared[entry] = self._shared_entry(scope, call.layer, entry)
                name = self.names.fresh(f"{original}_call{call.index + 1}")
                node = UseNode(use=entry, from_=self._refs(scope, call))
            else:
                name = self.names.bind(original)
                node = _node(self._form(scope, call, name), self._refs(scope, call))
            scope.refs[(original, call.index, 0)] = name
            calls.append((name, node))
        return _fold_chains(calls, {scope.refs.get(ref) for ref in graph.outputs})

    def _outputs(self, scope: _Scope, graph: KerasGraph) -> list[tuple[str, str]]:
        """(the output layer's spec name, the node it reads) per model output."""
        return [(self.names.of_layer.get(r[0], r[0]), self._ref(scope, r)) for r in graph.outputs]

    def _refs(self, scope: _Scope, call: LayerCall) -> list[str]:
        return [self._ref(scope, ref) for ref in call.inputs]

    def _ref(self, scope: _Scope, ref: TensorRef) -> str:
        """The spec name of a tensor; graphspec names a layer call's first output only."""
        found = scope.refs.get(ref)
        if found is None:
            layer, node, tensor = ref
            what = f"output {tensor} of " if tensor else ""
            raise problem(
                self.file,
                codes.INEXPRESSIBLE_MODEL,
                f"the model reads {what}call {node} of '{layer}', which graphspec cannot refer to",
                (*scope.path, "layers", layer),
                "graphspec refers to a layer's first output; layers with several outputs "
                "(return_state=True) are not importable yet",
            )
        return found

    def _form(self, scope: _Scope, call: LayerCall, name: str) -> _Form:
        """What the call's layer is in a spec; ``name`` is the spec name of its node or
        shared entry."""
        layer = call.layer
        kind = str(layer.get("class_name"))
        module = str(layer.get("module") or "")
        config = layer.get("config") or {}
        path = (*scope.path, "layers", layer["name"])
        if kind in MODEL_CLASSES:
            block_name = self.names.fresh(f"{name}_block")
            self.blocks[block_name] = self._block(scope, layer)
            return SharedBlock(block=block_name, with_={})
        if module.startswith("keras.src.ops") or module.startswith("keras.ops"):
            return _operation(self.file, call, kind, path)
        equivalent = _EQUIVALENTS.get(f"{module}.{kind}")
        if equivalent is not None:
            expression, note = equivalent(config)
            self.notes.append(f"{layer['name']}: {note}")
            return _Expression(expression, tuple("ab"[: len(call.inputs)]))
        if kind == "Lambda":
            raise problem(
                self.file,
                codes.LAMBDA_LAYER,
                f"layer '{layer['name']}' is a Lambda: its Python code cannot go into a spec",
                path,
                'rewrite it as an expr node (expr: "(a + b) / 2", from: {a: x, b: y}) or a '
                "layer Keras has, then import again",
            )
        custom = self.custom.match(module, kind, layer.get("registered_name"))
        if custom is not None:
            return self._layer(
                custom.name, self.arguments.layer_arguments(config, None, path), path
            )
        info = self.catalogue.layer(kind) if module.startswith("keras") else None
        if info is None or not info.safe:
            raise problem(
                self.file,
                codes.UNKNOWN_CLASS,
                f"layer '{layer['name']}' is {module}.{kind}, a class a spec may not name",
                path,
                f"allow it outside the spec: --custom-layer {module}.{kind} or "
                f'[tool.graphspec] custom-layers = ["{module}.{kind}"] in pyproject.toml',
            )
        arguments = self.arguments.layer_arguments(config, info.args, path, kind)
        return self._layer(kind, arguments, path)

    def _layer(self, kind: str, arguments: dict[str, Any], path: SpecPath) -> SharedLayer:
        clash = next((key for key in arguments if key in _SPEC_KEYS), None)
        if clash is not None:
            raise problem(
                self.file,
                codes.INEXPRESSIBLE_MODEL,
                f"layer '{path[-1]}' has an argument '{clash}', which a spec cannot write: "
                "it is a spec key",
                (*path, clash),
            )
        return SharedLayer(layer=kind, **arguments)

    def _shared_entry(self, scope: _Scope, layer: Mapping[str, Any], name: str) -> Shared:
        """The `shared` entry of a layer or nested model called more than once."""
        form = self._form(scope, LayerCall(layer, 0, [], [], []), name)
        if not isinstance(form, SharedLayer | SharedBlock):
            raise problem(
                self.file,
                codes.INEXPRESSIBLE_MODEL,
                f"'{layer['name']}' is called several times",
                (*scope.path, "layers", layer["name"]),
                "only layers and nested models can be shared",
            )
        return form

    def _block(self, scope: _Scope, layer: Mapping[str, Any]) -> Block:
        """A nested model as a block: its own inputs, nodes and outputs."""
        inner = _Scope((*scope.path, "layers", layer["name"]))
        config = layer.get("config") or {}
        graph = read_graph(self.file, str(layer["class_name"]), config, inner.path)
        inputs = {self._input(inner, item): BlockInput() for item in graph.inputs}
        nodes = self._nodes(inner, graph)
        outputs: dict[str, str] = {}
        for key, ref in self._outputs(inner, graph):
            outputs[key if key not in outputs else f"{key}_{len(outputs)}"] = ref
        if not outputs:
            raise problem(
                self.file, codes.UNREADABLE_MODEL, "a nested model has no outputs", inner.path
            )
        return Block(inputs=inputs, nodes=nodes, outputs=outputs)


# --------------------------------------------------------------------------- entry points


def import_config(
    data: Mapping[str, Any],
    file: str = "<model>",
    custom: CustomLayers | None = None,
    header: str = "",
) -> Imported:
    """A spec for the model ``data`` (a Keras model config); raises SpecError."""
    builder = _SpecBuilder(file, custom or CustomLayers(), load_catalogue())
    try:
        spec = builder.spec(data)
    except ImportProblem as failure:
        raise SpecError([failure.diagnostic]) from None
    except ValidationError as error:
        raise SpecError([_invalid(error, file)]) from None
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
        message = f"the model config is malformed: {type(error).__name__}: {short(str(error))}"
        raise SpecError(
            [Diagnostic(codes.UNREADABLE_MODEL, Severity.ERROR, message, Location(file))]
        ) from None
    names = dict(builder.names.of_layer)
    return Imported(spec, write_spec(spec, header), names, tuple(builder.notes))


def _invalid(error: ValidationError, file: str) -> Diagnostic:
    """A value the config holds that the language has no room for (the checks above name
    the likely ones; this covers the rest)."""
    first = error.errors()[0]
    where = format_path(tuple(first["loc"]))
    message = f"the model config has no spec form: '{where}': {first['msg']}"
    return Diagnostic(codes.UNREADABLE_MODEL, Severity.ERROR, message, Location(file))


def import_path(path: Path, custom: CustomLayers | None = None) -> Imported:
    """Import a `.keras` file or a Keras JSON config."""
    try:
        data = read_model_config(path)
    except ImportProblem as failure:
        raise SpecError([failure.diagnostic]) from None
    return import_config(data, str(path), custom, f"Imported from {path.name} by graphspec.")


def from_keras(model: Any, custom: Sequence[str] | CustomLayers = ()) -> str:
    """The spec (YAML text) of a live keras.Model; raises SpecError when it has no spec form."""
    layers = custom if isinstance(custom, CustomLayers) else CustomLayers.from_paths(custom)
    return import_config(model_config(model), f"<{model.name}>", layers).text
