"""Static shape and parameter inference for Keras layers, in pure Python.

`graphspec validate` uses this module to find shape errors (a Conv2D fed a rank-2 tensor, a
residual ``add`` of two different shapes, pooling larger than its input) without importing
Keras, TensorFlow or numpy. Each rule mirrors what Keras 3.15 computes when a layer is called
on a symbolic ``keras.Input``: ``compute_output_shape`` (``keras/src/ops/operation_utils.py``
for convolutions and pooling), the weights ``build`` creates (``count_params()``, trainable
and non-trainable apart), and the errors both raise.
``tests/catalogue/test_shape_rules_differential.py`` checks every rule against the installed Keras.

The shapes the rules take and give leave out the batch dimension, as a spec's ``inputs`` do;
``None`` is a dimension of unknown size. Layer and merge ``axis`` arguments count the batch
dimension, as in Keras (``axis=1`` is the first dimension of a `Shape`).

Messages follow Keras' own notation, as ``graphspec summary`` does: a tensor's shape is
printed with the batch dimension first (``(None, 32, 32, 3)``) and its rank counts it
(``Conv2D expects a rank-4 input``). Argument values and the spatial sizes they are compared
with are printed as they are (``pool_size (3, 3) with padding 'valid' is larger than the
spatial size (2, 2) of the input (None, 2, 2, 8)``).

A `ShapeError` says whose fault it is: ``argument`` names the layer argument whose value is
refused whatever the input (``padding must be 'valid' or 'same'``), and is None when the input
shapes are the problem, that is when some other input would fit (``pool_size ... is larger
than ... the input``). Each rule reads and checks its arguments before it looks at its inputs,
so an argument error comes first whatever the input.

``base`` holds what every rule shares (`LayerShape`, `ShapeError`, the argument reader, the
registry and `infer_layer`, the message helpers); each other module holds one family of layers
and registers its rules when the package is imported: ``core``, ``reshaping``,
``convolution``, ``pooling``, ``recurrent``, ``normalization``, ``attention``, ``merge``
(with `infer_merge` for a spec's ``op:`` merges), ``einsum`` (EinsumDense), ``preprocessing``
(lookups, hashing, encoding, TextVectorization; `vocabulary_size` reads a lookup's vocabulary),
``image`` (resizing, cropping and augmentation) and ``misc`` (the rest). ``coverage`` says why
the catalogue layers without a rule have none, and writes ``docs/shape-rules.md``.

Where Keras' symbolic build accepts something that can never run, graphspec is stricter and
raises `ShapeError`: a concatenation or dot product over the batch axis (``axis=0``), a dot
``axes`` out of range (Keras wraps a negative int), element-wise merges whose known sizes
differ after an unknown one (Keras stops comparing at the first ``None``), a `Softmax` axis
out of range, and Attention inputs of rank 1 (the batch dimension alone).
"""

from graphspec.catalogue.shape_rules import (  # noqa: F401  (each module registers its rules)
    attention,
    convolution,
    core,
    einsum,
    image,
    misc,
    normalization,
    pooling,
    preprocessing,
    recurrent,
    reshaping,
)
from graphspec.catalogue.shape_rules.base import (
    LayerShape,
    ShapeError,
    infer_layer,
    known_layers,
)
from graphspec.catalogue.shape_rules.merge import MERGE_OPS, infer_merge
from graphspec.shape import Shape, format_shape

__all__ = [
    "MERGE_OPS",
    "LayerShape",
    "Shape",
    "ShapeError",
    "format_shape",
    "infer_layer",
    "infer_merge",
    "known_layers",
]
