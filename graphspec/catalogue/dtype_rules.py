"""What element type (dtype) each Keras layer accepts and gives, in pure Python.

Keras' symbolic build accepts nearly any dtype (a `Dense` called on a ``string`` Input builds,
and says it gives ``float32`` where a `MaxPooling1D` on ``int32`` really gives ``int32``);
what fails is the first batch of data. These rules say what Keras 3.15 does with real
tensors on TensorFlow, so that `validate` refuses before any build what can never run:

- strings go only into `StringLookup`, `TextVectorization`, `Hashing` and the layers that
  only move values (`Identity`, `Flatten`, `Reshape`, `Permute`, `Dropout`); every other layer
  refuses them, and `StringLookup` (unless ``invert``) and `TextVectorization` refuse numbers;
- integers and booleans: most layers cast them to their float compute dtype (`Dense`,
  `Embedding`, the recurrent and normalization layers), but the convolutions, average pooling,
  `Softmax`, `ELU`, `PReLU` and `UnitNormalization` refuse them, and max pooling and `ReLU`
  refuse booleans; the layers that only move values give their input's dtype back;
- a layer's output is its compute dtype (its ``dtype`` argument, ``float32`` by default; a
  ``mixed_float16`` policy computes in ``float16``), except the lookups (``int64`` ids and
  counts, ``one_hot`` and ``multi_hot`` included, whatever Keras' symbolic ``float32`` says;
  ``float32`` for ``tf_idf``; the vocabulary's type with ``invert``), `Hashing` (``int64``,
  or its ``dtype``), `Discretization` (``int32``) and the value-moving layers.

A rule raises `DtypeError` when the input cannot fit, and returns None where it cannot know
(a custom layer, a ``${param}``, an unknown input): inference then says nothing downstream.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphspec.catalogue.shape_rules.base import canonical

FLOATS = ("float16", "bfloat16", "float32", "float64")
INTS = ("uint8", "int8", "int16", "int32", "int64")
DEFAULT_FLOAT = "float32"
"""Keras' ``floatx``: what a layer computes in unless its ``dtype`` says otherwise."""


class DtypeError(Exception):
    """A layer cannot take its input's dtype; `message` says why, `hint` what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def kind(dtype: str) -> str:
    """``float``, ``int``, ``bool`` or ``string``."""
    if dtype in FLOATS:
        return "float"
    if dtype in INTS:
        return "int"
    return dtype


STRING_LAYERS = frozenset({"StringLookup", "TextVectorization"})
"""Layers that take strings only (StringLookup with ``invert: true`` takes ids instead)."""
ANY_INPUT = frozenset({"Hashing", "HashedCrossing"})
"""Layers that hash strings and numbers alike."""
MOVES_STRINGS = frozenset({"Identity", "Flatten", "Reshape", "Permute", "Dropout"})
"""Layers that only move values, strings included: they give their input's dtype."""
MOVES_NUMBERS = MOVES_STRINGS | frozenset(
    {
        "MaxPooling1D",
        "MaxPooling2D",
        "MaxPooling3D",
        "GlobalMaxPooling1D",
        "GlobalMaxPooling2D",
        "GlobalMaxPooling3D",
        "UpSampling1D",
        "UpSampling2D",
        "UpSampling3D",
        "ZeroPadding1D",
        "ZeroPadding2D",
        "ZeroPadding3D",
        "Cropping1D",
        "Cropping2D",
        "Cropping3D",
        "RepeatVector",
        "GaussianNoise",
        "GaussianDropout",
        "AlphaDropout",
        "SpatialDropout1D",
        "SpatialDropout2D",
        "SpatialDropout3D",
        "ActivityRegularization",
        "ReLU",
    }
)
"""Layers that give an integer or boolean input's dtype back (a float input becomes their
compute dtype, as for every layer)."""
FLOATS_ONLY = frozenset(
    {
        *(
            f"{name}{axes}D"
            for name in ("Conv", "SeparableConv", "DepthwiseConv")
            for axes in "123"
        ),
        *(f"Conv{axes}DTranspose" for axes in "123"),
        *(f"AveragePooling{axes}D" for axes in "123"),
        "Softmax",
        "ELU",
        "PReLU",
        "UnitNormalization",
    }
)
"""Layers whose TensorFlow kernels take floats only: an integer or boolean input fails."""
NO_BOOLS = frozenset(
    {
        "MaxPooling1D",
        "MaxPooling2D",
        "MaxPooling3D",
        "ReLU",
        "LeakyReLU",
    }
)
"""Layers that take integers but not booleans."""
MERGE_LAYER_OPS = {
    "Concatenate": "concatenate",
    "Add": "add",
    "Subtract": "subtract",
    "Multiply": "multiply",
    "Average": "average",
    "Maximum": "maximum",
    "Minimum": "minimum",
    "Dot": "dot",
}
_POLICY_COMPUTE = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}


