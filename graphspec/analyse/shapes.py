"""Static shapes and parameters: walk the resolved scopes in order and apply the rules of
`graphspec.catalogue.shape_rules`.

No Keras here: every node's output shape and parameter count is inferred in pure Python, so
`validate` finds shape errors in a blink, naming the node, its inputs and their shapes.
Block instances are inferred from their resolved nodes (parameters already substituted by
`graphspec.analyse.blocks.resolve_instances`), once per instance and input shapes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from graphspec.analyse.calls import state_count
from graphspec.analyse.plan import BlockInstance, NodeStatic
from graphspec.analyse.references import node_outputs
from graphspec.analyse.state import Analysis, Instances, Scopes, Shapes
from graphspec.catalogue.custom import CustomLayer
from graphspec.catalogue.shape_rules import (
    LayerShape,
    ShapeError,
    infer_layer,
    infer_merge,
    known_layers,
)
from graphspec.diagnostics import Code, Diagnostic, SpecPath, codes
from graphspec.diagnostics.reporter import Reporter
from graphspec.read.vocabulary import inline_vocabulary
from graphspec.settings import Options
from graphspec.shape import Shape, format_shape
from graphspec.spec.base import keras_arguments
from graphspec.spec.forms import (
    BlockNode,
    ExprNode,
    LayerNode,
    Node,
    OpNode,
    SequenceNode,
    SharedLayer,
    UseNode,
    input_refs,
)
from graphspec.spec.model import Spec


def _fmt(shape: Shape | None) -> str:
    """A batch-less shape as diagnostics print every shape: with the batch, as Keras does."""
    return format_shape(shape, batch=True)


@dataclasses.dataclass(frozen=True)
class _Result:
    outputs: tuple[Shape | None, ...]
    trainable: int | None
    non_trainable: int | None


_UNKNOWN = _Result((None,), None, None)


def _add(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def _custom_rule(
    custom: CustomLayer, args: Mapping[str, Any], shapes: Sequence[Shape]
) -> LayerShape | None:
    """A custom layer's declared rule (`shape = "same"`), or None when it declares none."""
    if custom.shape is None:
        return None
    if len(shapes) != 1:
        raise ValueError(f"custom layer {custom.name} declares shape 'same' but has several inputs")
    trainable, frozen = custom.params(args)
    return LayerShape((shapes[0],), trainable, frozen)


