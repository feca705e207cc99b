"""Image preprocessing and augmentation: Resizing, CenterCrop and RandomCrop set the height
and width; every other image layer keeps its input's shape. None has weights.

Keras takes a rank-3 tensor as one unbatched image, so that a model input of shape
``[height, width]`` fed to these layers has its batch dimension read as the image height (and
Resizing or CenterCrop then replace the batch dimension). graphspec wants a batch of images,
``(batch, height, width, channels)`` (channels first with ``data_format: channels_first``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from graphspec.catalogue.shape_rules.base import (
    Args,
    LayerShape,
    Rule,
    ShapeError,
    join_channels,
    layout,
    rank_error,
    register,
    split_channels,
    tensor,
)
from graphspec.shape import Shape

_IMAGE_HINT: Final = "image layers take a batch of images; a Reshape can add a channels dimension"


def _image(a: Args, shape: Shape, data_format: str) -> tuple[Shape, int | None]:
    """The (height, width) and channels of an image input, after checking its rank."""
    if len(shape) != 3:
        dims, detail = layout(2, data_format)
        raise rank_error(a.layer, dims, shape, detail, _IMAGE_HINT)
    return split_channels(a.layer, shape, 2, data_format)


def _data_format(a: Args, has_data_format: bool) -> str:
    return a.data_format() if has_data_format else "channels_last"


def _same_image(has_data_format: bool, rgb: bool = False) -> Rule:
    """A layer that keeps its input's shape; ``rgb``: one that wants three channels."""

    def rule(a: Args, inputs: Sequence[Shape]) -> LayerShape:
        (shape,) = inputs
        _, channels = _image(a, shape, _data_format(a, has_data_format))
        if rgb and channels not in (None, 3):
            raise ShapeError(
                f"{a.layer} expects images with 3 channels, but received {tensor(shape)}",
                "it works on RGB images",
            )
        return LayerShape((shape,))

    return rule


def _resized(a: Args, inputs: Sequence[Shape]) -> LayerShape:
    """Resizing, CenterCrop and RandomCrop: the image becomes ``height`` by ``width`` (a crop
    larger than its input resizes it up when run)."""
    (shape,) = inputs
    height = a.integer("height")
    width = a.integer("width")
    data_format = a.data_format()
    _, channels = _image(a, shape, data_format)
    return LayerShape((join_channels((height, width), channels, data_format),))


for _name in ("Resizing", "CenterCrop", "RandomCrop"):
    register(_name, _resized, {"data_format": None})

SAME_SHAPE_IMAGE_LAYERS: Final = (
    "AugMix",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "CutMix",
    "Equalization",
    "MixUp",
    "RandAugment",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
    "RandomPosterization",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
)
"""Image layers with a ``data_format`` that keep their input's shape."""

RGB_LAYERS: Final = frozenset({"RandomColorDegeneration"})
"""Image layers whose symbolic call refuses a known channel count other than 3."""

CHANNELS_LAST_IMAGE_LAYERS: Final = (
    "AutoContrast",
    "MaxNumBoundingBoxes",
    "RandomBrightness",
    "RandomContrast",
    "Solarization",
)
"""Image layers without a ``data_format`` (channels last) that keep their input's shape."""

for _name in SAME_SHAPE_IMAGE_LAYERS:
    register(_name, _same_image(True, _name in RGB_LAYERS), {"data_format": None})
for _name in CHANNELS_LAST_IMAGE_LAYERS:
    register(_name, _same_image(False))
