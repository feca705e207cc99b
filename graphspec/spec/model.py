"""The spec language v1 as frozen pydantic v2 models: the sections of a spec file.

The node forms live in `graphspec.spec.forms`; validation and the translation of pydantic's
errors into diagnostics in `graphspec.spec.parse`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PrivateAttr, field_validator

from graphspec.diagnostics import SpecPath
from graphspec.read.source import SourceTree
from graphspec.spec.base import ArgsModel, DType, Name, Ref, SpecModel
from graphspec.spec.forms import BlockNode, Node, Shared, SharedBlock, UseNode


class InputSpec(SpecModel):
    """A model input: shape without the batch dimension (`null` = any size) and dtype."""

    shape: Annotated[list[Annotated[int, Field(ge=1)] | None], Field(max_length=8)]
    dtype: DType = "float32"


class BlockInput(SpecModel):
    """A block input; shape and dtype come from the caller unless given."""

    shape: list[Annotated[int, Field(ge=1)] | None] | None = None
    dtype: DType | None = None


class Block(SpecModel):
    """A reusable sub-graph; each instance is a nested keras Model."""

    params: dict[Name, Any] = Field(default_factory=dict)
    inputs: Annotated[dict[Name, BlockInput], Field(min_length=1)]
    nodes: dict[Name, Node] = Field(default_factory=dict)
    outputs: Annotated[dict[Name, Ref], Field(min_length=1)]

    @field_validator("inputs", mode="before")
    @classmethod
    def _empty_inputs(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {key: {} if item is None else item for key, item in value.items()}
        return value


class Head(SpecModel):
    """A named model output with its training settings."""

    from_: Annotated[Ref, Field(alias="from")]
    loss: str | None = None
    loss_weight: Annotated[float, Field(ge=0)] | None = None
    metrics: list[str] = Field(default_factory=list)


class Optimizer(ArgsModel):
    """`optimizer: adam` or `{name: SGD, learning_rate: 0.01}`."""

    name: str


class Compile(SpecModel):
    """Present: the built model is compiled with per-head losses, weights and metrics."""

    optimizer: Optimizer

    @field_validator("optimizer", mode="before")
    @classmethod
    def _optimizer_shorthand(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


class Spec(SpecModel):
    """A whole spec file, as the user wrote it."""

    graphspec: Literal[1]
    name: Name
    description: str = ""
    unreachable: Literal["warning", "error"] = "warning"
    inputs: Annotated[dict[Name, InputSpec], Field(min_length=1)]
    shared: dict[Name, Shared] = Field(default_factory=dict)
    blocks: dict[Name, Block] = Field(default_factory=dict)
    nodes: dict[Name, Node] = Field(default_factory=dict)
    outputs: Annotated[dict[Name, Head], Field(min_length=1)]
    compile: Compile | None = None

    _source: SourceTree | None = PrivateAttr(default=None)

    @field_validator("outputs", mode="before")
    @classmethod
    def _head_shorthand(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: {"from": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    def block_of(self, node: BaseModel) -> str | None:
        """The block a node instantiates: its own `block:`, or that of the shared entry it uses."""
        if isinstance(node, BlockNode):
            return node.block
        if isinstance(node, UseNode):
            entry = self.shared.get(node.use)
            if isinstance(entry, SharedBlock):
                return entry.block
        return None

    def block_outputs(self, node: BaseModel) -> list[str]:
        """The output names of the block a node instantiates ([] for any other node)."""
        block = self.blocks.get(self.block_of(node) or "")
        return list(block.outputs) if block else []

    def scopes(self) -> Iterator[tuple[SpecPath, Mapping[str, Node]]]:
        """The top level's nodes, then each block's, with the spec path of each scope."""
        yield (), self.nodes
        for name, block in self.blocks.items():
            yield ("blocks", name), block.nodes

    def walk(self) -> Iterator[tuple[SpecPath, str, Node]]:
        """Every node of every scope (blocks included): (scope path, name, node)."""
        for base, nodes in self.scopes():
            for name, node in nodes.items():
                yield base, name, node

    @property
    def source(self) -> SourceTree | None:
        """Where the spec came from, for diagnostics' positions (None when built in code)."""
        return self._source
