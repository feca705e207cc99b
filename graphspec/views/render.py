"""Pictures through Graphviz's `dot`: DOT text (`graphspec.views.drawing.render_dot`) to SVG or
PNG bytes.

`dot` is a separate program (Debian's `graphviz` package), not a Python dependency: it is looked
up on PATH at each call, run without a shell with the DOT text on its standard input, and
stopped after `DOT_TIMEOUT` seconds. Its failures are `DotError`s carrying a message a person
can act on (`DotMissing` adds how to install it); the CLI turns them into exit 2.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Final, Literal

__all__ = [
    "DOT_TIMEOUT",
    "IMAGE_FORMATS",
    "INSTALL_HINT",
    "DotError",
    "DotFailed",
    "DotMissing",
    "ImageFormat",
    "find_dot",
    "run_dot",
]

ImageFormat = Literal["svg", "png"]
IMAGE_FORMATS: Final[tuple[ImageFormat, ...]] = ("svg", "png")

DOT_TIMEOUT: Final = 60.0
"""Seconds `dot` may take: a generated spec of 500 nodes lays out in about a second, one of
1,000 nodes in about 3 s (with `graphspec.views.drawing.layout_attributes`; without, it ran
past this limit; benchmarks/bench_graph.py)."""

INSTALL_HINT: Final = (
    "install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install "
    "graphviz; conda: conda install graphviz) so that `dot` is on PATH; "
    "--format dot and --format mermaid print text and need nothing installed"
)

_STDERR_LINES: Final = 5
"""Lines of `dot`'s own complaint quoted in a DotFailed message."""


class DotError(RuntimeError):
    """`dot` could not draw the picture; the message says why."""


class DotMissing(DotError):
    """Graphviz's `dot` is not installed (or not on PATH)."""


class DotFailed(DotError):
    """`dot` ran but gave no picture: it failed, was killed, or ran past `DOT_TIMEOUT`."""


def find_dot() -> str:
    """The path of Graphviz's `dot` on PATH; DotMissing, with how to install it, when none."""
    dot = shutil.which("dot")
    if dot is None:
        raise DotMissing(f"Graphviz's dot is not on PATH; {INSTALL_HINT}")
    return dot


def run_dot(dot_text: str, image_format: ImageFormat, timeout: float = DOT_TIMEOUT) -> bytes:
    """The picture `dot` draws from `dot_text`, as SVG (UTF-8 XML) or PNG bytes."""
    if image_format not in IMAGE_FORMATS:
        raise ValueError(f"unknown image format {image_format!r}; choose from {IMAGE_FORMATS}")
    dot = find_dot()
    try:
        done = subprocess.run(
            [dot, f"-T{image_format}"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DotFailed(f"dot took more than {timeout:g} s and was stopped") from None
    except OSError as error:  # found on PATH but not runnable (permissions, a broken file)
        raise DotMissing(f"cannot run {dot}: {error.strerror or error}; {INSTALL_HINT}") from None
    if done.returncode != 0 or not done.stdout:
        raise DotFailed(_failure(done.returncode, done.stderr))
    return _plain_svg(done.stdout) if image_format == "svg" else done.stdout


_PREAMBLE = re.compile(rb"<!DOCTYPE[^>]*>\s*|<!--.*?-->\s*", re.S)
_XLINK = re.compile(rb'\s+xmlns:xlink="[^"]*"')


def _plain_svg(svg: bytes) -> bytes:
    """The SVG without its document type declaration (whose DTD address nothing needs to
    fetch), the comments before the `<svg` element (Graphviz's version, the title) and an
    unused xlink namespace: the same drawing from any Graphviz release starts the same way."""
    start = svg.find(b"<svg")
    if start < 0:
        return svg
    body = svg[start:]
    if b"xlink:" not in body:  # declared, never used: our drawings have no links
        body = _XLINK.sub(b"", body, count=1)
    return _PREAMBLE.sub(b"", svg[:start]) + body


def _failure(returncode: int, stderr: bytes) -> str:
    """`dot exited with status 1: Error: syntax error in line 3 ...`, its first lines only."""
    status = (
        f"was killed by signal {-returncode}" if returncode < 0 else f"exited with {returncode}"
    )
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    said = "; ".join(line.strip() for line in lines[:_STDERR_LINES] if line.strip())
    more = " ..." if len(lines) > _STDERR_LINES else ""
    return f"dot {status} and drew nothing" + (f": {said}{more}" if said else "")
