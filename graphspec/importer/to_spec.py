"""Import stage: a Keras model's config to a spec a person would write.

The importer reads the model's *config* (the JSON inside a ``.keras`` file, a Keras JSON
config, or what ``model.to_json()`` gives), so importing a file needs no TensorFlow. It builds
a `Spec`: chains of single-use layers as ``sequence`` nodes, a layer called more than once as a
``shared`` entry with ``use`` nodes, nested models as ``blocks``, runs of identical units named
by a counter as one repeated inline block (`graphspec.importer.repeats`), operations on
tensors (``x + y``, ``x * 0.5``) as ``op`` or ``expr`` nodes, and heads named after the model's
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

import ast
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard, get_args

from pydantic import ValidationError

from graphspec.analyse.version import language_version
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
from graphspec.importer.repeats import Entry, Fold, find_folds
from graphspec.importer.training import read_training
from graphspec.spec.base import MERGE_LAYERS, NODE_FORMS, DType, MergeOp
from graphspec.spec.expression import ALLOWED_FUNCTIONS, RANDOM_FUNCTIONS, keyword_literal
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
from graphspec.spec.model import Block, BlockInput, Compile, Head, InputSpec, Optimizer, Spec
from graphspec.spec.write import write_spec

__all__ = [
    "Imported",
    "from_keras",
    "import_config",
    "import_path",
    "model_config",
    "read_model_config",
]

_BINARY: dict[str, type[ast.operator]] = {
    "Add": ast.Add,
    "Subtract": ast.Sub,
    "Multiply": ast.Mult,
    "Divide": ast.Div,
    "TrueDivide": ast.Div,
    "Power": ast.Pow,
}
"""keras.ops classes an expression writes as an operator (`x + y`, `x ** 2`)."""
_FUNCTIONS: dict[str, str] = {
    "Absolute": "abs",
    "Argmax": "argmax",
    "Argmin": "argmin",
    "Cast": "cast",
    "Ceil": "ceil",
    "Clip": "clip",
    "Cos": "cos",
    "Cumprod": "cumprod",
    "Cumsum": "cumsum",
    "ExpandDims": "expand_dims",
    "Elu": "elu",
    "Erf": "erf",
    "Exp": "exp",
    "Expm1": "expm1",
    "Floor": "floor",
    "Gelu": "gelu",
    "HardSigmoid": "hard_sigmoid",
    "LeakyRelu": "leaky_relu",
    "Log": "log",
    "Log1p": "log1p",
    "LogSigmoid": "log_sigmoid",
    "LogSoftmax": "log_softmax",
    "Logsumexp": "logsumexp",
    "Max": "max",
    "Maximum": "maximum",
    "Mean": "mean",
    "Min": "min",
    "Minimum": "minimum",
    "Norm": "norm",
    "NormalLike": "normal_like",
    "Normalize": "normalize",
    "OneHot": "one_hot",
    "OnesLike": "ones_like",
    "Prod": "prod",
    "Reciprocal": "reciprocal",
    "Relu": "relu",
    "Relu6": "relu6",
    "Round": "round",
    "Rsqrt": "rsqrt",
    "Selu": "selu",
    "Sigmoid": "sigmoid",
    "Sign": "sign",
    "Silu": "silu",
    "Sin": "sin",
    "Softmax": "softmax",
    "Softplus": "softplus",
    "Softsign": "softsign",
    "Sqrt": "sqrt",
    "Square": "square",
    "Squeeze": "squeeze",
    "Std": "std",
    "Sum": "sum",
    "Tanh": "tanh",
    "Transpose": "transpose",
    "UniformLike": "uniform_like",
    "Var": "var",
    "ZerosLike": "zeros_like",
}
"""keras.ops classes an expression writes as a call of a whitelisted function (`Mean` →
`mean(...)`), as Keras 3.15 names them, and graphspec's two random layers; `negative` and
`power` are written `-x` and `x ** y`, `positions` is read from the calls it is made of
(tests/importer/test_expressions.py checks this table against the installed Keras)."""
_FUNCTION_DEFAULTS: dict[str, dict[str, Any]] = {
    "max": {"initial": None},
    "min": {"initial": None},
    "prod": {"dtype": None},
    "norm": {"ord": None},
    "normalize": {"order": 2, "epsilon": None},
    "cumsum": {"dtype": None},
    "cumprod": {"dtype": None},
    "one_hot": {"axis": -1, "dtype": "float32", "sparse": False},
    "ones_like": {"dtype": None},
    "zeros_like": {"dtype": None},
    "normal_like": {"mean": 0.0, "stddev": 1.0},
    "uniform_like": {"minval": 0.0, "maxval": 1.0},
}
"""Config entries of keras.ops classes that the expression's functions leave at these values."""
_OP_MERGES: dict[str, MergeOp] = {"Add": "add", "Subtract": "subtract", "Multiply": "multiply"}
_PART_SEPARATOR = "."
"""graphspec names the operations inside an expr node `<node>.<function>` and the last one
`<node>` (`graphspec.emit.expression_layer.PART_SEPARATOR`); the importer joins them again."""
_LEGACY_EXPRESSION = "graphspec>Expression"
_RANDOM_LAYERS = frozenset({"graphspec>NormalLike", "graphspec>UniformLike"})
"""The registered names of the layers graphspec emits for `normal_like` and `uniform_like`."""
_LAYER_KEYS = frozenset({"name", "trainable", "dtype"})
"""Config entries every layer has; a random layer's are not keywords of its function."""
"""The registered name of the layer graphspec emitted for expr nodes before keras.ops calls."""
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
    the Keras name is not an identifier, or is Keras' automatic name of a weightless layer
    that a repeated block's `names:` pattern names, see `graphspec.importer.repeats`)."""
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
    """`x + y` on two tensors of one shape, or a Keras merge layer: an `op` node."""

    op: MergeOp
    options: Mapping[str, Any] = field(default_factory=dict)
    """``axis`` (concatenate), ``axes`` and ``normalize`` (dot) where not the default."""


