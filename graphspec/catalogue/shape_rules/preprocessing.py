"""Lookups, hashing, encoding, discretization and TextVectorization: no weights, and an output
whose last size is the vocabulary (or bin) count in the encoding output modes.

Keras' lookups (``keras/src/layers/preprocessing/index_lookup.py``) give the input's shape in
``output_mode: int`` and otherwise encode into ``depth`` values: ``max_tokens`` with
``pad_to_max_tokens``, else the vocabulary size, which is known when ``vocabulary`` is given
(`vocabulary_size`) and unknown (``None``) when the layer is to be adapted. None of these
layers has weights Keras counts: a TF-IDF layer's ``idf_weights`` is a TensorFlow variable
outside ``count_params()``.

Keras computes the encoding modes of a rank-1 input (the batch alone) by dropping the batch
dimension, which the encoded batch does not do when the model runs: graphspec refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from graphspec.catalogue.shape_rules.base import (
    Args,
    LayerShape,
    ShapeError,
    Unknown,
    inputs_hint,
    register,
    tensor,
)
from graphspec.shape import Shape, is_int

_LOOKUP_MODES: Final = ("int", "one_hot", "multi_hot", "count", "tf_idf")
_RENAMED_MODES: Final = {"binary": "multi_hot", "tf-idf": "tf_idf"}


def vocabulary_tokens(vocabulary: object) -> list[Any] | None:
    """The tokens of a lookup's ``vocabulary`` argument, as written; None when unknown here.

    An inline list is read as it is. Anything else (a file path, a parameter) gives None: the
    vocabulary size, and so an encoded output's last dimension, is then unknown. This is the
    one place that learns to read other forms of a vocabulary.
    """
    if isinstance(vocabulary, list | tuple):
        return list(vocabulary)
    return None


def _special_tokens(args: Mapping[str, Any], mode: str) -> list[Any]:
    """The mask and OOV tokens at the start of a lookup's indices (``_token_start_index``)."""
    mask = args.get("mask_token")
    masked = [mask] if mask is not None and mode == "int" else []
    oov = args.get("num_oov_indices", 1)
    return masked + [args.get("oov_token")] * (oov if is_int(oov) else 0)


def _vocabulary_parts(args: Mapping[str, Any]) -> tuple[list[Any], list[Any]] | None:
    """(special tokens, own tokens) of a lookup with a readable vocabulary, else None."""
    tokens = vocabulary_tokens(args.get("vocabulary"))
    if tokens is None:
        return None
    written = args.get("output_mode", "int")
    mode = _RENAMED_MODES.get(written, written) if isinstance(written, str) else "int"
    special = _special_tokens(args, mode)
    if special and tokens[: len(special)] == special:
        tokens = tokens[len(special) :]  # Keras accepts the special tokens written first
    return special, tokens


def vocabulary_size(args: Mapping[str, Any]) -> int | None:
    """Keras' ``vocabulary_size()`` of a StringLookup or IntegerLookup built with ``args``
    (Keras' defaults filled in): its tokens plus the mask (in ``output_mode: int``) and OOV
    indices; None when the vocabulary is not given inline (the layer is adapted, or see
    `vocabulary_tokens`).

    >>> vocabulary_size({"vocabulary": ["a", "b"], "num_oov_indices": 1, "oov_token": "[UNK]"})
    3
    """
    parts = _vocabulary_parts(args)
    if parts is None:
        return None
    special, tokens = parts
    return len(special) + len(tokens)


# --------------------------------------------------------------------------- shared shapes


def _encoded(a: Args, shape: Shape, mode: str, depth: int | None) -> Shape:
    """The output of an encoding ``mode`` over ``depth`` values (Keras' lookups and encoders):
    one_hot appends the depth (replacing a last dimension of 1), the others replace the last
    dimension by it."""
    if mode == "int":
        return shape
    if mode == "one_hot":
        if shape and shape[-1] == 1:
            return (*shape[:-1], depth)
        return (*shape, depth)
    if not shape:
        raise ShapeError(
            f"{a.layer} with output_mode '{mode}' encodes the last dimension of its input, "
            f"but received {tensor(shape)}, which has none besides the batch",
            inputs_hint(a.layer, ["tokens"]),
        )
    return (*shape[:-1], depth)


def _mode(a: Args, allowed: Sequence[str], renamed: Mapping[str, str] | None = None) -> str:
    """The output_mode, with the deprecated names ``renamed`` as Keras renames them."""
    written = a.text("output_mode")
    mode = (renamed or {}).get(written, written)
    if mode not in allowed:
        options = ", ".join(repr(m) for m in allowed)
        raise ShapeError(
            f"output_mode must be one of {options}, but received {written!r}",
            argument="output_mode",
        )
    return mode


def _refuse(condition: bool, argument: str, message: str) -> None:
    if condition:
        raise ShapeError(message, argument=argument)