def compute_dtype(args: Mapping[str, Any]) -> str | None:
    """The dtype a layer computes in: its ``dtype`` argument (a dtype or a policy's name),
    else ``float32``; None when it is written in a form these rules do not read."""
    value = args.get("dtype")
    if value is None:
        return DEFAULT_FLOAT
    if isinstance(value, str):
        if value in FLOATS or value in INTS or value == "bool":
            return value
        return _POLICY_COMPUTE.get(value)
    return None


def _refuse_strings(layer: str, dtype: str) -> None:
    if dtype == "string":
        raise DtypeError(
            f"{layer} cannot take strings",
            "turn them into numbers first: StringLookup or Hashing for categories, "
            "TextVectorization for text",
        )


def _lookup(layer: str, args: Mapping[str, Any], dtype: str | None) -> str | None:
    """StringLookup, IntegerLookup, TextVectorization: ids (or counts) from tokens."""
    invert = args.get("invert") is True
    mode = args.get("output_mode", "int")
    if dtype is None:
        pass
    elif layer == "StringLookup" and not invert and dtype != "string":
        raise DtypeError(
            f"StringLookup takes strings, but its input is {dtype}",
            "declare the input `dtype: string`, or use IntegerLookup for integer categories",
        )
    if layer == "TextVectorization" and dtype != "string":
        raise DtypeError(
            f"TextVectorization takes strings, but its input is {dtype}",
            "declare the input `dtype: string`",
        )
    if invert:
        if dtype is not None and kind(dtype) != "int":
            raise DtypeError(
                f"{layer} with invert: true takes integer ids, but its input is {dtype}"
            )
        if layer == "StringLookup":
            return "string"
        vocabulary_dtype = args.get("vocabulary_dtype", "int64")
        return vocabulary_dtype if vocabulary_dtype in INTS else None
    if layer == "IntegerLookup" and dtype is not None:
        _refuse_strings(layer, dtype)
    if not isinstance(mode, str):
        return None
    return DEFAULT_FLOAT if mode == "tf_idf" else "int64"


def _hashing(args: Mapping[str, Any]) -> str | None:
    mode = args.get("output_mode", "int")
    if not isinstance(mode, str):
        return None
    written = args.get("dtype")
    if written is not None:
        return compute_dtype(args)
    return "int64" if mode == "int" else DEFAULT_FLOAT


def _discretization(args: Mapping[str, Any]) -> str | None:
    return "int32" if args.get("output_mode", "int") == "int" else compute_dtype(args)


