"""Static dtypes: every live node's element type, from the inputs' declared dtypes through the
rules of `graphspec.catalogue.dtype_rules`, beside the static shapes.

A layer that cannot take its input's dtype (strings into `Dense`, numbers into `StringLookup`,
token ids into `Conv1D`) is GS607 at the node; a merge or expression that mixes strings with
numbers is GS608; a block input declared ``string`` and fed numbers (or the reverse) is
GS609. Where a rule cannot know (a custom layer, an argument written as ``${param}``), the
dtype is None and nothing downstream is judged. The inferred dtypes go into the Plan's
`NodeStatic.dtype`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from graphspec.analyse.plan import BlockInstance
from graphspec.analyse.state import Analysis, Instances
from graphspec.catalogue.custom import CustomLayers
from graphspec.catalogue.dtype_rules import (
    DtypeError,
    infer_expression_dtype,
    infer_layer_dtype,
    infer_merge_dtype,
)
from graphspec.diagnostics import Code, Diagnostic, SpecPath, codes
from graphspec.diagnostics.reporter import Reporter
from graphspec.read.vocabulary import inline_vocabulary
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

DTypes = tuple[str | None, ...]


def _sides(inputs: Sequence[tuple[str, str | None]]) -> str:
    return ", ".join(f"'{ref}' gives {dtype or 'an unknown dtype'}" for ref, dtype in inputs)


class _DtypeInferer(Reporter):
    """Infers one spec's dtypes scope by scope, in build order (as `_Inferer` does shapes)."""

    def __init__(
        self,
        spec: Spec,
        instances: Instances,
        custom: CustomLayers,
        vocabularies: Mapping[str, tuple[str, ...]],
    ) -> None:
        super().__init__(spec.source)
        self.spec = spec
        self.instances = instances
        self.custom = custom
        self.vocabularies = vocabularies
        self.block_cache: dict[tuple[str, DTypes], DTypes] = {}

    def report(self, code: Code, message: str, path: SpecPath, hint: str | None) -> None:
        self.error(code, message, path, hint, key=True, once=True)

    def layer(
        self,
        path: SpecPath,
        label: str,
        layer: str,
        args: Mapping[str, Any],
        inputs: Sequence[tuple[str, str | None]],
    ) -> str | None:
        if self.custom.get(layer) is not None:
            return None
        arguments = inline_vocabulary(layer, keras_arguments(layer, args), self.vocabularies)
        try:
            return infer_layer_dtype(layer, arguments, [dtype for _, dtype in inputs])
        except DtypeError as error:
            message = f"{label} ({layer}): {error.message}; {_sides(inputs)}"
            self.report(codes.LAYER_DTYPE, message, path, error.hint)
            return None

    def node(
        self,
        base: SpecPath,
        name: str,
        node: Node,
        dtypes: Mapping[str, str | None],
        scope: BlockInstance | None,
        where_in: str,
    ) -> DTypes:
        path = (*base, "nodes", name)
        where = f"'{name}'" + (f" in {where_in}" if where_in else "")
        inputs = [(ref, dtypes.get(ref)) for ref in input_refs(node)]
        if isinstance(node, LayerNode):
            return (self.layer(path, where, node.layer, node.args, inputs),)
        if isinstance(node, SequenceNode):
            names = [n for n, _ in node.layer_names(name)]
            current = inputs
            for index, item in enumerate(node.sequence):
                label = f"{where} item {index} '{names[index]}'"
                out = self.layer((*path, "sequence", index), label, item.layer, item.args, current)
                current = [(names[index], out)]
            return (current[0][1],)
        if isinstance(node, OpNode | ExprNode):
            try:
                if isinstance(node, OpNode):
                    return (infer_merge_dtype(node.op, [d for _, d in inputs]),)
                return (infer_expression_dtype([d for _, d in inputs]),)
            except DtypeError as error:
                what = node.op if isinstance(node, OpNode) else "expression"
                message = f"{what} {where}: {error.message}; {_sides(inputs)}"
                self.report(codes.MERGE_DTYPE, message, path, error.hint)
                return (None,)
        if isinstance(node, UseNode):
            entry = self.spec.shared[node.use]
            if isinstance(entry, SharedLayer):
                return (self.layer(path, where, entry.layer, entry.args, inputs),)
            instance = self.instances.instances[self.instances.shared_instances[node.use]]
            return self.block(path, instance, inputs, f"shared '{node.use}'")
        assert isinstance(node, BlockNode)
        calls = self.instances.top_calls if scope is None else scope.calls
        repetitions = [self.instances.instances[key] for key in calls[name]]
        feed = inputs
        outputs: DTypes = tuple(d for _, d in inputs)
        for copy, instance in enumerate(repetitions):
            label = f"block instance '{name}'" + (f" #{copy + 1}" if len(repetitions) > 1 else "")
            outputs = self.block(path, instance, feed, label)
            feed = [(name, d) for d in outputs]
        return outputs

    def block(
        self,
        path: SpecPath,
        instance: BlockInstance,
        inputs: Sequence[tuple[str, str | None]],
        label: str,
    ) -> DTypes:
        """One block instance's output dtypes (cached per instance and input dtypes)."""
        key = (instance.key, tuple(d for _, d in inputs))
        if key in self.block_cache:
            return self.block_cache[key]
        block = self.spec.blocks[instance.block]
        known: dict[str, str | None] = {}
        for (input_name, declared), (ref, given) in zip(block.inputs.items(), inputs, strict=False):
            if declared.dtype is None:
                known[input_name] = given
                continue
            if given is not None and (given == "string") != (declared.dtype == "string"):
                self.report(
                    codes.BLOCK_DTYPE,
                    f"{label}: block '{instance.block}' input '{input_name}' is declared "
                    f"{declared.dtype} but '{ref}' gives {given}",
                    path,
                    "strings and numbers do not convert into each other: fix the declaration "
                    "or the caller",
                )
            known[input_name] = declared.dtype
        base: SpecPath = ("blocks", instance.block)
        for node_name, node in instance.nodes.items():
            self.record(
                node_name, node, self.node(base, node_name, node, known, instance, label), known
            )
        result = tuple(known.get(ref) for ref in block.outputs.values())
        self.block_cache[key] = result
        return result

    def record(self, name: str, node: Node, outputs: DTypes, known: dict[str, str | None]) -> None:
        known[name] = outputs[0] if outputs else None
        for out, dtype in zip(self.spec.block_outputs(node), outputs, strict=False):
            known[f"{name}.{out}"] = dtype

    def run(self, live_inputs: Sequence[str], live_order: Sequence[str]) -> dict[str, str | None]:
        known: dict[str, str | None] = {}
        for name in live_inputs:
            known[name] = self.spec.inputs[name].dtype
        for name in live_order:
            node = self.spec.nodes[name]
            self.record(name, node, self.node((), name, node, known, None, ""), known)
        return known


def infer_dtypes(analysis: Analysis) -> list[Diagnostic]:
    """Every live node's dtype into the Plan's `NodeStatic`; what cannot fit, diagnosed."""
    assert analysis.scopes is not None and analysis.instances is not None
    assert analysis.shapes is not None
    inferer = _DtypeInferer(
        analysis.spec,
        analysis.instances,
        analysis.options.custom_layers,
        analysis.vocabularies,
    )
    top = analysis.scopes.top
    known = inferer.run(top.live_inputs, top.live_order)
    analysis.shapes.static = {
        name: dataclasses.replace(static, dtype=known.get(name))
        for name, static in analysis.shapes.static.items()
    }
    return inferer.diagnostics
