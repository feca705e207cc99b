"""The smoke run: prove a spec's model trains on random data of the right shapes and types.

`smoke_report` takes an analysed spec (a `Report` with its Plan) and:

1. draws a batch of random inputs: each ``null`` dimension gets the smallest of
   `CANDIDATE_SIZES` for which the static analysis finds no shape error (a Conv1D or pooling
   stack needs a minimum length); an integer input stays below the smallest ``input_dim`` of
   the Embedding layers that read it (found through the Plan's graphs, into blocks and shared
   entries), `DEFAULT_INT_BOUND` when none does;
2. builds and compiles the model as `graphspec build` does; a spec without ``compile`` gets
   ``adam`` and each head's own loss, ``mse`` where it has none;
3. draws per head random targets that fit its loss (`target_kind`): class ids below the
   head's last dimension for a sparse categorical loss, one-hot rows for a categorical one,
   0/1 for a binary one, floats in [0, 1) for regression;
4. computes the gradient of the heads' summed losses (TensorFlow's GradientTape; other
   backends skip this) and names every spec entry holding a trainable variable that gets no
   gradient (dead weights), through the layer names `graphspec.analyse.names` gives;
5. runs one ``train_on_batch``, ``evaluate`` (the loss per head) and ``predict``, compiled
   into graphs as ``fit`` runs them (``eager=True`` runs them eagerly, faster for a test).

A step that raises, or a loss that is not finite, fails the run (`SmokeResult.failure`);
dead weights are reported but do not fail it. Imports Keras (`graphspec.runtime.backend`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphspec.analyse.names import layer_nodes, node_layer_names
from graphspec.analyse.plan import BlockInstance, Plan
from graphspec.diagnostics import Diagnostic
from graphspec.diagnostics.codes import Group
from graphspec.pipeline import Report, analyse, build_report
from graphspec.settings import DEFAULT_OPTIONS, Options
from graphspec.spec.forms import (
    BlockNode,
    LayerNode,
    Node,
    SequenceNode,
    SharedBlock,
    SharedLayer,
    UseNode,
)
from graphspec.spec.model import Spec

CANDIDATE_SIZES = (8, 16, 32, 64, 128, 256, 512, 1024)
"""Sizes tried, smallest first, for every ``null`` input dimension."""

DEFAULT_INT_BOUND = 10
"""Integer inputs that no Embedding reads take values below this."""

DEFAULT_OPTIMIZER = "adam"
DEFAULT_LOSS = "mse"

# Integer-id layers: the argument that bounds the ids they accept.
_ID_LAYERS = {"Embedding": "input_dim", "CategoryEncoding": "num_tokens"}

_SPARSE = ("sparsecategorical",)
_ONE_HOT = (
    "categoricalcrossentropy",
    "categoricalfocalcrossentropy",
    "categoricalhinge",
    "kld",
    "kldivergence",
    "kullbackleiblerdivergence",
)
_BINARY = ("binarycrossentropy", "binaryfocalcrossentropy", "hinge", "squaredhinge")


@dataclass(frozen=True)
class InputData:
    """What was drawn for one input: the batch's shape, dtype, and the ids' bound if any."""

    shape: tuple[int, ...]
    dtype: str
    below: int | None = None


@dataclass(frozen=True)
class HeadResult:
    name: str
    loss_name: str | None
    """The loss the head trained with (None: the head has no loss)."""
    target: str
    """What its random targets are: ``class ids < 10``, ``one-hot of 10``, ``0/1``, ``floats``."""
    loss: float | None = None
    """Its loss from ``evaluate`` (None when it has none, or the run failed before)."""


@dataclass(frozen=True)
class DeadWeights:
    """A spec entry whose trainable variables get no gradient from any head's loss."""

    entry: str
    """Where it is declared: ``nodes.two``, or ``nodes.two > blocks.split.nodes.left`` inside a
    block instance, ``shared.encoder`` for a shared entry."""
    variables: tuple[str, ...]


@dataclass(frozen=True)
class Failure:
    step: str
    """``forward`` (one call, for the heads' shapes), ``gradients``, ``train``, ``evaluate`` or
    ``predict``."""
    message: str