def infer_layer_dtype(
    layer: str, args: Mapping[str, Any], inputs: Sequence[str | None]
) -> str | None:
    """The dtype ``layer`` built with ``args`` gives on inputs of these dtypes; None when not
    known. Raises `DtypeError` when an input's dtype cannot fit."""
    name = canonical(layer)
    if name in MERGE_LAYER_OPS:
        return infer_merge_dtype(MERGE_LAYER_OPS[name], inputs)
    if name == "TimeDistributed":
        wrapped = args.get("wraps", args.get("layer"))
        if isinstance(wrapped, Mapping) and isinstance(wrapped.get("layer"), str):
            inner = {k: v for k, v in wrapped.items() if k != "layer"}
            return infer_layer_dtype(wrapped["layer"], inner, inputs)
        return None
    if len(inputs) != 1:
        return None
    dtype = inputs[0]
    if name in STRING_LAYERS or name == "IntegerLookup":
        return _lookup(name, args, dtype)
    if name in ANY_INPUT:
        return _hashing(args)
    if dtype is None:  # what the layer gives whatever it takes, if that is known
        if name in MOVES_NUMBERS:
            return None
        return _discretization(args) if name == "Discretization" else compute_dtype(args)
    if dtype == "string":
        if name in MOVES_STRINGS:
            return dtype
        _refuse_strings(layer, dtype)
    if kind(dtype) in ("int", "bool") and name in FLOATS_ONLY:
        raise DtypeError(
            f"{layer} computes in floats and cannot take {dtype}",
            "integer ids need an Embedding first; a numeric input can be declared float32",
        )
    if dtype == "bool" and name in NO_BOOLS:
        raise DtypeError(f"{layer} cannot take bool", "declare the input float32 or int32")
    if name == "Discretization":
        return _discretization(args)
    if name in MOVES_NUMBERS and kind(dtype) in ("int", "bool"):
        return dtype
    return compute_dtype(args)


def _widest(dtypes: Sequence[str], order: Sequence[str]) -> str:
    return max(dtypes, key=order.index)


def common_dtype(dtypes: Sequence[str]) -> str | None:
    """The dtype numbers of these dtypes meet in (floats win, then the widest integer); None
    where Keras' answer depends on more (signed and unsigned integers, bool and int)."""
    if len(set(dtypes)) == 1:
        return dtypes[0]
    floats = [d for d in dtypes if kind(d) == "float"]
    if floats:
        return DEFAULT_FLOAT if len(set(floats)) > 1 else floats[0]
    ints = [d for d in dtypes if kind(d) == "int"]
    if len(ints) == len(dtypes) and "uint8" not in ints:
        return _widest(ints, INTS)
    return None


def infer_merge_dtype(op: str, inputs: Sequence[str | None]) -> str | None:
    """The dtype of an ``op:`` merge (a Keras merge layer: floats become its compute dtype,
    float32). Raises `DtypeError` when strings meet numbers, or for arithmetic on strings."""
    known = [d for d in inputs if d is not None]
    strings = [d for d in known if d == "string"]
    if strings:
        if len(strings) != len(known):
            raise DtypeError(
                f"{op} mixes strings with numbers",
                "turn the strings into numbers first (StringLookup, Hashing)",
            )
        if op != "concatenate":
            raise DtypeError(
                f"{op} computes on numbers, but its inputs are strings",
                "turn the strings into numbers first (StringLookup, Hashing)",
            )
    if len(known) != len(inputs):
        return None
    if strings:
        return "string"
    if any(kind(d) == "float" for d in known):
        return DEFAULT_FLOAT
    return common_dtype(known)


def infer_expression_dtype(inputs: Sequence[str | None]) -> str | None:
    """The dtype of an ``expr`` node: keras.ops on its operands (no layer casts them), so the
    common dtype; None when it depends on the operations (integers alone: ``/`` gives
    floats). Raises `DtypeError` on strings."""
    if any(d == "string" for d in inputs):
        raise DtypeError(
            "an expression computes on numbers, but an operand is strings",
            "turn the strings into numbers first (StringLookup, Hashing)",
        )
    if any(d is None for d in inputs) or not inputs:
        return None
    known = [d for d in inputs if d is not None]
    if not any(kind(d) == "float" for d in known):
        return None
    floats = [d for d in known if kind(d) == "float"]
    return _widest(floats, FLOATS) if "bfloat16" not in floats or len(set(floats)) == 1 else None
