"""What every spec model shares: the frozen, strict pydantic base, names and references."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
REFERENCE = r"^[A-Za-z_][A-Za-z0-9_]{0,127}(\.([A-Za-z_][A-Za-z0-9_]{0,127}|[0-9]{1,4}))?$"
"""`node`, an output by name (`enc.state_h`, a block's `inst.y`) or by position (`enc.1`)."""

Name = Annotated[str, StringConstraints(pattern=IDENTIFIER)]
Ref = Annotated[str, StringConstraints(pattern=REFERENCE)]
DType = Literal[
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "bool",
    "string",
]
"""The element types an input may declare; ``string`` (raw text or categories) builds on the
TensorFlow backend only (`graphspec.analyse.backends`)."""
MergeOp = Literal[
    "concatenate", "add", "subtract", "multiply", "average", "maximum", "minimum", "dot"
]
MERGE_LAYERS: Mapping[MergeOp, str] = MappingProxyType(
    {
        "concatenate": "Concatenate",
        "add": "Add",
        "subtract": "Subtract",
        "multiply": "Multiply",
        "average": "Average",
        "maximum": "Maximum",
        "minimum": "Minimum",
        "dot": "Dot",
    }
)
"""The Keras merge layer class of each ``op:`` (emit builds it; the shape rules name it)."""
NODE_FORMS = ("layer", "use", "block", "op", "expr", "sequence")
"""The form keys: a node has exactly one of them."""


class SpecModel(BaseModel):
    """Frozen, strict, unknown keys refused: a spec says exactly what it means."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, populate_by_name=True)


class ArgsModel(SpecModel):
    """A model whose unknown keys are Keras constructor arguments (checked against the
    catalogue by analyse)."""

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


def as_list(value: Any) -> Any:
    """`from: x` is shorthand for `from: [x]`."""
    return [value] if isinstance(value, str) else value


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
