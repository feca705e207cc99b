"""The six node forms, each described once: its fields, the references it reads, its label,
the Keras layers it declares and names, and its ``${param}`` substitution.

Every stage asks the node instead of dispatching on its class: analyse reads `refs`,
`layer_names`, `declared_layers` and `placeholder_strings`, the views read `label`, the
Plan holds `substituted` nodes per block instance. Adding a seventh form means: its model
here (with these methods) and in `Node`, its shape rule (`graphspec.analyse.shapes`), its
emit rule (`graphspec.emit.model`) and its fixtures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self

from pydantic import (
    BaseModel,
    Discriminator,
    Field,
    PlainValidator,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)

from graphspec.diagnostics import SpecPath
from graphspec.spec.base import (
    NODE_FORMS,
    REFERENCE,
    ArgsModel,
    MergeOp,
    Name,
    Ref,
    SpecModel,
    as_list,
)
from graphspec.spec.params import needs_substitution, strings, substitute

_REFS_INPUT: Any = Ref | Annotated[list[Ref], Field(min_length=1)]
"""What `from:` accepts as written: one reference or a list (`from: x` is `from: [x]`)."""
_FROM_DOC = (
    "The tensors the node reads: an input, a node, or a block instance's output "
    "(`node.output`); one name or a list."
)
_LAYER_DOC = (
    "The Keras layer class (keras.layers), e.g. Dense, Conv2D, LSTM; or an allowed custom layer."
)
_WITH_DOC = "Values for the block's params, replacing `${param}` in its nodes."
_REFERENCE = re.compile(REFERENCE)


def _call_value(value: Any) -> Any:
    """One call argument's value, refused with one message (not one per union member)."""
    if isinstance(value, bool | int | float):
        return value
    refs = value if isinstance(value, list) and value else [value]
    for ref in refs:
        if not isinstance(ref, str):
            raise ValueError(
                "a call argument is a reference, a list of references, true, false or a number"
            )
        if not _REFERENCE.match(ref):
            raise ValueError(
                "a string in `call:` is a reference to an input or node (`mask`, "
                "`enc.state_h`, `enc.1`)"
            )
    return value


CallValue = Annotated[
    Any,
    PlainValidator(
        _call_value,
        json_schema_input_type=Ref | Annotated[list[Ref], Field(min_length=1)] | bool | int | float,
    ),
]
"""A call argument's value: a string is a reference (a tensor of the graph), a list of strings
is a list of references; booleans and numbers are plain values."""
CallArguments = Annotated[
    dict[Name, CallValue],
    Field(
        description="Keyword arguments of the layer's call: a string is a reference to a tensor "
        "(`attention_mask: mask`, `initial_state: [enc.state_h, enc.state_c]`), true/false and "
        "numbers are plain values (`use_causal_mask: true`).",
        examples=[{"use_causal_mask": True}, {"initial_state": ["enc.state_h", "enc.state_c"]}],
    ),
]
"""The `call:` field of a layer node and a `use:` node (one definition for both)."""

if TYPE_CHECKING:
    from graphspec.spec.model import Spec

LayerDeclaration = tuple[SpecPath, str, Mapping[str, Any]]
"""A layer a node declares: (spec path below the node, Keras class name, arguments)."""


def _listed(refs: list[str]) -> list[tuple[str, SpecPath]]:
    return [(ref, ("from", position)) for position, ref in enumerate(refs)]


def call_refs(call: Mapping[str, Any]) -> list[tuple[str, SpecPath]]:
    """The references among call arguments, each with its path below the node."""
    found: list[tuple[str, SpecPath]] = []
    for key, value in call.items():
        if isinstance(value, str):
            found.append((value, ("call", key)))
        elif isinstance(value, list):
            found.extend((ref, ("call", key, i)) for i, ref in enumerate(value))
    return found


def input_refs(node: Node) -> list[str]:
    """The references a node takes as its inputs (`from:`), without those of `call:`."""
    return [ref for ref, path in node.refs() if path[0] == "from"]


def _argument_strings(
    args: Mapping[str, Any], base: SpecPath = ()
) -> Iterator[tuple[SpecPath, str]]:
    for key, value in args.items():
        yield from strings(value, (*base, key))


