"""SimpleRNN, GRU and LSTM, and the wrappers Bidirectional and TimeDistributed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from graphspec.catalogue.shape_rules.base import (
    RULES,
    Args,
    LayerShape,
    ShapeError,
    Unknown,
    canonical,
    infer_layer,
    inputs_hint,
    rank_error,
    register,
    tensor,
)
from graphspec.shape import Shape

_GATES: Final = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}
_STATES: Final = {"SimpleRNN": 1, "GRU": 1, "LSTM": 2}
_RNN_DEFAULTS: Final = {
    "use_bias": True,
    "return_sequences": False,
    "return_state": False,
    "go_backwards": False,
    "stateful": False,
}


def _rnn_parts(a: Args, shape: Shape) -> tuple[Shape, tuple[Shape, ...], int]:
    """An RNN's output shape, its state shapes and its (trainable) parameter count."""
    kind = canonical(a.layer)
    units = a.integer("units")
    use_bias = a.flag("use_bias")
    sequences = a.flag("return_sequences")
    a.flag("return_state")
    if a.flag("stateful"):
        raise ShapeError(
            f"{kind} with stateful=True needs a fixed batch size, which a spec does not give",
            "remove stateful, or keep state across batches in the training loop",
            argument="stateful",
        )
    if len(shape) != 2:
        raise rank_error(
            a.layer,
            ["timesteps", "features"],
            shape,
            hint="an RNN reads sequences: add a Reshape or an Embedding before it",
        )
    features = shape[1]
    if features is None:
        raise ShapeError(
            f"{kind} needs a known last input dimension (features), but received {tensor(shape)}",
            "its kernel is sized by the features",
        )
    gates = _GATES[kind]
    params = gates * (features * units + units * units)
    if use_bias:
        reset_after = kind == "GRU" and a.flag("reset_after")
        params += gates * units * (2 if reset_after else 1)
    output: Shape = (shape[0], units) if sequences else (units,)
    return output, ((units,),) * _STATES[kind], params


def _rnn(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    output, states, params = _rnn_parts(a, inputs[0])
    outputs = (output, *states) if a.flag("return_state") else (output,)
    return LayerShape(outputs, params)


register("SimpleRNN", _rnn, _RNN_DEFAULTS)
register("GRU", _rnn, {**_RNN_DEFAULTS, "reset_after": True})
register("LSTM", _rnn, _RNN_DEFAULTS)


def _bidirectional(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    inner = a.raw("layer")
    if a.raw("backward_layer") is not None or not isinstance(inner, Mapping):
        raise Unknown("layer")
    kind = inner.get("layer")
    if not isinstance(kind, str) or kind not in _GATES:
        raise Unknown("layer")
    merge_mode = a.raw("merge_mode")
    if merge_mode not in ("sum", "mul", "ave", "concat", None):
        raise ShapeError(
            "merge_mode must be 'sum', 'mul', 'ave', 'concat' or null, but received "
            f"{merge_mode!r}",
            argument="merge_mode",
        )
    inner_args = {k: v for k, v in inner.items() if k != "layer"}
    wrapped = Args(kind, inner_args, RULES[kind].defaults)
    try:
        output, states, params = _rnn_parts(wrapped, inputs[0])
    except ShapeError as error:
        raise _wrapped(error) from None
    if merge_mode == "concat":
        last = output[-1]
        outputs: tuple[Shape, ...] = ((*output[:-1], None if last is None else 2 * last),)
    elif merge_mode is None:
        outputs = (output, output)
    else:
        outputs = (output,)
    if wrapped.flag("return_state"):
        outputs = outputs + states + states
    return LayerShape(outputs, 2 * params)


register("Bidirectional", _bidirectional, {"merge_mode": "concat", "backward_layer": None})


def _wrapped(error: ShapeError) -> ShapeError:
    """An error of a wrapped layer, as the wrapper's: a value the wrapped layer refuses is the
    wrapper's ``layer`` argument refused; an input it refuses is the wrapper's input."""
    if error.argument is None:
        return error
    return ShapeError(error.message, error.hint, argument="layer")


def _time_distributed(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    inner = a.raw("layer")
    if not isinstance(inner, Mapping) or not isinstance(inner.get("layer"), str):
        raise Unknown("layer")
    kind = inner["layer"]
    entry = RULES.get(canonical(kind))
    if entry is not None and entry.arity[0] > 1:
        raise ShapeError(
            f"TimeDistributed calls the layer it wraps on one input, but {kind} takes "
            f"{entry.arity[0]} or more",
            argument="layer",
        )
    shape = inputs[0]
    inner_args = {k: v for k, v in inner.items() if k != "layer"}
    # Keras builds the wrapped layer before it sees the input: a value the wrapped layer
    # refuses is reported even when the input is too small to be time-distributed.
    try:
        result = infer_layer(kind, inner_args, [shape[1:]])
    except ShapeError as error:
        if error.argument is not None or len(shape) >= 2:
            raise _wrapped(error) from None
        result = None
    if len(shape) < 2:
        hint = inputs_hint(a.layer, ["timesteps", "…"]) if len(shape) == 1 else None
        raise ShapeError(
            "TimeDistributed expects an input of rank 3 or more (batch, timesteps, …), but "
            f"received {tensor(shape)}",
            hint,
        )
    if result is None:
        raise Unknown("layer")
    outputs = tuple((shape[0], *out) for out in result.outputs)
    return LayerShape(outputs, result.trainable, result.non_trainable)


register("TimeDistributed", _time_distributed)
