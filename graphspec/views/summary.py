"""The static summary of a Plan (`graphspec summary`): one row per input, node and head with
its layer, output shape (and dtype, where it is not float32) and parameter count as inferred
without Keras, pruned parts marked, then the totals.

The rows are built once (`summary_rows`) and printed thinly (`render_summary`), so another
printer (JSON, Markdown) needs no second walk over the plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, NamedTuple

from graphspec.diagnostics.render import escape
from graphspec.shape import format_shape

if TYPE_CHECKING:
    from graphspec.analyse.plan import Plan

__all__ = ["HEADER", "SummaryRow", "render_summary", "summary_rows"]

MAX_CELL: Final = 44
"""Widest column of the table, in characters; longer cells are cut."""


class SummaryRow(NamedTuple):
    """One line of the table, every cell already text ('-' or '?' where nothing is known)."""

    node: str
    layer: str
    shape: str
    params: str
    note: str
    """'pruned' for what is not built; a head's loss."""


HEADER: Final = SummaryRow("node", "layer", "output shape", "params", "")


def _typed(shape: str, dtype: str | None) -> str:
    """A shape cell, with the dtype after it when it is known and not float32."""
    return shape if dtype in (None, "float32") else f"{shape} {dtype}"


def summary_rows(plan: Plan) -> list[SummaryRow]:
    """Inputs, then nodes in declaration order (a node with several outputs: its first on its
    row, then a row per other output, `enc.state_h`), then heads."""
    spec = plan.spec
    rows = []
    for name in spec.inputs:
        pruned = name in plan.top.pruned_inputs
        declared = spec.inputs[name]
        shape = (
            "-"
            if pruned
            else _typed(format_shape(tuple(declared.shape), batch=True), declared.dtype)
        )
        rows.append(SummaryRow(name, "Input", shape, "0", "pruned" if pruned else ""))
    for name, node in spec.nodes.items():
        info = plan.static.get(name)
        if info is None:
            rows.append(SummaryRow(name, node.label(spec), "-", "-", "pruned"))
            continue
        params = "?" if info.params is None else f"{info.params:,}"
        shape = _typed(format_shape(info.shape, batch=True), info.dtype)
        rows.append(SummaryRow(name, info.layer, shape, params, ""))
        for out, out_shape in list(info.outputs.items())[1:]:  # the first is the node's row
            rows.append(
                SummaryRow(f"{name}.{out}", "", format_shape(out_shape, batch=True), "", "")
            )
    for head, entry in spec.outputs.items():
        shape = format_shape(plan.head_shapes.get(head), batch=True)
        rows.append(SummaryRow(head, f"head <- {entry.from_}", shape, "0", str(entry.loss or "")))
    return rows


def render_summary(plan: Plan, file: str) -> str:
    """The table under a title naming the spec and `file`, then the totals and what was
    pruned; every line ends in a newline. Spec text is escaped for a terminal."""
    rows = summary_rows(plan)
    widths = [min(MAX_CELL, max(len(row[i]) for row in [HEADER, *rows])) for i in range(4)]

    def line(row: SummaryRow) -> str:
        cells = [
            escape(cell)[:MAX_CELL].ljust(width) for cell, width in zip(row, widths, strict=False)
        ]
        cells[3] = escape(row.params).rjust(widths[3])  # numbers align right, uncut
        return "  ".join([*cells, escape(row.note)]).rstrip()

    lines = [
        f"{escape(plan.spec.name)}  ({escape(file)})",
        line(HEADER),
        "  ".join("-" * width for width in widths),
        *(line(row) for row in rows),
    ]
    trainable, frozen = plan.trainable, plan.non_trainable
    if trainable is None or frozen is None:
        lines.append("Total params: unknown (some layers have no static rule)")
    else:
        lines.append(
            f"Total params: {trainable + frozen:,} (trainable {trainable:,}, "
            f"non-trainable {frozen:,})"
        )
    if plan.pruned:
        lines.append(f"Pruned (not built): {', '.join(escape(p) for p in sorted(plan.pruned))}")
    return "\n".join(lines) + "\n"