@dataclass(frozen=True)
class _Expression:
    """`x * 0.5`, or a custom layer that computes an expression: an `expr` node."""

    expr: str
    names: tuple[str, ...]
    """The expression's variables, in the order of the call's tensors (or of ``inputs``)."""
    inputs: tuple[TensorRef, ...] | None = None
    """The tensors the variables stand for when they are not the call's own (operations
    joined into one expression)."""


_Form = SharedLayer | SharedBlock | _Merge | _Expression
"""What a layer call makes before its inputs are named. A `shared` entry is exactly a layer,
or a block instance, without `from`, so the spec's own types serve for those two."""


_MERGE_OPS: dict[str, MergeOp] = {layer: op for op, layer in MERGE_LAYERS.items()}
_MERGE_OPTIONS = frozenset({"axis", "axes", "normalize"})


def _merge_layer(kind: str, arguments: Mapping[str, Any]) -> _Merge | None:
    """`layers.add([a, b])` as `{op: add}`, as `a + b` imports: one form for one merge. A
    merge layer with other arguments (a dtype, trainable: false) stays a `layer` node."""
    op = _MERGE_OPS.get(kind)
    if op is None or not set(arguments) <= _MERGE_OPTIONS:
        return None
    if op == "concatenate" and arguments.get("axis") == -1:
        arguments = {k: v for k, v in arguments.items() if k != "axis"}
    return _Merge(op, dict(arguments))


def _node(form: _Form, refs: list[str]) -> Node:
    """The node that calls ``form`` on the tensors named ``refs``."""
    if isinstance(form, SharedLayer):
        return LayerNode(layer=form.layer, from_=refs, **form.args)
    if isinstance(form, SharedBlock):
        # `with_={}` is its default; pydantic's mypy plugin misses defaults set in Annotated
        return BlockNode(block=form.block, from_=refs, with_={})
    if isinstance(form, _Merge):
        return OpNode(op=form.op, from_=refs, **form.options)
    if len(form.names) != len(refs):
        raise ValueError(f"the expression {form.expr!r} takes {len(form.names)} inputs")
    return ExprNode(expr=form.expr, from_=dict(zip(form.names, refs, strict=True)))


def _operation(
    file: str, call: LayerCall, inner: Mapping[TensorRef, LayerCall], path: SpecPath
) -> _Merge | _Expression:
    """keras.ops calls as a spec node: `x + y` on two tensors of one shape is an `op` merge;
    otherwise an expression over the call and the calls ``inner`` joins into it (the
    operations graphspec emitted for one `expr` node), whose other tensors are its variables."""
    kind = str(call.layer.get("class_name"))
    tensors = [item for item in call.arguments if isinstance(item, tuple)]
    shapes = call.shapes
    if (
        kind in _OP_MERGES
        and len(call.arguments) == 2
        and len(tensors) == 2
        and not any(ref in inner for ref in tensors)
        and shapes[0] == shapes[1]
        and shapes[0]
    ):
        return _Merge(_OP_MERGES[kind])
    variables: dict[TensorRef, str] = {}
    tree = _ExpressionReader(file, inner, variables).read(call, path)
    return _Expression(ast.unparse(tree), tuple(variables.values()), tuple(variables))


