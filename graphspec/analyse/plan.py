"""The Plan: what analysis proved about a spec, built once and complete, read by every later
stage (emit, the views, training) without re-deriving anything.

A `Plan` holds, per scope (the top level and each block body), the graph, the full
topological order and the live set; every block instance with its parameters substituted
into its nodes; every live top-level node's static shape and parameters; and which head
renames which node's final layer. User options (`graphspec.settings.Options`) travel beside
it, never inside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphspec.shape import Shape
from graphspec.spec.forms import Node, UseNode
from graphspec.spec.model import Spec


@dataclass(frozen=True)
class ScopePlan:
    """The resolved graph of the top level or of one block body."""

    inputs: tuple[str, ...]
    """Every declared input, in declaration order."""
    order: tuple[str, ...]
    """Every node, in topological order (declaration order breaks ties)."""
    live: frozenset[str]
    """The nodes and inputs some sink (a head, or a block output) depends on."""
    graph: Any = field(repr=False, compare=False)
    """The reference graph (networkx.DiGraph): inputs and nodes, an edge per reference."""

    @property
    def live_inputs(self) -> tuple[str, ...]:
        return tuple(name for name in self.inputs if name in self.live)

    @property
    def live_order(self) -> tuple[str, ...]:
        """The nodes that are built, in the order they are built."""
        return tuple(name for name in self.order if name in self.live)

    @property
    def pruned_nodes(self) -> frozenset[str]:
        return frozenset(name for name in self.order if name not in self.live)

    @property
    def pruned_inputs(self) -> frozenset[str]:
        return frozenset(name for name in self.inputs if name not in self.live)


@dataclass(frozen=True)
class BlockInstance:
    """One block with its parameters resolved: what emit builds as a nested keras.Model.

    Instances with the same block and the same resolved parameters are one `BlockInstance`
    (each `repeat` and each node still gets fresh weights when built).
    """

    key: str
    block: str
    params: Mapping[str, Any]
    """The block's defaults overridden by the caller's `with:`, substituted."""
    nodes: Mapping[str, Node]
    """The block's live nodes in build order, with `${param}` replaced by its value."""
    calls: Mapping[str, tuple[str, ...]]
    """Node name → the keys of the instances it builds, one per repetition, for the nodes
    that are blocks."""


@dataclass(frozen=True)
class NodeStatic:
    """What static analysis knows of one node: its layer label, output shape and parameters.

    Shapes leave out the batch dimension; None stands for an unknown shape or count (a layer
    without a static rule, or downstream of one).
    """

    layer: str
    shape: Shape | None
    trainable: int | None = 0
    non_trainable: int | None = 0
    outputs: Mapping[str, Shape | None] = field(default_factory=dict)
    """Each output by name, for a node with several (a block's outputs; `output`, `state_h`,
    `state_c` of an LSTM with return_state); empty for a node with one. `shape` is the first."""
    dtype: str | None = None
    """The element type of the (first) output (`graphspec.analyse.dtypes`); None when not
    known statically."""

    @property
    def params(self) -> int | None:
        if self.trainable is None or self.non_trainable is None:
            return None
        return self.trainable + self.non_trainable


@dataclass(frozen=True)
class Plan:
    """A spec whose graph has been proven sound, ready to emit."""

    spec: Spec
    top: ScopePlan
    blocks: Mapping[str, ScopePlan]
    pruned_shared: frozenset[str]
    pruned_blocks: frozenset[str]
    head_layers: Mapping[str, str]
    """Head name → the node (or input) whose final layer is named after the head; the other
    heads get an Identity layer of their name (`graphspec.analyse.names` decides)."""
    instances: Mapping[str, BlockInstance]
    """Every block instance the model builds, by key."""
    top_calls: Mapping[str, tuple[str, ...]]
    """Top-level node name → the keys of the instances it builds (one per repetition), for
    the nodes that are blocks."""
    shared_instances: Mapping[str, str]
    """Shared block entry → the key of its one instance."""
    static: Mapping[str, NodeStatic]
    """Per live top-level node and input: inferred shape and parameters."""
    head_shapes: Mapping[str, Shape | None]
    nodes: Mapping[str, Node] = field(default_factory=dict)
    """The top level's live nodes as built: arithmetic (`scale: 1/255`) computed."""
    vocabularies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Each vocabulary file a layer names (`vocabulary: {file: ...}`), by the path as written:
    its tokens, read once by analysis; emit gives Keras the list, never the path."""

    @property
    def trainable(self) -> int | None:
        """Trainable parameters of the whole model (None when some layer has no static rule)."""
        return _sum_known(s.trainable for s in self.static.values())

    @property
    def non_trainable(self) -> int | None:
        return _sum_known(s.non_trainable for s in self.static.values())

    def parameters_of(self, names: Iterable[str]) -> tuple[int | None, int | None]:
        """(trainable, non-trainable) parameters of these top-level names, each None when some
        layer among them has no static rule; names without figures (inputs, pruned nodes)
        count nothing. A shared entry's weights are counted at its first use."""
        statics = [self.static[name] for name in names if name in self.static]
        return (
            _sum_known(s.trainable for s in statics),
            _sum_known(s.non_trainable for s in statics),
        )

    def head_upstream(self, head: str) -> frozenset[str]:
        """The top-level names a head depends on: its source node and everything before it."""
        import networkx

        source = self.spec.outputs[head].from_.partition(".")[0]
        if source not in self.top.graph:
            return frozenset({source})
        return frozenset(networkx.ancestors(self.top.graph, source)) | {source}

    @property
    def pruned(self) -> frozenset[str]:
        """Every pruned top-level name: nodes, inputs, shared entries and blocks."""
        return (
            self.top.pruned_nodes | self.top.pruned_inputs | self.pruned_shared | self.pruned_blocks
        )

    def instance(self, scope: BlockInstance | None, name: str, node: Node) -> BlockInstance:
        """The block instance a node builds: its own block, or the shared block it uses."""
        if isinstance(node, UseNode):
            return self.instances[self.shared_instances[node.use]]
        return self.repetitions(scope, name)[0]

    def repetitions(self, scope: BlockInstance | None, name: str) -> tuple[BlockInstance, ...]:
        """The instances a block node builds, one per repetition, in order (`each:` gives
        them different parameters)."""
        calls = self.top_calls if scope is None else scope.calls
        return tuple(self.instances[key] for key in calls[name])


def _sum_known(values: Iterable[int | None]) -> int | None:
    total = 0
    for value in values:
        if value is None:
            return None
        total += value
    return total