class _Inferer(Reporter):
    """Infers one spec's shapes and parameters scope by scope, in build order."""

    def __init__(self, spec: Spec, scopes: Scopes, instances: Instances, options: Options) -> None:
        super().__init__(spec.source)
        self.spec = spec
        self.scopes = scopes
        self.instances = instances
        self.limits = options.limits
        self.custom = options.custom_layers
        self.shared: dict[str, tuple[str, tuple[Shape | None, ...], _Result]] = {}
        """Shared entry -> its first use: where, the input shapes, the inferred result."""
        self.block_cache: dict[tuple[str, tuple[Shape | None, ...]], _Result] = {}
        self.no_rule: set[str] = set()
        self.vocabularies: Mapping[str, tuple[str, ...]] = {}
        """Vocabulary files read by `read_vocabularies`: the rules count their tokens."""

    def report(
        self,
        code: Code,
        message: str,
        path: SpecPath,
        hint: str | None = None,
        at_value: bool = False,
    ) -> None:
        """Once per code, place and message: a block instance may be inferred many times."""
        self.error(code, message, path, hint, key=not at_value, once=True)

    # ---- one layer ---------------------------------------------------------------------------

    def layer(
        self,
        path: SpecPath,
        label: str,
        layer: str,
        args: Mapping[str, Any],
        inputs: Sequence[tuple[str, Shape | None]],
        call: Mapping[str, Any] | None = None,
    ) -> _Result:
        shapes = [shape for _, shape in inputs]
        if any(shape is None for shape in shapes):
            return _Result((None,), None, None)
        try:
            custom = self.custom.get(layer)
            if custom is not None:
                result = _custom_rule(custom, args, [s for s in shapes if s is not None])
            else:
                arguments = inline_vocabulary(
                    layer, keras_arguments(layer, args), self.vocabularies
                )
                result = infer_layer(
                    layer, arguments, [s for s in shapes if s is not None], _plain(call)
                )
        except ShapeError as error:
            # The rule says which argument's value it refuses whatever the input (GS310, at
            # that value); without one, the input's shape is what does not fit (GS602).
            if error.argument is not None:
                argument = (
                    "wraps" if error.argument == "layer" and "wraps" in args else error.argument
                )
                message = f"{label} ({layer}): {error.message}"
                at = (*path, argument) if argument in args else path
                self.report(
                    codes.BAD_ARGUMENT_VALUE, message, at, error.hint, at_value=argument in args
                )
                return _Result((None,), None, None)
            sides = ", ".join(f"'{ref}' gives {_fmt(shape)}" for ref, shape in inputs)
            self.report(
                codes.LAYER_SHAPE, f"{label} ({layer}): {error.message}; {sides}", path, error.hint
            )
            return _Result((None,), None, None)
        except (TypeError, ValueError, KeyError, IndexError) as error:
            # An argument of an unexpected form: Keras will judge it when building.
            self.report(
                codes.NO_SHAPE_RULE,
                f"{label} ({layer}): shape not inferred statically ({error}); "
                "checked by Keras when building",
                path,
            )
            return _Result((None,), None, None)
        if result is None:
            if layer not in self.no_rule:
                self.no_rule.add(layer)
                what = (
                    f"the static rule of '{layer}' does not read this node's arguments (such "
                    "as lora_rank, or a value given in another form)"
                    if layer in known_layers()
                    else f"no static shape rule for layer '{layer}'"
                )
                self.report(
                    codes.NO_SHAPE_RULE,
                    f"{what}: its output shape is unknown to 'validate' and checked by Keras "
                    "when building",
                    path,
                )
            return _Result((None,), None, None)
        params = result.trainable + result.non_trainable
        if params > self.limits.max_params:
            self.report(
                codes.TOO_MANY_PARAMS,
                f"{label} ({layer}) would have {params:,} parameters, over the cap of "
                f"{self.limits.max_params:,}",
                path,
                "check the sizes (units, filters, input_dim); raise the cap with --max-params",
            )
            return _Result(tuple(result.outputs), None, None)
        return _Result(tuple(result.outputs), result.trainable, result.non_trainable)

    # ---- nodes -------------------------------------------------------------------------------

    def node(
        self,
        base: SpecPath,
        name: str,
        node: Node,
        shapes: Mapping[str, Shape | None],
        scope: BlockInstance | None,
        where_in: str,
    ) -> _Result:
        """One node as built in a scope (its parameters already substituted)."""
        path = (*base, "nodes", name)
        where = f"'{name}'" + (f" in {where_in}" if where_in else "")
        inputs = [(ref, shapes.get(ref)) for ref in input_refs(node)]
        if isinstance(node, LayerNode):
            result = self.layer(path, where, node.layer, node.args, inputs, node.call)
            self.initial_state(path, where, node.layer, node.args, node.call, inputs, shapes)
            return result
        if isinstance(node, SequenceNode):
            current = inputs
            trainable: int | None = 0
            non_trainable: int | None = 0
            names = [n for n, _ in node.layer_names(name)]
            result = _UNKNOWN
            for index, item in enumerate(node.sequence):
                label = f"{where} item {index} '{names[index]}'"
                result = self.layer(
                    (*path, "sequence", index), label, item.layer, item.args, current
                )
                trainable = _add(trainable, result.trainable)
                non_trainable = _add(non_trainable, result.non_trainable)
                current = [(names[index], result.outputs[0])]
            return _Result(result.outputs, trainable, non_trainable)
        if isinstance(node, OpNode):
            return self.merge(path, where, node, inputs)
        if isinstance(node, ExprNode):
            return self.expression(path, where, node, shapes)
        if isinstance(node, UseNode):
            entry = self.spec.shared[node.use]
            if isinstance(entry, SharedLayer):
                self.initial_state(path, where, entry.layer, entry.args, node.call, inputs, shapes)
            return self.use(path, where, node, inputs)
        assert isinstance(node, BlockNode)
        repetitions = self.repetitions(scope, name)
        result = _Result(tuple(s for _, s in inputs), 0, 0)
        block_trainable: int | None = 0
        block_frozen: int | None = 0
        feed: list[Shape | None] = [shape for _, shape in inputs]
        for copy, instance in enumerate(repetitions):
            label = f"block instance '{name}'" + (f" #{copy + 1}" if node.repeat > 1 else "")
            result = self.block(path, instance, feed, label)
            block_trainable = _add(block_trainable, result.trainable)
            block_frozen = _add(block_frozen, result.non_trainable)
            feed = list(result.outputs)
        return _Result(result.outputs, block_trainable, block_frozen)

    def repetitions(self, scope: BlockInstance | None, name: str) -> list[BlockInstance]:
        """The instances a block node builds, one per repetition (`each:` differs them)."""
        calls = self.instances.top_calls if scope is None else scope.calls
        return [self.instances.instances[key] for key in calls[name]]

    def merge(
        self, path: SpecPath, where: str, node: OpNode, inputs: Sequence[tuple[str, Shape | None]]
    ) -> _Result:
        if any(shape is None for _, shape in inputs):
            return _Result((None,), 0, 0)
        try:
            merged = infer_merge(
                node.op,
                [(ref, shape) for ref, shape in inputs if shape is not None],
                axis=node.axis,
                axes=node.axes,
                normalize=node.normalize,
            )
        except ShapeError as error:
            # DESIGN's form: "add 'merge': 'conv2' gives (...) but 'shortcut' gives (...)"
            detail = error.message.removeprefix(f"{node.op}: ").removeprefix(f"{node.op} ")
            self.report(codes.MERGE_SHAPE, f"{node.op} {where}: {detail}", path, error.hint)
            return _Result((None,), 0, 0)
        return _Result((merged.output,), 0, 0)

    def expression(
        self, path: SpecPath, where: str, node: ExprNode, shapes: Mapping[str, Shape | None]
    ) -> _Result:
        batched: dict[str, Shape] = {}
        for key, ref in node.from_.items():
            known = shapes.get(ref)
            if known is None:
                return _Result((None,), 0, 0)
            batched[key] = (None, *known)
        try:
            from graphspec.spec.expression import infer_expr_shape  # only for expr nodes

            shape = infer_expr_shape(node.expr, batched)[1:]
        except ValueError as error:
            self.report(codes.EXPRESSION_SHAPE, f"expression {where}: {error}", (*path, "expr"))
            return _Result((None,), 0, 0)
        return _Result((shape,), 0, 0)

    def use(
        self,
        path: SpecPath,
        where: str,
        node: UseNode,
        inputs: Sequence[tuple[str, Shape | None]],
    ) -> _Result:
        entry = self.spec.shared[node.use]
        first = self.shared.get(node.use)
        shapes = tuple(shape for _, shape in inputs)
        if isinstance(entry, SharedLayer):
            result = self.layer(path, where, entry.layer, entry.args, inputs, node.call)
        else:
            instance = self.instances.instances[self.instances.shared_instances[node.use]]
            result = self.block(path, instance, shapes, f"shared '{node.use}'")
        if first is None:
            self.shared[node.use] = (where, shapes, result)
            return result
        first_where, first_shapes, first_result = first
        known = None not in shapes and None not in first_shapes
        block_mismatch = not isinstance(entry, SharedLayer) and shapes != first_shapes
        weights_differ = (result.trainable, result.non_trainable) != (
            first_result.trainable,
            first_result.non_trainable,
        )
        if known and (block_mismatch or weights_differ):
            given = ", ".join(_fmt(s) for s in shapes)
            before = ", ".join(_fmt(s) for s in first_shapes)
            self.report(
                codes.SHARED_SHAPE,
                f"shared '{node.use}' is built for {before} at its first use {first_where}, "
                f"but {where} gives {given}",
                path,
                "every use of a shared entry shares its weights, so the inputs must fit them",
            )
        return _Result(result.outputs, 0, 0)  # the weights count at the first use

    def block(
        self,
        path: SpecPath,
        instance: BlockInstance,
        shapes: Sequence[Shape | None],
        label: str,
    ) -> _Result:
        """Infer one block instance (cached: instances with equal inputs infer alike)."""
        key = (instance.key, tuple(shapes))
        if key in self.block_cache:
            return self.block_cache[key]
        block_name = instance.block
        block = self.spec.blocks[block_name]
        known: dict[str, Shape | None] = {}
        for (input_name, declared), shape in zip(block.inputs.items(), shapes, strict=False):
            if declared.shape is not None and shape is not None:
                expected = tuple(declared.shape)
                if len(expected) != len(shape) or any(
                    e is not None and s is not None and e != s
                    for e, s in zip(expected, shape, strict=False)
                ):
                    self.report(
                        codes.SHARED_SHAPE,
                        f"{label}: block '{block_name}' input '{input_name}' is declared "
                        f"{_fmt(expected)} but receives {_fmt(shape)}",
                        path,
                    )
            known[input_name] = shape if declared.shape is None else tuple(declared.shape)
        base: SpecPath = ("blocks", block_name)
        trainable: int | None = 0
        non_trainable: int | None = 0
        for node_name, node in instance.nodes.items():
            result = self.node(base, node_name, node, known, instance, label)
            self.record(node_name, node, result, known)
            trainable = _add(trainable, result.trainable)
            non_trainable = _add(non_trainable, result.non_trainable)
        outputs = tuple(known.get(ref) for ref in block.outputs.values())
        result = _Result(outputs, trainable, non_trainable)
        self.block_cache[key] = result
        return result

    def output_names(self, node: Node) -> tuple[str, ...]:
        """The names of a node's outputs: its block's, or its layer's (none when unknown)."""
        block = self.spec.block_outputs(node)
        if block:
            return tuple(block)
        found = node_outputs(self.spec, node, self.custom.layers)
        return () if found is None else found.names

    def record(
        self, name: str, node: Node, result: _Result, shapes: dict[str, Shape | None]
    ) -> None:
        """A node's outputs under every reference to them: `node` (the first), `node.0`,
        `node.state_h`."""
        shapes[name] = result.outputs[0] if result.outputs else None
        for position, shape in enumerate(result.outputs):
            shapes[f"{name}.{position}"] = shape
        for out, shape in zip(self.output_names(node), result.outputs, strict=False):
            shapes[f"{name}.{out}"] = shape

    def initial_state(
        self,
        path: SpecPath,
        where: str,
        layer: str,
        args: Mapping[str, Any],
        call: Mapping[str, Any],
        inputs: Sequence[tuple[str, Shape | None]],
        shapes: Mapping[str, Shape | None],
    ) -> None:
        """Report (INITIAL_STATE) a state in `initial_state` not shaped as the RNN's state."""
        given = call.get("initial_state")
        refs = [given] if isinstance(given, str) else given
        if not isinstance(refs, list) or any(s is None for _, s in inputs):
            return
        expected = _state_shapes(layer, args, [s for _, s in inputs if s is not None])
        if expected is None or len(expected) != len(refs):
            return  # the count is checked with the call arguments
        for position, (ref, want) in enumerate(zip(refs, expected, strict=True)):
            got = shapes.get(ref)
            if got is not None and got != want:
                self.report(
                    codes.INITIAL_STATE,
                    f"{where} ({layer}): initial state '{ref}' is {_fmt(got)}, but the layer's "
                    f"state is {_fmt(want)}",
                    (*path, "call", "initial_state", *((position,) if len(refs) > 1 else ())),
                    "the states must match the layer's units",
                    at_value=True,
                )

    # ---- the whole spec ----------------------------------------------------------------------

    def run(self) -> Shapes:
        spec, top = self.spec, self.scopes.top
        shapes: dict[str, Shape | None] = {}
        static: dict[str, NodeStatic] = {}
        for name in top.live_inputs:
            shapes[name] = tuple(spec.inputs[name].shape)
            static[name] = NodeStatic("Input", shapes[name])
        for name in top.live_order:
            node = self.instances.top_nodes[name]
            result = self.node((), name, node, shapes, None, "")
            self.record(name, node, result, shapes)
            outputs = self.output_names(node)
            named = spec.block_outputs(node) or len(result.outputs) > 1
            static[name] = NodeStatic(
                node.label(spec),
                shapes[name],
                result.trainable,
                result.non_trainable,
                {out: shapes.get(f"{name}.{out}") for out in outputs} if named else {},
            )
        heads = {head: shapes.get(entry.from_) for head, entry in spec.outputs.items()}
        return Shapes(static, heads)


