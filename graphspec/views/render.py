"""Pictures through Graphviz's `dot`: DOT text (`graphspec.views.drawing.render_dot`) to SVG or
PNG bytes.

INTERFACE STUB (issue 13): the owner of this module replaces the body; the HTML page
(`graphspec.views.html`) lays its drawing out with `run_dot(..., "svg")`.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Literal

ImageFormat = Literal["svg", "png"]


class DotMissing(RuntimeError):
    """Graphviz's `dot` is not installed (or not on PATH)."""


def run_dot(dot_text: str, image_format: ImageFormat) -> bytes:
    """The picture `dot` draws from `dot_text`."""
    dot = shutil.which("dot")
    if dot is None:
        raise DotMissing("Graphviz's dot is not on PATH")
    done = subprocess.run(
        [dot, f"-T{image_format}"], input=dot_text.encode(), capture_output=True, check=True
    )
    return done.stdout
