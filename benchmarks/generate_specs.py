"""Generate large, valid graphspec specs for benchmarks: `python generate_specs.py N > spec.yaml`.

A spec of N nodes mixes every node form the language has: Dense layers, `sequence` chains,
`add` and `concatenate` merges, `expr` means, `use` of one shared Dense and instances of one
residual block (some repeated). Nodes grow along a few parallel lanes that cross-feed each
other, so the graph is wide as well as deep (Keras' functional API recurses once per chained
layer); the lanes meet in a final `add` that feeds the single head, so every node is reachable
and nothing is pruned. Every tensor is 32 wide except a concatenation (64), which is always
followed by a Dense, so every merge and shared use is shape-correct.

`--chain` writes the deepest spec instead: a flat chain of N Dense nodes (for bench_depth.py).
"""

from __future__ import annotations

import argparse
import random
import sys

WIDTH = 32
"""Units of every Dense, so tensors can be added, averaged and fed to the shared layer."""
INPUT_WIDTH = 64
WINDOW = 64
"""Merges read a second tensor from among the last WINDOW nodes (local, like real models)."""

KINDS = ("dense", "sequence", "add", "concatenate", "expr", "use", "block")
WEIGHTS = (40, 15, 14, 8, 6, 9, 8)

SHARED = f"""
shared:
  projection: {{layer: Dense, units: {WIDTH}, activation: relu}}
"""
BLOCKS = f"""
blocks:
  residual_unit:
    params: {{rate: 0.1}}
    inputs: {{x: {{}}}}
    nodes:
      dense: {{layer: Dense, from: x, units: {WIDTH}, activation: relu}}
      drop:  {{layer: Dropout, from: dense, rate: "${{rate}}"}}
      sum:   {{op: add, from: [x, drop]}}
    outputs: {{y: sum}}
"""
FIRST_KINDS = ("use", "block", "sequence", "add", "concatenate", "expr")
"""The first nodes after the lanes' starts: every form appears even in a small spec."""