class _ExpressionReader:
    """keras.ops calls back to an expression's syntax tree; each tensor that is not an inner
    operation becomes a variable (a, b, c, ... in order of first use)."""

    def __init__(
        self, file: str, inner: Mapping[TensorRef, LayerCall], variables: dict[TensorRef, str]
    ) -> None:
        self.file = file
        self.inner = inner
        self.variables = variables

    def fail(self, call: LayerCall, path: SpecPath, why: str) -> ImportProblem:
        kind = call.layer.get("class_name")
        return problem(
            self.file,
            codes.INEXPRESSIBLE_MODEL,
            f"the operation '{call.layer['name']}' ({kind}) has no spec form: {why}",
            path,
            "graphspec imports +, -, *, /, ** and the functions an expr node may call: "
            + ", ".join(ALLOWED_FUNCTIONS),
        )

    def read(self, call: LayerCall, path: SpecPath) -> ast.expr:
        kind = str(call.layer.get("class_name"))
        config = call.layer.get("config") or {}
        args = [self.argument(item, path) for item in call.arguments]
        if kind in _BINARY:
            if len(args) != 2:
                raise self.fail(call, path, f"{len(args)} arguments")
            return _positions(ast.BinOp(args[0], _BINARY[kind](), args[1]))
        if kind == "Negative" and len(args) == 1:
            return ast.UnaryOp(ast.USub(), args[0])
        function = _FUNCTIONS.get(kind)
        if function is None:
            raise self.fail(call, path, "no expression function computes it")
        rule = ALLOWED_FUNCTIONS[function]
        keywords: list[ast.keyword] = []
        defaults = _FUNCTION_DEFAULTS.get(function, {})
        skipped = _LAYER_KEYS if function in RANDOM_FUNCTIONS else {"name"}
        for key, value in config.items() if isinstance(config, Mapping) else ():
            if key in skipped or (key in defaults and value == defaults[key]):
                continue
            if function == "clip" and key in ("x_min", "x_max"):
                continue
            if key not in rule.keywords:
                raise self.fail(call, path, f"{key}={short(value)} cannot be written")
            literal = _literal(value)
            if literal is None:
                raise self.fail(call, path, f"{key}={short(value)} is not a literal")
            keywords.append(ast.keyword(key, literal))
        if function == "clip" and isinstance(config, Mapping) and len(args) == 1:
            args += [self.argument(config.get(bound), path) for bound in ("x_min", "x_max")]
        if len(args) != rule.max_args:
            raise self.fail(call, path, f"{len(args)} arguments, {function} takes {rule.max_args}")
        return ast.Call(ast.Name(function), args, keywords)

    def argument(self, item: Any, path: SpecPath) -> ast.expr:
        """A tensor (an inner operation's expression, or a variable) or a number."""
        if isinstance(item, tuple):
            producer = self.inner.get(item)
            if producer is not None:
                return self.read(producer, path)
            name = self.variables.get(item)
            if name is None:
                name = self.variables[item] = _variable(len(self.variables))
            return ast.Name(name)
        if not isinstance(item, int | float) or isinstance(item, bool):
            raise problem(
                self.file,
                codes.INEXPRESSIBLE_MODEL,
                f"an operation has the argument {short(item)}, which an expression cannot write",
                path,
            )
        return _number_node(item)


def _positions(tree: ast.BinOp) -> ast.expr:
    """`cumsum(ones_like(x, dtype='int32'), axis=1) - 1`, the calls `positions(x)` is built
    of, back as `positions(x)`; any other operation as it is."""
    left, right = tree.left, tree.right
    if not (
        isinstance(tree.op, ast.Sub)
        and isinstance(right, ast.Constant)
        and right.value == 1
        and isinstance(left, ast.Call)
        and isinstance(left.func, ast.Name)
        and left.func.id == "cumsum"
        and len(left.args) == 1
        and ast.dump(ast.keyword("axis", ast.Constant(1))) in map(ast.dump, left.keywords)
        and len(left.keywords) == 1
    ):
        return tree
    ones = left.args[0]
    if (
        isinstance(ones, ast.Call)
        and isinstance(ones.func, ast.Name)
        and ones.func.id == "ones_like"
        and len(ones.args) == 1
        and [ast.dump(k) for k in ones.keywords]
        == [ast.dump(ast.keyword("dtype", ast.Constant("int32")))]
    ):
        return _positions_of(ones.args[0])
    return tree