def _plain(call: Mapping[str, Any] | None) -> dict[str, Any]:
    """The call arguments that are plain values (flags, numbers), not references."""
    return {k: v for k, v in (call or {}).items() if not isinstance(v, str | list)}


def _state_shapes(
    layer: str, args: Mapping[str, Any], inputs: Sequence[Shape]
) -> tuple[Shape, ...] | None:
    """The shapes of the states an RNN's `initial_state` lists; None when not known."""
    count = state_count(layer, args)
    if count is None:
        return None
    given = keras_arguments(layer, args)
    inner = given.get("layer")
    if isinstance(inner, Mapping):
        given["layer"] = {**inner, "return_state": True}
    else:
        given["return_state"] = True
    try:
        result = infer_layer(layer, given, inputs)
    except (ShapeError, TypeError, ValueError, KeyError, IndexError):
        return None
    return None if result is None else tuple(result.outputs[-count:])


def infer_shapes(analysis: Analysis) -> list[Diagnostic]:
    """Infer every live node's shape and parameters; shape errors come back as diagnostics."""
    assert analysis.scopes is not None and analysis.instances is not None
    inferer = _Inferer(analysis.spec, analysis.scopes, analysis.instances, analysis.options)
    inferer.vocabularies = analysis.vocabularies
    analysis.shapes = inferer.run()
    return inferer.diagnostics