# --------------------------------------------------------------------------- lookups


def _check_lookup(a: Args, mode: str) -> None:
    """The argument checks of Keras' ``IndexLookup.__init__`` and ``set_vocabulary``."""
    max_tokens = a.raw("max_tokens")
    if max_tokens is not None and not is_int(max_tokens):
        raise Unknown("max_tokens")
    _refuse(
        max_tokens is not None and max_tokens <= 1,
        "max_tokens",
        f"max_tokens must be greater than 1 when set, but received {max_tokens!r}",
    )
    _refuse(
        a.flag("pad_to_max_tokens") and max_tokens is None,
        "pad_to_max_tokens",
        "pad_to_max_tokens needs max_tokens",
    )
    a.integer("num_oov_indices", minimum=0)
    _refuse(
        a.flag("invert") and mode != "int",
        "invert",
        f"output_mode must be 'int' when invert is true, but received {mode!r}",
    )
    _refuse(
        a.flag("sparse") and mode == "int",
        "sparse",
        "sparse may only be true with output_mode 'one_hot', 'multi_hot', 'count' or 'tf_idf'",
    )
    idf = a.raw("idf_weights")
    _refuse(
        idf is not None and mode != "tf_idf",
        "idf_weights",
        f"idf_weights should only be set with output_mode 'tf_idf', but received {mode!r}",
    )
    vocabulary = a.raw("vocabulary")
    _refuse(
        mode == "tf_idf" and vocabulary is not None and idf is None,
        "vocabulary",
        "output_mode 'tf_idf' with a vocabulary needs idf_weights as well",
    )
    _check_vocabulary(a, mode, max_tokens)


def _check_vocabulary(a: Args, mode: str, max_tokens: int | None) -> None:
    arguments = {**a.defaults, **a.given}
    parts = _vocabulary_parts(arguments)
    if parts is None:
        return
    special, tokens = parts
    _refuse(
        not vocabulary_tokens(a.raw("vocabulary")), "vocabulary", "the vocabulary must not be empty"
    )
    repeated = sorted({repr(t) for i, t in enumerate(tokens) if t in tokens[:i]})
    _refuse(
        bool(repeated),
        "vocabulary",
        f"the vocabulary repeats {', '.join(repeated)}: each term may appear once",
    )
    mask = a.raw("mask_token")
    _refuse(
        mask is not None and mask in tokens,
        "vocabulary",
        f"the vocabulary holds the mask token {mask!r}: leave it out, or write the special "
        f"tokens first, in this order: {special!r}",
    )
    oov = a.raw("oov_token")
    _refuse(
        a.flag("invert") and oov is not None and oov in tokens,
        "vocabulary",
        f"the vocabulary holds the OOV token {oov!r}: leave it out, or write the special "
        f"tokens first, in this order: {special!r}",
    )
    size = len(special) + len(tokens)
    _refuse(
        max_tokens is not None and size > max_tokens,
        "vocabulary",
        f"the vocabulary has {size} entries with its special tokens, more than max_tokens "
        f"({max_tokens})",
    )
    idf = a.raw("idf_weights")
    if mode == "tf_idf" and isinstance(idf, list | tuple):
        written = vocabulary_tokens(a.raw("vocabulary")) or []
        _refuse(
            len(idf) != len(written),
            "idf_weights",
            f"idf_weights must be as long as the vocabulary ({len(written)}), but has "
            f"{len(idf)} entries",
        )


def _depth(a: Args) -> int | None:
    if a.flag("pad_to_max_tokens"):
        return a.integer("max_tokens")
    return vocabulary_size({**a.defaults, **a.given})