class LayerNode(ArgsModel):
    """`{layer: Conv2D, from: x, filters: 16, ...}`: a new layer with its own weights."""

    form: ClassVar[str] = "layer"
    layer: Annotated[Name, Field(description=_LAYER_DOC, examples=["Dense", "Conv2D", "LSTM"])]
    from_: Annotated[
        list[Ref],
        Field(alias="from", min_length=1, description=_FROM_DOC, examples=["x", ["a", "b"]]),
    ]
    call: CallArguments = Field(default_factory=dict)
    _to_list = field_validator("from_", mode="before", json_schema_input_type=_REFS_INPUT)(as_list)

    def refs(self) -> list[tuple[str, SpecPath]]:
        """The references the node reads (`from:`, then `call:`), each with its path below
        the node."""
        return [*_listed(self.from_), *call_refs(self.call)]

    def label(self, spec: Spec) -> str:
        """What the node is, in a few words (summary and diff tables)."""
        return self.layer

    def layer_names(self, name: str) -> list[tuple[str, SpecPath]]:
        """The Keras layers the node creates, by name, with the path that names each."""
        return [(name, ())]

    def declared_layers(self) -> list[LayerDeclaration]:
        """The layers whose class and arguments the catalogue checks."""
        return [((), self.layer, self.args)]

    def placeholder_strings(self) -> Iterator[tuple[SpecPath, str]]:
        """Every string where a block's `${param}` may stand."""
        return _argument_strings(self.args)

    def substituted(self, params: Mapping[str, Any]) -> Self:
        """The node as one block instance builds it: `${param}` replaced by its value."""
        if not needs_substitution(self.args, params):
            return self
        return self.model_validate(
            {
                "layer": self.layer,
                "from": self.from_,
                "call": self.call,
                **substitute(self.args, params),
            }
        )


class _NoArguments:
    """What a form without Keras constructor arguments says: it declares no layer the catalogue
    checks, holds no `${param}`, and is the same in every block instance."""

    def layer_names(self, name: str) -> list[tuple[str, SpecPath]]:
        return [(name, ())]

    def declared_layers(self) -> list[LayerDeclaration]:
        return []

    def placeholder_strings(self) -> Iterator[tuple[SpecPath, str]]:
        return iter(())

    def substituted(self, params: Mapping[str, Any]) -> Self:
        return self


class UseNode(_NoArguments, SpecModel):
    """`{use: encoder, from: x}`: call a shared entry again (same weights)."""

    form: ClassVar[str] = "use"
    use: Annotated[
        Name,
        Field(description="The shared entry to call again (same weights).", examples=["encoder"]),
    ]
    from_: Annotated[
        list[Ref],
        Field(alias="from", min_length=1, description=_FROM_DOC, examples=["x", ["a", "b"]]),
    ]
    call: CallArguments = Field(default_factory=dict)
    _to_list = field_validator("from_", mode="before", json_schema_input_type=_REFS_INPUT)(as_list)

    def refs(self) -> list[tuple[str, SpecPath]]:
        return [*_listed(self.from_), *call_refs(self.call)]

    def label(self, spec: Spec) -> str:
        entry = spec.shared.get(self.use)
        if isinstance(entry, SharedLayer):
            return f"use {self.use} ({entry.layer})"
        return f"use {self.use} (block {entry.block if entry else '?'})"

    def layer_names(self, name: str) -> list[tuple[str, SpecPath]]:
        return []  # the shared entry's layer is named after the entry


_NAMES_DOC = (
    "inline only: the pattern of each layer's name, from {instance} (the node), {n} (the "
    "repetition, from 1; {n+4} counts from 5, {n-1} from 0) and {node} (the block's layer); "
    "default {instance}_{node}, or {instance}_{n}_{node} with repeat."
)


