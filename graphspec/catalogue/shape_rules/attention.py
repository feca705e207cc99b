"""MultiHeadAttention, Attention and AdditiveAttention.

With ``call: {return_attention_scores: true}`` (`Args.call`) each gives a second output, the
scores. MultiHeadAttention's are (batch, heads, query steps, key steps), what its call
returns on data; Keras 3.15's symbolic build says (batch, heads, query steps, query steps),
which differs when the query and the key differ in length.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphspec.catalogue.shape_rules.base import (
    Args,
    LayerShape,
    Rule,
    ShapeError,
    Unknown,
    known_size,
    min_rank_error,
    prod,
    register,
    tensor,
)
from graphspec.shape import Shape, is_int


def _multi_head_attention(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    heads = a.integer("num_heads")
    key_dim = a.integer("key_dim")
    value_dim = a.optional_integer("value_dim") or key_dim
    use_bias = a.flag("use_bias")
    use_gate = a.flag("use_gate")
    out_arg = a.raw("output_shape")
    if not out_arg:
        projection: tuple[int, ...] | None = None
    elif is_int(out_arg):
        projection = (int(out_arg),)
    elif isinstance(out_arg, list | tuple) and all(is_int(d) for d in out_arg):
        projection = tuple(out_arg)
    else:
        raise Unknown("output_shape")
    query, value = inputs[0], inputs[1]
    key = inputs[2] if len(inputs) > 2 else value
    names = ("query", "value", "key")
    for name, shape in zip(names, (query, value, key), strict=True):
        if not shape:
            raise min_rank_error(a.layer, shape, f"a {name}")
    if value[:-1] != key[:-1]:
        raise ShapeError(
            f"MultiHeadAttention value {tensor(value)} and key {tensor(key)} must match in "
            "every dimension but the last",
        )
    dims = []
    for name, shape in zip(names, (query, value, key), strict=True):
        if shape[-1] is None:
            raise ShapeError(
                f"MultiHeadAttention needs a known last dimension of the {name}, but received "
                f"{tensor(shape)}",
                "the projections are sized by the last dimension",
            )
        dims.append(shape[-1])
    q, v, k = dims
    projection_out = projection or (q,)
    kernels = heads * (key_dim * (q + k) + value_dim * v)
    kernels += heads * value_dim * prod(projection_out)
    biases = heads * (2 * key_dim + value_dim) + prod(projection_out)
    if use_gate:
        kernels += q * heads * value_dim
        biases += heads * value_dim
    params = kernels + (biases if use_bias else 0)
    output = query[:-1] + projection_out
    if not _scores_returned(a):
        return LayerShape((output,), params)
    if len(query) != 2 or a.raw("attention_axes") not in (None, 1, -2, [1], [-2]):
        raise Unknown("attention_axes")  # scores over several axes: left to Keras
    return LayerShape((output, (heads, query[0], key[0])), params)


def _scores_returned(a: Args) -> bool:
    """Whether the call returns the attention scores after the output (a call argument)."""
    return a.call.get("return_attention_scores") is True


register(
    "MultiHeadAttention",
    _multi_head_attention,
    {
        "value_dim": None,
        "use_bias": True,
        "output_shape": None,
        "use_gate": False,
        "attention_axes": None,
    },
    arity=(2, 3),
)


def _attention(additive: bool) -> Rule:
    def rule(a: Args, inputs: Sequence[Shape]) -> LayerShape:
        use_scale = a.flag("use_scale")
        score_mode = a.text("score_mode")
        if score_mode not in ("dot", "concat"):
            raise ShapeError(
                f"score_mode must be 'dot' or 'concat', but received {score_mode!r}",
                argument="score_mode",
            )
        query, value = inputs[0], inputs[1]
        for name, shape in (("query", query), ("value", value)):
            if not shape:
                raise min_rank_error(a.layer, shape, f"a {name}")
        if additive:
            params = known_size(a.layer, query, -1, "last query dimension") if use_scale else 0
        else:
            params = int(use_scale) + int(score_mode == "concat")
        output = (*query[:-1], value[-1])
        if not _scores_returned(a):
            return LayerShape((output,), params)
        if len(value) < 2:
            raise Unknown("return_attention_scores")
        return LayerShape((output, (*query[:-1], value[-2])), params)

    return rule


register("Attention", _attention(False), {"use_scale": False, "score_mode": "dot"}, arity=(2, 3))
register(
    "AdditiveAttention",
    _attention(True),
    {"use_scale": True, "score_mode": "dot"},
    arity=(2, 3),
)
