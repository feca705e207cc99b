"""EinsumDense: the equation parsed as Keras' ``_analyze_einsum_string`` parses it.

Keras reads ``equation`` in one of three forms: ``ab,bc->ac`` (no ellipsis: the input letters
name every input dimension, the batch first), ``...b,bc->...c`` (an ellipsis on the left
standing for the leading dimensions, the batch among them) and ``ab...,bc->ac...`` (an
ellipsis on the right standing for trailing dimensions, which pass through). The output is
the batch, the dimensions the ellipsis stands for, and ``output_shape`` (which leaves both
out); a ``None`` in ``output_shape`` stays unknown in the output, as in Keras, even where the
input's size is known.

The kernel takes, per weight letter, the size of that letter in the output (when the output
has it) or else in the input; the bias (``bias_axes``) takes the output sizes of its letters,
with 1 for the output letters between them. Every weight size must be known.

Keras computes the output shape without checking that the input rank matches the equation or
that ``output_shape`` has one size per output letter; those give shapes that fail when the
model runs, and graphspec refuses them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from graphspec.catalogue.shape_rules.base import (
    Args,
    LayerShape,
    ShapeError,
    Unknown,
    prod,
    register,
    sizes,
    tensor,
)
from graphspec.shape import Shape, is_int

_FORMS: Final = (
    (re.compile("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)"), None),
    (re.compile("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)"), "left"),
    (re.compile("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0"), "right"),
)
"""Keras' three regular expressions, tried in order with ``re.match`` on the equation whose
``...`` is replaced by ``0``."""


@dataclass(frozen=True)
class Equation:
    """An EinsumDense equation split as Keras splits it."""

    input: str
    weight: str
    output: str
    ellipsis: str | None
    """None, ``"left"`` or ``"right"``."""


def parse_equation(equation: str) -> Equation:
    """Split ``equation`` into its input, weight and output letters; `ShapeError` (on the
    ``equation`` argument) when it is none of Keras' three forms."""
    replaced = equation.replace("...", "0")
    for pattern, ellipsis in _FORMS:
        match = pattern.match(replaced)
        if match:
            return Equation(match.group(1), match.group(2), match.group(3), ellipsis)
    raise ShapeError(
        f"invalid einsum equation {equation!r}: equations must be in the form [X],[Y]->[Z], "
        "...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...",
        "for example 'ab,bc->ac' (a dense layer) or '...b,bc->...c' (on the last dimension)",
        argument="equation",
    )


def _check_letters(eq: Equation, bias_axes: str | None) -> None:
    """The checks of Keras that depend on the equation and ``bias_axes`` alone."""
    sides = (
        ("output", eq.output, ("input", eq.input), ("weight", eq.weight), ""),
        ("weight", eq.weight, ("input", eq.input), ("output", eq.output), ": it has no size"),
    )
    for side, letters, (one, one_letters), (two, two_letters), why in sides:
        for letter in letters:
            if letter not in one_letters and letter not in two_letters:
                raise ShapeError(
                    f"dimension '{letter}' of the {side} '{letters}' is in neither the {one} "
                    f"'{one_letters}' nor the {two} '{two_letters}'{why}",
                    argument="equation",
                )
    for letter in bias_axes or "":
        if letter not in eq.output:
            raise ShapeError(
                f"bias dimension '{letter}' is not part of the output '{eq.output}'",
                "bias_axes names letters of the equation's output",
                argument="bias_axes",
            )


def _partial_output(a: Args) -> tuple[int | None, ...]:
    value = a.raw("output_shape")
    if value is None:
        raise ShapeError(
            "output_shape must be a size or a list of sizes (null for unknown ones), but "
            "received None",
            argument="output_shape",
        )
    if is_int(value):
        value = [value]
    if not isinstance(value, list | tuple) or not all(d is None or is_int(d) for d in value):
        raise Unknown("output_shape")
    if any(d is not None and d < 1 for d in value):
        raise ShapeError(
            f"output_shape sizes must be positive or null, but received {a.raw('output_shape')!r}",
            argument="output_shape",
        )
    return tuple(value)


def _output_sizes(eq: Equation, partial: tuple[int | None, ...], equation: str) -> bool:
    """Check ``output_shape`` has one size per output letter (the batch's aside); return
    whether the batch is one of the output letters (else the left ellipsis holds it)."""
    n = len(eq.output)
    if eq.ellipsis == "left" and len(partial) == n:
        return False
    if len(partial) == n - 1:
        return True
    want = f"{n - 1} or {n} sizes" if eq.ellipsis == "left" else f"{n - 1} size"
    want += "s" if eq.ellipsis != "left" and n != 2 else ""
    raise ShapeError(
        f"output_shape {sizes(partial)} must give {want} for the output "
        f"'{eq.output}' of {equation!r}",
        "output_shape leaves out the batch dimension and the dimensions '...' stands for",
        argument="output_shape",
    )


