"""Custom objects of gallery specs, allowed outside the spec (``--custom-object`` or
``[tool.graphspec] custom-objects``), as a user's package would define them."""

from __future__ import annotations

from typing import Any


def contrastive_loss(y_true: Any, y_pred: Any, margin: float = 1.0) -> Any:
    """The contrastive loss of Hadsell, Chopra and LeCun (2006) as the Keras example "Image
    similarity estimation using a Siamese Network with a contrastive loss" writes it: ``y_pred``
    is the pair's distance, ``y_true`` 1 for a similar pair, 0 for a dissimilar one (the
    example's labels). The example's ``loss(margin=1)`` closure returns this function with
    ``margin`` 1; a spec names a function without arguments, so the margin is its default."""
    from keras import ops

    square_pred = ops.square(y_pred)
    margin_square = ops.square(ops.maximum(margin - y_pred, 0))
    return ops.mean((1 - y_true) * square_pred + y_true * margin_square)