@dataclass(frozen=True)
class SmokeResult:
    """One spec's smoke run."""

    file: str
    name: str | None
    status: str
    """``ok``, ``failed`` (a step raised or gave a non-finite loss) or ``invalid`` (the spec, or
    its model as Keras builds it, has errors: see `diagnostics`)."""
    diagnostics: tuple[Diagnostic, ...] = ()
    batch_size: int = 0
    inputs: Mapping[str, InputData] = field(default_factory=dict)
    heads: tuple[HeadResult, ...] = ()
    loss: float | None = None
    """The total loss from ``evaluate``."""
    dead: tuple[DeadWeights, ...] | None = ()
    """None: not checked (a backend other than TensorFlow, or the run failed before)."""
    failure: Failure | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def target_kind(loss: str | None) -> str:
    """``sparse``, ``one_hot``, ``binary`` or ``float``: what a loss expects as targets."""
    key = (loss or DEFAULT_LOSS).lower().replace("_", "")
    if key.startswith(_SPARSE):
        return "sparse"
    if key in _ONE_HOT:
        return "one_hot"
    if key in _BINARY:
        return "binary"
    return "float"


# ---- inputs --------------------------------------------------------------------------------


def _filled(spec: Spec, size: int) -> Spec:
    inputs = {
        name: entry.model_copy(update={"shape": [size if d is None else d for d in entry.shape]})
        for name, entry in spec.inputs.items()
    }
    return spec.model_copy(update={"inputs": inputs})


def input_shapes(plan: Plan, options: Options = DEFAULT_OPTIONS) -> dict[str, tuple[int, ...]]:
    """Every input's shape (no batch) with each ``null`` dimension given the smallest
    candidate size that the static analysis accepts (the largest when none is accepted: the
    run then shows what Keras says)."""
    spec = plan.spec
    size = CANDIDATE_SIZES[-1]
    if any(None in entry.shape for entry in spec.inputs.values()):
        for candidate in CANDIDATE_SIZES:
            found = analyse(_filled(spec, candidate), options).diagnostics
            if not any(d.is_error and d.code.group is Group.SHAPES for d in found):
                size = candidate
                break
    return {
        name: tuple(size if d is None else d for d in entry.shape)
        for name, entry in spec.inputs.items()
    }


def id_bounds(plan: Plan) -> dict[str, int]:
    """Each integer input → the ids it may hold: below the smallest ``input_dim`` of the
    Embedding layers (``num_tokens`` of CategoryEncoding) it reaches, `DEFAULT_INT_BOUND` when
    it reaches none. Values flow through any live node; they stop at an id layer."""
    spec = plan.spec
    live = {name: spec.nodes[name] for name in plan.top.live_order}
    bounds: dict[str, int] = {}
    for name, entry in spec.inputs.items():
        if entry.dtype.startswith(("int", "uint")):
            found = list(_id_limits(plan, plan.top.graph, live, None, name))
            bounds[name] = min(found) if found else DEFAULT_INT_BOUND
    return bounds


def _id_limits(
    plan: Plan, graph: Any, nodes: Mapping[str, Node], scope: BlockInstance | None, start: str
) -> Iterator[int]:
    seen: set[tuple[str, str]] = set()
    stack = [(start, successor) for successor in graph.successors(start)]
    while stack:
        source, name = stack.pop()
        if (source, name) in seen:
            continue
        seen.add((source, name))
        node = nodes.get(name)
        if node is None:  # pruned: not built
            continue
        limit = _node_id_limit(plan, node, name, scope, source)
        if limit is not None:
            yield from limit
            continue
        stack.extend((name, successor) for successor in graph.successors(name))


def _node_id_limit(
    plan: Plan, node: Node, name: str, scope: BlockInstance | None, source: str
) -> list[int] | None:
    """The id limits the node imposes on what `source` gives it; None: values pass through."""
    if isinstance(node, LayerNode):
        return _layer_limit(node.layer, node.args)
    if isinstance(node, SequenceNode):
        for item in node.sequence:
            limit = _layer_limit(item.layer, item.args)
            if limit is not None:
                return limit
        return None
    positions = [i for i, (ref, _) in enumerate(node.refs()) if ref.partition(".")[0] == source]
    if isinstance(node, UseNode):
        entry = plan.spec.shared[node.use]
        if isinstance(entry, SharedLayer):
            return _layer_limit(entry.layer, entry.args)
        instance = plan.instances[plan.shared_instances[node.use]]
        return _block_limits(plan, instance, positions)
    if isinstance(node, BlockNode):
        return _block_limits(plan, plan.instance(scope, name, node), positions)
    return None


