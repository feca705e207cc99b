"""Schema stage: the spec language v1 as frozen pydantic v2 models.

Plain values from the load stage are validated here once; pydantic's errors are translated
at this one boundary into graphspec diagnostics that carry the spec path and file position.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    StringConstraints,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from graphspec.diagnostics import Diagnostic, Severity, SpecPath, codes, format_path
from graphspec.load.source import SourceTree

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
REFERENCE = r"^[A-Za-z_][A-Za-z0-9_]{0,127}(\.[A-Za-z_][A-Za-z0-9_]{0,127})?$"

Name = Annotated[str, StringConstraints(pattern=IDENTIFIER)]
Ref = Annotated[str, StringConstraints(pattern=REFERENCE)]
DType = Literal[
    "float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"
]
MergeOp = Literal[
    "concatenate", "add", "subtract", "multiply", "average", "maximum", "minimum", "dot"
]
NODE_FORMS = ("layer", "use", "block", "op", "expr", "sequence")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, populate_by_name=True)


def _as_list(value: Any) -> Any:
    """`from: x` is shorthand for `from: [x]`."""
    return [value] if isinstance(value, str) else value


class _ArgsModel(_Model):
    """A model whose unknown keys are Keras constructor arguments (checked later by catalogue)."""

    model_config = ConfigDict(extra="allow")

    @model_validator(mode="before")
    @classmethod
    def _one_form(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            forms = [key for key in NODE_FORMS if key in value]
            if len(forms) > 1:
                raise ValueError(
                    f"a node has exactly one of {', '.join(NODE_FORMS)}; found {forms}"
                )
        return value

    @property
    def args(self) -> dict[str, Any]:
        """The Keras constructor arguments written on this entry."""
        return dict(self.model_extra or {})


class LayerNode(_ArgsModel):
    """`{layer: Conv2D, from: x, filters: 16, ...}`: a new layer with its own weights."""

    layer: Name
    from_: Annotated[list[Ref], Field(alias="from", min_length=1)]
    _to_list = field_validator("from_", mode="before")(_as_list)


class UseNode(_Model):
    """`{use: encoder, from: x}`: call a shared entry again (same weights)."""

    use: Name
    from_: Annotated[list[Ref], Field(alias="from", min_length=1)]
    _to_list = field_validator("from_", mode="before")(_as_list)


class BlockNode(_Model):
    """`{block: conv_unit, from: x, with: {filters: 64}, repeat: 2}`: fresh block instances."""

    block: Name
    from_: Annotated[list[Ref], Field(alias="from", min_length=1)]
    with_: Annotated[dict[Name, Any], Field(alias="with", default_factory=dict)]
    repeat: Annotated[int, Field(ge=1, le=1000)] = 1
    _to_list = field_validator("from_", mode="before")(_as_list)


class OpNode(_Model):
    """`{op: add, from: [a, b]}`: a merge of two or more tensors."""

    op: MergeOp
    from_: Annotated[list[Ref], Field(alias="from", min_length=1)]
    axis: int | None = None
    axes: int | list[int] | None = None
    normalize: bool = False
    _to_list = field_validator("from_", mode="before")(_as_list)


class ExprNode(_Model):
    """`{expr: "(a + b) / 2", from: {a: x, b: y}}`: a safe element-wise expression."""

    expr: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    from_: Annotated[dict[Name, Ref], Field(alias="from", min_length=1)]


class SequenceItem(_ArgsModel):
    """One layer of a `sequence`; `name` names its Keras layer."""

    layer: Name
    name: Name | None = None


class SequenceNode(_Model):
    """`{sequence: [...], from: x}`: a chain of layers, referred to by the node's name."""

    sequence: Annotated[list[SequenceItem], Field(min_length=1)]
    from_: Annotated[list[Ref], Field(alias="from", min_length=1)]
    _to_list = field_validator("from_", mode="before")(_as_list)