def _positions_of(tensor: ast.expr) -> ast.Call:
    """`positions(x, axis=k)` for the tensor its calls start from: `x`, or `x` reduced by
    `max(x, axis=(...), keepdims=false)` to its batch and axis k (how graphspec emits it)."""
    call = tensor
    if (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "max"
        and len(call.args) == 1
    ):
        keywords = {kw.arg: keyword_literal(kw.value)[1] for kw in call.keywords if kw.arg}
        keywords.setdefault("keepdims", False)
        axes = keywords.get("axis")
        if isinstance(axes, int):
            axes = (axes,)
        if (
            set(keywords) == {"axis", "keepdims"}
            and keywords["keepdims"] is False
            and isinstance(axes, tuple)
            and all(type(a) is int and a > 0 for a in axes)
        ):
            kept = set(range(1, len(axes) + 2)) - set(axes)
            if len(kept) == 1:
                (axis,) = kept
                extra = [] if axis == 1 else [ast.keyword("axis", ast.Constant(axis))]
                return ast.Call(ast.Name("positions"), [call.args[0]], extra)
    return ast.Call(ast.Name("positions"), [tensor], [])


def _variable(index: int) -> str:
    """a, b, ... z, then v26, v27, ..."""
    return "abcdefghijklmnopqrstuvwxyz"[index] if index < 26 else f"v{index}"


def _number_node(value: float | int) -> ast.expr:
    """A number as the expression writes it; a negative one as `-x`, so `(-2) ** a` keeps its
    parentheses."""
    _number(value)  # finite
    if value < 0:
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


def _literal(value: Any) -> ast.expr | None:
    """A keyword value: a number, true/false/null, or a tuple of integers (axes); None for
    anything else."""
    if value is None:
        return ast.Name("null")
    if isinstance(value, bool):
        return ast.Name("true" if value else "false")
    if isinstance(value, int | float | str):
        return ast.Constant(value)
    if isinstance(value, list | tuple) and all(type(v) is int for v in value):
        return ast.Tuple([ast.Constant(v) for v in value])
    return None


def _inner_operations(graph: KerasGraph) -> dict[TensorRef, LayerCall]:
    """The operations graphspec emitted inside an expr node, by the tensor they give: named
    `<node>.<function>`, read once, by an operation of the same node, and no model output."""
    readers: dict[TensorRef, list[LayerCall]] = {}
    for call in graph.calls:
        for ref in call.inputs:
            readers.setdefault(ref, []).append(call)
    outputs = set(graph.outputs)
    inner: dict[TensorRef, LayerCall] = {}
    for call in graph.calls:
        name = str(call.layer["name"])
        node, separator, _ = name.partition(_PART_SEPARATOR)
        ref = (name, call.index, 0)
        consumers = readers.get(ref, [])
        if not separator or not _is_operation(call.layer) or ref in outputs or len(consumers) != 1:
            continue
        reader = consumers[0]
        reader_name = str(reader.layer["name"])
        if _is_operation(reader.layer) and reader_name.partition(_PART_SEPARATOR)[0] == node:
            inner[ref] = call
    return inner


def _is_operation(layer: Mapping[str, Any]) -> bool:
    """A keras.ops call, or one of graphspec's random layers (part of an expression too)."""
    module = str(layer.get("module") or "")
    return (
        module.startswith("keras.src.ops")
        or module.startswith("keras.ops")
        or layer.get("registered_name") in _RANDOM_LAYERS
    )


def _legacy_expression(file: str, layer: Mapping[str, Any], path: SpecPath) -> _Expression:
    """graphspec's old ExpressionLayer: its expression and input names, as written."""
    config = layer.get("config") or {}
    expression = config.get("expression") if isinstance(config, Mapping) else None
    names = config.get("input_names") if isinstance(config, Mapping) else None
    if (
        not isinstance(expression, str)
        or not isinstance(names, list)
        or not all(isinstance(n, str) for n in names)
    ):
        raise problem(file, codes.UNREADABLE_MODEL, "a malformed graphspec expression layer", path)
    return _Expression(expression, tuple(names))


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
    return isinstance(node, LayerNode) and len(node.from_) == 1 and not node.call


