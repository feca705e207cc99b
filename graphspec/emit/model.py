"""Emit stage: a Plan to an uncompiled keras.Model on the selected backend.

Emit trusts the Plan (references, order and pruning are proven by analyse); what only Keras
can reject (an argument value it refuses, an incompatible shape) is caught per node and turned
into a diagnostic that names the node and its line, never a traceback. Keras comes from
`graphspec.runtime.backend`; compiling is a separate step (`graphspec.train.compile`), so that
a model can be built and compiled inside a distribution strategy's scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphspec.analyse.names import (
    Rename,
    built_layer_names,
    final_layer_name,
    inline_rename,
    keep,
)
from graphspec.analyse.plan import BlockInstance, Plan
from graphspec.analyse.references import node_outputs
from graphspec.catalogue.custom import CustomLayerError
from graphspec.diagnostics import Diagnostic, Severity, SpecPath, codes
from graphspec.diagnostics.reporter import Locator
from graphspec.emit.arguments import keras_values
from graphspec.runtime.backend import import_keras
from graphspec.settings import DEFAULT_OPTIONS, Options
from graphspec.spec.base import LAYER_VALUED_ARGS, MERGE_LAYERS, WRAPPERS, keras_arguments
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
from graphspec.spec.model import Block

# Layers whose call takes several tensors as positional arguments rather than one list.
_POSITIONAL_INPUTS = {"MultiHeadAttention", "GroupQueryAttention"}


def keras_rejected(at: Locator, path: SpecPath, error: Exception) -> Diagnostic:
    """The GS501 diagnostic for an exception Keras raised at a spec path (first line, capped)."""
    text = str(error).strip().splitlines()
    detail = text[0] if text else type(error).__name__
    if len(detail) > 300:
        detail = detail[:297] + "..."
    name = ".".join(str(p) for p in path)
    if isinstance(error, CustomLayerError):  # an import problem, not Keras refusing the node
        hint = (
            "an allowed class is named module.Class; its module must import in this Python: "
            "install its package, or add its folder to PYTHONPATH"
        )
        return Diagnostic(
            codes.CUSTOM_IMPORT_FAILED, Severity.ERROR, detail, at.at_key(path), path, hint
        )
    message = f"Keras rejected '{name}': {type(error).__name__}: {detail}"
    return Diagnostic(codes.KERAS_REFUSED, Severity.ERROR, message, at.at_key(path), path)


class _NodeFailed(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class _Builder:
    """Builds one Plan's keras.Model: inputs, then each live node in the plan's order, then
    one output per head.

    Tensors are kept by reference name in a dict per scope (``node`` and ``node.output``, as
    specs write them). A `shared` entry is made once, at its first `use`, and called again at
    every later one, so its weights are shared. A `block` instance is a nested keras.Model,
    built by the same node code over the block instance's nodes as the Plan resolved them
    (parameters substituted); `repeat` chains fresh instances. Every layer is named as
    `graphspec.analyse.names` says: a head's node's final layer after the head (the Plan's
    `head_layers`); a head whose node's final layer is not its own to rename (a `use`, an
    input, one output of a block, a node another head renames) gets an Identity layer of its
    name, so `model.output_names` are the heads, in order.

    Diagnostic boundary: any exception raised while one node's layers are made or called (by
    Keras, or by importing a custom layer) becomes one GS501 diagnostic at that node's key
    (`fail`), and likewise for a head's Identity layer and the Model itself. It travels as
    `_NodeFailed` to `emit_model`, which returns it; the first failure stops the build, since
    later nodes would only fail for want of its output. The model is returned uncompiled.
    """

    def __init__(self, plan: Plan, options: Options, keras: Any) -> None:
        self.plan = plan
        self.custom = options.custom_layers
        self.spec = plan.spec
        self.keras = keras
        self.at = Locator(plan.spec.source)
        self.shared: dict[str, Any] = {}
        self.rename: Rename = keep
        """How the scope being built names its layers: as written, or as an inline instance
        renames them (`graphspec.analyse.names.inline_rename`)."""

    def fail(self, path: SpecPath, error: Exception) -> _NodeFailed:
        return _NodeFailed(keras_rejected(self.at, path, error))

    # ---- layers ----------------------------------------------------------------------------

    def make_layer(self, class_name: str, name: str, args: Mapping[str, Any]) -> Any:
        custom = self.custom.get(class_name)
        if custom is not None:
            from graphspec.emit.custom_layers import load_class

            cls = load_class(custom, self.keras, self.custom.source)
            return cls(name=name, **keras_values(args, self.keras))
        cls = getattr(self.keras.layers, class_name)
        arguments = keras_values(
            keras_arguments(class_name, args), self.keras, class_name, self.plan.vocabularies
        )
        if class_name in WRAPPERS:
            for arg in LAYER_VALUED_ARGS:
                inner = arguments.get(arg)
                if isinstance(inner, Mapping):
                    inner_args = {k: v for k, v in inner.items() if k != "layer"}
                    suffix = "backward" if arg == "backward_layer" else "wrapped"
                    arguments[arg] = self.make_layer(inner["layer"], f"{name}_{suffix}", inner_args)
        return cls(name=name, **arguments)

    def call(
        self,
        layer: Any,
        inputs: list[Any],
        positional: bool = False,
        keywords: Mapping[str, Any] | None = None,
    ) -> Any:
        """Call a layer on its inputs (one tensor, a list, or several positional tensors),
        with the node's `call:` arguments as keywords."""
        keywords = keywords or {}
        if len(inputs) == 1:
            return layer(inputs[0], **keywords)
        return layer(*inputs, **keywords) if positional else layer(inputs, **keywords)

    def shared_entry(self, name: str, callers: list[Any]) -> Any:
        """The one layer (or block model) of a shared entry, made at its first use."""
        if name not in self.shared:
            entry = self.spec.shared[name]
            if isinstance(entry, SharedLayer):
                self.shared[name] = self.make_layer(entry.layer, name, entry.args)
            else:
                instance = self.plan.instances[self.plan.shared_instances[name]]
                self.shared[name] = self.block_model(instance, name, callers)
        return self.shared[name]

    def block_model(
        self, instance: BlockInstance, model_name: str, callers: list[Any] | None
    ) -> Any:
        """A nested keras Model for one block instance (its nodes resolved by the Plan)."""
        block: Block = self.spec.blocks[instance.block]
        keras = self.keras
        tensors: dict[str, Any] = {}
        model_inputs = []
        for index, (name, spec) in enumerate(block.inputs.items()):
            caller = callers[index] if callers else None
            if spec.shape is not None:
                shape = tuple(spec.shape)
            elif caller is not None:
                shape = tuple(caller.shape[1:])
            else:
                raise ValueError(f"block '{instance.block}' input '{name}' needs a 'shape' here")
            dtype = spec.dtype or (caller.dtype if caller is not None else "float32")
            tensors[name] = keras.Input(shape=shape, dtype=dtype, name=name)
            model_inputs.append(tensors[name])
        outputs = self.block_body(instance, tensors, keep)
        return keras.Model(
            inputs=model_inputs if len(model_inputs) > 1 else model_inputs[0],
            outputs=outputs if len(outputs) > 1 else outputs[0],
            name=model_name,
        )

    def block_body(
        self, instance: BlockInstance, tensors: dict[str, Any], rename: Rename
    ) -> list[Any]:
        """Build one block instance's nodes over `tensors` (its inputs, by name), their layers
        named by `rename`; returns the block's outputs."""
        outer, self.rename = self.rename, rename
        try:
            for node_name, node in instance.nodes.items():
                final = rename(final_layer_name(node_name, node))
                base: SpecPath = ("blocks", instance.block)
                self.build_node(base, node_name, node, tensors, instance, final)
        finally:
            self.rename = outer
        block = self.spec.blocks[instance.block]
        return [tensors[ref] for ref in block.outputs.values()]

    def block_instances(
        self,
        name: str,
        node: BlockNode,
        inputs: list[Any],
        scope: BlockInstance | None,
        final_name: str,
    ) -> Any:
        """A block node's repetitions, chained: nested models, or expanded in place (inline)."""
        repetitions = self.plan.repetitions(scope, name)
        current = inputs
        output: Any = None
        if self.spec.is_inline(node):
            block = self.spec.blocks[node.block]
            for copy, instance in enumerate(repetitions):
                tensors = dict(zip(block.inputs, current, strict=True))
                rename = inline_rename(name, node, copy, self.rename)
                outputs = self.block_body(instance, tensors, rename)
                output = outputs if len(outputs) > 1 else outputs[0]
                current = outputs
            return output
        names = [self.rename(model_name) for model_name in built_layer_names(name, node)]
        names[-1] = final_name
        for model_name, instance in zip(names, repetitions, strict=True):
            model = self.block_model(instance, model_name, current)
            output = self.call(model, current)
            current = [output]
        return output

    # ---- nodes -----------------------------------------------------------------------------

    def build_node(
        self,
        base: SpecPath,
        name: str,
        node: Node,
        tensors: dict[str, Any],
        scope: BlockInstance | None,
        final_name: str,
    ) -> None:
        """Create (or reuse) the node's layers and record its output tensor(s)."""
        path = (*base, "nodes", name)
        inputs = [tensors[ref] for ref in input_refs(node)]
        keywords = _call_keywords(node, tensors)
        try:
            output = self._node_output(name, node, inputs, keywords, scope, final_name)
        except _NodeFailed:
            raise
        except Exception as error:  # Keras raises many types; each becomes a diagnostic
            raise self.fail(path, error) from error
        self._record(name, node, output, tensors)

    def _node_output(
        self,
        name: str,
        node: Node,
        inputs: list[Any],
        keywords: Mapping[str, Any],
        scope: BlockInstance | None,
        final_name: str,
    ) -> Any:
        keras = self.keras
        if isinstance(node, LayerNode):
            layer = self.make_layer(node.layer, final_name, node.args)
            return self.call(layer, inputs, node.layer in _POSITIONAL_INPUTS, keywords)
        if isinstance(node, UseNode):
            entry = self.spec.shared[node.use]
            positional = isinstance(entry, SharedLayer) and entry.layer in _POSITIONAL_INPUTS
            return self.call(self.shared_entry(node.use, inputs), inputs, positional, keywords)
        if isinstance(node, BlockNode):
            return self.block_instances(name, node, inputs, scope, final_name)
        if isinstance(node, OpNode):
            cls = getattr(keras.layers, MERGE_LAYERS[node.op])
            if node.op == "concatenate":
                layer = cls(axis=-1 if node.axis is None else node.axis, name=final_name)
            elif node.op == "dot":
                axes: Any = -1 if node.axes is None else node.axes
                layer = cls(
                    axes=tuple(axes) if isinstance(axes, list) else axes,
                    normalize=node.normalize,
                    name=final_name,
                )
            else:
                layer = cls(name=final_name)
            return layer(inputs)
        if isinstance(node, ExprNode):
            # keras.ops calls, the last one named `final_name`: the saved model needs no
            # graphspec class (see graphspec.emit.expression_layer)
            from graphspec.emit.expression_layer import emit_expression

            bound = dict(zip(node.from_, inputs, strict=True))
            return emit_expression(keras, node.expr, bound, final_name)
        assert isinstance(node, SequenceNode)
        names = [self.rename(layer_name) for layer_name in built_layer_names(name, node)]
        names[-1] = final_name
        current = inputs
        output = None
        for item, layer_name in zip(node.sequence, names, strict=True):
            layer = self.make_layer(item.layer, layer_name, item.args)
            output = self.call(layer, current)
            current = [output[0] if isinstance(output, list | tuple) else output]
        return output

    def _record(self, name: str, node: Node, output: Any, tensors: dict[str, Any]) -> None:
        """A node's outputs under every reference analyse accepted: `node` (its first output;
        all a custom layer returns), `node.0`, `node.state_h`, a block's `inst.y`."""
        names = self.spec.block_outputs(node)
        known: tuple[str, ...] | list[str] | None = names
        if not names:
            found = node_outputs(self.spec, node, self.custom.layers)
            known = None if found is None else found.names
        several = isinstance(output, list | tuple)
        values = list(output) if several else [output]
        tensors[name] = values[0] if several and known is not None else output
        for position, tensor in enumerate(values):
            tensors[f"{name}.{position}"] = tensor
        for out, tensor in zip(known or (), values, strict=False):
            tensors[f"{name}.{out}"] = tensor

    # ---- the model ---------------------------------------------------------------------------

    def build(self) -> Any:
        keras = self.keras
        spec, plan = self.spec, self.plan
        tensors: dict[str, Any] = {}
        model_inputs = []
        for name in plan.top.live_inputs:
            declared = spec.inputs[name]
            tensors[name] = keras.Input(
                shape=tuple(declared.shape), dtype=declared.dtype, name=name
            )
            model_inputs.append(tensors[name])
        head_of = {node: head for head, node in plan.head_layers.items()}
        for name in plan.top.live_order:
            node = plan.nodes.get(name) or spec.nodes[name]
            final = final_layer_name(name, node, head_of.get(name))
            self.build_node((), name, node, tensors, None, final)
        outputs = []
        for head, entry in spec.outputs.items():
            tensor = tensors[entry.from_]
            if head not in plan.head_layers:
                try:
                    tensor = keras.layers.Identity(name=head)(tensor)
                except Exception as error:
                    raise self.fail(("outputs", head), error) from error
            outputs.append(tensor)
        try:
            model = keras.Model(
                inputs=model_inputs if len(model_inputs) > 1 else model_inputs[0],
                outputs=outputs if len(outputs) > 1 else outputs[0],
                name=spec.name,
            )
        except Exception as error:
            raise self.fail(("name",), error) from error
        return model


def _call_keywords(node: Node, tensors: Mapping[str, Any]) -> dict[str, Any]:
    """A node's `call:` as Keras keyword arguments: references become their tensors."""
    call: Mapping[str, Any] = getattr(node, "call", {})
    keywords: dict[str, Any] = {}
    for key, value in call.items():
        if isinstance(value, str):
            keywords[key] = tensors[value]
        elif isinstance(value, list):
            keywords[key] = [tensors[ref] for ref in value]
        else:
            keywords[key] = value
    return keywords


def emit_model(plan: Plan, options: Options = DEFAULT_OPTIONS) -> tuple[Any, list[Diagnostic]]:
    """Build the uncompiled keras.Model of a Plan; what Keras rejects comes back as a GS501
    diagnostic (and no model). Raises `BuildUnavailable` when keras cannot be imported."""
    keras = import_keras()
    try:
        return _Builder(plan, options, keras).build(), []
    except _NodeFailed as failed:
        return None, [failed.diagnostic]