def _block_limits(plan: Plan, instance: BlockInstance, positions: Sequence[int]) -> list[int]:
    block = plan.spec.blocks[instance.block]
    graph = plan.blocks[instance.block].graph
    names = list(block.inputs)
    limits: list[int] = []
    for position in positions:
        if position < len(names):
            limits += _id_limits(plan, graph, instance.nodes, instance, names[position])
    return limits


def _layer_limit(layer: str, args: Mapping[str, Any]) -> list[int] | None:
    if layer == "IntegerLookup":
        return _lookup_limit(args)
    argument = _ID_LAYERS.get(layer)
    if argument is None:
        return None
    value = args.get(argument)
    return [value] if isinstance(value, int) and not isinstance(value, bool) else []


def _lookup_limit(args: Mapping[str, Any]) -> list[int] | None:
    """An IntegerLookup without out-of-vocabulary ids (`num_oov_indices: 0`) refuses any other
    value: its inputs draw below the vocabulary's size when it is 0, 1, ... n-1."""
    vocabulary = args.get("vocabulary")
    if args.get("num_oov_indices") != 0 or not isinstance(vocabulary, list):
        return []
    return [len(vocabulary)] if vocabulary == list(range(len(vocabulary))) else []


_WORDS = ("the", "a", "cat", "sat", "on", "mat", "[UNK]", "")
"""What a string input draws from: words its vocabulary may or may not hold."""


def _closed_vocabulary(plan: Plan, name: str) -> list[str] | None:
    """The inline vocabulary of a StringLookup without out-of-vocabulary ids that reads the
    input ``name`` directly (it refuses any other word), else None."""
    for successor in plan.top.graph.successors(name):
        node = plan.spec.nodes.get(successor)
        if not isinstance(node, LayerNode) or node.layer != "StringLookup":
            continue
        vocabulary = node.args.get("vocabulary")
        if node.args.get("num_oov_indices") == 0 and isinstance(vocabulary, list):
            return [str(word) for word in vocabulary]
    return None


def feedable(arrays: Sequence[np.ndarray]) -> list[Any]:
    """The arrays as Keras takes them: string arrays only as TensorFlow tensors (Keras 3.15's
    fit and predict refuse NumPy's), and then every array, as a call refuses a mix."""
    if not any(array.dtype.kind in "US" for array in arrays):
        return list(arrays)
    import tensorflow as tf  # strings build on TensorFlow only (GS611)

    return [tf.constant(array) for array in arrays]


def random_inputs(
    plan: Plan, shapes: Mapping[str, tuple[int, ...]], batch: int, rng: np.random.Generator
) -> dict[str, tuple[np.ndarray, InputData]]:
    """A batch per live input: floats in [0, 1), ids below their bound, booleans, or words."""
    spec = plan.spec
    bounds = id_bounds(plan)
    drawn: dict[str, tuple[np.ndarray, InputData]] = {}
    for name in plan.top.live_inputs:
        dtype = spec.inputs[name].dtype
        shape = (batch, *shapes[name])
        below = bounds.get(name)
        if below is not None:
            values = rng.integers(0, below, shape).astype(dtype)
        elif dtype == "bool":
            values = rng.integers(0, 2, shape).astype(bool)
        elif dtype == "string":
            values = rng.choice(_closed_vocabulary(plan, name) or _WORDS, shape)
        else:
            values = rng.random(shape, dtype=np.float64).astype(
                "float32" if dtype == "bfloat16" else dtype
            )
        drawn[name] = (values, InputData(shape, dtype, below))
    return drawn