def _fold_chains(nodes: Sequence[tuple[str, Node]], outputs: set[str | None]) -> dict[str, Node]:
    """Fold chains of single-use layers into `sequence` nodes, as people write them.

    A layer joins the chain of the layer it reads when that one is read by nothing else and
    is no output. The `sequence` is named after its last layer, so every reference to the
    chain stays the same, and each item keeps its layer's name. ``outputs`` are the names of
    the nodes the model's outputs read.
    """
    by_name = dict(nodes)
    # by node: a layer whose other outputs are read (`enc.1`) is read by more than its chain
    consumers = Counter(ref.partition(".")[0] for _, node in nodes for ref, _ in node.refs())
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


def _rerouted(node: Node, moved: Mapping[str, str]) -> Node:
    """``node`` reading ``moved[ref]`` wherever it read a moved ``ref``, in `from:` and in
    `call:` (`initial_state: [...]`)."""

    def to(value: Any) -> Any:  # a reference, a list of them, or a plain call value
        if isinstance(value, list):
            return [to(item) for item in value]
        return moved.get(value, value) if isinstance(value, str) else value

    refs = node.from_
    update: dict[str, Any] = {
        "from_": {key: to(ref) for key, ref in refs.items()} if isinstance(refs, dict) else to(refs)
    }
    call: Mapping[str, Any] | None = getattr(node, "call", None)
    if call:
        update["call"] = {key: to(value) for key, value in call.items()}
    changed = {key: value for key, value in update.items() if value != getattr(node, key)}
    return node.model_copy(update=changed) if changed else node


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
        heads: dict[str, str] = {}
        output_heads: list[tuple[str, str]] = []  # (the output's Keras name, its head)
        for (key, ref), output in zip(self._outputs(scope, graph), graph.outputs, strict=True):
            if "." in ref:  # another output of a layer (`enc.2`): the head `enc` would rename it
                key = ref.replace(".", "_")
            head, count = key, 1
            while head in heads:
                count += 1
                head = f"{key}_{count}"
            heads[head] = ref
            output_heads.append((output[0], head))
        if not heads:
            raise problem(self.file, codes.UNREADABLE_MODEL, "the model config has no outputs")
        training = read_training(data, output_heads, self.file, self.catalogue)
        self.notes.extend(training.notes)
        settings = training.heads
        outputs = {
            head: Head(from_=ref)
            if head not in settings
            else Head(
                from_=ref,
                loss=settings[head].loss,
                loss_weight=settings[head].loss_weight,
                metrics=list(settings[head].metrics),
            )
            for head, ref in heads.items()
        }
        compiled = None
        if training.optimizer is not None:
            compiled = Compile(optimizer=Optimizer(**training.optimizer))
        # last: a graph that cannot be imported is the problem to report first
        inputs = {input_name: self._input_spec(item) for input_name, item in named}
        spec = Spec(
            graphspec=1,
            name=name,
            inputs=inputs,
            shared=self.shared,
            blocks=self.blocks,
            nodes=nodes,
            outputs=outputs,
            compile=compiled,
        )
        version = language_version(spec)  # 1.1 when the model needs what 1.1 adds
        return spec if version == 1 else spec.model_copy(update={"graphspec": version})

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
        inner = _inner_operations(graph)
        calls: list[Entry] = []
        for call in graph.calls:
            original = call.layer["name"]
            node: Node
            if (original, call.index, 0) in inner:
                continue  # part of the expression of the operation that reads it
            if uses[original] > 1:
                entry = self.names.of_layer.get(original)
                if entry is None:
                    entry = self.names.bind(original)
                    self.shared[entry] = self._shared_entry(scope, call.layer, entry)
                name = self.names.fresh(f"{original}_call{call.index + 1}")
                node = UseNode(use=entry, from_=self._refs(scope, call))
            else:
                name = self.names.bind(original)
                form = self._form(scope, call, name, inner)
                reads = form.inputs if isinstance(form, _Expression) else None
                refs = [self._ref(scope, r) for r in reads] if reads else self._refs(scope, call)
                node = _node(form, refs)
            if call.keywords:
                node = self._with_call(scope, call, node)
            scope.refs[(original, call.index, 0)] = name
            calls.append(Entry(name, original, str(call.layer.get("class_name")), node))
        outputs = {scope.refs.get(ref) for ref in graph.outputs}
        return _fold_chains(self._fold_repeats(calls, outputs), outputs)

    def _fold_repeats(
        self, entries: Sequence[Entry], outputs: set[str | None]
    ) -> list[tuple[str, Node]]:
        """Runs of repeated units as one repeated inline block instance each
        (`graphspec.importer.repeats`); references to a run's output read the instance."""
        read = {name for name in outputs if name is not None}
        folds = find_folds(entries, read, self.names.taken, self.names.fresh)
        nodes: list[tuple[str, Node]] = []
        moved: dict[str, str] = {}
        start = 0
        for fold in folds:
            nodes += [(entry.name, entry.node) for entry in entries[start : fold.start]]
            nodes.append((fold.instance, fold.node))
            moved[entries[fold.stop - 1].name] = fold.instance
            self.blocks[fold.block_name] = self._repeated_block(fold)
            start = fold.stop
        nodes += [(entry.name, entry.node) for entry in entries[start:]]
        return [(name, _rerouted(node, moved)) for name, node in nodes] if moved else nodes

    def _repeated_block(self, fold: Fold) -> Block:
        """The inline block of a folded run; the layers the pattern renames are noted."""
        self.names.of_layer.update(fold.renamed)
        if fold.renamed:
            before, after = list(fold.renamed), list(fold.renamed.values())
            self.notes.append(
                f"{before[0]} ... {before[-1]}: Keras named these {len(before)} weightless "
                f"layers itself; the repeated block '{fold.instance}' names them {after[0]} "
                f"... {after[-1]}"
            )
        return Block(
            inline=True,
            params=fold.params,
            inputs={fold.input_name: BlockInput()},
            nodes=_fold_chains(fold.nodes, {fold.output}),
            outputs={"y": fold.output},
        )

    def _outputs(self, scope: _Scope, graph: KerasGraph) -> list[tuple[str, str]]:
        """(the output layer's spec name, the node it reads) per model output."""
        return [(self.names.of_layer.get(r[0], r[0]), self._ref(scope, r)) for r in graph.outputs]

    def _refs(self, scope: _Scope, call: LayerCall) -> list[str]:
        return [self._ref(scope, ref) for ref in call.inputs]

    def _with_call(self, scope: _Scope, call: LayerCall, node: Node) -> Node:
        """The node with the call's keyword arguments as its `call:` (tensors as references)."""
        if not isinstance(node, LayerNode | UseNode):
            raise problem(
                self.file,
                codes.INEXPRESSIBLE_MODEL,
                f"layer '{call.layer['name']}' is called with the arguments "
                f"{', '.join(call.keywords)}, which a spec gives only to a layer",
                (*scope.path, "layers", call.layer["name"]),
            )
        given: dict[str, Any] = {}
        for key, value in call.keywords.items():
            if isinstance(value, tuple):
                given[key] = self._ref(scope, value)
            elif isinstance(value, list):
                given[key] = [self._ref(scope, ref) for ref in value]
            else:
                given[key] = value
        return node.model_copy(update={"call": given})

    def _ref(self, scope: _Scope, ref: TensorRef) -> str:
        """The spec name of a tensor: a layer call's first output by its node's name, another
        output by its position (`enc.1`)."""
        found = scope.refs.get(ref)
        first = scope.refs.get((ref[0], ref[1], 0))
        if found is None and first is not None and "." not in first:
            return f"{first}.{ref[2]}"
        if found is None:
            layer, node, tensor = ref
            what = f"output {tensor} of " if tensor else ""
            raise problem(
                self.file,
                codes.INEXPRESSIBLE_MODEL,
                f"the model reads {what}call {node} of '{layer}', which graphspec cannot refer to",
                (*scope.path, "layers", layer),
                "graphspec refers to the outputs of a layer call it imports",
            )
        return found

    def _form(
        self,
        scope: _Scope,
        call: LayerCall,
        name: str,
        inner: Mapping[TensorRef, LayerCall] | None = None,
    ) -> _Form:
        """What the call's layer is in a spec; ``name`` is the spec name of its node or
        shared entry; ``inner``: the operations joined into the expression of the call that
        reads them (`_inner_operations`)."""
        layer = call.layer
        kind = str(layer.get("class_name"))
        module = str(layer.get("module") or "")
        config = layer.get("config") or {}
        path = (*scope.path, "layers", layer["name"])
        if kind in MODEL_CLASSES:
            block_name = self.names.fresh(f"{name}_block")
            self.blocks[block_name] = self._block(scope, layer)
            return SharedBlock(block=block_name, with_={})
        if _is_operation(layer):
            return _operation(self.file, call, inner or {}, path)
        if layer.get("registered_name") == _LEGACY_EXPRESSION:
            return _legacy_expression(self.file, layer, path)
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
        merge = _merge_layer(kind, arguments)
        return merge if merge is not None else self._layer(kind, arguments, path)

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
