"""The spec language v1 as frozen pydantic v2 models: the sections of a spec file.

The node forms live in `graphspec.spec.forms`; validation and the translation of pydantic's
errors into diagnostics in `graphspec.spec.parse`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    PlainValidator,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    WithJsonSchema,
    field_validator,
    model_serializer,
)
from pydantic_core import PydanticCustomError

from graphspec.diagnostics import SpecPath
from graphspec.read.source import SourceTree
from graphspec.spec.base import ArgsModel, DType, Name, Ref, SpecModel
from graphspec.spec.forms import (
    BlockNode,
    LayerNode,
    Node,
    Shared,
    SharedBlock,
    SharedLayer,
    UseNode,
)


class InputSpec(SpecModel):
    """A model input: shape without the batch dimension (`null` = any size) and dtype."""

    shape: Annotated[
        list[Annotated[int, Field(ge=1)] | None],
        Field(
            max_length=8,
            description="The shape without the batch dimension; null is a size known at run time.",
            examples=[[28, 28, 1], [None]],
        ),
    ]
    dtype: Annotated[
        DType, Field(description="The input's element type.", examples=["float32", "int32"])
    ] = "float32"


class BlockInput(SpecModel):
    """A block input; shape and dtype come from the caller unless given."""

    shape: Annotated[
        list[Annotated[int, Field(ge=1)] | None] | None,
        Field(
            description="The shape without the batch dimension (default: the caller's).",
            examples=[[None, 64]],
        ),
    ] = None
    dtype: Annotated[
        DType | None,
        Field(description="The element type (default: the caller's).", examples=["float32"]),
    ] = None


class Block(SpecModel):
    """A reusable sub-graph; each instance is a nested keras Model, or expanded in place into
    the graph that uses it when `inline` (the instance's own `inline:` wins)."""

    params: dict[Name, Any] = Field(
        default_factory=dict,
        description="The block's parameters and their defaults; nodes use them as `${name}`.",
        examples=[{"filters": 32}],
    )
    inputs: Annotated[
        dict[Name, BlockInput],
        Field(
            min_length=1,
            description="The block's inputs; `x:` (empty) takes shape and dtype from the caller.",
            examples=[{"x": None}],
        ),
    ]
    nodes: dict[Name, Node] = Field(
        default_factory=dict,
        description="The block's nodes, by name; each reads inputs or other nodes of the block.",
        examples=[{"h": {"layer": "Dense", "from": "x", "units": "${width}"}}],
    )
    outputs: Annotated[
        dict[Name, Ref],
        Field(
            min_length=1,
            description="The block's outputs: name → a node of the block (`from: inst.name`).",
            examples=[{"y": "out"}],
        ),
    ]
    inline: Annotated[
        bool,
        Field(
            description="Instances expand in place into the graph that uses them (flat layer "
            "names `<instance>_<node>`) instead of nested keras.Models; an instance's own "
            "`inline:` wins. Shared entries are always nested models.",
            examples=[True],
        ),
    ] = False

    @field_validator(
        "inputs",
        mode="before",
        json_schema_input_type=Annotated[dict[Name, BlockInput | None], Field(min_length=1)],
    )
    @classmethod
    def _empty_inputs(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {key: {} if item is None else item for key, item in value.items()}
        return value


class TrainingObject(ArgsModel):
    """A loss or metric: its name alone, or `{name: ClassName, argument: value, ...}`.

    Written back as the name alone when it has no arguments, so a spec that writes
    `loss: mse` reads and writes as it always did."""

    name: Annotated[
        str,
        Field(
            description="A Keras name (`mse`, `SparseCategoricalCrossentropy`) or a custom "
            "object allowed outside the spec (its last import path component).",
            examples=["mse", "SparseCategoricalCrossentropy"],
        ),
    ]

    @model_serializer(mode="wrap")
    def _name_alone(self, handler: SerializerFunctionWrapHandler) -> Any:
        return self.name if not self.args else handler(self)

    def __eq__(self, other: object) -> bool:
        """Equal to its name when it has no arguments, as when `loss` was a string: code that
        compares `head.loss == "mse"` keeps working."""
        if isinstance(other, str):
            return not self.args and self.name == other
        return super().__eq__(other)

    def __hash__(self) -> int:
        return hash(self.name)

    def __str__(self) -> str:
        """`mse`, or `SparseCategoricalCrossentropy(from_logits=true)`, for messages."""
        if not self.args:
            return self.name
        arguments = ", ".join(f"{key}={json.dumps(value)}" for key, value in self.args.items())
        return f"{self.name}({arguments})"


class Loss(TrainingObject):
    """`loss: mse` or `{name: SparseCategoricalCrossentropy, from_logits: true}`."""


class Metric(TrainingObject):
    """`accuracy` or `{name: SparseTopKCategoricalAccuracy, k: 3}`, one entry of `metrics`."""


def plain_value(value: Any) -> bool:
    """A literal argument value (a number, string, boolean, null or a list of those): no
    mapping, so nothing can name a class, a module or a serialised config."""
    if isinstance(value, list):
        return all(plain_value(item) for item in value)
    return value is None or isinstance(value, str | int | float | bool)


def _named(value: Any) -> Any:
    """The name shorthand of a loss or metric: `mse` is `{name: mse}`."""
    return {"name": value} if isinstance(value, str) else value


class Head(SpecModel):
    """A named model output with its training settings."""

    from_: Annotated[
        Ref,
        Field(alias="from", description="The node the output is.", examples=["logits"]),
    ]
    loss: Annotated[
        Loss | None,
        Field(
            description="The Keras loss when the model is compiled: a name, or "
            "`{name: ClassName, argument: value, ...}` with its class's arguments.",
            examples=[
                "sparse_categorical_crossentropy",
                {"name": "SparseCategoricalCrossentropy", "from_logits": True},
            ],
        ),
    ] = None
    loss_weight: Annotated[
        Annotated[float, Field(ge=0)] | None,
        Field(description="The weight of this head's loss in the total.", examples=[1.0, 0.5]),
    ] = None
    metrics: list[Metric] = Field(
        default_factory=list,
        description="Keras metrics for this head: names, or `{name: ClassName, argument: "
        "value, ...}`.",
        examples=[["accuracy"], ["accuracy", {"name": "SparseTopKCategoricalAccuracy", "k": 3}]],
    )

    @field_validator("loss", mode="before", json_schema_input_type=str | Loss | None)
    @classmethod
    def _loss_shorthand(cls, value: Any) -> Any:
        return _named(value)

    @field_validator("metrics", mode="before", json_schema_input_type=list[str | Metric])
    @classmethod
    def _metrics_shorthand(cls, value: Any) -> Any:
        return [_named(item) for item in value] if isinstance(value, list) else value

    @property
    def loss_name(self) -> str | None:
        """The loss's name without its arguments (None when the head has no loss)."""
        return None if self.loss is None else self.loss.name


class Optimizer(ArgsModel):
    """`optimizer: adam` or `{name: SGD, learning_rate: 0.01}`."""

    name: Annotated[
        str, Field(description="The Keras optimizer, by name.", examples=["adam", "SGD"])
    ]


class Compile(SpecModel):
    """Present: the built model is compiled with per-head losses, weights and metrics."""

    optimizer: Annotated[
        Optimizer,
        Field(
            description="`adam`, or `{name: SGD, learning_rate: 0.01, ...}` with its arguments.",
            examples=["adam", {"name": "SGD", "learning_rate": 0.01}],
        ),
    ]

    @field_validator("optimizer", mode="before", json_schema_input_type=str | Optimizer)
    @classmethod
    def _optimizer_shorthand(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


class Callback(TrainingObject):
    """`EarlyStopping` or `{name: EarlyStopping, patience: 3}`, one entry of a training
    section's `callbacks` (the callbacks a spec may name: `graphspec.analyse.training`)."""

    name: Annotated[
        str,
        Field(
            description="A Keras callback class: EarlyStopping, ReduceLROnPlateau or "
            "TerminateOnNaN.",
            examples=["EarlyStopping", "ReduceLROnPlateau"],
        ),
    ]


class Training(SpecModel):
    """How `graphspec fit` trains the model (language 1.1); flags override each setting."""

    epochs: Annotated[
        int, Field(ge=1, description="Passes over the training data.", examples=[10])
    ] = 10
    batch_size: Annotated[
        int, Field(ge=1, description="Samples per training step.", examples=[32, 128])
    ] = 32
    validation_split: Annotated[
        float,
        Field(
            ge=0,
            lt=1,
            description="The fraction of the training data (its last rows, as Keras takes "
            "them) held out for validation when no validation data is given.",
            examples=[0.1],
        ),
    ] = 0.0
    shuffle: Annotated[
        bool, Field(description="Shuffle the training rows before each epoch.", examples=[True])
    ] = True
    seed: Annotated[
        int | None,
        Field(
            ge=0,
            description="Seed of weight initialisation, shuffling and dropout (none: random).",
            examples=[0, 42],
        ),
    ] = None
    monitor: Annotated[
        str | None,
        Field(
            description="The logged metric that picks best.keras and that callbacks watch: "
            "`loss`, `val_loss`, `val_digit_accuracy`, ... (default: `val_loss` with "
            "validation data, else `loss`).",
            examples=["val_loss", "val_digit_accuracy"],
        ),
    ] = None
    mode: Annotated[
        Literal["auto", "min", "max"],
        Field(
            description="Whether the monitored metric improves going down or up; `auto`: up "
            "for accuracies, AUC, precision, recall and F-scores, down for the rest.",
            examples=["max"],
        ),
    ] = "auto"
    callbacks: list[Callback] = Field(
        default_factory=list,
        description="Keras callbacks by class name, with arguments: `EarlyStopping`, "
        "`{name: ReduceLROnPlateau, factor: 0.5, patience: 2}`.",
        examples=[["TerminateOnNaN", {"name": "EarlyStopping", "patience": 3}]],
    )

    @field_validator("callbacks", mode="before", json_schema_input_type=list[str | Callback])
    @classmethod
    def _callbacks_shorthand(cls, value: Any) -> Any:
        return [_named(item) for item in value] if isinstance(value, list) else value


LANGUAGE_VERSIONS = (1, 1.1)
"""The spec language versions this graphspec reads (docs/language.md, "Versions")."""


def _known_version(value: Any) -> float:
    """1 or 1.1, as written (1 stays an int, so a spec is written back as it was)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value not in (1, 1.1):
        raise PydanticCustomError("literal_error", "expected 1 or 1.1", {"expected": "1 or 1.1"})
    return value


class Spec(SpecModel):
    """A whole spec file, as the user wrote it."""

    graphspec: Annotated[
        float,
        PlainValidator(_known_version),
        WithJsonSchema({"enum": list(LANGUAGE_VERSIONS)}),
        Field(
            description="The spec language version: 1, or 1.1 for a spec that uses what 1.1 "
            "adds (an older graphspec then says it needs a newer one).",
            examples=[1, 1.1],
        ),
    ]
    name: Annotated[
        Name, Field(description="The model's name (keras.Model name).", examples=["classifier"])
    ]
    description: Annotated[
        str, Field(description="Free text about the model.", examples=["A small CNN for MNIST."])
    ] = ""
    unreachable: Annotated[
        Literal["warning", "error"],
        Field(
            description="A branch that reaches no output: pruned with a warning, or an error.",
            examples=["error"],
        ),
    ] = "warning"
    inputs: Annotated[
        dict[Name, InputSpec],
        Field(
            min_length=1,
            description="The model's inputs, by name.",
            examples=[{"image": {"shape": [28, 28, 1]}}],
        ),
    ]
    shared: dict[Name, Shared] = Field(
        default_factory=dict,
        description="Layers or block instances called by several `use:` nodes, sharing weights.",
        examples=[{"encoder": {"layer": "LSTM", "units": 32}}],
    )
    blocks: dict[Name, Block] = Field(
        default_factory=dict,
        description="Reusable sub-graphs with parameters, instantiated by `block:` nodes.",
        examples=[
            {
                "unit": {
                    "params": {"width": 32},
                    "inputs": {"x": None},
                    "nodes": {"h": {"layer": "Dense", "from": "x", "units": "${width}"}},
                    "outputs": {"y": "h"},
                }
            }
        ],
    )
    nodes: dict[Name, Node] = Field(
        default_factory=dict,
        description="The graph: each node has one of layer, use, block, op, expr, sequence.",
        examples=[{"hidden": {"layer": "Dense", "from": "x", "units": 64}}],
    )
    outputs: Annotated[
        dict[Name, Head],
        Field(
            min_length=1,
            description="The model's outputs (heads): name → node, or `{from, loss, ...}`.",
            examples=[{"probs": "softmax"}, {"probs": {"from": "logits", "loss": "mse"}}],
        ),
    ]
    compile: Annotated[
        Compile | None,
        Field(
            description="Present: the built model is compiled with this optimizer.",
            examples=[{"optimizer": "adam"}],
        ),
    ] = None
    training: Annotated[
        Training | None,
        Field(
            description="How `graphspec fit` trains the model: epochs, batch size, "
            "validation, the monitored metric, callbacks (language 1.1).",
            examples=[{"epochs": 20, "batch_size": 64, "validation_split": 0.1}],
        ),
    ] = None

    _source: SourceTree | None = PrivateAttr(default=None)

    @field_validator(
        "outputs",
        mode="before",
        json_schema_input_type=Annotated[dict[Name, Ref | Head], Field(min_length=1)],
    )
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

    def called_layer(self, node: BaseModel) -> tuple[str, Mapping[str, Any]] | None:
        """The layer class a layer node, or a `use:` of a shared layer, calls, with its
        arguments; None for any other node (a shared block's: `block_of`)."""
        if isinstance(node, LayerNode):
            return node.layer, node.args
        if isinstance(node, UseNode):
            entry = self.shared.get(node.use)
            if isinstance(entry, SharedLayer):
                return entry.layer, entry.args
        return None

    def is_inline(self, node: BaseModel) -> bool:
        """Whether a node is a block instance expanded in place: its own `inline:`, else its
        block's."""
        if not isinstance(node, BlockNode):
            return False
        if node.inline is not None:
            return node.inline
        block = self.blocks.get(node.block)
        return block is not None and block.inline

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