def random_target(kind: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Targets for a head of `shape` (with the batch) that fit a loss of `kind`."""
    if kind == "sparse":
        return rng.integers(0, max(1, shape[-1]), shape[:-1]).astype("int32")
    if kind == "one_hot":
        ids = rng.integers(0, max(1, shape[-1]), shape[:-1])
        return np.eye(shape[-1], dtype="float32")[ids]
    if kind == "binary":
        return rng.integers(0, 2, shape).astype("float32")
    return rng.random(shape, dtype=np.float32)


def _describe_target(kind: str, shape: tuple[int, ...]) -> str:
    return {
        "sparse": f"class ids < {shape[-1]}",
        "one_hot": f"one-hot of {shape[-1]}",
        "binary": "0/1",
        "float": "floats",
    }[kind]


# ---- dead weights --------------------------------------------------------------------------


def weight_owners(model: Any, plan: Plan) -> dict[int, str]:
    """id of each trainable variable → the spec entry that made it (`DeadWeights.entry`)."""
    spec = plan.spec
    owners: dict[int, str] = {}

    def block_of(entry: Node | SharedLayer | SharedBlock | None) -> str | None:
        if isinstance(entry, BlockNode) and spec.is_inline(entry):
            return None  # its layers are the model's own, named by `layer_nodes`
        return entry.block if isinstance(entry, BlockNode | SharedBlock) else None

    top: dict[str, tuple[str, str | None]] = {
        name: (f"shared.{name}", block_of(entry)) for name, entry in spec.shared.items()
    }
    for layer_name, path in layer_nodes(spec, plan.head_layers).items():
        if path.startswith("nodes."):
            top[layer_name] = (path, block_of(spec.nodes[path.removeprefix("nodes.")]))

    def inside(block: str) -> dict[str, tuple[str, str | None]]:
        names = {name: entry for name, entry in top.items() if entry[0].startswith("shared.")}
        for name, node in spec.blocks[block].nodes.items():
            where = (f"blocks.{block}.nodes.{name}", block_of(node))
            names.update((layer_name, where) for layer_name in node_layer_names(spec, name, node))
        return names

    def visit(layer: Any, entry: str, block: str | None) -> None:
        if block is None:
            for variable in layer.trainable_weights:
                owners[id(variable)] = entry
            return
        names = inside(block)
        for sub in layer.layers:
            if sub.trainable_weights:
                where, nested = names.get(sub.name, (f"blocks.{block}", None))
                visit(sub, f"{entry} > {where}", nested)

    for layer in model.layers:
        if layer.trainable_weights:
            where, block = top.get(layer.name, (layer.name, None))
            visit(layer, where, block)
    return owners


def dead_weights(
    model: Any, plan: Plan, x: Any, targets: Sequence[Any], losses: Sequence[Any]
) -> tuple[DeadWeights, ...] | None:
    """The entries whose trainable variables get no gradient from the sum of the heads'
    losses (names, functions or Loss objects; None for a head without) on one batch; None on
    a backend other than TensorFlow."""
    from graphspec.runtime.backend import import_keras

    keras = import_keras()
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    with tf.GradientTape() as tape:
        predicted = model(x, training=True)
        if not isinstance(predicted, list | tuple):
            predicted = [predicted]
        terms = [
            keras.ops.mean(keras.losses.get(loss)(target, output))
            for loss, target, output in zip(losses, targets, predicted, strict=True)
            if loss is not None
        ]
        total = sum(terms[1:], terms[0]) if terms else None
    if total is None:
        return ()
    variables = model.trainable_variables
    gradients = tape.gradient(total, variables)
    owners = weight_owners(model, plan)
    dead: dict[str, list[str]] = {}
    for variable, gradient in zip(variables, gradients, strict=True):
        if gradient is None:
            dead.setdefault(owners.get(id(variable), "?"), []).append(variable.path)
    return tuple(DeadWeights(entry, tuple(paths)) for entry, paths in dead.items())


# ---- the run -------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_tensorflow() -> Iterator[None]:
    """TensorFlow's retracing warnings say nothing of the spec (each model traces anew)."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _finite(value: Any) -> float:
    number = float(np.asarray(value))
    if not math.isfinite(number):
        raise FloatingPointError(f"the loss is not finite ({number})")
    return number


def _loss_objects(spec: Spec, options: Options) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Each head's loss as Keras takes it (arguments and custom objects resolved), or the
    GS313 diagnostics of custom objects that cannot be imported."""
    from graphspec.runtime.backend import import_keras
    from graphspec.train.compile import head_losses, import_custom_objects

    keras = import_keras()
    custom, problems = import_custom_objects(spec, options, keras)
    return ({} if problems else head_losses(spec, keras, custom)), problems


def smoke_report(
    report: Report,
    options: Options = DEFAULT_OPTIONS,
    batch_size: int = 2,
    seed: int = 0,
    eager: bool = False,
) -> SmokeResult:
    """Smoke-run an analysed spec (module docstring); never raises for what the model does.

    `eager` runs the steps without compiling them into graphs (``run_eagerly``): about four
    times faster for a tiny batch, but it does not try what only graph tracing meets.
    """
    started = time.perf_counter()
    name = report.spec.name if report.spec is not None else None
    if report.plan is None or not report.ok:
        return SmokeResult(report.file, name, "invalid", report.diagnostics)
    plan = report.plan
    spec = plan.spec
    rng = np.random.default_rng(seed)
    drawn = random_inputs(plan, input_shapes(plan, options), batch_size, rng)
    inputs = {n: data for n, (_, data) in drawn.items()}

    from graphspec.emit.recursion import deep_recursion, plan_layer_bound

    with deep_recursion(plan_layer_bound(plan)), _quiet_tensorflow():
        model, built = build_report(report, options)
        if model is None:
            return SmokeResult(report.file, name, "invalid", built.diagnostics, batch_size, inputs)
        heads = list(spec.outputs)
        losses: list[str | None] = [spec.outputs[h].loss_name for h in heads]
        loss_objects, problems = _loss_objects(spec, options)
        if problems:
            found = (*built.diagnostics, *problems)
            return SmokeResult(report.file, name, "invalid", found, batch_size, inputs)
        if spec.compile is None:
            losses = [loss or DEFAULT_LOSS for loss in losses]
            loss_objects = {h: loss_objects.get(h, DEFAULT_LOSS) for h in heads}
            model.compile(optimizer=DEFAULT_OPTIMIZER, loss=loss_objects)
        if eager:
            model.run_eagerly = True
        arrays = feedable([drawn[t.name][0] for t in model.inputs])
        x = arrays if len(arrays) > 1 else arrays[0]
        kinds = [target_kind(loss) for loss in losses]
        results = [
            HeadResult(h, loss, kind) for h, loss, kind in zip(heads, losses, kinds, strict=True)
        ]
        step = "forward"
        dead: tuple[DeadWeights, ...] | None = None
        try:
            predicted = model(x, training=False)
            if not isinstance(predicted, list | tuple):
                predicted = [predicted]
            shapes = [tuple(int(d) for d in p.shape) for p in predicted]
            targets = [random_target(k, s, rng) for k, s in zip(kinds, shapes, strict=True)]
            results = [
                HeadResult(h, loss, _describe_target(k, s))
                for h, loss, k, s in zip(heads, losses, kinds, shapes, strict=True)
            ]
            y: Any = dict(zip(heads, targets, strict=True)) if len(heads) > 1 else targets[0]
            step = "gradients"
            dead = dead_weights(model, plan, x, targets, [loss_objects.get(h) for h in heads])
            step = "train"
            with warnings.catch_warnings():  # dead weights are reported above, not warned of
                warnings.filterwarnings("ignore", "Gradients do not exist", UserWarning)
                _finite(model.train_on_batch(x, y, return_dict=True)["loss"])
            step = "evaluate"
            logs = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
            total = _finite(logs["loss"])
            step = "predict"
            model.predict(x, batch_size=batch_size, verbose=0)
        except Exception as error:  # Keras raises many types; each is the run's failure
            text = str(error).strip().splitlines()
            message = f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")
            return SmokeResult(
                report.file,
                name,
                "failed",
                built.diagnostics,
                batch_size,
                inputs,
                tuple(results),
                dead=dead,
                failure=Failure(step, message[:500]),
                seconds=time.perf_counter() - started,
            )
    per_head = (
        {heads[0]: total}
        if len(heads) == 1
        else {h: float(logs[f"{h}_loss"]) for h in heads if f"{h}_loss" in logs}
    )
    heads_done = tuple(
        HeadResult(r.name, r.loss_name, r.target, per_head.get(r.name) if r.loss_name else None)
        for r in results
    )
    return SmokeResult(
        report.file,
        name,
        "ok",
        built.diagnostics,
        batch_size,
        inputs,
        heads_done,
        total,
        dead,
        seconds=time.perf_counter() - started,
    )