def _letter_sizes(
    eq: Equation, partial: tuple[int | None, ...], batch_lettered: bool
) -> dict[str, int | None]:
    """The output size of each output letter, from the arguments alone."""
    skip = 1 if batch_lettered else 0
    known: dict[str, int | None] = {}
    for i, letter in enumerate(eq.output):
        known[letter] = None if i < skip else partial[i - skip]
    return known


def _unknown_weight(eq: Equation, out: dict[str, int | None], bias_axes: str | None) -> None:
    """A weight or bias sized by an output letter whose size is unknown whatever the input."""
    for letter in eq.weight:
        if letter in out and out[letter] is None:
            raise ShapeError(
                f"weight dimension '{letter}' takes its size from the output, where it is unknown",
                "give its size in output_shape (the batch dimension cannot size a weight)",
                argument="output_shape",
            )
    for letter in bias_axes or "":
        if out[letter] is None:
            raise ShapeError(
                f"bias dimension '{letter}' has an unknown size in the output",
                "give its size in output_shape, or leave the letter out of bias_axes",
                argument="bias_axes",
            )


def _einsum_dense(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    (shape,) = inputs
    equation = a.text("equation")
    partial = _partial_output(a)
    bias_axes = a.raw("bias_axes")
    if bias_axes is not None and not isinstance(bias_axes, str):
        raise Unknown("bias_axes")
    if bias_axes == "":
        raise ShapeError(
            "bias_axes must name at least one output letter, or be null for no bias",
            argument="bias_axes",
        )
    if a.raw("lora_rank") is not None or a.raw("quantization_config") is not None:
        raise Unknown("lora_rank")
    eq = parse_equation(equation)
    _check_letters(eq, bias_axes)
    batch_lettered = _output_sizes(eq, partial, equation)
    out = _letter_sizes(eq, partial, batch_lettered)
    _unknown_weight(eq, out, bias_axes)

    full: Shape = (None, *shape)
    elided = len(full) - len(eq.input)
    sizes_in = _input_sizes(eq, shape, equation, batch_lettered)
    for letter, size in sizes_in.items():
        wanted = out.get(letter)
        if letter in out and wanted is not None and wanted != size:
            raise ShapeError(
                f"EinsumDense input and output_shape differ at the shared dimension "
                f"'{letter}' of {equation!r}: the input {tensor(shape)} has {size} there, "
                f"output_shape {wanted}",
            )
    # Keras inserts each dimension the left ellipsis stands for at position 1, which puts
    # them in reverse order (the model's symbolic shape; the einsum itself keeps the order).
    middle = tuple(reversed(full[1:elided])) if eq.ellipsis == "left" else ()
    tail = full[len(full) - elided :] if eq.ellipsis == "right" and elided > 0 else ()
    params = _params(eq, out, sizes_in, bias_axes, f"{equation!r}, but received {tensor(shape)}")
    return LayerShape(((*middle, *partial, *tail),), params)


def _input_sizes(
    eq: Equation, shape: Shape, equation: str, batch_lettered: bool
) -> dict[str, int | None]:
    """The input's size under each input letter, after checking its rank fits the equation."""
    full: Shape = (None, *shape)
    spread = eq.ellipsis == "right" or (eq.ellipsis == "left" and not batch_lettered)
    rank = len(eq.input) + (eq.ellipsis == "left" and not batch_lettered)
    if len(full) < rank or (not spread and len(full) != rank):
        written = f"...{eq.input}" if eq.ellipsis == "left" else eq.input
        raise ShapeError(
            f"EinsumDense with equation {equation!r} expects an input of rank {rank}"
            f"{' or more' if spread else ''} ('{written}' with the batch), but received "
            f"{tensor(shape)}",
            "shapes under `inputs` leave out the batch dimension",
        )
    start = len(full) - len(eq.input) if eq.ellipsis == "left" else 0
    return {letter: full[start + i] for i, letter in enumerate(eq.input)}


def _params(
    eq: Equation,
    out: dict[str, int | None],
    sizes_in: dict[str, int | None],
    bias_axes: str | None,
    where: str,
) -> int:
    """Kernel and bias sizes: a weight letter takes its output size, else its input size."""
    kernel: list[int] = []
    for letter in eq.weight:
        size = out[letter] if letter in out else sizes_in[letter]
        if size is None:
            raise ShapeError(
                f"EinsumDense needs a known size for the input dimension '{letter}' of {where}",
                "its kernel is sized by that dimension; give the input a fixed size",
            )
        kernel.append(size)
    if not bias_axes:
        return prod(kernel)
    first = min(eq.output.find(letter) for letter in bias_axes)
    return prod(kernel) + prod([out[c] or 1 if c in bias_axes else 1 for c in eq.output[first:]])


register(
    "EinsumDense",
    _einsum_dense,
    {"bias_axes": None, "activation": None, "lora_rank": None, "quantization_config": None},
)