def _lookup(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    mode = _mode(a, _LOOKUP_MODES, _RENAMED_MODES)
    _check_lookup(a, mode)
    return LayerShape((_encoded(a, shape, mode, _depth(a)),))


_LOOKUP_DEFAULTS: Final = {
    "max_tokens": None,
    "num_oov_indices": 1,
    "mask_token": None,
    "vocabulary": None,
    "idf_weights": None,
    "invert": False,
    "output_mode": "int",
    "pad_to_max_tokens": False,
    "sparse": False,
}
register("StringLookup", _lookup, {**_LOOKUP_DEFAULTS, "oov_token": "[UNK]"})
register("IntegerLookup", _lookup, {**_LOOKUP_DEFAULTS, "oov_token": -1})


def _text_vectorization(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    """TextVectorization: token ids padded to ``output_sequence_length`` (int), or a
    StringLookup encoding of the split tokens (mask ``""``, one OOV index)."""
    (shape,) = inputs
    mode = _mode(a, _LOOKUP_MODES, _RENAMED_MODES)
    length = a.optional_integer("output_sequence_length")
    _refuse(
        mode != "int" and length is not None,
        "output_sequence_length",
        f"output_sequence_length must not be set when output_mode is {mode!r}",
    )
    _refuse(
        mode != "int" and a.flag("ragged"),
        "ragged",
        f"ragged must be false with output_mode {mode!r}",
    )
    lookup = {
        **{k: v for k, v in a.given.items() if k in _LOOKUP_DEFAULTS},
        "mask_token": "",
        "num_oov_indices": 1,
        "oov_token": "[UNK]",
    }
    inner = Args(a.layer, lookup, {**_LOOKUP_DEFAULTS, "output_mode": mode})
    _check_lookup(inner, mode)
    if mode == "int":
        return LayerShape(((length,),))
    split = a.raw("split")
    tokens: Shape = (shape or (1,)) if split is None else (*shape, None)
    return LayerShape((_encoded(a, tokens, mode, _depth(inner)),))


register(
    "TextVectorization",
    _text_vectorization,
    {
        "max_tokens": None,
        "split": "whitespace",
        "output_mode": "int",
        "output_sequence_length": None,
        "pad_to_max_tokens": False,
        "vocabulary": None,
        "idf_weights": None,
        "sparse": False,
        "ragged": False,
    },
)


# --------------------------------------------------------------------------- hashing, encoding


def _check_sparse(a: Args, mode: str) -> None:
    _refuse(
        a.flag("sparse") and mode == "int",
        "sparse",
        "sparse may only be true with an output_mode other than 'int'",
    )


def _hashing(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    """Hashing: Keras' ``compute_output_spec`` replaces the last dimension by ``num_bins`` in
    every encoding mode, one_hot included (a last dimension of 1 is squeezed when run)."""
    (shape,) = inputs
    bins = a.integer("num_bins")
    mode = _mode(a, ("int", "one_hot", "multi_hot", "count"))
    _check_sparse(a, mode)
    if mode == "int":
        return LayerShape((shape,))
    return LayerShape((_encoded(a, shape, "multi_hot", bins),))


register("Hashing", _hashing, {"output_mode": "int", "sparse": False})


def _hashed_crossing(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    bins = a.integer("num_bins")
    mode = _mode(a, ("int", "one_hot"))
    _check_sparse(a, mode)
    first, second = inputs
    last = (first[-1] if first else None, second[-1] if second else None)
    if last[0] != last[1]:
        raise ShapeError(
            f"HashedCrossing crosses two inputs of the same shape, but received {tensor(first)} "
            f"and {tensor(second)}"
        )
    if mode == "int":
        return LayerShape((first,))
    if first and first[-1] == 1:
        return LayerShape(((*first[:-1], bins),))
    return LayerShape(((*first, bins),))


register("HashedCrossing", _hashed_crossing, {"output_mode": "int", "sparse": False}, arity=(2, 2))


def _category_encoding(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    if "num_tokens" not in a.given:
        raise Unknown("num_tokens")  # Keras refuses it when building
    _refuse(
        a.raw("num_tokens") is None,
        "num_tokens",
        "CategoryEncoding needs num_tokens (an IntegerLookup finds the count by itself)",
    )
    count = a.integer("num_tokens")
    mode = _mode(a, ("count", "one_hot", "multi_hot"), {"binary": "multi_hot"})
    return LayerShape((_encoded(a, shape, mode, count),))


register(
    "CategoryEncoding",
    _category_encoding,
    {"num_tokens": None, "output_mode": "multi_hot", "sparse": False},
)


def _discretization(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    """Discretization: ``len(bin_boundaries) + 1`` bins (or ``num_bins``). Keras' multi_hot
    and count drop the first dimension after the batch and append the bins."""
    (shape,) = inputs
    boundaries = a.raw("bin_boundaries")
    bins = a.optional_integer("num_bins", minimum=0)
    _refuse(
        boundaries is not None and bins is not None,
        "num_bins",
        "give either num_bins (to adapt) or bin_boundaries, not both",
    )
    if boundaries is None and bins is None:
        written = [name for name in ("bin_boundaries", "num_bins") if name in a.given]
        if not written:
            raise Unknown("bin_boundaries")  # Keras refuses it when building
        _refuse(True, written[0], "Discretization needs bin_boundaries, or num_bins to adapt")
    if boundaries is not None and not isinstance(boundaries, list | tuple):
        raise Unknown("bin_boundaries")
    mode = _mode(a, ("int", "one_hot", "multi_hot", "count"))
    _check_sparse(a, mode)
    depth = len(boundaries) + 1 if boundaries is not None else bins
    if mode in ("multi_hot", "count") and shape:
        return LayerShape(((*shape[1:], depth),))
    return LayerShape((_encoded(a, shape, mode, depth),))


register(
    "Discretization",
    _discretization,
    {"bin_boundaries": None, "num_bins": None, "output_mode": "int", "sparse": False},
)