class _Builder:
    """Appends nodes one by one, tracking each lane's tip and every node's width."""

    def __init__(self, nodes: int, seed: int, lanes: int) -> None:
        self.rng = random.Random(seed)
        self.target = nodes
        self.reserved = 0
        """Nodes kept for the end (the add that joins the lanes)."""
        self.first = list(FIRST_KINDS)
        self.used: set[str] = set()
        self.lines: list[str] = []
        self.width: dict[str, int] = {}
        self.names: list[str] = []
        self.lanes: list[str] = []
        self.lane_count = max(1, min(lanes, nodes // 8))

    @property
    def left(self) -> int:
        return self.target - len(self.names)

    def add(self, kind: str, body: str, width: int) -> str:
        name = f"{kind}_{len(self.names)}"
        self.lines.append(f"  {name}: {{{body}}}")
        self.names.append(name)
        self.width[name] = width
        return name

    def partner(self, tip: str) -> str | None:
        """Another 32-wide node near the end of the graph (for a merge), or None."""
        recent = self.names[-WINDOW:]
        candidates = [n for n in recent if n != tip and self.width[n] == WIDTH]
        return self.rng.choice(candidates) if candidates else None

    def extend(self, lane: int) -> None:
        """Append one node that reads this lane's tip, and make it the new tip."""
        tip = self.lanes[lane]
        kind = self.first.pop(0) if self.first else self.rng.choices(KINDS, WEIGHTS)[0]
        other = self.partner(tip) if kind in ("add", "concatenate", "expr") else None
        if kind in ("add", "concatenate", "expr") and other is None:
            kind = "dense"
        if kind == "concatenate" and self.left - self.reserved < 2:
            kind = "add"  # no room left for the Dense that narrows it again
        self.used.add(kind)
        if kind == "dense":
            activation = self.rng.choice(("relu", "tanh", "linear"))
            body = f"layer: Dense, from: {tip}, units: {WIDTH}, activation: {activation}"
            new = self.add("dense", body, WIDTH)
        elif kind == "sequence":
            body = (
                f"from: {tip}, sequence: [{{layer: Dense, units: {WIDTH}, activation: relu}}, "
                f"{{layer: Dropout, rate: 0.1}}, {{layer: Dense, units: {WIDTH}}}]"
            )
            new = self.add("seq", body, WIDTH)
        elif kind == "add":
            new = self.add("add", f"op: add, from: [{tip}, {other}]", WIDTH)
        elif kind == "concatenate":  # 64 wide: a Dense narrows it back at once
            joined = self.add(
                "cat", f"op: concatenate, from: [{tip}, {other}], axis: -1", 2 * WIDTH
            )
            new = self.add("dense", f"layer: Dense, from: {joined}, units: {WIDTH}", WIDTH)
        elif kind == "expr":
            new = self.add("mean", f'expr: "(a + b) / 2", from: {{a: {tip}, b: {other}}}', WIDTH)
        elif kind == "use":
            new = self.add("use", f"use: projection, from: {tip}", WIDTH)
        else:
            repeat = self.rng.choice((1, 1, 2))
            rate = self.rng.choice((0.1, 0.2))
            body = f"block: residual_unit, from: {tip}, with: {{rate: {rate}}}, repeat: {repeat}"
            new = self.add("unit", body, WIDTH)
        self.lanes[lane] = new


def generate(nodes: int, seed: int = 0, lanes: int = 8) -> str:
    """YAML text of a valid spec with exactly `nodes` nodes, every one reachable from the head."""
    if nodes < 1:
        raise ValueError("a spec needs at least one node")
    builder = _Builder(nodes, seed, lanes)
    two_inputs = nodes >= 4 and builder.rng.random() < 0.5
    inputs = ["x", "z"] if two_inputs else ["x"]
    input_lines = "".join(f"  {name}: {{shape: [{INPUT_WIDTH}]}}\n" for name in inputs)

    # Every lane starts with a Dense on one input; the last lane starts on the second input.
    builder.reserved = reserved = 1 if builder.lane_count > 1 else 0
    for lane in range(builder.lane_count):
        last = lane == builder.lane_count - 1
        source = inputs[1] if two_inputs and last and lane > 0 else inputs[0]
        body = f"layer: Dense, from: {source}, units: {WIDTH}, activation: relu"
        builder.lanes.append(builder.add("dense", body, WIDTH))
    if two_inputs and builder.lane_count == 1:  # one lane: fold the second input in now
        second = builder.add("dense", f"layer: Dense, from: z, units: {WIDTH}", WIDTH)
        builder.lanes[0] = builder.add(
            "add", f"op: add, from: [{builder.lanes[0]}, {second}]", WIDTH
        )
    while builder.left > reserved:
        builder.extend(builder.rng.randrange(builder.lane_count))
    if reserved:
        builder.add("add", f"op: add, from: [{', '.join(builder.lanes)}]", WIDTH)
    final = builder.names[-1]
    parts = [
        "graphspec: 1\n",
        f"name: generated_{nodes}\n",
        f"description: Generated by benchmarks/generate_specs.py ({nodes} nodes, seed {seed}).\n",
        f"\ninputs:\n{input_lines}",
        SHARED if "use" in builder.used else "",
        BLOCKS if "block" in builder.used else "",
        "\nnodes:\n",
        "\n".join(builder.lines),
        f"\n\noutputs:\n  score: {{from: {final}, loss: mse}}\n",
    ]
    return "".join(parts)


def generate_chain(layers: int, units: int = 2) -> str:
    """YAML text of the deepest spec per node: a flat chain of `layers` Dense nodes, each reading
    the one before, one node per line (Keras recurses once per chained layer).

    Orthogonal kernels keep the output's norm, so a prediction after thousands of layers is
    neither 0 nor inf and tells whether every weight survived a save and load.
    """
    if layers < 1:
        raise ValueError("a chain needs at least one layer")
    lines = [
        f"  d{i}: {{layer: Dense, from: {f'd{i - 1}' if i > 1 else 'x'}, units: {units}, "
        "kernel_initializer: orthogonal}\n"
        for i in range(1, layers + 1)
    ]
    head = f"graphspec: 1\nname: chain_{layers}\ninputs:\n  x: {{shape: [{units}]}}\nnodes:\n"
    return head + "".join(lines) + f"outputs:\n  out: d{layers}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("nodes", type=int, help="how many nodes the spec has")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--lanes", type=int, default=8, help="parallel lanes (default 8)")
    parser.add_argument(
        "--chain", action="store_true", help="a flat chain of Dense layers instead (one lane)"
    )
    args = parser.parse_args()
    text = generate_chain(args.nodes) if args.chain else generate(args.nodes, args.seed, args.lanes)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