class BlockNode(SpecModel):
    """`{block: conv_unit, from: x, with: {filters: 64}, repeat: 2}`: fresh block instances,
    each a nested keras.Model, or expanded in place with `inline: true`; `each:` gives a
    parameter one value per repetition."""

    form: ClassVar[str] = "block"
    block: Annotated[
        Name,
        Field(description="The block (under `blocks:`) to instantiate.", examples=["conv_unit"]),
    ]
    from_: Annotated[
        list[Ref],
        Field(alias="from", min_length=1, description=_FROM_DOC, examples=["x", ["a", "b"]]),
    ]
    with_: Annotated[
        dict[Name, Any],
        Field(
            alias="with",
            default_factory=dict,
            description=_WITH_DOC,
            examples=[{"filters": 64}],
        ),
    ]
    each: dict[Name, Annotated[list[Any], Field(min_length=1, max_length=1000)]] = Field(
        default_factory=dict,
        description="Per-repetition parameters: one value per repetition, lists of equal "
        "length; `repeat` defaults to their length.",
        examples=[{"filters": [128, 256, 728]}],
    )
    repeat: Annotated[
        int,
        Field(
            ge=1,
            le=1000,
            description="Chain this many instances, each with its own weights.",
            examples=[2],
        ),
    ] = 1
    inline: Annotated[
        bool | None,
        Field(
            description="Expand the block in place (its layers join this graph, named by "
            "`names`) instead of building a nested keras.Model; default: the block's `inline`.",
            examples=[True],
        ),
    ] = None
    names: Annotated[
        str | None,
        StringConstraints(min_length=1, max_length=200),
        Field(description=_NAMES_DOC, examples=["{instance}{n}_{node}"]),
    ] = None
    _to_list = field_validator("from_", mode="before", json_schema_input_type=_REFS_INPUT)(as_list)

    @model_validator(mode="before")
    @classmethod
    def _repeat_from_each(cls, value: Any) -> Any:
        """`each:` without `repeat:` repeats once per value."""
        if isinstance(value, Mapping) and "repeat" not in value:
            lists = value.get("each")
            first = next(iter(lists.values()), None) if isinstance(lists, Mapping) else None
            if isinstance(first, list) and first:
                return {**value, "repeat": len(first)}
        return value

    def refs(self) -> list[tuple[str, SpecPath]]:
        return _listed(self.from_)

    def label(self, spec: Spec) -> str:
        repeat = f" ×{self.repeat}" if self.repeat > 1 else ""
        inline = " inline" if spec.is_inline(self) else ""
        return f"block {self.block}{repeat}{inline}"

    def layer_names(self, name: str) -> list[tuple[str, SpecPath]]:
        """The nested models' names (`graphspec.analyse.names` expands an inline instance)."""
        if self.repeat > 1:
            return [(f"{name}_{index + 1}", ("repeat",)) for index in range(self.repeat)]
        return [(name, ())]

    def declared_layers(self) -> list[LayerDeclaration]:
        return []

    def placeholder_strings(self) -> Iterator[tuple[SpecPath, str]]:
        yield from _argument_strings(self.with_, ("with",))
        yield from _argument_strings(self.each, ("each",))

    def repetition_arguments(self, copy: int) -> dict[str, Any]:
        """The `with:` of one repetition (from 0): `with` and this repetition's `each` values."""
        return {**self.with_, **{key: values[copy] for key, values in self.each.items()}}

    def substituted(self, params: Mapping[str, Any]) -> Self:
        if not needs_substitution([self.with_, self.each], params):
            return self
        return self.model_copy(
            update={"with_": substitute(self.with_, params), "each": substitute(self.each, params)}
        )


class OpNode(_NoArguments, SpecModel):
    """`{op: add, from: [a, b]}`: a merge of two or more tensors."""

    form: ClassVar[str] = "op"
    op: Annotated[
        MergeOp,
        Field(
            description="The merge of two or more tensors (a Keras merge layer).", examples=["add"]
        ),
    ]
    from_: Annotated[
        list[Ref],
        Field(alias="from", min_length=1, description=_FROM_DOC, examples=["x", ["a", "b"]]),
    ]
    axis: Annotated[
        int | None, Field(description="concatenate: the axis to join along.", examples=[-1])
    ] = None
    axes: Annotated[
        int | list[int] | None,
        Field(description="dot: the axis or axes of the dot product.", examples=[1, [1, 2]]),
    ] = None
    normalize: Annotated[
        bool, Field(description="dot: L2-normalise before the product (cosine).", examples=[True])
    ] = False
    _to_list = field_validator("from_", mode="before", json_schema_input_type=_REFS_INPUT)(as_list)

    def refs(self) -> list[tuple[str, SpecPath]]:
        return _listed(self.from_)

    def label(self, spec: Spec) -> str:
        return self.op


class ExprNode(_NoArguments, SpecModel):
    """`{expr: "(a + b) / 2", from: {a: x, b: y}}`: a safe element-wise expression."""

    form: ClassVar[str] = "expr"
    expr: Annotated[
        str,
        StringConstraints(min_length=1, max_length=1000),
        Field(
            description="A safe element-wise expression over the names bound in `from`.",
            examples=["(a + b) / 2"],
        ),
    ]
    from_: Annotated[
        dict[Name, Ref],
        Field(
            alias="from",
            min_length=1,
            description="The expression's names, each bound to an input, node or block output.",
            examples=[{"a": "x", "b": "y"}],
        ),
    ]

    def refs(self) -> list[tuple[str, SpecPath]]:
        return [(ref, ("from", key)) for key, ref in self.from_.items()]

    def label(self, spec: Spec) -> str:
        return "expr"