WRAPPERS = frozenset({"Bidirectional", "TimeDistributed"})
"""Layers that take another layer: a spec writes it as `wraps: {layer: LSTM, units: 32}`."""
LAYER_VALUED_ARGS = ("layer", "backward_layer")


def keras_arguments(layer: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """A layer's arguments under Keras' names: a wrapper's `wraps` is its `layer` argument."""
    if layer in WRAPPERS and "wraps" in args:
        renamed = {k: v for k, v in args.items() if k != "wraps"}
        renamed["layer"] = args["wraps"]
        return renamed
    return dict(args)


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


class SharedLayer(_ArgsModel):
    """`shared: {encoder: {layer: LSTM, units: 32}}`."""

    layer: Name


class SharedBlock(_Model):
    """`shared: {tower: {block: cnn, with: {...}}}`: one block instance reused by every use."""

    block: Name
    with_: Annotated[dict[Name, Any], Field(alias="with", default_factory=dict)]


Shared = Annotated[
    Annotated[SharedLayer, Tag("form:layer")] | Annotated[SharedBlock, Tag("form:block")],
    Discriminator(
        _form_of,
        custom_error_type="shared_form",
        custom_error_message="a shared entry needs exactly one of: layer, block",
    ),
]


class InputSpec(_Model):
    """A model input: shape without the batch dimension (`null` = any size) and dtype."""

    shape: Annotated[list[Annotated[int, Field(ge=1)] | None], Field(max_length=8)]
    dtype: DType = "float32"


class BlockInput(_Model):
    """A block input; shape and dtype come from the caller unless given."""

    shape: list[Annotated[int, Field(ge=1)] | None] | None = None
    dtype: DType | None = None


class Block(_Model):
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


class Head(_Model):
    """A named model output with its training settings."""

    from_: Annotated[Ref, Field(alias="from")]
    loss: str | None = None
    loss_weight: Annotated[float, Field(ge=0)] | None = None
    metrics: list[str] = Field(default_factory=list)


class Optimizer(_ArgsModel):
    """`optimizer: adam` or `{name: SGD, learning_rate: 0.01}`."""

    name: str


class Compile(_Model):
    """Present: the built model is compiled with per-head losses, weights and metrics."""

    optimizer: Optimizer

    @field_validator("optimizer", mode="before")
    @classmethod
    def _optimizer_shorthand(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


class Spec(_Model):
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

    @property
    def source(self) -> SourceTree | None:
        """Where the spec came from, for diagnostics' positions (None when built in code)."""
        return self._source


def _known_keys(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


_ALL_KEYS = sorted(
    set().union(
        *(
            _known_keys(m)
            for m in (
                Spec,
                LayerNode,
                UseNode,
                BlockNode,
                OpNode,
                ExprNode,
                SequenceNode,
                SequenceItem,
                Block,
                BlockInput,
                InputSpec,
                Head,
                Compile,
            )
        )
    )
)


def _clean_loc(loc: tuple[str | int, ...], data: Any) -> tuple[SpecPath, bool]:
    """Drop union tags from a pydantic location; report whether it points at a dict key."""
    path: list[str | int] = []
    at_key = False
    node: Any = data
    for part in loc:
        if part == "[key]":
            at_key = True
            continue
        if isinstance(part, str) and part.startswith(("form:", "function-")):
            continue
        inside_mapping = isinstance(node, Mapping) and part in node
        inside_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if inside_mapping or inside_list:
            path.append(part)
            node = node[part]
        else:
            path.append(part)
            node = None
    return tuple(path), at_key


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_NAME_KIND = "name or reference"
_NAME_RULE = (
    "names are identifiers: a letter or _, then letters, digits or _ (at most 128); "
    "a reference may add '.output' for a block's output"
)


def _dotted_layer(written: str, path: SpecPath, source: SourceTree) -> Diagnostic:
    """`layer: keras.layers.Dense`: layers are named by class, never by import path."""
    from graphspec.catalogue.reader import load_catalogue, suggest

    tail = written.rsplit(".", 1)[-1]
    close = suggest(tail, load_catalogue().safe_layer_names())
    message = f"unknown layer {_describe(written)}: layers are named by their Keras class name"
    hint = f"did you mean '{close}'?" if close else "write the class name, e.g. Dense"
    return Diagnostic(codes.UNKNOWN_LAYER, Severity.ERROR, message, source.locate(path), path, hint)


def _diagnostic_for(error: Any, source: SourceTree) -> Diagnostic:
    path, at_key = _clean_loc(tuple(error["loc"]), source.data)
    kind = error["type"]
    where = format_path(path)
    hint: str | None = None
    if kind == "missing":
        parent = path[:-1]
        code, message = (
            codes.MISSING_KEY,
            f"'{format_path(parent)}' is missing required key '{path[-1]}'",
        )
        location = source.locate(parent)
    elif kind == "extra_forbidden":
        key = str(path[-1])
        code, message = codes.UNKNOWN_KEY, f"unknown key '{key}' in '{format_path(path[:-1])}'"
        close = difflib.get_close_matches(key, _ALL_KEYS, n=1)
        hint = f"did you mean '{close[0]}'?" if close else None
        location = source.locate_key(path)
    elif kind in ("node_form", "shared_form"):
        code, message = codes.NO_NODE_FORM, f"'{where}': {error['msg']}"
        location = source.locate_key(path)
        entry = error.get("input")
        keys = [str(key) for key in entry] if isinstance(entry, Mapping) else []
        close = [m for key in keys for m in difflib.get_close_matches(key, NODE_FORMS, n=1)]
        hint = f"did you mean '{close[0]}'?" if close else None
    elif kind == "literal_error" and path == ("graphspec",):
        code = codes.UNSUPPORTED_VERSION
        version = error.get("input")
        message = f"unsupported format version {_describe(version)}; expected 1"
        if isinstance(version, str):
            message = f"the format version is the string {_describe(version)}; write the number 1"
        location = source.locate(path)
    else:
        shown = error.get("input")
        received = "" if at_key or isinstance(shown, Mapping) else f" (received {_describe(shown)})"
        code = (
            codes.INVALID_NAME if at_key or kind == "string_pattern_mismatch" else codes.WRONG_TYPE
        )
        text = str(error["msg"]).removeprefix("Value error, ")
        message = f"'{where}': {text}{received}"
        if kind == "string_pattern_mismatch":
            message = f"'{where}': {_describe(shown)} is not a valid {_NAME_KIND}"
            hint = _NAME_RULE
            if path and path[-1] == "layer" and isinstance(shown, str):
                return _dotted_layer(shown, path, source)
        if at_key:
            message = f"'{where}': invalid name"
            hint = _NAME_RULE
        location = source.locate_key(path) if at_key else source.locate(path)
    return Diagnostic(code, Severity.ERROR, message, location, path, hint)


def parse_spec(source: SourceTree) -> tuple[Spec | None, list[Diagnostic]]:
    """Validate loaded values against the language; every schema error becomes a diagnostic."""
    try:
        spec = Spec.model_validate(source.data)
    except ValidationError as error:
        return None, [_diagnostic_for(item, source) for item in error.errors()]
    spec._source = source
    return spec, []


def node_refs(
    node: LayerNode | UseNode | BlockNode | OpNode | ExprNode | SequenceNode,
) -> list[str]:
    """The references a node reads, in order."""
    if isinstance(node, ExprNode):
        return list(node.from_.values())
    return list(node.from_)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the spec language (checked in at schemas/graphspec.schema.json)."""
    schema = Spec.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://graphspec.dev/schemas/graphspec.schema.json"
    schema["title"] = "graphspec spec, language version 1"
    return schema
