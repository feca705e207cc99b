"""`graphspec graph --format html`: one self-contained page (no network access, scripts
bundled) with the drawing, pan and zoom, and a panel that shows a clicked node's layer,
arguments, shape, parameters and line in the spec, and the diagnostics at their nodes.

INTERFACE STUB (issue 13): the owner of this module ("html") replaces the body; the `graph`
command (owner "pictures") calls `render_html`.
"""

from __future__ import annotations

from collections.abc import Sequence

from graphspec.analyse.plan import Plan
from graphspec.diagnostics import Diagnostic


def render_html(plan: Plan, diagnostics: Sequence[Diagnostic]) -> str:
    """The page for one analysed spec and the diagnostics its check reported."""
    raise NotImplementedError("graph --format html is not written yet")