class SequenceItem(ArgsModel):
    """One layer of a `sequence`; `name` names its Keras layer."""

    layer: Annotated[Name, Field(description=_LAYER_DOC, examples=["Dense", "Conv2D", "LSTM"])]
    name: Annotated[
        Name | None,
        Field(
            description="The Keras layer's name (default: <node>_<position>).", examples=["proj"]
        ),
    ] = None


class SequenceNode(SpecModel):
    """`{sequence: [...], from: x}`: a chain of layers, referred to by the node's name."""

    form: ClassVar[str] = "sequence"
    sequence: Annotated[
        list[SequenceItem],
        Field(
            min_length=1,
            description="The layers, applied in order; each is `{layer: ..., <arguments>}`.",
            examples=[[{"layer": "Dense", "units": 64}, {"layer": "Dropout", "rate": 0.1}]],
        ),
    ]
    from_: Annotated[
        list[Ref],
        Field(alias="from", min_length=1, description=_FROM_DOC, examples=["x", ["a", "b"]]),
    ]
    _to_list = field_validator("from_", mode="before", json_schema_input_type=_REFS_INPUT)(as_list)

    def refs(self) -> list[tuple[str, SpecPath]]:
        return _listed(self.from_)

    def label(self, spec: Spec) -> str:
        return " → ".join(item.layer for item in self.sequence)

    def layer_names(self, name: str) -> list[tuple[str, SpecPath]]:
        return [
            (item.name or f"{name}_{index + 1}", ("sequence", index))
            for index, item in enumerate(self.sequence)
        ]

    def declared_layers(self) -> list[LayerDeclaration]:
        return [
            (("sequence", index), item.layer, item.args) for index, item in enumerate(self.sequence)
        ]

    def placeholder_strings(self) -> Iterator[tuple[SpecPath, str]]:
        for index, item in enumerate(self.sequence):
            yield from _argument_strings(item.args, ("sequence", index))

    def substituted(self, params: Mapping[str, Any]) -> Self:
        if not needs_substitution([item.args for item in self.sequence], params):
            return self
        items = [
            SequenceItem.model_validate(
                {"layer": item.layer, "name": item.name, **substitute(item.args, params)}
            )
            for item in self.sequence
        ]
        return self.model_copy(update={"sequence": items})


class SharedLayer(ArgsModel):
    """`shared: {encoder: {layer: LSTM, units: 32}}`."""

    layer: Annotated[Name, Field(description=_LAYER_DOC, examples=["Dense", "Conv2D", "LSTM"])]


class SharedBlock(SpecModel):
    """`shared: {tower: {block: cnn, with: {...}}}`: one block instance reused by every use."""

    block: Annotated[
        Name,
        Field(
            description="The block (under `blocks:`) whose one instance is shared.",
            examples=["tower"],
        ),
    ]
    with_: Annotated[
        dict[Name, Any],
        Field(
            alias="with", default_factory=dict, description=_WITH_DOC, examples=[{"filters": 64}]
        ),
    ]


def _form_of(value: Any) -> str | None:
    """The union tag of a node or shared entry: which of the form keys it has."""
    if isinstance(value, Mapping):
        keys: Any = value
    elif isinstance(value, BaseModel):
        keys = type(value).model_fields
    else:
        return None
    return next((f"form:{key}" for key in NODE_FORMS if key in keys), None)


Node = Annotated[
    Annotated[LayerNode, Tag("form:layer")]
    | Annotated[UseNode, Tag("form:use")]
    | Annotated[BlockNode, Tag("form:block")]
    | Annotated[OpNode, Tag("form:op")]
    | Annotated[ExprNode, Tag("form:expr")]
    | Annotated[SequenceNode, Tag("form:sequence")],
    Discriminator(
        _form_of,
        custom_error_type="node_form",
        custom_error_message="a node needs exactly one of: layer, use, block, op, expr, sequence",
    ),
]

Shared = Annotated[
    Annotated[SharedLayer, Tag("form:layer")] | Annotated[SharedBlock, Tag("form:block")],
    Discriminator(
        _form_of,
        custom_error_type="shared_form",
        custom_error_message="a shared entry needs exactly one of: layer, block",
    ),
]
